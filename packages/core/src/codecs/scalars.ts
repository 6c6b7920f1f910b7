import { DatabaseError, ValidationError, type Backend } from '../errors/index.js';
import { assertJsonValue, type JsonValue } from '../json.js';

export function encodeBool(b: boolean): 0 | 1 {
  return b ? 1 : 0;
}

export function decodeBool(n: unknown, backend: Backend = 'sqlite'): boolean {
  if (n === 0 || n === 0n) return false;
  if (n === 1 || n === 1n) return true;
  throw new DatabaseError(`stored boolean is not 0 or 1: ${String(n)}`, { backend, dbCode: 'CORRUPT_VALUE' });
}

/** Compact JSON text; rejects anything that is not plain JSON (see assertJsonValue). */
export function encodeJson(v: unknown, field = 'value'): string {
  assertJsonValue(v, field);
  return JSON.stringify(v);
}

export function decodeJson(s: unknown, backend: Backend = 'sqlite'): JsonValue {
  if (typeof s !== 'string') throw new DatabaseError('stored JSON is not text', { backend, dbCode: 'CORRUPT_VALUE' });
  try {
    return JSON.parse(s) as JsonValue;
  } catch (cause) {
    throw new DatabaseError('stored JSON does not parse', { backend, dbCode: 'CORRUPT_VALUE', cause });
  }
}

/** Bytes as a plain Uint8Array view (drivers return Buffers; records expose Uint8Array). */
export function toBytes(v: unknown, field = 'data'): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new ValidationError(`${field} must be a Uint8Array`, { field, reason: 'InvalidBytes' });
}

export function toBuffer(v: Uint8Array): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
