/**
 * Per-backend record codecs of the legacy DALs: one decoder per table (raw snake_case row →
 * record) and a cached encoder (record → column list and driver values), both derived from
 * the schema tables, so the hand-written SQL of each DAL shares one conversion path.
 */
import type { SqlBackend } from '../../schema/ddl.js';
import { CONTEXTS, PIPELINE_EXECUTIONS, RECOVERY_EVENTS, TASK_EXECUTION_METADATA, TASK_EXECUTIONS, type TableDef } from '../../schema/tables.js';
import { CRON_EXECUTIONS, CRON_SCHEDULES, EXECUTION_EVENTS, WORKFLOW_PACKAGES, WORKFLOW_REGISTRY } from '../../schema/tables-2.js';
import type * as M from '../../models/records.js';
import { rowDecoder, rowEncoder } from './rows.js';

type Decoder<R> = (raw: Record<string, unknown>) => R;

export interface RecordDecoders {
  context: Decoder<M.ContextRecord>;
  pipeline: Decoder<M.PipelineExecution>;
  task: Decoder<M.TaskExecution>;
  metadata: Decoder<M.TaskExecutionMetadata>;
  recoveryEvent: Decoder<M.RecoveryEvent>;
  executionEvent: Decoder<M.ExecutionEvent>;
  cronSchedule: Decoder<M.CronSchedule>;
  cronExecution: Decoder<M.CronExecution>;
  workflowPackage: Decoder<M.WorkflowPackage>;
  registry: Decoder<M.WorkflowRegistryEntry>;
}

/** Decoders of every table for one backend (build once per module, they are pure). */
export function recordDecoders(backend: SqlBackend): RecordDecoders {
  return {
    context: rowDecoder<M.ContextRecord>(CONTEXTS, backend),
    pipeline: rowDecoder<M.PipelineExecution>(PIPELINE_EXECUTIONS, backend),
    task: rowDecoder<M.TaskExecution>(TASK_EXECUTIONS, backend),
    metadata: rowDecoder<M.TaskExecutionMetadata>(TASK_EXECUTION_METADATA, backend),
    recoveryEvent: rowDecoder<M.RecoveryEvent>(RECOVERY_EVENTS, backend),
    executionEvent: rowDecoder<M.ExecutionEvent>(EXECUTION_EVENTS, backend),
    cronSchedule: rowDecoder<M.CronSchedule>(CRON_SCHEDULES, backend),
    cronExecution: rowDecoder<M.CronExecution>(CRON_EXECUTIONS, backend),
    workflowPackage: rowDecoder<M.WorkflowPackage>(WORKFLOW_PACKAGES, backend),
    registry: rowDecoder<M.WorkflowRegistryEntry>(WORKFLOW_REGISTRY, backend),
  };
}

export type RecordEncoder = (table: TableDef, record: object) => { columns: string[]; values: unknown[] };

/** Encodes a camelCase record (or partial) of any table; each table's encoder is built once. */
export function recordEncoder(backend: SqlBackend): RecordEncoder {
  const cache = new Map<TableDef, ReturnType<typeof rowEncoder>>();
  return (table, record) => {
    let enc = cache.get(table);
    if (!enc) cache.set(table, (enc = rowEncoder(table, backend)));
    return enc(record as Record<string, unknown>);
  };
}
