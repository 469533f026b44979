/**
 * Structured logs: every line written while serving a request carries its correlation id — also after the
 * body was parsed and after awaits — and each request ends with one access-log line. A small Nest app on the
 * same Fastify wiring as the control plane (bootstrap.ts), logging into memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import 'reflect-metadata';
import { Body, Controller, Get, Logger, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppLogger, createRootLogger, scopeLogsToRequests, CORRELATION_HEADER } from '@edgefleet/platform';
import { createHttpAdapter } from './http-adapter';
import { HttpErrorFilter } from './http-error.filter';

@Controller('things')
class ThingsController {
  private readonly log = new Logger('Things');

  @Post()
  async create(@Body() body: { name: string }): Promise<{ ok: true }> {
    this.log.log(`creating ${body.name}`);
    await sleep(5);
    this.log.warn('created after an await');
    return { ok: true };
  }

  @Get('boom')
  boom(): never {
    throw new Error('kaboom');
  }
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

interface Line { level: number; msg: string; correlationId?: string; context?: string; statusCode?: number; method?: string; url?: string }

async function start(level: 'log' | 'warn') {
  const lines: Line[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as Line)); done(); } });
  const log = createRootLogger(level, 'json', sink);
  const app = await NestFactory.create<NestFastifyApplication>(ThingsModule, createHttpAdapter(log, 1024 * 1024), {
    logger: new AppLogger(log), abortOnError: false,
  });
  scopeLogsToRequests(app.getHttpAdapter().getInstance());
  app.useGlobalFilters(new HttpErrorFilter());
  await app.listen(0, '127.0.0.1');
  return { app, lines, url: await app.getUrl() };
}

test('every line of a request carries its correlation id, and the request ends with one access line', async () => {
  const { app, lines, url } = await start('log');
  try {
    const startup = lines.length;
    const res = await fetch(`${url}/things`, { method: 'POST', headers: { 'content-type': 'application/json', [CORRELATION_HEADER]: 'trace-1' }, body: JSON.stringify({ name: 'a' }) });
    assert.equal(res.status, 201);
    const other = await fetch(`${url}/things`, { method: 'POST', headers: { 'content-type': 'application/json', [CORRELATION_HEADER]: 'trace-2' }, body: JSON.stringify({ name: 'b' }) });
    assert.equal(other.status, 201);
    await sleep(20);
    const mine = lines.slice(startup).filter((l) => l.correlationId === 'trace-1');
    assert.deepEqual(mine.map((l) => l.msg), ['creating a', 'created after an await', 'request']);
    assert.deepEqual(mine.map((l) => l.context), ['Things', 'Things', undefined]);
    assert.deepEqual({ ...mine[2], time: undefined, pid: undefined, responseTimeMs: undefined, hostname: undefined },
      { level: 30, msg: 'request', correlationId: 'trace-1', method: 'POST', url: '/things', statusCode: 201, time: undefined, pid: undefined, responseTimeMs: undefined, hostname: undefined });
    const served = lines.slice(startup);
    assert.equal(served.length, 6, 'three lines per request, none without its id');
    assert.ok(served.every((l) => l.correlationId === 'trace-1' || l.correlationId === 'trace-2'));

    const failed = await fetch(`${url}/things/boom`);
    assert.equal(failed.status, 500);
    const id = ((await failed.json()) as { correlationId: string }).correlationId;
    await sleep(20);
    const errorLines = lines.filter((l) => l.correlationId === id);
    assert.deepEqual(errorLines.map((l) => [l.level, l.context]), [[50, 'HttpError'], [50, undefined]], JSON.stringify(errorLines));
    assert.ok(errorLines.some((l) => l.level === 50 && l.statusCode === 500 && l.url === '/things/boom'), 'the access line of a 500 is an error');
  } finally {
    await app.close();
  }
});

test('LOG_LEVEL=warn keeps start-up and access lines out of the log', async () => {
  const { app, lines, url } = await start('warn');
  try {
    assert.equal((await fetch(`${url}/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"c"}' })).status, 201);
    await sleep(20);
    assert.deepEqual(lines.map((l) => [l.level, l.msg]), [[40, 'created after an await']]);
    assert.match(lines[0]!.correlationId ?? '', /^[0-9a-f-]{36}$/, 'a generated correlation id when the caller sent none');
  } finally {
    await app.close();
  }
});
