import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IsOptional } from 'class-validator';
import { isInstant, IsInstant } from './instant';
import { compileCheck } from './compiled-check';
import { validateAs } from './validate';

test('an instant is an RFC 3339 date-time naming a real calendar instant', () => {
  for (const ok of ['2026-12-01T00:00:00Z', '2026-12-01T00:00:00.123Z', '2026-12-01T01:02:03+01:00', '2026-12-01T01:02:03.123456789-05:30', '2028-02-29T00:00:00Z', new Date(0).toISOString()]) {
    assert.ok(isInstant(ok), ok);
  }
  const refused = [
    '-39780923', '2026-W48', '2026-W48-2', '2026-335', // ISO 8601 that Date cannot read (found by the REST fuzzer / the ingest)
    '2026-12-01', '2026-12-01T00:00Z', '2026-12-01T00:00:00', '2026-12-01 00:00:00Z', '2026-12-01t00:00:00z', '20261201T000000Z', // not RFC 3339 date-time
    '2026-02-30T00:00:00Z', '2026-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-12-01T00:60:00Z', '2026-12-01T00:00:00+24:00', '2026-13-01T00:00:00Z', '2026-12-01T25:00:00Z', // not a calendar instant
    '', ' 2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z\n', 1764547200000, null, undefined, {},
  ];
  for (const bad of refused) assert.ok(!isInstant(bad), JSON.stringify(bad));
  // Whatever Date writes is an instant (every day of four years, at a time of day that moves with it).
  for (let t = Date.UTC(2027, 0, 1); t < Date.UTC(2031, 0, 1); t += 86_400_000 + 1_234) assert.ok(isInstant(new Date(t).toISOString()), new Date(t).toISOString());
});

class Stamped {
  @IsInstant() at!: string;
  @IsOptional() @IsInstant() until?: string;
}

test('@IsInstant: the same verdict through class-validator and the compiled check', () => {
  const check = compileCheck(Stamped);
  for (const at of ['2026-12-01T00:00:00Z', '2026-W48', '2026-12-01', 7]) {
    assert.equal(validateAs(Stamped, { at }).ok, isInstant(at), String(at));
    assert.equal(check({ at }), isInstant(at), String(at));
  }
  const late = validateAs(Stamped, { at: '2026-12-01T00:00:00Z', until: '2026-W48' });
  assert.ok(!late.ok);
  assert.match(late.errors.join('; '), /until must be an RFC 3339 date-time/);
});
