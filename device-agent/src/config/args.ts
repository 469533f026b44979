import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEVICE_ID_PATTERN } from '@edgefleet/contracts';
import { AgentConfigError } from '../lib/errors';
import type { LogLevel } from '../lib/logger';
import type { AgentOptions } from './agent-options';
import { DEFAULT_SERVE_PORT, checkServeAddress, type ServeAddress } from '../serving/infer-http';

export const USAGE = `usage: edgefleet-agent --broker mqtt://host:1883 --device-id <id> [options]

  --broker <url>        MQTT broker (mqtt://, mqtts://, ws://), required
  --device-id <id>      [A-Za-z0-9._-]{1,64}, required
  --profile <p>         host (default) | gateway | rpi4 | tight | mcu-lite | <file.json>
  --state-dir <dir>     default ./data/agent-<device-id>
  --enroll-token <t>    enroll once with this token (needs --api-url); the credential is kept in <state-dir>/credential.json (0600)
  --api-url <url>       the control plane's HTTP API (http(s)://host:port): enrollment and the trusted key set
  --password <secret>   MQTT password of a device created over REST (username = device id)
  --credential-file <f> the same from a file: the REST answer's {"username","password"} or the bare password
  --ca-file <pem>       CA certificate(s) of a private CA: verifies an mqtts:// broker and an https:// --api-url
  --trust-key <pem>     pin a public key file besides the control plane's set; repeatable
  --insecure-no-signature  accept UNSIGNED desired states (development only; warned about at every start)
  --max-object-mb <n>   refuse a desired state naming a model or eval set larger than this (default 1024)
  --name <name>         display name sent in hello
  --tags a,b            tags sent in hello
  --log-level <lvl>     debug | info | warn | error (default info)
  --bench-min-runs <n>  --bench-max-runs <n>  --bench-min-ms <ms>  --bench-max-ms <ms>   benchmark budget
  --bench-lock <file>   simulated devices on one host: agents given the same file take turns benchmarking
  --serve <where>       local inference endpoint POST /v1/infer: 127.0.0.1:<port> (default 127.0.0.1:8470),
                        unix:<socket path>, or off. Loopback only: it is never reachable from the network
  --telemetry-window-s <s>  telemetry window length (default 60)
  --telemetry-queue-max <n> windows kept on disk while offline (default 10000; the oldest are dropped beyond)
  -h, --help`;

