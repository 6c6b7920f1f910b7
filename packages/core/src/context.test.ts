import { describe, expect, it } from 'vitest';
import { Context } from './context.js';
import { ContextKeyExistsError, ContextKeyNotFoundError, ValidationError } from './errors/index.js';
import type { JsonObject } from './json.js';

describe('Context', () => {
  it('starts empty and stores a deep copy of constructor data', () => {
    expect(new Context().size).toBe(0);
    const data = { a: { b: [1, 2] } } as JsonObject;
    const ctx = new Context(data);
    (data['a'] as JsonObject)['b'] = 'changed';
    expect(ctx.get('a')).toEqual({ b: [1, 2] });
    expect(ctx.size).toBe(1);
  });

  it('rejects non-JSON constructor data, naming the key', () => {
    expect(() => new Context({ good: 1, bad: Number.NaN } as JsonObject)).toThrow(ValidationError);
    expect(() => new Context({ bad: Number.NaN } as JsonObject)).toThrow(/context key 'bad'/);
    expect(() => new Context({ nested: { when: new Date() } } as unknown as JsonObject)).toThrow(/'nested'.*Date/);
    expect(() => new Context([] as unknown as JsonObject)).toThrow('Context data must be a JSON object');
    const err = (() => {
      try {
        new Context({ x: undefined } as unknown as JsonObject);
      } catch (e) {
        return e as ValidationError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect(err?.field).toBe('x');
  });

  it('get returns the stored value itself', () => {
    const ctx = new Context({ list: [1] });
    const list = ctx.get<number[]>('list');
    list?.push(2);
    expect(ctx.get('list')).toEqual([1, 2]);
    expect(ctx.get('missing')).toBeUndefined();
  });

  it('insert refuses existing keys with the exact message', () => {
    const ctx = new Context();
    ctx.insert('k', 1);
    expect(() => ctx.insert('k', 2)).toThrow(ContextKeyExistsError);
    expect(() => ctx.insert('k', 2)).toThrow('Key already exists: k');
    expect(ctx.get('k')).toBe(1);
  });

  it('update requires the key with the exact message', () => {
    const ctx = new Context({ k: 1 });
    ctx.update('k', 2);
    expect(ctx.get('k')).toBe(2);
    expect(() => ctx.update('nope', 1)).toThrow(ContextKeyNotFoundError);
    expect(() => ctx.update('nope', 1)).toThrow('Key not found: nope');
  });

  it('set inserts or replaces; insert/update/set validate and copy', () => {
    const ctx = new Context();
    ctx.set('k', 1);
    ctx.set('k', null);
    expect(ctx.has('k')).toBe(true);
    expect(ctx.get('k')).toBeNull();
    const value = { deep: [1] } as JsonObject;
    ctx.set('obj', value);
    (value['deep'] as number[]).push(2);
    expect(ctx.get('obj')).toEqual({ deep: [1] });
    expect(() => ctx.set('f', (() => 1) as unknown as JsonObject)).toThrow(/context key 'f'/);
    expect(() => ctx.insert('n', Infinity)).toThrow(ValidationError);
    expect(() => ctx.update('k', 'a\u0000b')).toThrow(/U\+0000/);
    expect(() => ctx.set('big', 10n as unknown as number)).toThrow(ValidationError);
    expect(ctx.has('f')).toBe(false);
  });

  it('remove returns the value or undefined', () => {
    const ctx = new Context({ a: 1 });
    expect(ctx.remove('a')).toBe(1);
    expect(ctx.remove('a')).toBeUndefined();
    expect(ctx.size).toBe(0);
  });

  it('keys and size', () => {
    const ctx = new Context({ a: 1, b: 2 });
    ctx.set('c', 3);
    expect(ctx.keys().sort()).toEqual(['a', 'b', 'c']);
    expect(ctx.size).toBe(3);
  });

  it('clone and toJSON are deep copies', () => {
    const ctx = new Context({ a: { b: 1 } });
    const copy = ctx.clone();
    (copy.get('a') as JsonObject)['b'] = 2;
    expect(ctx.get('a')).toEqual({ b: 1 });
    const json = ctx.toJSON();
    (json['a'] as JsonObject)['b'] = 3;
    expect(ctx.get('a')).toEqual({ b: 1 });
    expect(Object.getPrototypeOf(json)).toBe(Object.prototype);
    expect(JSON.stringify(ctx)).toBe('{"a":{"b":1}}');
  });

  it('treats __proto__ and constructor as ordinary keys', () => {
    const ctx = Context.fromJSON('{"__proto__":{"polluted":true},"constructor":1}');
    expect(ctx.has('__proto__')).toBe(true);
    expect(ctx.get('constructor')).toBe(1);
    expect(ctx.has('toString')).toBe(false);
    const json = ctx.toJSON();
    expect(Object.prototype.hasOwnProperty.call(json, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('fromJSON accepts strings and objects', () => {
    expect(Context.fromJSON('{"a":[1,{"b":null}]}').toJSON()).toEqual({ a: [1, { b: null }] });
    const src = { x: 1 };
    const ctx = Context.fromJSON(src);
    src.x = 2;
    expect(ctx.get('x')).toBe(1);
    expect(Context.fromJSON('{}').size).toBe(0);
  });

  it('fromJSON rejects bad JSON and non-objects with ValidationError', () => {
    expect(() => Context.fromJSON('{oops')).toThrow(ValidationError);
    expect(() => Context.fromJSON('{oops')).toThrow(/^Invalid context JSON: /);
    expect(() => Context.fromJSON('[1]')).toThrow('Context JSON must be an object (got array)');
    expect(() => Context.fromJSON('null')).toThrow('Context JSON must be an object (got null)');
    expect(() => Context.fromJSON('3')).toThrow('Context JSON must be an object (got number)');
    expect(() => Context.fromJSON(null as unknown as string)).toThrow(ValidationError);
  });

  it('round-trips through JSON text', () => {
    const data: JsonObject = { s: 'x', n: 1.5, b: false, z: null, arr: [[], {}], o: { k: ['v'] } };
    expect(Context.fromJSON(JSON.stringify(new Context(data))).toJSON()).toEqual(data);
  });
});
