import { applyDecorators, Controller } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { ApiErrorResponses } from './api-error-responses';

export interface ApiControllerOptions {
  /** OpenAPI tag; defaults to the path. */
  tag?: string;
  /** No API key (health checks): the routes are opened explicitly here, everything else needs a key. */
  public?: true;
}

/**
 * The header of every HTTP controller in one place: its path, OpenAPI tag, the bearer key it needs and the
 * error answers every route can give (ErrorView). A controller adds only what is particular to a route.
 */
export function ApiController(path: string, opts: ApiControllerOptions = {}): ClassDecorator {
  const tag = ApiTags(opts.tag ?? path);
  if (opts.public) {
    return applyDecorators(Controller(path), tag, Public());
  }
  return applyDecorators(Controller(path), tag, ApiBearerAuth(), ApiErrorResponses());
}
