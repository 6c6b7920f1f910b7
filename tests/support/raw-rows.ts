/**
 * Raw reads that bypass the DAL under test: exact stored rows (for "unchanged byte for byte"
 * checks), decoded records (state checks that do not trust the DAL's own readers), and
 * expected execution events.
 */
import {
  CONTEXTS,
  EXECUTION_EVENTS,
  PIPELINE_EXECUTIONS,
  rowDecoder,
  TASK_EXECUTION_METADATA,
  TASK_EXECUTIONS,
  uuidToBytes,
  type ContextRecord,
  type ExecutionEvent,
  type ExecutionEventType,
  type JsonObject,
  type PipelineExecution,
  type TableDef,
  type TaskExecution,
  type TaskExecutionMetadata,
} from '@cloacina/core';
import { idAt } from './determinism.js';
import type { RawDb } from './raw-db.js';

function idParam(raw: RawDb, id: string): unknown {
  return raw.backend === 'sqlite' ? uuidToBytes(id) : id;
}

/**
 * The stored row exactly as the database holds it: PostgreSQL's own text rendering of the
 * whole row (microseconds, jsonb text), SQLite's raw values (blobs and text). Throws if missing.
 */
export async function exactRow(raw: RawDb, table: string, id: string): Promise<unknown> {
  const rows =
    raw.backend === 'postgres'
      ? (await raw.query(`SELECT row_to_json(t)::text AS j FROM ${table} t WHERE id = $1`, [id])).map((r) => r.j)
      : await raw.query(`SELECT * FROM ${table} WHERE id = ?`, [idParam(raw, id)]);
  // A missing row would make "unchanged" comparisons vacuous (undefined equals undefined).
  if (rows.length !== 1) throw new Error(`no ${table} row ${id}`);
  return rows[0];
}

/** Every stored row of a table, exactly (see exactRow), ordered by id. */
export async function exactTable(raw: RawDb, table: string): Promise<unknown[]> {
  if (raw.backend === 'postgres') {
    return (await raw.query(`SELECT row_to_json(t)::text AS j FROM ${table} t ORDER BY id`)).map((r) => r.j);
  }
  return raw.query(`SELECT * FROM ${table} ORDER BY id`);
}

/** Decoded records of a table, ordered by id. */
export async function records<R>(raw: RawDb, table: TableDef): Promise<R[]> {
  const decode = rowDecoder<R>(table, raw.backend);
  return (await raw.query(`SELECT * FROM ${table.name} ORDER BY id`)).map(decode);
}

/** One decoded record by id (throws if the row is missing). */
export async function recordById<R>(raw: RawDb, table: TableDef, id: string): Promise<R> {
  const rows = await raw.query(`SELECT * FROM ${table.name} WHERE id = ${raw.backend === 'postgres' ? '$1' : '?'}`, [idParam(raw, id)]);
  if (rows.length !== 1) throw new Error(`no ${table.name} row ${id}`);
  return rowDecoder<R>(table, raw.backend)(rows[0]!);
}

export async function taskRecord(raw: RawDb, id: string): Promise<TaskExecution> {
  return recordById<TaskExecution>(raw, TASK_EXECUTIONS, id);
}

export async function pipelineRecord(raw: RawDb, id: string): Promise<PipelineExecution> {
  return recordById<PipelineExecution>(raw, PIPELINE_EXECUTIONS, id);
}

export async function allTasks(raw: RawDb): Promise<TaskExecution[]> {
  return records<TaskExecution>(raw, TASK_EXECUTIONS);
}

export async function allMetadata(raw: RawDb): Promise<TaskExecutionMetadata[]> {
  return records<TaskExecutionMetadata>(raw, TASK_EXECUTION_METADATA);
}

export async function allContexts(raw: RawDb): Promise<ContextRecord[]> {
  return records<ContextRecord>(raw, CONTEXTS);
}

export async function countRows(raw: RawDb, table: string): Promise<number> {
  const rows = await raw.query(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]!.n);
}

/** Execution events whose id is at or after idAt(fromIndex), in id (write) order. */
export async function eventsFrom(raw: RawDb, fromIndex = 0): Promise<ExecutionEvent[]> {
  const from = idAt(fromIndex);
  return (await records<ExecutionEvent>(raw, EXECUTION_EVENTS)).filter((e) => e.id >= from);
}

/** An expected execution_events record. */
export function event(
  index: number,
  type: ExecutionEventType,
  pipelineExecutionId: string,
  taskExecutionId: string | null,
  eventData: JsonObject | null,
  runnerId: string | null,
  createdAt: Date,
): ExecutionEvent {
  return { id: idAt(index), pipelineExecutionId, taskExecutionId, eventType: type, eventData, runnerId, createdAt };
}

/** Lease consistency (01 §4.3, §11.4): claimed_by and heartbeat_at set exactly while Running. */
export function leaseConsistent(t: Pick<TaskExecution, 'status' | 'claimedBy' | 'heartbeatAt'>): boolean {
  const running = t.status === 'Running';
  return running === (t.claimedBy !== null) && running === (t.heartbeatAt !== null);
}

/** The rejection reason of a promise that must reject (fails the test if it resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to reject, but it resolved');
}
