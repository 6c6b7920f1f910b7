/**
 * Normalisation and comparison for the migration comparison (02 §10.2): Date → epoch ms,
 * bytes → hex, object keys sorted, arrays in order, and ids compared through a one-to-one
 * mapping between the two runs, built as ids first appear.
 */
import { isUuid } from '@cloacina/core';
import type { Normalised } from './dump.js';

/**
 * Like dump.ts normalise, plus: keys whose value is undefined are dropped (absent and
 * undefined are the same to a caller), and a record that is not a plain object is tagged
 * with its class, because 02 §1 requires plain objects (an ORM entity would differ here).
 */
export function normaliseValue(v: unknown): Normalised {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.getTime();
  if (v instanceof Uint8Array) return `hex:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  if (typeof v === 'bigint') return `bigint:${v.toString()}`;
  if (typeof v === 'number' && Object.is(v, -0)) return 0;
  if (Array.isArray(v)) return v.map(normaliseValue);
  if (typeof v === 'object') {
    const out: { [k: string]: Normalised } = {};
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) out.$class = String((v as object).constructor?.name ?? 'anonymous');
    for (const k of Object.keys(v as object).sort()) {
      const child = (v as Record<string, unknown>)[k];
      if (child !== undefined) out[k] = normaliseValue(child);
    }
    return out;
  }
  if (typeof v === 'function' || typeof v === 'symbol') return `${typeof v}`;
  return v as Normalised;
}

/** A one-to-one correspondence between the ids of side A and side B. */
export class IdMapping {
  private readonly aToB = new Map<string, string>();
  private readonly bToA = new Map<string, string>();
  /** Pairs that are not the identity (both sides should draw identical ids, 02 §1). */
  readonly nonIdentity: [string, string][] = [];

  /** Records or checks a correspondence; returns an explanation when it breaks the bijection. */
  match(a: string, b: string): string | null {
    const la = a.toLowerCase();
    const lb = b.toLowerCase();
    const knownB = this.aToB.get(la);
    const knownA = this.bToA.get(lb);
    if (knownB === undefined && knownA === undefined) {
      this.aToB.set(la, lb);
      this.bToA.set(lb, la);
      if (la !== lb) this.nonIdentity.push([la, lb]);
      return null;
    }
    if (knownB === lb) return null;
    return knownB !== undefined
      ? `A id ${la} corresponds to B id ${knownB} elsewhere, here to ${lb}`
      : `B id ${lb} corresponds to A id ${knownA} elsewhere, here to ${la}`;
  }
}

export interface ValueDifference {
  /** JSON-path-like location, e.g. `[1].status`. */
  path: string;
  a: Normalised | undefined;
  b: Normalised | undefined;
  note?: string;
}

const show = (v: Normalised | undefined) => (v === undefined ? '<absent>' : JSON.stringify(v));

export function formatValueDifference(d: ValueDifference): string {
  return `at ${d.path || '<root>'}: A=${show(d.a)} B=${show(d.b)}${d.note ? ` (${d.note})` : ''}`;
}

/** First difference between two normalised values, ids matched through `ids`. */
export function firstDifference(a: Normalised | undefined, b: Normalised | undefined, ids: IdMapping, path = ''): ValueDifference | null {
  if (typeof a === 'string' && typeof b === 'string' && isUuid(a) && isUuid(b)) {
    const broken = ids.match(a, b);
    return broken ? { path, a, b, note: broken } : null;
  }
  if (a === b) return null;
  if (a === undefined || b === undefined || a === null || b === null || typeof a !== typeof b) return { path, a, b };
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return { path, a, b };
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const d = firstDifference(a[i], b[i], ids, `${path}[${i}]`);
      if (d) return d;
    }
    if (a.length !== b.length) return { path: `${path}.length`, a: a.length, b: b.length, note: `first extra element ${show(a.length > n ? a[n] : b[n])}` };
    return null;
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference((a as Record<string, Normalised>)[k], (b as Record<string, Normalised>)[k], ids, path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return null;
  }
  return { path, a, b };
}

/** What is compared of an error (02 §10.2): class, code and identifying fields. */
export interface ErrorInfo {
  class: string;
  code: string | null;
  fields: { [k: string]: Normalised };
  /** Not a CloacinaError: a defect in itself (02 §7: every DAL error is a CloacinaError). */
  nonContract: boolean;
  message: string;
}

const IDENTIFYING: Record<string, string[]> = {
  NotFoundError: ['entity', 'id'],
  ClaimLostError: ['taskExecutionId', 'runnerId', 'currentStatus', 'currentOwner'],
  PackageExistsError: ['packageName', 'version'],
  DuplicateCronExecutionError: ['scheduleId', 'scheduledTime'],
  ConstraintError: ['kind'],
  // ValidationError: class and code only. `field`/`reason` describe the rejected input and the
  // spec does not fix which argument is reported when several are invalid (decision, see report).
};

const CONTRACT_CODES = new Set(['NOT_FOUND', 'CLAIM_LOST', 'VALIDATION', 'CONFIGURATION', 'DATABASE', 'CONSTRAINT', 'PACKAGE_EXISTS', 'DUPLICATE_CRON_EXECUTION']);

export function describeError(err: unknown, sameBackend: boolean): ErrorInfo {
  const e = (err ?? {}) as Record<string, unknown> & { name?: unknown; message?: unknown };
  const cls = typeof e.name === 'string' ? e.name : typeof err;
  const code = typeof e.code === 'string' ? e.code : null;
  const fields: { [k: string]: Normalised } = {};
  for (const f of IDENTIFYING[cls] ?? []) fields[f] = normaliseValue(e[f]);
  // dbCode is a SQLSTATE on one backend and a SQLite code name on the other (02 §10.2).
  if (sameBackend && (code === 'DATABASE' || code === 'CONSTRAINT')) {
    fields.dbCode = normaliseValue(e.dbCode);
    fields.backend = normaliseValue(e.backend);
  }
  return {
    class: cls,
    code,
    fields,
    nonContract: code === null || !CONTRACT_CODES.has(code),
    message: typeof e.message === 'string' ? e.message : String(err),
  };
}

export function errorKey(e: ErrorInfo): Normalised {
  return { class: e.class, code: e.code, ...e.fields };
}
