import { cloneJson, isPlainObject, jsonEqual, type JsonObject, type JsonValue } from './json.js';

/** Assigns as data even for `__proto__`, which plain assignment would treat as the prototype. */
function put(target: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function hasOwn(obj: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function unionArrays(a: JsonValue[], b: JsonValue[]): JsonValue[] {
  const out = a.map((x) => cloneJson(x));
  for (const item of b) {
    if (!out.some((existing) => jsonEqual(existing, item))) out.push(cloneJson(item));
  }
  return out;
}

function mergeValue(a: JsonValue, b: JsonValue): JsonValue {
  if (Array.isArray(a) && Array.isArray(b)) return unionArrays(a, b);
  if (isPlainObject(a) && isPlainObject(b)) return mergeContexts(a as JsonObject, b as JsonObject);
  return cloneJson(b);
}

/**
 * Deep merge of two context objects (03 §6): keys of `a` first, then `b`'s keys folded in —
 * objects merge recursively, arrays form an order-preserving union, anything else: `b` wins.
 * The result shares no structure with the inputs, so mutating it never reaches them.
 */
export function mergeContexts(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(a)) {
    const av = a[key] as JsonValue;
    put(out, key, hasOwn(b, key) ? mergeValue(av, b[key] as JsonValue) : cloneJson(av));
  }
  for (const key of Object.keys(b)) {
    if (!hasOwn(a, key)) put(out, key, cloneJson(b[key] as JsonValue));
  }
  return out;
}

/**
 * `mergeContexts` folded from `{}` over `list` in order. Missing outputs (`null`/`undefined`,
 * e.g. a skipped or failed dependency) contribute nothing.
 */
export function foldContexts(list: Iterable<JsonObject | null | undefined>): JsonObject {
  let acc: JsonObject = {};
  for (const item of list) {
    if (item === null || item === undefined) continue;
    acc = mergeContexts(acc, item);
  }
  return acc;
}
