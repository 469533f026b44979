import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { DEFAULT_JSON_LIMITS, formatValidationErrors, untrustedValueProblems, VALIDATOR_OPTIONS } from '@edgefleet/contracts';
import { InvalidInputError } from '@edgefleet/platform';

/**
 * The global pipe: every body and query is a DTO class; unknown fields are refused, not silently dropped, and
 * all problems are reported at once, in the same `path: message` form the MQTT side uses. Before
 * class-transformer sees a body, query or path parameter it passes the same untrustedValueProblems check as an
 * MQTT payload (keys such as `constructor`, nesting depth, NUL and lone surrogates): 400, never a TypeError or
 * a database error.
 */
class BoundedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      // No field of the admin API takes null (absent is how a body says "not given"), so a null is refused
      // here rather than reaching a service or Prisma as a value.
      const problems = untrustedValueProblems(value, DEFAULT_JSON_LIMITS.maxDepth, { refuseNullFields: metadata.type === 'body' })
        .map((p) => (metadata.type === 'param' && metadata.data ? `path parameter ${metadata.data}: ${p}` : p));
      if (problems.length > 0) throw new InvalidInputError(problems.join('; '), problems);
    }
    return super.transform(value, metadata);
  }
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
