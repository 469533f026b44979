import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

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

/**
 * Checks an untrusted value against a contract class: unknown fields are errors (whitelist +
 * forbidNonWhitelisted), nested objects are validated. The same rules serve HTTP bodies, MQTT payloads and
 * job data.
 */
export function validateAs<T extends object>(cls: Ctor<T>, raw: unknown): Validated<T> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, errors: ['payload must be a JSON object'] };
  }
  const value = plainToInstance(cls, raw);
  const errors = validateSync(value, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  return errors.length === 0 ? { ok: true, value } : { ok: false, errors: formatValidationErrors(errors) };
}

/** Parses a JSON MQTT payload and validates it; never throws. */
export function parseMessage<T extends object>(cls: Ctor<T>, payload: Buffer | Uint8Array | string): Validated<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch (err) {
    return { ok: false, errors: [`payload is not JSON: ${(err as Error).message}`] };
  }
  return validateAs(cls, raw);
}
