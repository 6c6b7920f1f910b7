/**
 * Small helpers shared by the core conformance areas (migrations, encodings, config, not-found
 * and validation, deletes and ordering, contexts, pipeline machine, createWithTasks, packages,
 * foreign keys, lifecycle): typed error expectations, raw row access that bypasses the DAL,
 * and builders for the exact records a call is expected to write.
 */
import { expect } from 'vitest';
import {
  ConfigurationError,
  ConstraintError,
  DatabaseError,
  EXECUTION_EVENTS,
  NotFoundError,
  PackageExistsError,
  PIPELINE_EXECUTIONS,
  rowDecoder,
  TASK_EXECUTIONS,
  uuidToBytes,
  ValidationError,
  type ExecutionEvent,
  type JsonObject,
  type NewTaskSpec,
  type PipelineExecution,
  type TableDef,
  type TaskExecution,
} from '@cloacina/core';
import type { DalFixture } from './dal-fixture.js';
import { idAt } from './determinism.js';
import type { RawDb } from './raw-db.js';

/** The fixture clock's pinned start (dal-fixture / determinism). */
export const T0 = new Date('2025-01-01T00:00:00.000Z');
export const at = (ms: number): Date => new Date(T0.getTime() + ms);

// ------------------------------------------------------------------ errors

type ErrorClass = abstract new (...args: never[]) => Error;

const CODES = new Map<ErrorClass, string>([
  [NotFoundError, 'NOT_FOUND'],
  [ValidationError, 'VALIDATION'],
  [ConfigurationError, 'CONFIGURATION'],
  [ConstraintError, 'CONSTRAINT'],
  [DatabaseError, 'DATABASE'],
  [PackageExistsError, 'PACKAGE_EXISTS'],
]);

/**
 * Runs `call`, which must reject with an instance of `cls` carrying the class's `code` (02 §7)
 * and the given identifying fields. A synchronous throw fails: every method returns a Promise.
 */
export async function expectError<E extends Error>(
  call: () => Promise<unknown>,
  cls: abstract new (...args: never[]) => E,
  fields: Record<string, unknown> = {},
  label = '',
): Promise<E> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (e) {
    throw new Error(`${label} threw synchronously (${String(e)}); every DAL method must return a Promise`);
  }
  let error: unknown;
  let resolved = false;
  try {
    await promise;
    resolved = true;
  } catch (e) {
    error = e;
  }
  if (resolved) throw new Error(`${label} resolved, expected ${cls.name}`);
  expect(error, `${label}: ${String(error)}`).toBeInstanceOf(cls);
  const code = CODES.get(cls);
  if (code) expect((error as { code?: unknown }).code, `${label} code`).toBe(code);
  for (const [k, v] of Object.entries(fields)) expect((error as unknown as Record<string, unknown>)[k], `${label} ${k}`).toEqual(v);
  return error as E;
}

/** Every message reachable from an error (message, stack, String(), causes), for leak checks. */
export function errorTexts(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 10; depth++) {
    if (cur instanceof Error) {
      parts.push(cur.message, String(cur.stack), String(cur));
      cur = (cur as { cause?: unknown }).cause;
    } else {
      parts.push(typeof cur === 'string' ? cur : JSON.stringify(cur) ?? '');
      break;
    }
  }
  return parts.join('\n');
}

// ------------------------------------------------------------------ raw access

/** A uuid as the raw driver parameter of one backend (16-byte blob on SQLite). */
export function idParam(raw: RawDb, id: string): unknown {
  return raw.backend === 'sqlite' ? uuidToBytes(id) : id;
}

/** `?` on SQLite, `$n` on PostgreSQL. */
export function ph(raw: RawDb, n: number): string {
  return raw.backend === 'sqlite' ? '?' : `$${n}`;
}

/** The undecoded row with this id (byte-for-byte comparisons), or undefined. */
export async function rawRow(raw: RawDb, table: string, id: string): Promise<Record<string, unknown> | undefined> {
  return (await raw.query(`SELECT * FROM ${table} WHERE id = ${ph(raw, 1)}`, [idParam(raw, id)]))[0];
}

