/**
 * fast-check arbitraries derived from the OpenAPI document's JSON schemas: values the document calls valid (every
 * required property, each bound, enum, format and length respected), and single mutations it calls invalid. Test-only.
 */
import fc from 'fast-check';

export interface JsonSchema {
  $ref?: string; type?: string; format?: string; enum?: unknown[]; pattern?: string;
  properties?: Record<string, JsonSchema>; required?: string[]; additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema; minItems?: number; maxItems?: number; minLength?: number; maxLength?: number;
  minimum?: number; maximum?: number; exclusiveMinimum?: number | boolean; exclusiveMaximum?: number | boolean;
  oneOf?: JsonSchema[]; anyOf?: JsonSchema[]; allOf?: JsonSchema[]; not?: JsonSchema; nullable?: boolean; example?: unknown;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> }; security?: Array<Record<string, unknown>> }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** The schema a `$ref` names (one level; chains are followed by the callers). */
export const resolve = (doc: OpenApiDoc, s: JsonSchema): JsonSchema => (s.$ref ? resolve(doc, doc.components?.schemas?.[s.$ref.split('/').pop()!] ?? {}) : s);

// Strings without a documented pattern use a plain alphabet: the value is about the schema's shape and bounds.
const SAFE = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));

function stringOf(s: JsonSchema): fc.Arbitrary<string> {
  if (s.format === 'uuid') return fc.uuid({ version: 4 });
  // Instants a request names are deadlines and schedules (expiresAt, startAt): in the future.
  if (s.format === 'date-time') return fc.date({ min: new Date(Date.now() + 86_400_000), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  if (s.pattern !== undefined) return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? Infinity));
  const min = Math.max(s.minLength ?? 1, 1);
  return fc.string({ unit: SAFE, minLength: min, maxLength: Math.max(min, Math.min(s.maxLength ?? 12, 12)) });
}

function numberOf(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lo = s.minimum ?? (typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : -1000);
  const hi = s.maximum ?? (typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : lo + 2000);
  const exLo = s.exclusiveMinimum === true || typeof s.exclusiveMinimum === 'number';
  const exHi = s.exclusiveMaximum === true || typeof s.exclusiveMaximum === 'number';
  if (integer) return fc.integer({ min: Math.ceil(lo) + (exLo && Number.isInteger(lo) ? 1 : 0), max: Math.floor(hi) - (exHi && Number.isInteger(hi) ? 1 : 0) });
  return fc.double({ min: lo, max: hi, minExcluded: exLo, maxExcluded: exHi, noNaN: true, noDefaultInfinity: true });
}

/** An `allOf` of object schemas as one (their properties and required lists together). */
function flatten(doc: OpenApiDoc, s: JsonSchema): JsonSchema {
  if (!s.allOf?.length) return s;
  const parts = s.allOf.map((p) => flatten(doc, resolve(doc, p)));
  return {
    type: 'object', properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
    required: parts.flatMap((p) => p.required ?? []), ...(s.anyOf ? { anyOf: s.anyOf } : {}), ...(s.not ? { not: s.not } : {}),
  };
}

/** `anyOf` alternatives that only require properties ("deviceIds and/or tags"): a rule over the object's own properties. */
const requiredOnly = (alts: JsonSchema[] | undefined) => !!alts?.length && alts.every((a) => Object.keys(a).every((k) => k === 'required'));

/** Values `schema` accepts. */
export function validArbitrary(doc: OpenApiDoc, schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const s = flatten(doc, resolve(doc, schema));
  if (s.not) {
    // "not both": `not: {anyOf: [{required: [a, b]}, …]}` — values holding every property of one pair are left out.
    const { not, ...rest } = s;
    const pairs = (not.anyOf ?? [not]).map((n) => n.required ?? []);
    return validArbitrary(doc, rest, depth).filter((v) => !pairs.some((keys) => keys.every((k) => k in (v as object))));
  }
  if (requiredOnly(s.anyOf)) {
    const { anyOf, ...base } = s;
    return fc.oneof(...anyOf!.map((a) => validArbitrary(doc, { ...base, required: [...(base.required ?? []), ...(a.required ?? [])] }, depth)));
  }
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  if (s.allOf?.length) return fc.tuple(...s.allOf.map((p) => validArbitrary(doc, p, depth + 1))).map((parts) => Object.assign({}, ...parts));
  if (s.oneOf?.length) return fc.oneof(...s.oneOf.map((p) => validArbitrary(doc, p, depth + 1)));
  if (s.anyOf?.length) return fc.oneof(...s.anyOf.map((p) => validArbitrary(doc, p, depth + 1)));
  switch (s.type) {
    case 'string': return stringOf(s);
    case 'integer': return numberOf(s, true);
    case 'number': return numberOf(s, false);
    case 'boolean': return fc.boolean();
    case 'array': return fc.array(validArbitrary(doc, s.items ?? {}, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 3)) });
    default: {
      const props = s.properties ?? {};
      if (depth > 6 || Object.keys(props).length === 0) return fc.constant({});
      const required = (s.required ?? []).filter((k) => k in props);
      const model = Object.fromEntries(Object.entries(props).map(([k, p]) => [k, validArbitrary(doc, p, depth + 1)]));
      return fc.record(model, { requiredKeys: required });
    }
  }
}

/** One way of breaking a valid value, named for the failure message. */
export interface Breakage { what: string; value: Record<string, unknown> }

/**
 * The single mutations of a valid object body the schema forbids: a required property dropped, a property of the
 * wrong type, a number past its bound, a string past its length, a value outside its enum, an unknown property.
 */
export function breakages(doc: OpenApiDoc, schema: JsonSchema, valid: Record<string, unknown>): Breakage[] {
  const s = flatten(doc, resolve(doc, schema));
  const out: Breakage[] = [{ what: 'an unknown property', value: { ...valid, notInTheSchema: 1 } }];
  for (const k of s.required ?? []) {
    const { [k]: _dropped, ...rest } = valid;
    out.push({ what: `required ${k} missing`, value: rest });
  }
  for (const [k, raw] of Object.entries(s.properties ?? {})) {
    const p = resolve(doc, raw);
    const set = (what: string, v: unknown) => out.push({ what: `${k}: ${what}`, value: { ...valid, [k]: v } });
    if (p.enum?.length) set('outside its enum', '\u00abnot-one-of-them\u00bb');
    else if (p.type === 'string') {
      set('a number', 12345);
      if (p.maxLength !== undefined) set(`longer than ${p.maxLength}`, 'a'.repeat(p.maxLength + 1));
    } else if (p.type === 'integer' || p.type === 'number') {
      set('a string', 'twelve');
      if (p.maximum !== undefined) set(`above ${p.maximum}`, p.maximum + 1);
      if (p.minimum !== undefined) set(`below ${p.minimum}`, p.minimum - 1);
      if (p.type === 'integer') set('not an integer', (p.minimum ?? 0) + 0.5);
    } else if (p.type === 'boolean') set('a string', 'yes');
    else if (p.type === 'array') set('not an array', 'x');
  }
  return out;
}
