/**
 * The first check every untrusted value goes through, before class-transformer sees it: a size and a nesting
 * limit (so no payload — retained MQTT message, HTTP body, job data — can exhaust memory or the stack), no
 * key that names a member of Object.prototype (class-transformer and class-validator look such keys up on
 * plain objects: `constructor` made validation throw a TypeError, and `toString` slipped past the
 * unknown-field check), and no string PostgreSQL cannot store (NUL) or that is not valid Unicode (a lone
 * surrogate). Shared by the control plane (HTTP and MQTT) and the device agent.
 */

export interface JsonLimits {
  /** UTF-8 bytes of the JSON text. */
  maxBytes: number;
  /** Nesting of objects and arrays; the top-level object is depth 1. */
  maxDepth: number;
}

/**
 * Far above any message of the protocol (a full report is ~2 KB at depth 3) and any admin API body, far below
 * what costs memory or stack. HTTP bodies have their own byte limit (Fastify's bodyLimit).
 */
export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = { maxBytes: 256 * 1024, maxDepth: 32 };

/**
 * Keys refused at every depth: every property name Object.prototype has (constructor, __proto__, toString,
 * hasOwnProperty, …) plus `prototype`. No contract field is named like one.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be stored as text, or undefined when it can. */
export function unstorableStringReason(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(s)) return 'is not valid Unicode (lone surrogate)';
  return undefined;
}

export type JsonParsed = { ok: true; value: unknown } | { ok: false; errors: string[] };

/**
 * True when the JSON text nests objects/arrays deeper than maxDepth. One pass over the characters with no
 * recursion, done before JSON.parse so a 100k-deep document costs O(n) and nothing else.
 */
export function jsonTooDeep(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/**
 * Problems of an already-parsed value (an HTTP body Fastify parsed, a query object, a path parameter): nesting
 * deeper than maxDepth, forbidden keys, unstorable strings (null fields are the contract class's business:
 * nullFieldProblems). Iterative, so any input depth is safe; stops after a handful of problems.
 */
export function untrustedValueProblems(value: unknown, maxDepth: number = DEFAULT_JSON_LIMITS.maxDepth): string[] {
  const problems: string[] = [];
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: '', depth: 0 }];
  while (stack.length > 0 && problems.length < 5) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const why = unstorableStringReason(v);
      if (why) problems.push(`${path || 'value'} ${why}`);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > maxDepth) {
      problems.push(`${path || 'value'} nests deeper than ${maxDepth} levels`);
      continue;
    }
    if (Array.isArray(v)) {
      // Numbers and booleans have nothing to check: skipping them here (no path string, no stack entry) keeps
      // the long count arrays of telemetry cheap.
      v.forEach((item, i) => {
        if (typeof item === 'string' || typeof item === 'object') stack.push({ v: item, path: `${path}[${i}]`, depth: depth + 1 });
      });
      continue;
    }
    for (const key of Object.keys(v)) {
      const at = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) {
        problems.push(`${at}: the key ${JSON.stringify(key)} is not allowed`);
        continue;
      }
      const why = unstorableStringReason(key);
      if (why) {
        problems.push(`the key ${JSON.stringify(at)} ${why}`);
        continue;
      }
      stack.push({ v: (v as Record<string, unknown>)[key], path: at, depth: depth + 1 });
    }
  }
  return problems;
}

/**
 * Parses untrusted JSON with bounds checked before anything is built from it: byte size first, then nesting
 * depth on the raw text, then JSON.parse, then untrustedValueProblems. Never throws.
 */
export function parseJsonBounded(input: Buffer | Uint8Array | string, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonParsed {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (bytes > limits.maxBytes) return { ok: false, errors: [`payload is ${bytes} bytes, over the limit of ${limits.maxBytes}`] };
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  if (jsonTooDeep(text, limits.maxDepth)) return { ok: false, errors: [`payload nests deeper than ${limits.maxDepth} levels`] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`payload is not JSON: ${(err as Error).message}`] };
  }
  const problems = untrustedValueProblems(value, limits.maxDepth);
  return problems.length === 0 ? { ok: true, value } : { ok: false, errors: problems };
}
