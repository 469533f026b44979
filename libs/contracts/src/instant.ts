import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * RFC 3339's date-time (what the AsyncAPI and OpenAPI documents call `format: date-time`): seconds and an offset,
 * with upper-case T and Z as `Date.prototype.toISOString` and JSON encoders write them (V8's Date cannot read `t`).
 */
const RFC3339_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/**
 * True for an RFC 3339 date-time that names a real calendar instant and that `Date` reads. Written out rather than
 * class-validator's isISO8601 (strict): that one admits week, ordinal and expanded-year forms and costs a sixth of
 * a telemetry message's contract check; a regex and a days-in-month test are exact and cheaper.
 */
export function isInstant(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = RFC3339_DATE_TIME.exec(value);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  // Day 0 of the next month is the last day of this one (UTC, so no time zone moves it).
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate() && Number.isFinite(Date.parse(value));
}

/**
 * A point in time: the one rule for every instant a request or a device message carries — RFC 3339 date-time,
 * a real calendar date (2026-02-30 is refused), readable by `Date`. ISO 8601 alone
 * also passes forms `new Date()` cannot read (week dates `2026-W48`, expanded years `-39780923`): they reached the
 * database as an Invalid Date (a 500 found by the REST fuzzer) or failed a whole telemetry batch at every retry.
 */
export function IsInstant(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({
    name: 'isInstant',
    validator: {
      validate: (value: unknown) => isInstant(value),
      defaultMessage: buildMessage((each) => `${each}$property must be an RFC 3339 date-time, e.g. 2026-12-01T00:00:00Z`, options),
    },
  }, options);
}
