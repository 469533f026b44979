/**
 * Views of values that do not change (the read cache's results) are computed and serialized once: the second
 * request for an unchanged device list costs neither the mapping to views nor JSON.stringify of a hundred rows.
 * Only values marked shared are memoized — a shared value must never be mutated (ReadCache's rule).
 */
const SHARED = new WeakSet<object>();
const VIEWS = new WeakMap<object, WeakMap<(value: never) => unknown, unknown>>();
const JSON_TEXT = new WeakMap<object, string>();

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;

/** Marks a value and its own object-valued properties (a page's items) as shared and immutable. */
export function markShared(value: unknown): void {
  if (!isObject(value)) return;
  SHARED.add(value);
  if (!Array.isArray(value)) for (const v of Object.values(value)) if (isObject(v)) SHARED.add(v);
}

/**
 * `toView(value)`, computed once per shared value and `key` (the mapper, unless it is a closure made per call);
 * for any other value, computed each time.
 */
export function sharedView<T, V>(value: T, toView: (value: T) => V, key: (value: never) => unknown = toView): V {
  if (!isObject(value) || !SHARED.has(value)) return toView(value);
  let byMapper = VIEWS.get(value);
  if (!byMapper) VIEWS.set(value, (byMapper = new WeakMap()));
  if (byMapper.has(key)) return byMapper.get(key) as V;
  const view = toView(value);
  byMapper.set(key, view);
  markShared(view);
  return view;
}

/**
 * JSON.stringify(payload), the same text, with shared parts (the payload itself or its own properties, such as a
 * page's items) taken from memory: the HTTP reply serializer.
 */
export function toJson(payload: unknown): string {
  if (!isObject(payload)) return JSON.stringify(payload);
  if (SHARED.has(payload)) return sharedJson(payload);
  if (Object.getPrototypeOf(payload) !== Object.prototype || 'toJSON' in payload) return JSON.stringify(payload);
  const entries = Object.entries(payload);
  if (!entries.some(([, v]) => isObject(v) && SHARED.has(v))) return JSON.stringify(payload);
  const parts: string[] = [];
  for (const [k, v] of entries) {
    const text = isObject(v) && SHARED.has(v) ? sharedJson(v) : (JSON.stringify(v) as string | undefined);
    if (text !== undefined) parts.push(`${JSON.stringify(k)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

function sharedJson(value: object): string {
  let text = JSON_TEXT.get(value);
  if (text === undefined) JSON_TEXT.set(value, (text = JSON.stringify(value)));
  return text;
}
