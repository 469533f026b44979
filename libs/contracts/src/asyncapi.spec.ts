/**
 * docs/mqtt-asyncapi.yaml is what third-party device clients read; the contract classes here are what every
 * door validates with. This spec derives a schema from each class's class-validator / class-transformer
 * metadata (field names, required, types, bounds, patterns, enums, nested types) and compares it with the
 * YAML, so the two cannot drift apart silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata';
import { load } from 'js-yaml';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
// class-transformer keeps @Type metadata in this module (it ships no typings for the path).
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };
import {
  ArtifactManifest, BlockRequestMessage, DesiredStateMessage, EvalSetRef, GateResult, HelloMessage, LatencyStats, ProgressMessage,
  RejectedMessage, ReportMessage, StatusMessage, AckMessage, StateQueryMessage, DeviceStateMessage, PartialTransfer, LastOutcome,
} from './messages';
import { Gates, HardwareProfile, TensorInfo } from './profile';
import { Heartbeat, TelemetryMessage, TelemetryWindow } from './telemetry';

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; required?: string[]; items?: Schema; $ref?: string };
type Class = abstract new (...args: never[]) => unknown;

const doc = load(readFileSync(join(__dirname, '..', '..', '..', 'docs', 'mqtt-asyncapi.yaml'), 'utf8')) as { components: { schemas: Record<string, Schema> } };
const schemas = doc.components.schemas;
const resolve = (s: Schema): Schema => (s.$ref ? resolve(schemas[s.$ref.replace('#/components/schemas/', '')]!) : s);

/** The keys both sides are compared on; descriptions, examples and defaults are documentation only. */
const COMPARED = ['type', 'const', 'enum', 'pattern', 'format', 'contentEncoding', 'minimum', 'maximum', 'exclusiveMinimum', 'minLength', 'maxLength', 'maxItems'];
const project = (s: Schema) => Object.fromEntries(COMPARED.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));

/** What class-validator enforces on one property, as JSON-schema keywords (`items` for the `each` rules). */
function derive(metas: ValidationMetadata[]): { own: Schema; items: Schema; optional: boolean; nested: boolean } {
  const own: Schema = {};
  const items: Schema = {};
  let optional = false;
  let nested = false;
  for (const m of metas) {
    if (m.type === 'conditionalValidation') { optional = true; continue; }
    if (m.type === 'nestedValidation') { nested = true; continue; }
    if (m.type === 'isDefined') continue; // required unless @IsOptional, checked with `required`
    const at = m.each ? items : own;
    const c = m.constraints ?? [];
    switch (m.name) {
      case 'equals': at.type = 'integer'; at.const = c[0]; break;
      case 'isInt': at.type = 'integer'; break;
      case 'isNumber': at.type = 'number'; break;
      case 'isBoolean': at.type = 'boolean'; break;
      case 'isString': at.type = 'string'; break;
      case 'isArray': at.type = 'array'; break;
      case 'matches': at.type = 'string'; at.pattern = (c[0] as RegExp).source; break;
      case 'isIn': at.type = 'string'; at.enum = [...(c[0] as string[])]; break;
      case 'isInstant': at.type = 'string'; at.format = 'date-time'; break;
      case 'isCountArray': own.type = 'array'; own.maxItems = c[0]; Object.assign(items, { type: 'integer', minimum: 0, maximum: c[1] }); break;
      case 'isBase64': at.type = 'string'; at.contentEncoding = 'base64'; break;
      case 'min': at.minimum = c[0]; break;
      case 'max': at.maximum = c[0]; break;
      case 'isPositive': at.exclusiveMinimum = 0; break;
      case 'maxLength': at.maxLength = c[0]; break;
      case 'minLength': at.minLength = c[0]; break;
      case 'isObject': at.type = 'object'; break;
      case 'arrayMaxSize': at.maxItems = c[0]; break;
      default: assert.fail(`no JSON-schema mapping for @${m.name}: add one here`);
    }
  }
  return { own, items, optional, nested };
}

