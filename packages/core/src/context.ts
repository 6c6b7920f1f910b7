import { ContextKeyExistsError, ContextKeyNotFoundError, ValidationError } from './errors/index.js';
import { assertJsonValue, cloneJson, isPlainObject, type JsonObject, type JsonValue } from './json.js';

/**
 * Validates one value and returns a private deep copy. The error names the key, because a
 * bad value usually comes from task code far away from where it is finally stored.
 */
function ownedCopy(key: string, value: unknown): JsonValue {
  if (typeof key !== 'string') {
    throw new ValidationError(`Context keys must be strings (got ${typeof key})`, { field: String(key), reason: 'InvalidKey' });
  }
  try {
    assertJsonValue(value, key);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const reason = err instanceof ValidationError ? err.reason : 'InvalidJson';
    throw new ValidationError(`Invalid value for context key '${key}': ${detail}`, { field: key, reason, cause: err });
  }
  return cloneJson(value);
}

/** Builds a plain object from entries; `Object.fromEntries` keeps a `__proto__` key as data. */
function toPlainObject(entries: Iterable<[string, JsonValue]>, copy: boolean): JsonObject {
  const out: [string, JsonValue][] = [];
  for (const [k, v] of entries) out.push([k, copy ? cloneJson(v) : v]);
  return Object.fromEntries(out) as JsonObject;
}

/**
 * The data a task reads and writes: a string-keyed map of JSON values. Stored in a Map so that
 * keys such as `__proto__` or `constructor` are ordinary keys.
 */
export class Context {
  readonly #data = new Map<string, JsonValue>();

  constructor(data?: JsonObject) {
    if (data === undefined) return;
    if (!isPlainObject(data)) {
      throw new ValidationError('Context data must be a JSON object', { field: 'context', reason: 'NotAnObject' });
    }
    for (const [k, v] of Object.entries(data)) this.#data.set(k, ownedCopy(k, v));
  }

  /** Returns the stored value itself (not a copy). */
  get<T = JsonValue>(key: string): T | undefined {
    return this.#data.get(key) as T | undefined;
  }

  has(key: string): boolean {
    return this.#data.has(key);
  }

  insert(key: string, value: JsonValue): void {
    if (this.#data.has(key)) throw new ContextKeyExistsError(key);
    this.#data.set(key, ownedCopy(key, value));
  }

  update(key: string, value: JsonValue): void {
    if (!this.#data.has(key)) throw new ContextKeyNotFoundError(key);
    this.#data.set(key, ownedCopy(key, value));
  }

  set(key: string, value: JsonValue): void {
    this.#data.set(key, ownedCopy(key, value));
  }

  remove(key: string): JsonValue | undefined {
    const value = this.#data.get(key);
    this.#data.delete(key);
    return value;
  }

  keys(): string[] {
    return [...this.#data.keys()];
  }

  get size(): number {
    return this.#data.size;
  }

  clone(): Context {
    const copy = new Context();
    for (const [k, v] of this.#data) copy.#data.set(k, cloneJson(v));
    return copy;
  }

  /** A deep copy as a plain object; also what `JSON.stringify(ctx)` serialises. */
  toJSON(): JsonObject {
    return toPlainObject(this.#data, true);
  }

  static fromJSON(json: string | JsonObject): Context {
    let parsed: unknown = json;
    if (typeof json === 'string') {
      try {
        parsed = JSON.parse(json);
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        throw new ValidationError(`Invalid context JSON: ${detail}`, { field: 'context', reason: 'InvalidJson', cause: err });
      }
    }
    if (!isPlainObject(parsed)) {
      const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed;
      throw new ValidationError(`Context JSON must be an object (got ${kind})`, { field: 'context', reason: 'NotAnObject' });
    }
    return new Context(parsed as JsonObject);
  }
}
