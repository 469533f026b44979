import 'reflect-metadata';
import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import type { MetadataStorage as TransformerStorage } from 'class-transformer/types/MetadataStorage';
import { TransformationType } from 'class-transformer';
import { refusesNull } from './null-fields';

// class-transformer keeps its decorators' metadata here (not re-exported from its index).
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformerStorage };

type Class = new () => object;
/** True when class-validator (with VALIDATOR_OPTIONS) would find no error in `value` turned into an instance. */
export type CompiledCheck = (value: unknown) => boolean;

const PLAIN_DATA = Symbol('edgefleet.plainData');

/**
 * Marks a contract class as plain data that its door checks with a check compiled from the class's own
 * class-validator / class-transformer metadata (compileCheck) instead of plainToInstance + validateSync — the
 * decorators stay the one grammar. Only for hot messages: the telemetry ingest spent 30 % of its CPU in
 * class-transformer and class-validator (docs/telemetry.md, "Ingest throughput"). A message the compiled check
 * accepts is returned as the parsed JSON (the class has no methods, defaults or transforms, so an instance would
 * hold the same fields); anything it does not accept goes through class-validator, which gives the verdict and
 * the messages as before.
 */
export function PlainData(): ClassDecorator {
  return (target) => {
    (target as unknown as Record<symbol, boolean>)[PLAIN_DATA] = true;
  };
}

const compiled = new WeakMap<Class, CompiledCheck | null>();

/** The compiled check of a class marked @PlainData(), undefined for any other class (or one that cannot compile). */
export function plainDataCheck(cls: Class): CompiledCheck | undefined {
  if (!(cls as unknown as Record<symbol, boolean>)[PLAIN_DATA]) return undefined;
  let check = compiled.get(cls);
  if (check === undefined) {
    try {
      check = compileCheck(cls);
    } catch {
      check = null; // a unit test compiles every marked class, so this is a contract class someone broke
    }
    compiled.set(cls, check);
  }
  return check ?? undefined;
}

/**
 * Compiles a class's validation metadata into one function that answers what validateSync(plainToInstance(cls, v),
 * VALIDATOR_OPTIONS) would after validateAs's null rule (nullFieldProblems), for plain JSON values: the same metadata (class-validator's storage), the same
 * constraint functions (each decorator's own validate), the same rules of ValidationExecutor for unknown
 * properties (whitelist + forbidNonWhitelisted), IsOptional, IsDefined, `each`, and nested classes (from
 * class-transformer's @Type). Throws for what it does not reproduce — async or promise validation, groups,
 * class-transformer exposes/excludes/transforms, nested values without a @Type class, classes with methods or
 * field defaults (an instance would differ from the JSON) — so a class either compiles exactly or not at all.
 */