function compare(cls: Class, schemaOrRef: Schema, path: string): void {
  const schema = resolve(schemaOrRef);
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls as never, '', true, false);
  const byProp = new Map<string, ValidationMetadata[]>();
  for (const m of metas) byProp.set(m.propertyName, [...(byProp.get(m.propertyName) ?? []), m]);
  assert.equal(schema.type, 'object', path);
  assert.equal(schema.additionalProperties, false, `${path}: receivers reject unknown fields, the schema must say so`);
  assert.deepEqual(Object.keys(schema.properties ?? {}).sort(), [...byProp.keys()].sort(), `${path}: field names`);
  const required = [...byProp].filter(([, ms]) => !derive(ms).optional).map(([p]) => p).sort();
  assert.deepEqual([...(schema.required ?? [])].sort(), required, `${path}: required fields`);
  for (const [prop, ms] of byProp) {
    const where = `${path}.${prop}`;
    const { own, items, nested } = derive(ms);
    const yaml = resolve(schema.properties![prop]!);
    const nestedType = nested ? (defaultMetadataStorage.findTypeMetadata(cls, prop)?.typeFunction() as Class | undefined) : undefined;
    if (nested && own.type !== 'array') {
      assert.ok(nestedType, `${where}: @ValidateNested needs @Type`);
      compare(nestedType, yaml, where);
      continue;
    }
    assert.deepEqual(project(yaml), own, `${where}: type and bounds`);
    if (own.type !== 'array') continue;
    const yamlItems = resolve(yaml.items ?? {});
    if (nestedType) compare(nestedType, yamlItems, `${where}[]`);
    else if (Object.keys(items).length > 0) assert.deepEqual(project(yamlItems), items, `${where}[]: item type and bounds`);
    else assert.ok(yamlItems.oneOf, `${where}[]: items the contract does not check must be documented as a oneOf`);
  }
}

test('every message schema of docs/mqtt-asyncapi.yaml matches its contract class', () => {
  const messages: Array<[Class, string]> = [
    [HelloMessage, 'HelloMessage'], [StatusMessage, 'StatusMessage'], [DesiredStateMessage, 'DesiredStateMessage'],
    [BlockRequestMessage, 'BlockRequestMessage'], [ProgressMessage, 'ProgressMessage'], [ReportMessage, 'ReportMessage'],
    [RejectedMessage, 'RejectedMessage'], [TelemetryMessage, 'TelemetryMessage'],
    [AckMessage, 'AckMessage'], [StateQueryMessage, 'StateQueryMessage'], [DeviceStateMessage, 'DeviceStateMessage'],
  ];
  for (const [cls, name] of messages) compare(cls, schemas[name]!, name);
  // The shared parts are named schemas of their own too.
  const parts: Array<[Class, string]> = [[HardwareProfile, 'HardwareProfile'], [Gates, 'Gates'], [TensorInfo, 'TensorInfo'], [LatencyStats, 'LatencyStats'], [GateResult, 'GateResult'],
    [TelemetryWindow, 'TelemetryWindow'], [Heartbeat, 'Heartbeat'], [PartialTransfer, 'PartialTransfer'], [LastOutcome, 'LastOutcome']];
  for (const [cls, name] of parts) compare(cls, schemas[name]!, name);
  compare(ArtifactManifest, schemas.DesiredStateMessage!.properties!.artifact!, 'DesiredStateMessage.artifact');
  compare(EvalSetRef, schemas.DesiredStateMessage!.properties!.artifact!.properties!.evalSet!, 'DesiredStateMessage.artifact.evalSet');
});

test('the comparison notices drift (a bound changed in a copy of the YAML)', () => {
  const drifted = structuredClone(schemas.BlockRequestMessage!);
  drifted.properties!.count!.maximum = 65;
  assert.throws(() => compare(BlockRequestMessage, drifted, 'BlockRequestMessage'), /count: type and bounds/);
  const missing = structuredClone(schemas.StatusMessage!);
  delete missing.properties!.at;
  assert.throws(() => compare(StatusMessage, missing, 'StatusMessage'), /field names/);
});
