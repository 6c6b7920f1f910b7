import { randomFillSync } from 'node:crypto';
import { DatabaseError, ValidationError, type Backend } from '../errors/index.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Accepts any case, returns the canonical lowercase hyphenated form. */
export function parseUuid(value: unknown, field = 'id'): string {
  if (typeof value !== 'string' || !UUID_RE.test(value)) {
    throw new ValidationError(`${field} is not a valid UUID: ${JSON.stringify(value)}`, { field, reason: 'InvalidUuid' });
  }
  return value.toLowerCase();
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

/** SQLite storage form: 16 bytes in RFC byte order, so byte order equals string order. */
export function uuidToBytes(value: string): Buffer {
  return Buffer.from(parseUuid(value).replace(/-/g, ''), 'hex');
}

export function bytesToUuid(bytes: Uint8Array, backend: Backend = 'sqlite'): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 16) {
    throw new DatabaseError(`stored uuid is not 16 bytes (got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes})`, {
      backend,
      dbCode: 'CORRUPT_VALUE',
    });
  }
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Random bytes are drawn from the OS in blocks: one system call per 256 ids, not one per id
// (ids are drawn for every row and event on the hot paths).
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

/** `n` (≤ 4096) fresh random bytes, copied out of the pool. */
function randomBytes(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + n));
  poolOffset += n;
  return out;
}

// Monotonic UUIDv7 state (RFC 9562 method 1: 12-bit rand_a used as a counter).
let lastMs = -1;
let counter = 0;

/**
 * UUID version 7: 48-bit ms timestamp, 12-bit counter seeded randomly each new ms,
 * 62 random bits. Ids created by one process in the same millisecond sort in creation
 * order; if the counter overflows, the timestamp is advanced by one ms.
 */
export function newId(): string {
  let ms = Date.now();
  if (ms > lastMs) {
    lastMs = ms;
    counter = randomBytes(2).readUInt16BE(0) & 0x3ff; // leave headroom before overflow
  } else {
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
    ms = lastMs;
  }
  const b = randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  return bytesToUuid(b);
}
