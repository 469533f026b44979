import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, ValidateNested } from 'class-validator';
import { NullAllowed } from '@edgefleet/contracts';
import { ListAuditQueryDto } from '../audit/audit.dto';
import { createValidationPipe } from './validation';

class QueryDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 50;

  @IsOptional() @IsString({ each: true })
  tags?: string[];
}

const query = { type: 'query' as const, metatype: QueryDto, data: undefined };

test('a remembered query DTO is a fresh, equal instance per request: what a handler changes does not reach the next', async () => {
  const pipe = createValidationPipe();
  const first = (await pipe.transform({ limit: '7', tags: ['a', 'b'] }, query)) as QueryDto;
  assert.ok(first instanceof QueryDto);
  first.limit = 99;
  first.tags!.push('mutated');
  const second = (await pipe.transform({ limit: '7', tags: ['a', 'b'] }, query)) as QueryDto;
  const third = (await pipe.transform({ limit: '7', tags: ['a', 'b'] }, query)) as QueryDto;
  assert.ok(second instanceof QueryDto);
  assert.deepEqual({ ...second }, { limit: 7, tags: ['a', 'b'] });
  assert.notEqual(second, third);
  assert.notEqual(second.tags, third.tags);
  assert.deepEqual({ ...(await pipe.transform({}, query)) as QueryDto }, { limit: 50 });
});

test('an invalid query is refused every time (never remembered), and a valid one does not make a different one valid', async () => {
  const pipe = createValidationPipe();
  for (let i = 0; i < 2; i++) await assert.rejects(pipe.transform({ limit: '0' }, query), /limit/);
  await pipe.transform({ limit: '5' }, query);
  await assert.rejects(pipe.transform({ limit: '5', extra: 'x' }, query), /extra/);
  await assert.rejects(pipe.transform({ limit: '5', constructor: 'x' }, query));
});

class InnerBody {
  @IsOptional() @IsInt() n?: number;
}

class Body {
  @IsOptional() @IsString() note?: string;
  @IsOptional() @IsString() @NullAllowed() cleared?: string | null;
  @IsOptional() @ValidateNested() @Type(() => InnerBody) inner?: InnerBody;
}

test('a body: null only in a field marked @NullAllowed() (the rule validateAs applies at every other door)', async () => {
  const pipe = createValidationPipe();
  const body = { type: 'body' as const, metatype: Body, data: undefined };
  await assert.rejects(pipe.transform({ note: null }, body), /note: null is not a value here/);
  await assert.rejects(pipe.transform({ inner: { n: null } }, body), /inner\.n: null/);
  assert.deepEqual({ ...(await pipe.transform({ cleared: null }, body)) as Body }, { cleared: null });
});

test('an instant must be an RFC 3339 date-time this runtime can read: other ISO 8601 forms are a 400, not an Invalid Date for the database', async () => {
  const pipe = createValidationPipe();
  const audit = { type: 'query' as const, metatype: ListAuditQueryDto, data: undefined };
  // Found by the REST fuzzer: GET /audit?to=-39780923 was a 500 (strict ISO 8601 passes expanded years and week dates).
  for (const to of ['-39780923', '2026-W48', '2026-W48-2', '2026-12-01']) await assert.rejects(pipe.transform({ to }, audit), /to must be an RFC 3339 date-time/, to);
  for (const to of ['2026-12-01T00:00:00Z', '2026-12-01T01:02:03.456+01:00']) {
    const dto = (await pipe.transform({ to }, audit)) as ListAuditQueryDto;
    assert.ok(Number.isFinite(Date.parse(dto.to!)), to);
  }
});
