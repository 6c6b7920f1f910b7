/**
 * What every DAL does at the entry of a call: the method guard (closed DAL, finished or
 * aborted transaction, root call inside its own transaction) that runs before argument
 * validation, and the one clock reading and the ids of the call (01 §1).
 */
import { copyDate } from './records.js';
import { check } from './validate.js';

/** Runs one method call; a guard may refuse it, count it in flight, or both. */
export type CallWrapper = <R>(call: () => Promise<R>) => Promise<R>;

/** The contract's only synchronous method (workflowRegistryStorage.storageType) stays unwrapped. */
const SYNC_METHODS: readonly string[] = ['storageType'];

/**
 * Wraps every async method of a module object, so the guard runs before the method's own
 * argument checks: an aborted transaction answers TX_ABORTED whatever the arguments.
 */
export function wrapMethods<M extends object>(module: M, wrap: CallWrapper): M {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(module)) {
    out[name] =
      typeof value === 'function' && !SYNC_METHODS.includes(name)
        ? (...args: unknown[]) => wrap(() => (value as (...a: unknown[]) => Promise<unknown>)(...args))
        : value;
  }
  return out as M;
}

/** A wrapper that runs `check` first; its throw becomes the call's rejection. */
export function checkFirst(check: () => void): CallWrapper {
  return (call) => {
    try {
      check();
    } catch (err) {
      return Promise.reject(err);
    }
    return call();
  };
}

/** The one `now` of a call; an injected clock returning garbage must not reach the database. */
export function readClock(clock: () => Date): Date {
  return copyDate(check.date(clock(), 'clock()'));
}

/** One id from the injected generator, validated and lowercased like every id the DAL returns. */
export function drawId(idGenerator: () => string): string {
  return check.id(idGenerator(), 'idGenerator()');
}
