import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HelloMessage, jsonTooDeep, parseJsonBounded, parseMessage, ReportMessage, untrustedValueProblems, validateAs } from './index';

const hello = { v: 1, deviceId: 'd1', agentVersion: '1', profile: { arch: 'arm64', cores: 4, ramMb: 1024 } };
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

test('keys naming Object.prototype members are refused at every depth, never a TypeError or a pass', () => {
  const cases: Array<[string, unknown]> = [
    ['top-level constructor', { ...hello, constructor: 'x' }],
    ['top-level toString', { ...hello, toString: 1 }],
    ['constructor inside an array item', { ...hello, tags: [{ constructor: 1 }] }],
    ['constructor inside profile', { ...hello, profile: { ...hello.profile, constructor: {} } }],
    ['hasOwnProperty inside profile', { ...hello, profile: { ...hello.profile, hasOwnProperty: 1 } }],
    ['__proto__ as an own key', JSON.parse('{"v":1,"__proto__":{"x":1}}')],
    ['prototype', { ...hello, prototype: {} }],
  ];
  for (const [name, raw] of cases) {
    let result;
    assert.doesNotThrow(() => (result = validateAs(HelloMessage, raw)), name);
    assert.equal(result!.ok, false, name);
    if (!result!.ok) assert.match(result!.errors.join('\n'), /is not allowed/, name);
  }
  assert.equal(validateAs(HelloMessage, hello).ok, true);
});

test('size and depth are bounded before JSON.parse and class-transformer', () => {
  const deep = parseMessage(HelloMessage, `{"profile":${nested(100_000)}}`);
  assert.equal(deep.ok, false);
  if (!deep.ok) assert.match(deep.errors[0]!, /deeper than 32/);
  const big = parseMessage(HelloMessage, JSON.stringify({ ...hello, name: 'x'.repeat(300_000) }));
  assert.equal(big.ok, false);
  if (!big.ok) assert.match(big.errors[0]!, /over the limit/);
  // Brackets inside strings (escaped quotes included) are not nesting.
  assert.equal(jsonTooDeep(JSON.stringify({ s: '[[[[\\"[[[[' }), 2), false);
  assert.equal(jsonTooDeep(nested(3), 2), true);
  // A value parsed elsewhere (Fastify's body parser) is checked iteratively: no stack overflow at 50k levels.
  let v: unknown = {};
  for (let i = 0; i < 50_000; i++) v = { a: v };
  assert.match(untrustedValueProblems(v).join(), /deeper than 32/);
});

test('strings PostgreSQL cannot store are refused, in values and in keys', () => {
  for (const bad of ['a\u0000b', 'x\ud800', '\udc00y']) {
    const r = parseMessage(HelloMessage, JSON.stringify({ ...hello, name: bad }));
    assert.equal(r.ok, false, JSON.stringify(bad));
    assert.equal(parseJsonBounded(JSON.stringify({ [bad]: 1 })).ok, false);
  }
  assert.equal(parseMessage(HelloMessage, JSON.stringify({ ...hello, name: 'kitchen 🍳' })).ok, true, 'a valid surrogate pair is fine');
});

test('report numbers are bounded: int columns cannot overflow', () => {
  const report = {
    v: 1, deploymentId: 'd', artifactSha256: 'a'.repeat(64), outcome: 'activated', runs: 2 ** 31, warmupRuns: 1,
    inputSource: 'synthetic', gateResults: [], simulated: false, measuredAt: '2026-11-30T00:00:00.000Z',
  };
  const r = validateAs(ReportMessage, report);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.errors.join(), /runs/);
  assert.equal(validateAs(ReportMessage, { ...report, runs: 100 }).ok, true);
});
