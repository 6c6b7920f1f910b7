import { describe, expect, it } from 'vitest';
import {
  bytesToUuid,
  decodeBool,
  decodeJson,
  decodeTimestamp,
  encodeBool,
  encodeJson,
  encodeTimestamp,
  newId,
  parseUuid,
  uuidToBytes,
} from './index.js';
import { DatabaseError, ValidationError } from '../errors/index.js';

/** Small deterministic PRNG so property checks are repeatable (seed printed on failure). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const randomUuid = (r: () => number) =>
  [8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('')).join('-');

describe('uuid codec', () => {
  it('encodes the spec example to the 16 RFC-order bytes', () => {
    const bytes = uuidToBytes('0193a5e2-7c3a-7b1e-9f00-3a5c1d2e4f60');
    expect(bytes.toString('hex').toUpperCase()).toBe('0193A5E27C3A7B1E9F003A5C1D2E4F60');
  });

  it('round-trips exactly and keeps order (1000 seeded samples)', () => {
    const r = prng(42);
    const ids = Array.from({ length: 1000 }, () => randomUuid(r));
    for (const id of ids) expect(bytesToUuid(uuidToBytes(id))).toBe(id);
    const byString = [...ids].sort();
    const byBytes = [...ids].sort((a, b) => Buffer.compare(uuidToBytes(a), uuidToBytes(b)));
    expect(byBytes).toEqual(byString);
  });

  it('parses any case to lowercase and rejects non-UUIDs with ValidationError', () => {
    expect(parseUuid('0193A5E2-7C3A-7B1E-9F00-3A5C1D2E4F60')).toBe('0193a5e2-7c3a-7b1e-9f00-3a5c1d2e4f60');
    for (const bad of ['', 'not-a-uuid', '0193a5e27c3a7b1e9f003a5c1d2e4f60', '0193a5e2-7c3a-7b1e-9f00-3a5c1d2e4f6g', 42, null]) {
      expect(() => parseUuid(bad)).toThrow(ValidationError);
    }
  });

  it('refuses a stored blob that is not 16 bytes with DatabaseError', () => {
    expect(() => bytesToUuid(new Uint8Array(15))).toThrow(DatabaseError);
  });

  it('generates UUIDv7 ids that sort in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids.slice(0, 50)) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    const ms = parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16);
    expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
  });
});

describe('timestamp codec', () => {
  it('writes the fixed-width form of the spec example', () => {
    expect(encodeTimestamp(new Date('2025-12-07T20:38:29.123Z'))).toBe('2025-12-07T20:38:29.123Z');
  });

  it('round-trips to the millisecond and text order equals time order (seeded)', () => {
    const r = prng(7);
    const min = Date.UTC(1, 0, 1);
    const max = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    const dates = [new Date(0), new Date(min), new Date(max), ...Array.from({ length: 1000 }, () => new Date(min + Math.floor(r() * (max - min))))];
    for (const d of dates) {
      const s = encodeTimestamp(d);
      expect(s).toHaveLength(24);
      expect(decodeTimestamp(s).getTime()).toBe(d.getTime());
    }
    const byText = [...dates].sort((a, b) => (encodeTimestamp(a) < encodeTimestamp(b) ? -1 : 1));
    const byTime = [...dates].sort((a, b) => a.getTime() - b.getTime());
    expect(byText.map((d) => d.getTime())).toEqual(byTime.map((d) => d.getTime()));
  });

  it('rejects invalid dates and years outside 0001-9999', () => {
    expect(() => encodeTimestamp(new Date('nope'))).toThrow(ValidationError);
    expect(() => encodeTimestamp(new Date(Date.UTC(10000, 0, 1)))).toThrow(/outside years/);
    expect(() => encodeTimestamp(new Date('0000-06-01T00:00:00.000Z'))).toThrow(ValidationError);
  });

  it('accepts only the fixed form when decoding', () => {
    for (const bad of ['2025-12-07T20:38:29Z', '2025-12-07 20:38:29.123+00', '2025-12-07T20:38:29.123456Z', '2025-02-30T00:00:00.000Z', 5]) {
      expect(() => decodeTimestamp(bad)).toThrow(DatabaseError);
    }
  });
});

describe('bool and json codecs', () => {
  it('maps booleans to 0/1 and refuses anything else when decoding', () => {
    expect(encodeBool(true)).toBe(1);
    expect(encodeBool(false)).toBe(0);
    expect(decodeBool(1)).toBe(true);
    expect(decodeBool(0)).toBe(false);
    expect(() => decodeBool(2)).toThrow(DatabaseError);
  });

  it('writes compact JSON and round-trips nested Unicode values', () => {
    expect(encodeJson({ a: 1, b: [true] })).toBe('{"a":1,"b":[true]}');
    const v = { ключ: ['😀', { deep: { deeper: [null, 1.5, 'x'] } }], e: {} };
    expect(decodeJson(encodeJson(v))).toEqual(v);
  });

  it.each([
    ['undefined', { a: undefined }],
    ['a function', { f: () => 1 }],
    ['a bigint', { n: 1n }],
    ['NaN', { n: Number.NaN }],
    ['Infinity', [Infinity]],
    ['a Date instance', { d: new Date(0) }],
    ['a Map', new Map()],
    ['U+0000 in a value', { s: 'a\u0000b' }],
    ['U+0000 in a key', { 'a\u0000': 1 }],
    ['a symbol', { s: Symbol('x') }],
  ])('rejects %s with ValidationError', (_, value) => {
    expect(() => encodeJson(value)).toThrow(ValidationError);
  });

  it('rejects cycles but accepts shared (acyclic) references', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeJson(cyclic)).toThrow(/cycle/);
    const shared = { x: 1 };
    expect(encodeJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe('unicode edge cases', () => {
  it('rejects lone surrogates (PostgreSQL jsonb refuses them) but accepts proper pairs', () => {
    expect(() => encodeJson({ s: 'x\ud800' })).toThrow(/lone UTF-16 surrogate/);
    expect(() => encodeJson({ s: '\udfffx' })).toThrow(ValidationError);
    expect(() => encodeJson({ ['k\ud800']: 1 })).toThrow(ValidationError);
    expect(encodeJson({ s: '😀' })).toBe('{"s":"😀"}');
  });
});
