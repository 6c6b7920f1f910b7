import { describe, expect, it } from 'vitest';
import { foldContexts, mergeContexts } from './merge.js';
import { jsonEqual, type JsonObject, type JsonValue } from './json.js';

describe('mergeContexts', () => {
  it('takes keys only in b and keeps keys only in a, a first', () => {
    const out = mergeContexts({ a: 1, shared: 1 }, { b: 2, shared: 3 });
    expect(out).toEqual({ a: 1, shared: 3, b: 2 });
    expect(Object.keys(out)).toEqual(['a', 'shared', 'b']);
  });

  it('scalars and mismatched kinds: later wins', () => {
    expect(mergeContexts({ k: 1 }, { k: 'x' })).toEqual({ k: 'x' });
    expect(mergeContexts({ k: [1] }, { k: { a: 1 } })).toEqual({ k: { a: 1 } });
    expect(mergeContexts({ k: { a: 1 } }, { k: [1] })).toEqual({ k: [1] });
    expect(mergeContexts({ k: 1 }, { k: null })).toEqual({ k: null });
    expect(mergeContexts({ k: [1] }, { k: null })).toEqual({ k: null });
  });

  it('merges objects recursively', () => {
    expect(mergeContexts({ o: { a: 1, n: { x: 1 } } }, { o: { b: 2, n: { y: 2 } } })).toEqual({
      o: { a: 1, n: { x: 1, y: 2 }, b: 2 },
    });
  });

  it('unions arrays in order by deep equality, keeping duplicates already in a', () => {
    expect(mergeContexts({ l: [1, 1, 2] }, { l: [2, 3, 3, 1, 4] })).toEqual({ l: [1, 1, 2, 3, 4] });
    expect(mergeContexts({ l: [{ a: 1 }, [1]] }, { l: [{ a: 1 }, { a: 2 }, [1], [2]] })).toEqual({
      l: [{ a: 1 }, [1], { a: 2 }, [2]],
    });
    // key order does not matter for equality
    expect(mergeContexts({ l: [{ a: 1, b: 2 }] }, { l: [{ b: 2, a: 1 }] })).toEqual({ l: [{ a: 1, b: 2 }] });
  });

  it('never mutates its inputs and shares no structure with them', () => {
    const a: JsonObject = { o: { l: [1] }, only: { x: [1] } };
    const b: JsonObject = { o: { l: [2] }, fresh: { y: [2] } };
    const aCopy = structuredClone(a);
    const bCopy = structuredClone(b);
    const out = mergeContexts(a, b);
    expect(a).toEqual(aCopy);
    expect(b).toEqual(bCopy);
    ((out['only'] as JsonObject)['x'] as number[]).push(9);
    ((out['fresh'] as JsonObject)['y'] as number[]).push(9);
    ((out['o'] as JsonObject)['l'] as number[]).push(9);
    expect(a).toEqual(aCopy);
    expect(b).toEqual(bCopy);
  });

  it('treats __proto__ as an ordinary key', () => {
    const a = JSON.parse('{"__proto__":{"x":1}}') as JsonObject;
    const b = JSON.parse('{"__proto__":{"y":2}}') as JsonObject;
    const out = mergeContexts(a, b);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
    expect(out['__proto__']).toEqual({ x: 1, y: 2 });
  });

  it('fan-in: three parallel appenders give three entries', () => {
    const input: JsonObject = { fanin_sources: [] };
    const outputs = ['p1', 'p2', 'p3'].map((name) => ({
      ...input,
      fanin_sources: [...(input['fanin_sources'] as string[]), name],
    }));
    expect(foldContexts(outputs)).toEqual({ fanin_sources: ['p1', 'p2', 'p3'] });
  });

  it('diamond keeps start before left/right before end', () => {
    const start = { execution_order: ['start'] };
    const left = { execution_order: [...start.execution_order, 'left'] };
    const right = { execution_order: [...start.execution_order, 'right'] };
    const endInput = foldContexts([left, right]);
    expect(endInput).toEqual({ execution_order: ['start', 'left', 'right'] });
    const end = { execution_order: [...(endInput['execution_order'] as string[]), 'end'] };
    expect(foldContexts([end])).toEqual({ execution_order: ['start', 'left', 'right', 'end'] });
  });
});

describe('foldContexts', () => {
  it('folds from {} and skips missing outputs', () => {
    expect(foldContexts([])).toEqual({});
    expect(foldContexts([null, { a: 1 }, undefined, { b: 2 }, { a: 3 }])).toEqual({ a: 3, b: 2 });
  });

  it('later-wins for scalars follows declaration order', () => {
    expect(foldContexts([{ v: 'first' }, { v: 'second' }])).toEqual({ v: 'second' });
  });

  it('properties: result contains every key; arrays contain every element (seeded random)', () => {
    let seed = 42;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const value = (depth: number): JsonValue => {
      const r = rand();
      if (depth > 2 || r < 0.4) return Math.floor(rand() * 4);
      if (r < 0.7) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      return obj(depth + 1);
    };
    const obj = (depth: number): JsonObject => {
      const out: JsonObject = {};
      for (const k of ['a', 'b', 'c', 'd']) if (rand() < 0.5) out[k] = value(depth);
      return out;
    };
    for (let i = 0; i < 300; i++) {
      const a = obj(0);
      const b = obj(0);
      const out = mergeContexts(a, b);
      for (const k of [...Object.keys(a), ...Object.keys(b)]) expect(k in out).toBe(true);
      for (const k of Object.keys(b)) {
        const av = a[k];
        const bv = b[k] as JsonValue;
        if (Array.isArray(av) && Array.isArray(bv)) {
          const merged = out[k] as JsonValue[];
          expect(merged.slice(0, av.length)).toEqual(av);
          for (const el of bv) expect(merged.some((m) => jsonEqual(m, el))).toBe(true);
        } else if (!(av !== null && typeof av === 'object' && bv !== null && typeof bv === 'object' && !Array.isArray(av) && !Array.isArray(bv))) {
          expect(out[k]).toEqual(bv);
        }
      }
      // merging with itself is idempotent when a has no duplicate array elements of its own
      expect(mergeContexts(out, {})).toEqual(out);
    }
  });
});
