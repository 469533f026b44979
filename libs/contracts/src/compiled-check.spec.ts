import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { plainToInstance } from 'class-transformer';
import { IsInt, IsOptional, validateSync } from 'class-validator';
import { compileCheck, plainDataCheck } from './compiled-check';
import { nullFieldProblems } from './null-fields';
import { CONFIDENCE_BUCKETS, Heartbeat, LATENCY_BUCKETS_MS, TelemetryMessage, TelemetryWindow } from './telemetry';
import { BlockRequestMessage, INT32_MAX, ProgressMessage, ReportMessage } from './messages';
import { PROTOCOL_VERSION } from './topics';
import { parseMessage, VALIDATOR_OPTIONS } from './validate';

type Class = new () => object;
/** What validateAs decides without the compiled check: the null rule, then class-validator. */
const classValidatorOk = (cls: Class, raw: unknown) => nullFieldProblems(cls, raw).length === 0 && validateSync(plainToInstance(cls, raw) as object, VALIDATOR_OPTIONS).length === 0;

const validMessage = () => ({
  v: PROTOCOL_VERSION,
  windows: [0, 1].map((i) => ({
    id: `w-${i}`, start: '2026-12-01T00:00:00.000Z', end: '2026-12-01T00:01:00.000Z', model: 'ab'.repeat(32), n: 3, err: 0, latSum: 6.5, pSum: 2.4,
    lat: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), cls: [1, 2], conf: new Array<number>(CONFIDENCE_BUCKETS).fill(1),
    margin: new Array<number>(CONFIDENCE_BUCKETS).fill(0), ent: new Array<number>(CONFIDENCE_BUCKETS).fill(0),
  })),
  heartbeat: { at: '2026-12-01T00:01:00Z', cpu: 0.1, rssMb: 80, diskFreeMb: 1000, uptimeS: 60, agentVersion: '1.2.3', activeSha256: 'ab'.repeat(32) },
  dropped: 0,
});

/** Every path (object keys, array indexes) inside a JSON value. */
function paths(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (v === null || typeof v !== 'object') return [at];
  const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return [at, ...keys.flatMap((k) => paths((v as Record<string | number, unknown>)[k], [...at, k]))];
}

/** Values at the edges of the contract's rules (bounds, types, formats). */
const EDGES: unknown[] = [null, -1, 0, 1, 1.5, 1024, 1025, INT32_MAX, INT32_MAX + 1, 1e12, '', '1', 'ab'.repeat(32), 'AB'.repeat(32), '2026-12-01',
  '2026-12-01T00:00:00Z', '2026-02-30T00:00:00Z', 'not a date', 'w_1-ok', 'bad id!', 'x'.repeat(65), true, false, [], [1, 2], [-1], [1.5], ['1'], [null], {}, { a: 1 },
  new Array(11).fill(0), new Array(15).fill(0), new Array(1025).fill(0)];
const edgeValue = fc.oneof(fc.constantFrom(...EDGES), fc.jsonValue({ maxDepth: 3 }));
const mutation = fc.record({ at: fc.nat(), kind: fc.constantFrom('set', 'delete', 'add'), value: edgeValue, key: fc.constantFrom('extra', 'n', 'model', 'windows', '__x') });

test('every @PlainData contract class compiles', () => {
  for (const cls of [TelemetryMessage, TelemetryWindow, Heartbeat, BlockRequestMessage, ProgressMessage, ReportMessage]) {
    assert.equal(typeof plainDataCheck(cls), 'function', cls.name);
  }
});

/** The rollout's device messages (docs/operations.md, "Rollout throughput": class-validator was a tenth of the control plane's CPU). */
const rolloutMessages: Array<[Class, () => Record<string, unknown>]> = [
  [BlockRequestMessage, () => ({ v: PROTOCOL_VERSION, sha256: 'ab'.repeat(32), index: 3, count: 16 })],
  [ProgressMessage, () => ({ v: PROTOCOL_VERSION, deploymentId: 'd-1', sha256: 'ab'.repeat(32), state: 'downloading', receivedBlocks: 2, totalBlocks: 4, msgId: 'msg-0001' })],
  [ReportMessage, () => ({
    v: PROTOCOL_VERSION, deploymentId: 'd-1', artifactSha256: 'ab'.repeat(32), outcome: 'activated',
    latency: { p50Ms: 1, p95Ms: 2, p99Ms: 3, meanMs: 1.5, minMs: 0.5, maxMs: 4 }, runs: 30, warmupRuns: 5, throughputPerSec: 100, peakRssMb: 80,
    modelMemoryMb: 2, accuracy: 0.9, evalSamples: 100, metric: { task: 'multiclass', name: 'top1-accuracy', value: 0.9 }, inputSource: 'eval-set',
    gateResults: [{ gate: 'maxLatencyP95Ms', limit: 10, measured: 2, passed: true }], simulated: true, slowdownFactor: 3.5, latencyP95Attempts: [2, 2.1],
    previousSha256: 'cd'.repeat(32), measuredAt: '2026-12-01T00:00:00.000Z', msgId: 'msg-0002',
  })],
];

