/**
 * Scenarios as data for the migration comparison (02 §10.1): a step names a DAL method and its
 * arguments; ids are symbolic references resolved against the ids each side has seen so far,
 * and times are offsets, so one scenario means the same thing on every side and prints
 * readably when fast-check reports a counterexample.
 */
import { isUuid } from '@cloacina/core';

/**
 * Kinds of ids a scenario can refer to, collected from return values in order of first sight;
 * `claimed` is the exception: task ids returned by claimReadyTasks, most recent claim last, so
 * the fenced methods can aim at tasks that are (or were) Running.
 */
export const ID_KINDS = ['context', 'pipeline', 'task', 'claimed', 'metadata', 'cronSchedule', 'cronExecution', 'package', 'binary'] as const;
export type IdKind = (typeof ID_KINDS)[number];

/**
 * `{ ref: 'task', index: 2 }`: the third task id this side has seen; negative counts from the
 * end (-1 = newest). Out of range or empty pool: by overshoot (how far outside the pool),
 * MALFORMED_ID when overshoot % 3 = 2, else UNKNOWN_ID, so NotFound and Validation paths are
 * both exercised. `upper` passes the id in upper case (ids are accepted in any case and
 * returned lowercase, 02 §1).
 */
export interface Ref {
  ref: IdKind;
  index: number;
  upper?: true;
}

/** Absolute time: T0 + ms. */
export interface AtTime {
  $at: number;
}
/** Relative time: the step's clock value + ms. */
export interface NowTime {
  $now: number;
}
/** Not a storable time: an invalid Date, an ISO string instead of a Date, or year 10000. */
export interface BadTime {
  $bad: 'nan' | 'string' | 'far';
}

export interface CallStep {
  method: string;
  args: unknown[];
  /** Inside a transaction: call the root DAL instead of the transaction-bound one (02 §2.4: ConfigurationError). */
  root?: true;
}
/** Sub-steps on the transaction-bound DAL; `rollback` makes the callback reject at the end. */
export interface TxStep {
  method: 'transaction';
  steps: Step[];
  rollback: boolean;
}
/** Harness step: advances both sides' clocks (0 creates timestamp ties). */
export interface ClockStep {
  method: 'clock.advance';
  args: [number];
}
export type Step = CallStep | TxStep | ClockStep;

/** The pinned start of every scenario (the fixture clock's default). */
export const T0_MS = Date.parse('2025-01-01T00:00:00.000Z');
/** Never drawn by the sequential id generators. */
export const UNKNOWN_ID = '0fffffff-ffff-7fff-bfff-ffffffffffff';
export const MALFORMED_ID = 'not-a-uuid';
/** runnerId configured on every comparison DAL (events of non-fenced methods carry it). */
export const CONFIGURED_RUNNER = 'cmp-runner';

export function isRef(v: unknown): v is Ref {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return 'ref' in v && 'index' in v && keys.every((k) => k === 'ref' || k === 'index' || k === 'upper');
}

function isMarker(v: unknown, key: string): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && key in v;
}

/** Ids one side has seen, by kind, each id once, in order of first sight. */
export class IdPools {
  private readonly pools = new Map<IdKind, string[]>();

  add(kind: IdKind, id: unknown): void {
    if (typeof id !== 'string' || !isUuid(id)) return;
    const pool = this.get(kind);
    const lower = id.toLowerCase();
    const at = pool.indexOf(lower);
    if (at >= 0 && kind === 'claimed') pool.splice(at, 1);
    else if (at >= 0) return;
    pool.push(lower);
  }

  get(kind: IdKind): string[] {
    let p = this.pools.get(kind);
    if (!p) this.pools.set(kind, (p = []));
    return p;
  }

  resolve(r: Ref): string {
    const pool = this.get(r.ref);
    const i = r.index < 0 ? pool.length + r.index : r.index;
    if (i >= 0 && i < pool.length) return r.upper ? pool[i]!.toUpperCase() : pool[i]!;
    const overshoot = i < 0 ? -i : i - pool.length;
    return overshoot % 3 === 2 ? MALFORMED_ID : UNKNOWN_ID;
  }

