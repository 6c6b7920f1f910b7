import { ValidationError } from './errors/index.js';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A high surrogate not followed by a low one, or a low one not preceded by a high one.
 * JSON.stringify writes them as `\udXXX` escapes, which PostgreSQL jsonb refuses while SQLite
 * stores them, so they are rejected on both backends alike.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Throws ValidationError unless `value` is plain JSON that both backends can store:
 * no undefined, functions, symbols, bigints, non-finite numbers, class instances,
 * cycles, or U+0000 (PostgreSQL jsonb refuses it).
 */
export function assertJsonValue(value: unknown, field = 'value'): asserts value is JsonValue {
  const seen = new Set<object>();
  const visit = (v: unknown, path: string): void => {
    switch (typeof v) {
      case 'string':
        if (v.includes('\u0000')) throw new ValidationError(`${path} contains U+0000, which cannot be stored`, { field, reason: 'InvalidJson' });
        if (LONE_SURROGATE.test(v)) throw new ValidationError(`${path} contains a lone UTF-16 surrogate, which is not valid Unicode`, { field, reason: 'InvalidJson' });
        return;
      case 'number':
        if (!Number.isFinite(v)) throw new ValidationError(`${path} is a non-finite number`, { field, reason: 'InvalidJson' });
        return;
      case 'boolean':
        return;
      case 'object': {
        if (v === null) return;
        if (seen.has(v)) throw new ValidationError(`${path} contains a cycle`, { field, reason: 'InvalidJson' });
        seen.add(v);
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) visit(v[i], `${path}[${i}]`);
        } else if (isPlainObject(v)) {
          for (const [k, child] of Object.entries(v)) {
            if (k.includes('\u0000') || LONE_SURROGATE.test(k)) {
              throw new ValidationError(`${path} has a key containing U+0000 or a lone surrogate`, { field, reason: 'InvalidJson' });
            }
            visit(child, `${path}.${k}`);
          }
        } else {
          throw new ValidationError(`${path} is a ${v.constructor?.name ?? 'non-plain'} instance, not plain JSON`, { field, reason: 'InvalidJson' });
        }
        seen.delete(v);
        return;
      }
      default:
        throw new ValidationError(`${path} is ${typeof v}, not JSON`, { field, reason: 'InvalidJson' });
    }
  };
  visit(value, field);
}

export function assertJsonObject(value: unknown, field = 'value'): asserts value is JsonObject {
  if (!isPlainObject(value)) throw new ValidationError(`${field} must be a JSON object`, { field, reason: 'NotAnObject' });
  assertJsonValue(value, field);
}

/** Deep copy of a JSON value (inputs are validated JSON, so structuredClone semantics suffice). */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/** Structural equality: arrays ordered, objects by key set (key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as JsonValue[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]));
}

/** Canonical JSON: object keys sorted byte-wise, no whitespace. Used for hashing. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
}
