/** Hostile building blocks shared by the doors: strings, numbers, keys and JSON that broke things before. */
import fc from 'fast-check';
import { FORBIDDEN_KEYS } from '@edgefleet/contracts';

export const nastyStrings = fc.constantFrom(
  '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udc00', '🔥', '\u202e', '\n', '\u0007', '%', '%00', '../..', 'null', '[]', '{}',
  'x'.repeat(129), 'y'.repeat(5000), 'constructor', '__proto__', '0', '-1', '1e400', 'NaN',
);

export const nastyString = fc.oneof(
  { weight: 3, arbitrary: nastyStrings },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/) },
);

export const nastyNumber = fc.oneof(
  fc.constantFrom(0, -1, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 + 1, 9.2e18, 1e308, -1e308, 0.5, -0, Number.MAX_SAFE_INTEGER),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

export const nastyKey = fc.oneof(fc.constantFrom(...FORBIDDEN_KEYS, 'prototype', 'a\u0000', '\ud800'), fc.string({ maxLength: 12 }));

/** Any JSON-ish value, with hostile leaves and keys, nested a few levels. */
export const nastyValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString, nastyNumber, fc.boolean(), fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(nastyKey, tie('v'), { maxKeys: 4 }),
  ),
})).v;

/** A body nested `depth` levels deep, as raw JSON text (too deep for any validator's recursion). */
export const deepJson = fc.constantFrom(60, 5_000, 100_000).map((depth) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);

/**
 * An object shaped like `valid` with one or more fields replaced by hostile values, removed, or joined by a
 * hostile key: most are refused, some are valid (so accepted paths are exercised too).
 */
export function mutate(valid: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(valid);
  const one = fc.oneof(
    fc.record({ key: fc.constantFrom(...keys), value: nastyValue }).map(({ key, value }) => (o: Record<string, unknown>) => ({ ...o, [key]: value })),
    fc.constantFrom(...keys).map((key) => (o: Record<string, unknown>) => {
      const c = { ...o };
      delete c[key];
      return c;
    }),
    fc.record({ key: nastyKey, value: nastyValue }).map(({ key, value }) => (o: Record<string, unknown>) => {
      const c = { ...o };
      Object.defineProperty(c, key, { value, enumerable: true, configurable: true, writable: true });
      return c;
    }),
    fc.constant((o: Record<string, unknown>) => o),
  );
  return fc.array(one, { minLength: 1, maxLength: 3 }).map((fs) => fs.reduce((o, f) => f(o), { ...valid }));
}
