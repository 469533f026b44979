import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { DEFAULT_JSON_LIMITS, JsonLimits, parseJsonBounded, untrustedValueProblems } from './untrusted-json';
import { plainDataCheck } from './compiled-check';
import { nullFieldProblems } from './null-fields';

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: string[] };

type Ctor<T> = new () => T;

/** Flattens class-validator's tree into `path: message` lines. */
export function formatValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (m.startsWith(e.property) ? `${parent ? parent + '.' : ''}${m}` : `${path}: ${m}`));
    return [...own, ...formatValidationErrors(e.children ?? [], path)];
  });
}

/** The options every door validates with: unknown fields are errors, not silently dropped. */
export const VALIDATOR_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true } as const;

/**
 * Checks an untrusted value against a contract class: first untrustedValueProblems (depth, keys such as
 * `constructor` or `__proto__`, NUL and lone surrogates), then nullFieldProblems (null only where a field is
 * marked @NullAllowed()), then class-validator with unknown fields as errors (whitelist + forbidNonWhitelisted)
 * and nested objects validated. The same rules serve HTTP bodies, MQTT
 * payloads and job data. Never throws.
 */
export function validateAs<T extends object>(cls: Ctor<T>, raw: unknown, maxDepth: number = DEFAULT_JSON_LIMITS.maxDepth): Validated<T> {
  const problems = isJsonObject(raw) ? untrustedValueProblems(raw, maxDepth) : [];
  return problems.length > 0 ? { ok: false, errors: problems } : validateChecked(cls, raw);
}

const isJsonObject = (raw: unknown): raw is object => raw !== null && typeof raw === 'object' && !Array.isArray(raw);

/**
 * The null rule and class-validator on a value untrustedValueProblems already passed. A class marked @PlainData()
 * is first tried with its compiled check (compiled-check.ts, which keeps the null rule too): accepted, the JSON is
 * the value; otherwise the null rule, then class-validator decide.
 */
function validateChecked<T extends object>(cls: Ctor<T>, raw: unknown): Validated<T> {
  if (!isJsonObject(raw)) return { ok: false, errors: ['payload must be a JSON object'] };
  if (plainDataCheck(cls)?.(raw)) return { ok: true, value: raw as T };
  const nulls = nullFieldProblems(cls, raw);
  if (nulls.length > 0) return { ok: false, errors: nulls };
  const value = plainToInstance(cls, raw);
  const errors = validateSync(value, VALIDATOR_OPTIONS);
  return errors.length === 0 ? { ok: true, value } : { ok: false, errors: formatValidationErrors(errors) };
}

/**
 * Parses an untrusted JSON message (MQTT payload, desired state read by the agent) within `limits` and
 * validates it against the contract class: the bounded parse runs before class-transformer, so an oversized or
 * deeply nested payload is refused without building anything from it. Never throws.
 */
export function parseMessage<T extends object>(
  cls: Ctor<T>,
  payload: Buffer | Uint8Array | string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): Validated<T> {
  const parsed = parseJsonBounded(payload, limits);
  // parseJsonBounded ran untrustedValueProblems already: only the shape is left to check.
  return parsed.ok ? validateChecked(cls, parsed.value) : parsed;
}