test('rollout messages: every field set to every edge value, or deleted — the compiled check never accepts what class-validator refuses, and accepts the valid ones', () => {
  for (const [cls, valid] of rolloutMessages) {
    const check = compileCheck(cls);
    assert.equal(check(valid()), true, `${cls.name}: the valid message`);
    assert.equal(classValidatorOk(cls, valid()), true, `${cls.name}: the valid message (class-validator)`);
    let cases = 0;
    let differ = 0;
    for (const path of paths(valid()).filter((p) => p.length > 0 && p.every((k) => k === 0 || typeof k === 'string'))) {
      for (const value of [...EDGES, undefined]) {
        const msg = valid() as Record<string | number, unknown>;
        const parent = path.slice(0, -1).reduce<Record<string | number, unknown>>((o, k) => o[k] as Record<string | number, unknown>, msg);
        if (value === undefined) delete parent[path.at(-1)!];
        else parent[path.at(-1)!] = value;
        const raw: unknown = JSON.parse(JSON.stringify(msg));
        const fast = check(raw);
        const slow = classValidatorOk(cls, raw);
        if (fast) assert.equal(slow, true, `${cls.name}: compiled accepted what class-validator refuses: ${JSON.stringify(raw)}`);
        if (fast !== slow) differ++;
        cases++;
      }
    }
    // Where they differ the compiled check is stricter, and parseMessage falls back to class-validator: same verdict.
    assert.ok(differ <= cases / 50, `${cls.name}: ${differ} of ${cases} cases fell back to class-validator`);
    for (const extra of ['extra', '__x']) assert.equal(check({ ...valid(), [extra]: 1 }), false, `${cls.name}: unknown field ${extra}`);
  }
});

/** The compiled verdict against class-validator's for one value: never more lenient; the same for these. */
function agree(check: (v: unknown) => boolean, raw: unknown): boolean {
  const fast = check(raw);
  const slow = classValidatorOk(TelemetryMessage, raw);
  if (fast) assert.equal(slow, true, `compiled accepted what class-validator refuses: ${JSON.stringify(raw)}`);
  return fast;
}

test('every field (and the first element of every array) set to every edge value, or deleted: same verdict as class-validator', () => {
  const check = compileCheck(TelemetryMessage);
  const leaves = paths(validMessage()).filter((p) => p.length > 0 && p.every((k) => k === 0 || typeof k === 'string'));
  let cases = 0;
  let differ = 0;
  for (const path of leaves) {
    for (const value of [...EDGES, undefined]) {
      const msg = validMessage() as unknown as Record<string | number, unknown>;
      const parent = path.slice(0, -1).reduce<Record<string | number, unknown>>((o, k) => o[k] as Record<string | number, unknown>, msg);
      if (value === undefined) delete parent[path.at(-1)!];
      else parent[path.at(-1)!] = value;
      const raw: unknown = JSON.parse(JSON.stringify(msg));
      if (agree(check, raw) !== classValidatorOk(TelemetryMessage, raw)) differ++;
      cases++;
    }
  }
  assert.ok(cases > 1000, `${cases} cases`);
  // Stricter than class-validator only where class-validator takes nested arrays as nested objects (windows: [[…]]).
  assert.ok(differ <= 5, `${differ} of ${cases} cases fell back to class-validator`);
});

test('the compiled check never accepts what class-validator refuses, and accepts the valid messages it is for (fast-check)', () => {
  const check = compileCheck(TelemetryMessage);
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(fc.array(mutation, { maxLength: 3 }), (mutations) => {
      const msg: unknown = validMessage();
      for (const m of mutations) {
        const all = paths(msg).filter((p) => p.length > 0);
        const path = all[m.at % all.length]!;
        const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], msg) as Record<string | number, unknown>;
        const last = path.at(-1)!;
        if (m.kind === 'set') parent[last] = m.value;
        else if (m.kind === 'delete') delete parent[last];
        else if (parent[last] !== null && typeof parent[last] === 'object' && !Array.isArray(parent[last])) (parent[last] as Record<string, unknown>)[m.key] = m.value;
      }
      const raw: unknown = JSON.parse(JSON.stringify(msg));
      const fast = agree(check, raw);
      if (fast) accepted++;
      else refused++;
      if (mutations.length === 0) assert.equal(fast, true, 'a valid message must take the compiled path');
      // Where the compiled path answers, the value is what class-validator's path would have handed on.
      if (fast) assert.deepEqual(JSON.parse(JSON.stringify(plainToInstance(TelemetryMessage, raw))), raw);
    }),
    { numRuns: 1000, seed: 20261201 },
  );
  assert.ok(accepted > 100 && refused > 100, `both verdicts exercised (${accepted} accepted, ${refused} refused)`);
});

test('parseMessage: a refused message gets class-validator\'s errors, as before', () => {
  const msg = validMessage();
  (msg.windows[1] as Record<string, unknown>).n = -1;
  const r = parseMessage(TelemetryMessage, JSON.stringify(msg));
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.errors.join('; '), /windows\.1\.n/);
  const ok = parseMessage(TelemetryMessage, JSON.stringify(validMessage()));
  assert.deepEqual(ok, { ok: true, value: validMessage() });
});

test('`each` rules check every element, as class-validator does', () => {
  class Each {
    @IsInt({ each: true }) xs!: number[];
  }
  const check = compileCheck(Each);
  for (const xs of [[1, 2], [], [1.5], [1, '2'], 3, null, 'ab']) assert.equal(check({ xs }), classValidatorOk(Each, { xs }), JSON.stringify(xs));
});

test('classes the compiled check cannot reproduce are refused at compile time', () => {
  class WithMethod {
    @IsInt() n!: number;
    twice(): number {
      return this.n * 2;
    }
  }
  class WithDefault {
    @IsOptional() @IsInt() n: number = 3;
  }
  class Nothing {}
  assert.throws(() => compileCheck(WithMethod), /not plain data/);
  assert.throws(() => compileCheck(WithDefault), /field defaults/);
  assert.throws(() => compileCheck(Nothing), /no validation metadata/);
});
