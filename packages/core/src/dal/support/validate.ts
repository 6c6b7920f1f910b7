import { parseUuid } from '../../codecs/uuid.js';
import { assertValidDate } from '../../codecs/timestamp.js';
import { ValidationError } from '../../errors/index.js';
import { assertJsonObject, type JsonObject } from '../../json.js';

const MAX_INT32 = 2_147_483_647;

/** Shared argument checks, so every DAL rejects the same inputs with the same error. */
export const check = {
  id: (v: unknown, field = 'id'): string => parseUuid(v, field),
  ids: (v: unknown, field = 'ids'): string[] => {
    if (!Array.isArray(v)) throw new ValidationError(`${field} must be an array of UUIDs`, { field });
    return v.map((x) => parseUuid(x, field));
  },
  limit: (v: unknown, field = 'limit'): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new ValidationError(`${field} must be a non-negative safe integer; got ${String(v)}`, { field, reason: 'InvalidNumber' });
    }
    return v;
  },
  /** Stored counters are 32-bit `integer` on PostgreSQL, so the range is 1..2^31-1 on both backends. */
  positiveInt: (v: unknown, field: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > MAX_INT32) {
      throw new ValidationError(`${field} must be an integer from 1 to ${MAX_INT32}; got ${String(v)}`, { field, reason: 'InvalidNumber' });
    }
    return v;
  },
  text: (v: unknown, field: string, opts: { min?: number; max?: number } = {}): string => {
    const min = opts.min ?? 1;
    if (typeof v !== 'string' || v.length < min || (opts.max !== undefined && v.length > opts.max)) {
      const range = opts.max !== undefined ? `${min}-${opts.max}` : `at least ${min}`;
      throw new ValidationError(`${field} must be a string of ${range} characters`, { field, reason: 'InvalidLength' });
    }
    if (v.includes('\u0000')) throw new ValidationError(`${field} contains U+0000`, { field, reason: 'InvalidCharacters' });
    return v;
  },
  optionalText: (v: unknown, field: string, max?: number): string | null => {
    if (v === undefined || v === null) return null;
    return check.text(v, field, { min: 0, max });
  },
  date: (v: unknown, field: string): Date => {
    assertValidDate(v, field);
    return v;
  },
  jsonObject: (v: unknown, field: string): JsonObject => {
    assertJsonObject(v, field);
    return v;
  },
  names: (v: unknown, field: string): string[] => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      throw new ValidationError(`${field} must be an array of strings`, { field });
    }
    return v as string[];
  },
} as const;

/** Splits a list into chunks (SQLite's bound-parameter limit). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Byte-wise string comparison, the order of "C" collation and SQLite BINARY (for UUIDs and ASCII). */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
