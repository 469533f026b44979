import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { sharedView } from './shared-views';

/**
 * Offsets beyond int4 are refused: no list is that long, and a larger number (9.2e18, 2^53+1) is either beyond
 * what the database's OFFSET takes (a 500) or no longer the integer the client wrote (the wrong page).
 */
export const MAX_PAGE_OFFSET = 2 ** 31 - 1;

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 50;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_PAGE_OFFSET, default: 0 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET)
  offset: number = 0;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** The same page with every item mapped (a record page to a view page; once per page the read cache shares). */
export const mapPage = <T, U>(page: Page<T>, map: (item: T) => U): Page<U> => ({ ...page, items: sharedView(page.items, (items) => items.map(map), map) });