export function compileCheck(cls: Class, building = new Map<Class, CompiledCheck>()): CompiledCheck {
  const done = building.get(cls);
  if (done) return done;
  const storage = getMetadataStorage();
  assertPlainData(cls);
  const metas = storage.getTargetValidationMetadatas(cls, '', false, false, undefined);
  if (metas.length === 0) throw new Error(`${cls.name} has no validation metadata`);
  const grouped = storage.groupByPropertyName(metas);
  const props: Array<(obj: Record<string, unknown>) => boolean> = [];
  let self: CompiledCheck = () => false;
  building.set(cls, (v) => self(v)); // recursive classes refer to the finished check
  for (const [property, list] of Object.entries(grouped)) {
    if (list.some((m) => m.groups?.length || m.always !== undefined)) throw new Error(`${cls.name}.${property}: groups are not compiled`);
    const conditions = list.filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION).map((m) => m.constraints[0] as (o: object, v: unknown) => boolean);
    const customs = list.filter((m) => m.type === ValidationTypes.CUSTOM_VALIDATION || m.type === ValidationTypes.IS_DEFINED).map((m) => compileCustom(cls, m));
    const nested = list.filter((m) => m.type === ValidationTypes.NESTED_VALIDATION);
    const known = new Set<string>([ValidationTypes.CONDITIONAL_VALIDATION, ValidationTypes.CUSTOM_VALIDATION, ValidationTypes.IS_DEFINED, ValidationTypes.NESTED_VALIDATION, ValidationTypes.WHITELIST]);
    const other = list.find((m) => !known.has(m.type));
    if (other) throw new Error(`${cls.name}.${property}: validation type ${other.type} is not compiled`);
    if (defaultMetadataStorage.findTransformMetadatas(cls, property, TransformationType.PLAIN_TO_CLASS).length > 0) throw new Error(`${cls.name}.${property} has a @Transform`);
    const type = defaultMetadataStorage.findTypeMetadata(cls, property);
    if (type?.options?.discriminator) throw new Error(`${cls.name}.${property}: @Type discriminators are not compiled`);
    let inner: CompiledCheck | undefined;
    if (nested.length > 0) {
      const target = type?.typeFunction() as Class | undefined;
      if (!target) throw new Error(`${cls.name}.${property} is nested without a @Type class`);
      inner = compileCheck(target, building);
    } else if (type) {
      throw new Error(`${cls.name}.${property} has a @Type but no nested validation (class-transformer would convert it)`);
    }
    const nestedOk = inner ? nestedCheck(inner) : undefined;
    const nullRefused = refusesNull(cls, property);
    props.push((obj) => {
      const v = obj[property];
      if (v === null && nullRefused) return false; // validateAs's null rule (null-fields.ts) gives the verdict
      for (const c of conditions) if (!c(obj, v)) return true;
      for (const c of customs) if (!c(obj, v)) return false;
      return nestedOk === undefined || nestedOk(v);
    });
  }
  const allowed = new Set(Object.keys(grouped).filter((p) => grouped[p]!.length > 0));
  self = (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
    const obj = value as Record<string, unknown>;
    for (const k of Object.keys(obj)) if (!allowed.has(k)) return false;
    for (const p of props) if (!p(obj)) return false;
    return true;
  };
  return self;
}

/** No methods, accessors or field defaults: an instance made by plainToInstance would be the JSON's fields. */
function assertPlainData(cls: Class): void {
  for (let p = cls.prototype as object | null; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const extra = Object.getOwnPropertyNames(p).filter((n) => n !== 'constructor');
    if (extra.length > 0) throw new Error(`${cls.name} has members ${extra.join(', ')}: not plain data`);
  }
  const defaults = Object.entries(new cls()).filter(([, v]) => v !== undefined);
  if (defaults.length > 0) throw new Error(`${cls.name} has field defaults: not plain data`);
  if (defaultMetadataStorage.getExposedMetadatas(cls).length > 0 || defaultMetadataStorage.getExcludedMetadatas(cls).length > 0) {
    throw new Error(`${cls.name} has @Expose/@Exclude: not plain data`);
  }
}

/** One custom constraint as ValidationExecutor.customValidations runs it (each: every element of an array). */
function compileCustom(cls: Class, m: ValidationMetadata): (obj: object, v: unknown) => boolean {
  const constraints = getMetadataStorage().getTargetValidatorConstraints(m.constraintCls);
  if (constraints.some((c) => c.async)) throw new Error(`${cls.name}.${m.propertyName}: async validation is not compiled`);
  const validators = constraints.map((c) => c.instance);
  const validateIf = m.validateIf;
  // One arguments object per rule, refilled per call (validation is synchronous; nothing keeps it): allocating one
  // per field and window was most of what the compiled check left for the garbage collector.
  const args: ValidationArguments = { targetName: cls.name, property: m.propertyName, object: {}, value: undefined, constraints: m.constraints };
  return (obj, v) => {
    if (validateIf && !validateIf(obj, v)) return true;
    args.object = obj;
    args.value = v;
    for (const validator of validators) {
      if (m.each && Array.isArray(v)) {
        for (const x of v) if (validator.validate(x, args) !== true) return false;
      } else if (validator.validate(v, args) !== true) {
        return false;
      }
    }
    return true;
  };
}

/**
 * ValidationExecutor.nestedValidations for JSON values: undefined passes, an array is checked element by element,
 * an object against the nested class. Anything else (null, numbers, nested arrays) is left to class-validator.
 */
function nestedCheck(inner: CompiledCheck): (v: unknown) => boolean {
  return (v) => {
    if (v === undefined) return true;
    if (Array.isArray(v)) {
      for (const x of v) if (!inner(x)) return false;
      return true;
    }
    return inner(v);
  };
}
