import { ValidationPipe } from '@nestjs/common';
import { formatValidationErrors } from '@edgefleet/contracts';
import { InvalidInputError } from './errors';

/**
 * The global pipe: every body and query is a DTO class; unknown fields are refused, not silently dropped, and
 * all problems are reported at once, in the same `path: message` form the MQTT side uses.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    exceptionFactory: (errors) => {
      const details = formatValidationErrors(errors);
      return new InvalidInputError(details.join('; '), details);
    },
  });
}
