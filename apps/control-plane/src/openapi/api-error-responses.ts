import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiProperty, ApiPropertyOptional, ApiResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';

/** Documents ErrorBody (common/http-error.filter.ts), the one error shape of the API. */
export class ErrorView {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ example: 'profile.cores: cores must not be less than 1' }) message!: string;
  @ApiPropertyOptional({ type: [String], description: 'Every problem, when there are several' }) details?: string[];
  @ApiProperty({ description: 'Also in the x-correlation-id response header and the server log' }) correlationId!: string;
}

export const ApiErrorResponses = () =>
  applyDecorators(
    ApiBadRequestResponse({ type: ErrorView, description: 'Invalid body or query (every problem listed)' }),
    ApiUnauthorizedResponse({ type: ErrorView, description: 'Missing or invalid API key' }),
    ApiResponse({ status: 404, type: ErrorView, description: 'Not found' }),
  );
