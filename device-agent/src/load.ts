/**
 * `npm run agent:load -- [--url http://127.0.0.1:8470 | --url unix:<socket>] [--rate 200] [--duration 60] [--eval-set <file>] [--text-file <file>]`
 *
 * Drives an agent's local inference endpoint at a steady rate: samples of an eval set (the .efev file a model
 * was uploaded with) in turn, lines of a text file for a text model, or inputs synthesized from the model's
 * input metadata (GET /v1/model). Prints requests, errors and latency every 10 s and at the end.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { decodeAnyEvalSet } from '@edgefleet/contracts';
import { CommandLine, Prng, runCommand, type CommandSpec } from '@edgefleet/toolkit';
import { concreteShape } from './benchmark/input-synthesis';
import type { InferRequest } from './serving/model-server';

const spec: CommandSpec = {
  name: 'agent:load',
  invocation: 'npm run agent:load --',
  summary: 'Sends inference requests to an agent\'s POST /v1/infer at a steady rate.',
  options: {
    url: { type: 'string', arg: '<url>', help: 'the agent\'s endpoint: http://host:port or unix:<socket path>, as its --serve (default http://127.0.0.1:8470)' },
    rate: { type: 'string', arg: '<per s>', help: 'requests per second (default 200)' },
    duration: { type: 'string', arg: '<s>', help: 'seconds to run (default 60)' },
    'eval-set': { type: 'string', arg: '<file>', help: 'an .efev eval set: its samples in turn' },
    'text-file': { type: 'string', arg: '<file>', help: 'a text model: one request per line' },
  },
};

async function run(cl: CommandLine): Promise<void> {
  const rawUrl = cl.string('url') ?? 'http://127.0.0.1:8470';
  // The same two forms as the agent's --serve: a loopback HTTP address or a Unix socket.
  const target = rawUrl.startsWith('unix:') ? { socketPath: rawUrl.slice('unix:'.length) } : (({ hostname, port }) => ({ host: hostname, port: port || 80 }))(new URL(rawUrl));
  const rate = cl.number('rate', { min: 0.1 }) ?? 200;
  const duration = cl.number('duration', { min: 0.1 }) ?? 60;
  const evalSetPath = cl.string('eval-set');
  const textPath = cl.string('text-file');
  cl.done();
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const call = (method: string, path: string, body?: string) => new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({ ...target, path, method, agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  let bodies: string[];
  if (textPath) {
    bodies = readFileSync(textPath, 'utf8').split('\n').filter(Boolean).map((text) => JSON.stringify({ text } satisfies InferRequest));
  } else if (evalSetPath) {
    const set = decodeAnyEvalSet(readFileSync(evalSetPath));
    const f = set.sampleShape.reduce((a, b) => a * b, 1);
    bodies = Array.from({ length: set.n }, (_, i) => JSON.stringify({ input: Array.from(set.x.subarray(i * f, (i + 1) * f)) } satisfies InferRequest));
  } else {
    const meta = JSON.parse((await call('GET', '/v1/model')).text) as { inputs?: Array<{ name: string; type?: string; shape?: Array<number | string> }> };
    const prng = new Prng(1);
    bodies = Array.from({ length: 64 }, () => JSON.stringify({
      inputs: Object.fromEntries((meta.inputs ?? []).map((m) => {
        const dims = concreteShape(m.shape ?? [1]);
        const n = dims.reduce((a, b) => a * b, 1);
        return [m.name, { dims, data: Array.from({ length: n }, () => (m.type?.startsWith('float') ? prng.next() * 2 - 1 : prng.int(2))) }];
      })),
    }));
    if ((meta.inputs ?? []).length === 0) throw new Error(`${rawUrl} GET /v1/model names no inputs: is a model active?`);
  }
  let sent = 0;
  let ok = 0;
  let errors = 0;
  let lat: number[] = [];
  const report = (final: boolean) => {
    const s = [...lat].sort((a, b) => a - b);
    const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2) : '-');
    console.log(`${final ? 'total' : 'last 10 s'}: sent ${sent} ok ${ok} errors ${errors} p50 ${q(0.5)} ms p99 ${q(0.99)} ms`);
    lat = [];
  };
  const start = Date.now();
  const ticker = setInterval(() => report(false), 10_000);
  const inflight = new Set<Promise<void>>();
  try {
    while (Date.now() - start < duration * 1000) {
      const due = Math.floor(((Date.now() - start) / 1000) * rate);
      while (sent < due) {
        const body = bodies[sent % bodies.length]!;
        sent++;
        const t = performance.now();
        const p = call('POST', '/v1/infer', body).then((r) => {
          if (r.status === 200) ok++;
          else errors++;
          lat.push(performance.now() - t);
        }, () => void errors++).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inflight);
  } finally {
    clearInterval(ticker);
    agent.destroy();
  }
  report(true);
}

runCommand(spec, process.argv.slice(2), run);
