import { DatabaseError, ValidationError, type Backend } from '../errors/index.js';

const TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function assertValidDate(d: unknown, field = 'date'): asserts d is Date {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) {
    throw new ValidationError(`${field} must be a valid Date`, { field, reason: 'InvalidDate' });
  }
  const y = d.getUTCFullYear();
  if (y < 1 || y > 9999) throw new ValidationError(`${field} is outside years 0001-9999`, { field, reason: 'InvalidDate' });
}

/** SQLite form: fixed-width `YYYY-MM-DDTHH:MM:SS.mmmZ`, so text order equals time order. */
export function encodeTimestamp(d: Date, field = 'date'): string {
  assertValidDate(d, field);
  return d.toISOString();
}

export function decodeTimestamp(s: unknown, backend: Backend = 'sqlite'): Date {
  if (typeof s !== 'string' || !TS_RE.test(s)) {
    throw new DatabaseError(`stored timestamp is not in the fixed form: ${JSON.stringify(s)}`, { backend, dbCode: 'CORRUPT_VALUE' });
  }
  const d = new Date(s);
  if (Number.isNaN(d.getTime()) || d.toISOString() !== s) {
    throw new DatabaseError(`stored timestamp is not a real instant: ${s}`, { backend, dbCode: 'CORRUPT_VALUE' });
  }
  return d;
}
