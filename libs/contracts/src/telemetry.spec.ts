import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIDENCE_BUCKETS, LATENCY_BUCKETS_MS, MAX_TELEMETRY_CLASSES, TelemetryMessage, type TelemetryWindow } from './telemetry';
import { INT32_MAX } from './messages';
import { PROTOCOL_VERSION } from './topics';
import { parseMessage } from './validate';

const window = (over: Partial<Record<keyof TelemetryWindow, unknown>> = {}) => ({
  id: 'w1', start: '2026-12-01T00:00:00.000Z', end: '2026-12-01T00:01:00.000Z', n: 3, err: 0, latSum: 6, pSum: 2.4,
  lat: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), cls: [1, 2], conf: new Array<number>(CONFIDENCE_BUCKETS).fill(0),
  margin: new Array<number>(CONFIDENCE_BUCKETS).fill(0), ent: new Array<number>(CONFIDENCE_BUCKETS).fill(0), ...over,
});
const parse = (w: object) => parseMessage(TelemetryMessage, JSON.stringify({ v: PROTOCOL_VERSION, windows: [w] }));

test('count arrays: integers in [0, INT32_MAX], at most their bucket count, checked in one rule', () => {
  assert.equal(parse(window()).ok, true);
  assert.equal(parse(window({ cls: new Array<number>(MAX_TELEMETRY_CLASSES).fill(INT32_MAX) })).ok, true);
  for (const [field, bad] of [
    ['cls', [1, -1]], ['cls', [1.5]], ['cls', ['1']], ['cls', [null]], ['cls', { 0: 1 }], ['cls', new Array<number>(MAX_TELEMETRY_CLASSES + 1).fill(0)],
    ['conf', new Array<number>(CONFIDENCE_BUCKETS + 1).fill(0)], ['lat', [INT32_MAX + 1]], ['ent', 'none'],
  ] as const) {
    const r = parse(window({ [field]: bad }));
    assert.equal(r.ok, false, `${field}=${JSON.stringify(bad)} must be refused`);
    if (!r.ok) assert.match(r.errors.join('; '), new RegExp(`${field}`), JSON.stringify(r.errors));
  }
});
