import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { NullAllowed } from './null-fields';
import { HelloMessage, PROTOCOL_VERSION, TelemetryMessage } from './index';
import { parseMessage, validateAs } from './validate';

class Inner {
  @IsOptional() @IsInt() n?: number;
}

class Outer {
  @IsString() name!: string;
  @IsOptional() @IsString() note?: string;
  @IsOptional() @IsString() @NullAllowed() cleared?: string | null;
  @IsOptional() @ValidateNested() @Type(() => Inner) one?: Inner;
  @IsOptional() @ValidateNested({ each: true }) @Type(() => Inner) many?: Inner[];
}

const errorsOf = (r: { ok: boolean; errors?: string[] }) => (r.ok ? '' : r.errors!.join('; '));

test('an optional field sent as null is refused by validateAs, at any depth, with its path', () => {
  assert.equal(validateAs(Outer, { name: 'a' }).ok, true);
  assert.match(errorsOf(validateAs(Outer, { name: 'a', note: null })), /^note: null is not a value here/);
  assert.match(errorsOf(validateAs(Outer, { name: 'a', one: { n: null } })), /one\.n: null/);
  assert.match(errorsOf(validateAs(Outer, { name: 'a', many: [{ n: 1 }, { n: null }] })), /many\.1\.n: null/);
  assert.match(errorsOf(validateAs(Outer, { name: 'a', one: null })), /one: null/);
});

test('a field marked @NullAllowed() takes null; the mark is per field', () => {
  const r = validateAs(Outer, { name: 'a', cleared: null });
  assert.equal(r.ok, true, errorsOf(r));
  assert.equal(validateAs(Outer, { name: 'a', cleared: null, note: null }).ok, false);
});

test('MQTT doors refuse null too: a hello with a null name, a telemetry batch (compiled check) with a null heartbeat or dropped', () => {
  const hello = { v: PROTOCOL_VERSION, deviceId: 'dev-1', agentVersion: '1.0.0', profile: { arch: 'x64', cores: 2, ramMb: 1024 } };
  assert.equal(parseMessage(HelloMessage, JSON.stringify(hello)).ok, true);
  assert.match(errorsOf(parseMessage(HelloMessage, JSON.stringify({ ...hello, name: null }))), /^name: null/);
  assert.match(errorsOf(parseMessage(HelloMessage, JSON.stringify({ ...hello, profile: { ...hello.profile, clockMhz: null } }))), /^profile\.clockMhz: null/);
  for (const extra of [{ heartbeat: null }, { dropped: null }]) {
    const r = parseMessage(TelemetryMessage, JSON.stringify({ v: PROTOCOL_VERSION, windows: [], ...extra }));
    assert.match(errorsOf(r), /null is not a value here/, JSON.stringify(extra));
  }
  assert.equal(parseMessage(TelemetryMessage, JSON.stringify({ v: PROTOCOL_VERSION, windows: [] })).ok, true);
});
