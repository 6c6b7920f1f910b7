/**
 * Argument checks beyond `check` that every DAL needs: parameter objects, optional values,
 * booleans, minutes and text lists. One copy, so the three DALs accept and reject the same
 * arguments (the migration comparison treats any difference as a defect).
 */
import { ValidationError } from '../../errors/index.js';
import type { JsonObject } from '../../json.js';
import { check } from './validate.js';

/**
 * A parameter object (`input`, `opts`, `claim` …): any non-null, non-array object. Class
 * instances are accepted: only their fields are read, JSON payloads are checked separately.
 */
export function objectArg(v: unknown, field: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(`${field} must be an object`, { field });
  return v as Record<string, unknown>;
}

/** Optional parameter object (`opts?`): undefined and null both mean "no options". */
export function optionalObjectArg(v: unknown, field: string): Record<string, unknown> {
  return v === undefined || v === null ? {} : objectArg(v, field);
}

/** An optional id: undefined and null both mean "none". */
export function optionalId(v: unknown, field: string): string | null {
  return v === undefined || v === null ? null : check.id(v, field);
}

/** An optional timestamp: undefined and null both mean "none". */
export function optionalDate(v: unknown, field: string): Date | null {
  return v === undefined || v === null ? null : check.date(v, field);
}

/** An optional JSON object (event data, details): undefined and null both mean "none". */
export function optionalJsonObject(v: unknown, field: string): JsonObject | null {
  return v === undefined || v === null ? null : check.jsonObject(v, field);
}

/** A boolean flag; undefined → `fallback`. */
export function booleanArg(v: unknown, field: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ValidationError(`${field} must be a boolean`, { field, reason: 'InvalidBoolean' });
  return v;
}

/** A non-negative number of minutes (fractions allowed: thresholds are not row counts). */
export function minutesArg(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new ValidationError(`${field} must be a non-negative number of minutes; got ${String(v)}`, { field, reason: 'InvalidNumber' });
  }
  return v;
}

/**
 * A list of strings that is bound as one text[] parameter: PostgreSQL can neither store nor
 * compare U+0000, so it is refused up front instead of failing as a database error.
 */
export function textList(v: unknown, field: string): string[] {
  const names = check.names(v, field);
  if (names.some((n) => n.includes('\u0000'))) throw new ValidationError(`${field} contains U+0000`, { field, reason: 'InvalidCharacters' });
  return names;
}
