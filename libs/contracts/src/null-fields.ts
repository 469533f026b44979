import 'reflect-metadata';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import type { MetadataStorage as TransformerStorage } from 'class-transformer/types/MetadataStorage';

// class-transformer keeps its decorators' metadata here (not re-exported from its index).
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformerStorage };

type Class = new () => object;

const NULL_ALLOWED = Symbol('edgefleet.nullAllowed');

/**
 * Marks a field that takes null as a value of its own. Every other field refuses null (nullFieldProblems):
 * class-validator's @IsOptional skips a null exactly as it skips an absent field, so without this rule a null
 * reached code that only expects a value or its absence (POST /datasets {builtin, name: null} was a 500).
 */
export function NullAllowed(): PropertyDecorator {
  return (target, property) => {
    const own = Object.prototype.hasOwnProperty.call(target, NULL_ALLOWED) ? (target as Record<symbol, Set<string | symbol>>)[NULL_ALLOWED] : undefined;
    const set = own ?? new Set((target as Record<symbol, Set<string | symbol> | undefined>)[NULL_ALLOWED] ?? []);
    set.add(property);
    Object.defineProperty(target, NULL_ALLOWED, { value: set, configurable: true });
  };
}

/** What the rule needs of one class: the fields that refuse null, and the nested classes to look into. */
interface NullRule {
  refused: Set<string>;
  nested: Map<string, Class>;
}

const rules = new WeakMap<Class, NullRule>();

function ruleOf(cls: Class): NullRule {
  let rule = rules.get(cls);
  if (rule) return rule;
  const allowed = (cls.prototype as Record<symbol, Set<string | symbol> | undefined>)[NULL_ALLOWED];
  const grouped = getMetadataStorage().groupByPropertyName(getMetadataStorage().getTargetValidationMetadatas(cls, '', false, false, undefined));
  rule = { refused: new Set(), nested: new Map() };
  for (const [property, metas] of Object.entries(grouped)) {
    if (!allowed?.has(property)) rule.refused.add(property);
    const type = metas.some((m) => m.type === ValidationTypes.NESTED_VALIDATION) ? defaultMetadataStorage.findTypeMetadata(cls, property)?.typeFunction() : undefined;
    if (typeof type === 'function') rule.nested.set(property, type as Class);
  }
  rules.set(cls, rule);
  return rule;
}

/** True when `property` of `cls` refuses null (every validated field not marked @NullAllowed()). */
export function refusesNull(cls: Class, property: string): boolean {
  return ruleOf(cls).refused.has(property);
}

/**
 * The fields of `value` (a JSON value to be checked against `cls`) that are null where the class does not allow
 * it, nested classes included, as `path: message` lines. Every door runs it (validateAs, parseMessage, the HTTP
 * validation pipe), so "absent" is the one way to say "not given".
 */
export function nullFieldProblems(cls: Class, value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const rule = ruleOf(cls);
  const problems: string[] = [];
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const at = path ? `${path}.${key}` : key;
    if (v === null) {
      if (rule.refused.has(key)) problems.push(`${at}: null is not a value here; omit the field instead`);
      continue;
    }
    const inner = rule.nested.get(key);
    if (!inner || typeof v !== 'object') continue;
    if (Array.isArray(v)) v.forEach((x, i) => problems.push(...nullFieldProblems(inner, x, `${at}.${i}`)));
    else problems.push(...nullFieldProblems(inner, v, at));
  }
  return problems;
}