  clone(): IdPools {
    const c = new IdPools();
    for (const k of ID_KINDS) c.get(k).push(...this.get(k));
    return c;
  }

  snapshot(): Record<IdKind, string[]> {
    return Object.fromEntries(ID_KINDS.map((k) => [k, [...this.get(k)]])) as Record<IdKind, string[]>;
  }
}

/** Replaces refs and time markers by concrete values; JSON payloads contain neither. */
export function resolveArgs(value: unknown, pools: IdPools, nowMs: number): unknown {
  if (value instanceof Uint8Array || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => resolveArgs(v, pools, nowMs));
  if (value === null || typeof value !== 'object') return value;
  if (isRef(value)) return pools.resolve(value);
  if (isMarker(value, '$at')) return new Date(T0_MS + (value as AtTime).$at);
  if (isMarker(value, '$now')) return new Date(nowMs + (value as NowTime).$now);
  if (isMarker(value, '$bad')) {
    const bad = (value as BadTime).$bad;
    return bad === 'nan' ? new Date(Number.NaN) : bad === 'string' ? new Date(nowMs).toISOString() : new Date('+010000-01-01T00:00:00.000Z');
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = resolveArgs(v, pools, nowMs);
  return out;
}

type Collector = (result: unknown, pools: IdPools) => void;
const rec = (r: unknown): Record<string, unknown> => (r ?? {}) as Record<string, unknown>;
const each = (r: unknown, f: (x: Record<string, unknown>) => void) => {
  if (Array.isArray(r)) for (const x of r) f(rec(x));
};

/** Where each method's return value yields new ids (creators, and claims for completeness). */
const COLLECTORS: Record<string, Collector> = {
  'context.create': (r, p) => p.add('context', r),
  'pipelineExecution.createWithTasks': (r, p) => {
    const c = rec(r);
    p.add('context', c.contextId);
    p.add('pipeline', rec(c.pipeline).id);
    each(c.tasks, (t) => p.add('task', t.id));
  },
  'pipelineExecution.create': (r, p) => p.add('pipeline', rec(r).id),
  'pipelineExecution.finalize': (r, p) => p.add('context', rec(r).contextId),
  'taskExecution.create': (r, p) => p.add('task', rec(r).id),
  'taskExecution.claimReadyTasks': (r, p) =>
    each(r, (t) => {
      p.add('task', t.id);
      p.add('claimed', t.id);
    }),
  'taskExecution.completeWithOutput': (r, p) => p.add('context', rec(r).contextId),
  'taskExecution.completeManyWithOutput': (r, p) => each(r, (o) => p.add('context', o.contextId)),
  'taskExecutionMetadata.create': (r, p) => p.add('metadata', rec(r).id),
  'taskExecutionMetadata.upsertTaskExecutionMetadata': (r, p) => p.add('metadata', rec(r).id),
  'cronSchedule.create': (r, p) => p.add('cronSchedule', rec(r).id),
  'cronExecution.create': (r, p) => p.add('cronExecution', rec(r).id),
  'workflowPackages.storePackageMetadata': (r, p) => p.add('package', r),
  'workflowRegistryStorage.storeBinary': (r, p) => p.add('binary', r),
};

export function collectIds(method: string, result: unknown, pools: IdPools): void {
  COLLECTORS[method]?.(result, pools);
}

/** A compact, one-line rendering of a step for failure reports. */
export function describeStep(step: Step): string {
  if (step.method === 'transaction') {
    const s = step as TxStep;
    return `transaction(${s.rollback ? 'rollback' : 'commit'}: [${s.steps.map(describeStep).join('; ')}])`;
  }
  return `${(step as CallStep).root ? 'ROOT ' : ''}${step.method}(${(step as CallStep).args.map((a) => stringifyArg(a)).join(', ')})`;
}

export function stringifyArg(a: unknown): string {
  return JSON.stringify(a, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString('hex')}`;
    if (typeof v === 'string' && v.length > 80) return `${v.slice(0, 40)}…(${v.length} chars)`;
    return v;
  });
}