export async function decodedRow<R>(raw: RawDb, table: TableDef, id: string): Promise<R | undefined> {
  const row = await rawRow(raw, table.name, id);
  return row === undefined ? undefined : rowDecoder<R>(table, raw.backend)(row);
}

export async function countRows(raw: RawDb, table: string): Promise<number> {
  return Number((await raw.query(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
}

/** Every execution event (optionally of one pipeline), decoded, in id (= write) order. */
export async function rawEvents(raw: RawDb, pipelineId?: string): Promise<ExecutionEvent[]> {
  const rows = pipelineId
    ? await raw.query(`SELECT * FROM execution_events WHERE pipeline_execution_id = ${ph(raw, 1)} ORDER BY id`, [idParam(raw, pipelineId)])
    : await raw.query('SELECT * FROM execution_events ORDER BY id');
  const decode = rowDecoder<ExecutionEvent>(EXECUTION_EVENTS, raw.backend);
  return rows.map(decode);
}

export async function rawPipeline(raw: RawDb, id: string): Promise<PipelineExecution | undefined> {
  return decodedRow<PipelineExecution>(raw, PIPELINE_EXECUTIONS, id);
}

export async function rawTask(raw: RawDb, id: string): Promise<TaskExecution | undefined> {
  return decodedRow<TaskExecution>(raw, TASK_EXECUTIONS, id);
}

// ------------------------------------------------------------------ ids

/** Index of a sequential test id (`…-000000000012` → 18). */
export function idIndex(id: string): number {
  return Number.parseInt(id.slice(-12), 16);
}

/** The next `n` ids the fixture's generator will hand out, without drawing them. */
export function nextIds(f: DalFixture, n: number): string[] {
  const first = idIndex(f.ids.peek());
  return Array.from({ length: n }, (_, k) => idAt(first + k));
}

// ------------------------------------------------------------------ expected records

export function pipelineRecord(p: Partial<PipelineExecution> & { id: string; pipelineName: string }): PipelineExecution {
  return {
    pipelineVersion: '1.0',
    status: 'Pending',
    contextId: null,
    finalContextId: null,
    startedAt: T0,
    completedAt: null,
    errorDetails: null,
    recoveryAttempts: 0,
    lastRecoveryAt: null,
    createdAt: p.startedAt ?? T0,
    updatedAt: p.startedAt ?? T0,
    ...p,
  };
}

export function taskRecord(t: Partial<TaskExecution> & { id: string; pipelineExecutionId: string; taskName: string }): TaskExecution {
  return {
    status: 'NotStarted',
    startedAt: null,
    completedAt: null,
    attempt: 1,
    maxAttempts: 1,
    errorDetails: null,
    triggerRules: { type: 'Always' },
    taskConfiguration: {},
    retryAt: null,
    lastError: null,
    recoveryAttempts: 0,
    lastRecoveryAt: null,
    claimedBy: null,
    heartbeatAt: null,
    createdAt: T0,
    updatedAt: T0,
    ...t,
  };
}

export function eventRecord(
  e: Pick<ExecutionEvent, 'id' | 'pipelineExecutionId' | 'eventType'> & Partial<ExecutionEvent>,
): ExecutionEvent {
  return { taskExecutionId: null, eventData: null, runnerId: 'test-runner', createdAt: T0, ...e };
}

/** A task spec with a full namespace name, as the runtime writes them. */
export function taskSpec(name: string, maxAttempts = 1, taskConfiguration: JsonObject = {}): NewTaskSpec {
  return { taskName: `public::pkg::wf::${name}`, maxAttempts, triggerRules: { type: 'Always' }, taskConfiguration };
}

/** True when `v` is a plain object (02 §1 "Records": no ORM entities, no prototypes beyond Object). */
export function isPlainRecord(v: unknown): boolean {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}

/** Resolves when `cond()` holds; rejects after `timeoutMs` (a wait, not a timing assertion). */
export async function waitFor(cond: () => boolean, timeoutMs = 1000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
