import { applyDecorators, ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { DEFAULT_JSON_LIMITS, formatValidationErrors, nullFieldProblems, untrustedValueProblems, VALIDATOR_OPTIONS } from '@edgefleet/contracts';
import { InvalidInputError } from '@edgefleet/platform';

/** Distinct query strings remembered per query DTO class; the oldest go first. */
const MAX_QUERIES_PER_DTO = 200;

type Dto = Record<string, unknown>;

/**
 * The global pipe: every body and query is a DTO class; unknown fields are refused, not silently dropped, and
 * all problems are reported at once, in the same `path: message` form the MQTT side uses. Before
 * class-transformer sees a body, query or path parameter it passes the same untrustedValueProblems check as an
 * MQTT payload (keys such as `constructor`, nesting depth, NUL and lone surrogates), and a body the same null rule
 * (nullFieldProblems): 400, never a TypeError or a database error.
 *
 * A query string that was valid once is valid again: its DTO is remembered (per class, by the query's JSON) and
 * each request gets its own copy, so a list polled by a dashboard does not pay class-transformer and
 * class-validator on every request (a third of the API's CPU per cached read, docs/api-performance.md).
 * Invalid queries are not remembered; bodies and path parameters are always checked.
 */
class BoundedValidationPipe extends ValidationPipe {
  private readonly queries = new WeakMap<object, Map<string, Dto>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const remembered = metadata.type === 'query' && typeof metadata.metatype === 'function' ? this.queries.get(metadata.metatype) : undefined;
    const key = metadata.type === 'query' ? JSON.stringify(value) : undefined;
    const hit = key !== undefined ? remembered?.get(key) : undefined;
    if (hit) return copyDto(hit);
    if (metadata.type !== 'custom') {
      const problems = untrustedValueProblems(value, DEFAULT_JSON_LIMITS.maxDepth)
        .map((p) => (metadata.type === 'param' && metadata.data ? `path parameter ${metadata.data}: ${p}` : p));
      // validateAs's null rule: a null reaches a service or Prisma only where the DTO's field says @NullAllowed().
      if (problems.length === 0 && metadata.type === 'body' && typeof metadata.metatype === 'function') problems.push(...nullFieldProblems(metadata.metatype as new () => object, value));
      if (problems.length > 0) throw new InvalidInputError(problems.join('; '), problems);
    }
    const out = await super.transform(value, metadata);
    if (key !== undefined && typeof metadata.metatype === 'function' && isFlatDto(out, metadata.metatype)) this.remember(metadata.metatype, key, out);
    return out;
  }

  private remember(metatype: object, key: string, dto: Dto): void {
    let byQuery = this.queries.get(metatype);
    if (!byQuery) this.queries.set(metatype, (byQuery = new Map()));
    if (byQuery.size >= MAX_QUERIES_PER_DTO) byQuery.delete(byQuery.keys().next().value!);
    byQuery.set(key, copyDto(dto));
  }
}

/** An instance of the DTO class whose fields are primitives, Dates or arrays of primitives (what a query holds). */
function isFlatDto(out: unknown, metatype: object): out is Dto {
  if (typeof out !== 'object' || out === null || Object.getPrototypeOf(out) !== (metatype as { prototype: unknown }).prototype) return false;
  return Object.values(out).every((v) => typeof v !== 'object' || v === null || v instanceof Date || (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)));
}

/** A copy nobody else holds: a handler may change its DTO without changing the next request's. */
function copyDto(dto: Dto): Dto {
  const copy = Object.create(Object.getPrototypeOf(dto) as object) as Dto;
  for (const [k, v] of Object.entries(dto)) copy[k] = Array.isArray(v) ? [...v] : v instanceof Date ? new Date(v) : v;
  return copy;
}

export function createValidationPipe(): ValidationPipe {
  return new BoundedValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => {
      const details = formatValidationErrors(errors);
      return new InvalidInputError(details.join('; '), details);
    },
  });
}