export interface CliOptions {
  help: boolean;
  logLevel: LogLevel;
  agent: AgentOptions;
}

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Parses argv (without node and script) and lists every problem at once. Reads --trust-key files. */
export function parseCliArgs(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        broker: { type: 'string' },
        'device-id': { type: 'string' },
        profile: { type: 'string' },
        'state-dir': { type: 'string' },
        'trust-key': { type: 'string', multiple: true },
        'ca-file': { type: 'string' },
        name: { type: 'string' },
        tags: { type: 'string' },
        'enroll-token': { type: 'string' },
        'api-url': { type: 'string' },
        password: { type: 'string' },
        'credential-file': { type: 'string' },
        'insecure-no-signature': { type: 'boolean' },
        'max-object-mb': { type: 'string' },
        'log-level': { type: 'string' },
        'bench-min-runs': { type: 'string' },
        'bench-max-runs': { type: 'string' },
        'bench-min-ms': { type: 'string' },
        'bench-max-ms': { type: 'string' },
        'bench-lock': { type: 'string' },
        serve: { type: 'string' },
        'telemetry-window-s': { type: 'string' },
        'telemetry-queue-max': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new AgentConfigError([(err as Error).message]);
  }
  const v = parsed.values;
  if (v.help) return { help: true, logLevel: 'info', agent: { brokerUrl: '', deviceId: '' } };

  const problems: string[] = [];
  if (!v.broker) problems.push('--broker is required (e.g. mqtt://127.0.0.1:1883)');
  else if (!/^(mqtts?|wss?|tcp|tls):\/\/[^\s]+$/.test(v.broker)) problems.push(`--broker "${v.broker}" is not an mqtt://, mqtts://, ws:// or wss:// URL`);
  const deviceId = v['device-id'];
  if (!deviceId) problems.push('--device-id is required');
  else if (!DEVICE_ID_PATTERN.test(deviceId)) problems.push(`--device-id "${deviceId}" must match ${DEVICE_ID_PATTERN}`);
  const logLevel = (v['log-level'] ?? 'info') as LogLevel;
  if (!LEVELS.includes(logLevel)) problems.push(`--log-level must be one of ${LEVELS.join(', ')}`);

  const trustedKeys: string[] = [];
  for (const file of v['trust-key'] ?? []) {
    try {
      const pem = readFileSync(file, 'utf8');
      if (!pem.includes('-----BEGIN PUBLIC KEY-----')) problems.push(`--trust-key ${file}: not a PEM public key`);
      else trustedKeys.push(pem);
    } catch (err) {
      problems.push(`--trust-key ${file}: cannot read (${(err as Error).message})`);
    }
  }
  let caPem: string | undefined;
  if (v['ca-file']) {
    try {
      caPem = readFileSync(v['ca-file'], 'utf8');
      if (!caPem.includes('-----BEGIN CERTIFICATE-----')) problems.push(`--ca-file ${v['ca-file']}: not a PEM certificate`);
    } catch (err) {
      problems.push(`--ca-file ${v['ca-file']}: cannot read (${(err as Error).message})`);
    }
  }
  const apiUrl = v['api-url'];
  if (apiUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(apiUrl)) problems.push(`--api-url "${apiUrl}" is not an http:// or https:// URL`);
  if (v['enroll-token'] !== undefined && !apiUrl) problems.push('--enroll-token needs --api-url');
  const secrets = [v['enroll-token'] !== undefined, v.password !== undefined, v['credential-file'] !== undefined].filter(Boolean).length;
  if (secrets > 1) problems.push('give one of --enroll-token, --password, --credential-file');
  let password = v.password;
  let username: string | undefined;
  if (v['credential-file']) {
    try {
      ({ username, password } = readCredentialFile(v['credential-file']));
    } catch (err) {
      problems.push(`--credential-file ${v['credential-file']}: ${(err as Error).message}`);
    }
  }
  const tags = v.tags?.split(',').map((t) => t.trim()).filter(Boolean);
  const num = (flag: 'bench-min-runs' | 'bench-max-runs' | 'bench-min-ms' | 'bench-max-ms' | 'max-object-mb' | 'telemetry-window-s' | 'telemetry-queue-max'): number | undefined => {
    const raw = v[flag];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) problems.push(`--${flag} must be a positive integer, got "${raw}"`);
    return n;
  };
  const minRuns = num('bench-min-runs');
  const maxRuns = num('bench-max-runs');
  const minTimeMs = num('bench-min-ms');
  const maxTimeMs = num('bench-max-ms');
  const maxObjectMb = num('max-object-mb');
  const windowS = num('telemetry-window-s');
  const queueMax = num('telemetry-queue-max');
  const serve = parseServe(v.serve ?? `127.0.0.1:${DEFAULT_SERVE_PORT}`);
  if (typeof serve === 'string') problems.push(serve);
  if (problems.length > 0) throw new AgentConfigError(problems);

  return {
    help: false,
    logLevel,
    agent: {
      brokerUrl: v.broker!,
      deviceId: deviceId!,
      profile: v.profile,
      stateDir: v['state-dir'],
      trustedKeys,
      name: v.name,
      tags,
      ...(apiUrl && { apiUrl }),
      ...(caPem && { caPem }),
      ...(v['enroll-token'] && { enrollToken: v['enroll-token'] }),
      ...(password !== undefined && { password }),
      ...(username && { username }),
      ...(v['insecure-no-signature'] && { insecureNoSignature: true }),
      ...(maxObjectMb !== undefined && { maxObjectBytes: maxObjectMb * 1024 * 1024 }),
      ...(v['bench-lock'] && { benchmarkLock: v['bench-lock'] }),
      ...(serve && typeof serve === 'object' && { serve }),
      telemetry: { ...(windowS !== undefined && { windowS }), ...(queueMax !== undefined && { queueMax }) },
      benchmark: {
        ...(minRuns !== undefined && { minRuns }),
        ...(maxRuns !== undefined && { maxRuns }),
        ...(minTimeMs !== undefined && { minTimeMs }),
        ...(maxTimeMs !== undefined && { maxTimeMs }),
      },
    },
  };
}

/** `--serve`: `host:port` (loopback only), `unix:<path>`, or `off`; a string is the problem. */
function parseServe(raw: string): ServeAddress | undefined | string {
  if (raw === 'off') return undefined;
  if (raw.startsWith('unix:')) return { socketPath: raw.slice('unix:'.length) };
  const m = /^(.+):(\d{1,5})$/.exec(raw);
  if (!m) return `--serve "${raw}": use 127.0.0.1:<port>, unix:<path> or off`;
  const addr = { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
  const problem = checkServeAddress(addr);
  return problem ? `--serve: ${problem}` : addr;
}

/** `{"username","password"}` as `POST /api/v1/devices` answers it (its `credential`), or the bare password. */
function readCredentialFile(file: string): { username?: string; password: string } {
  const text = readFileSync(file, 'utf8').trim();
  if (!text.startsWith('{')) {
    if (!text) throw new Error('empty');
    return { password: text };
  }
  const j = JSON.parse(text) as { username?: unknown; password?: unknown; credential?: { username?: unknown; password?: unknown } };
  const c = j.credential ?? j;
  if (typeof c.password !== 'string' || !c.password) throw new Error('no "password"');
  return { ...(typeof c.username === 'string' && { username: c.username }), password: c.password };
}
