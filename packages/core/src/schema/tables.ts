/**
 * The ten tables of spec 01 §4 as data. DDL for both backends is generated from this one
 * description (ddl.ts), so the two schemas cannot drift apart; a golden test pins the output.
 */
export type Logical = 'uuid' | 'ts' | 'bool' | 'json' | 'bytes' | 'int' | 'text';

export interface ColumnDef {
  name: string;
  type: Logical;
  nullable?: boolean;
  /** DDL default as a logical value (rendered per backend). */
  default?: string | number | boolean;
  /** Extra CHECK on this column, written with `$` for the column name (same SQL on both backends). */
  check?: string;
}

export interface ForeignKeyDef {
  name: string;
  column: string;
  parent: string;
  onDelete: 'CASCADE' | 'RESTRICT';
}

export interface IndexDef {
  name: string;
  columns: string[];
  /** Partial-index predicate per backend. */
  where?: { postgres: string; sqlite: string };
}

export interface TableDef {
  name: string;
  columns: ColumnDef[];
  unique?: { name: string; columns: string[] }[];
  foreignKeys?: ForeignKeyDef[];
  /** Table-level CHECKs: same SQL on both backends unless given per backend. */
  checks?: { name: string; sql: string | { postgres: string; sqlite: string } }[];
  indexes?: IndexDef[];
}

const ts = (name: string, nullable = false): ColumnDef => ({ name, type: 'ts', nullable });
const id: ColumnDef = { name: 'id', type: 'uuid' };
const nonEmpty = 'length($) >= 1';
const inList = (values: string[]) => `$ IN (${values.map((v) => `'${v}'`).join(', ')})`;

export const CONTEXTS: TableDef = {
  name: 'contexts',
  columns: [id, { name: 'value', type: 'json' }, ts('created_at'), ts('updated_at')],
  checks: [
    { name: 'contexts_value_object_check', sql: { postgres: "jsonb_typeof(value) = 'object'", sqlite: "json_type(value) = 'object'" } },
  ],
  indexes: [{ name: 'contexts_created_idx', columns: ['created_at', 'id'] }],
};

export const PIPELINE_EXECUTIONS: TableDef = {
  name: 'pipeline_executions',
  columns: [
    id,
    { name: 'pipeline_name', type: 'text', check: nonEmpty },
    { name: 'pipeline_version', type: 'text', default: '1.0', check: nonEmpty },
    { name: 'status', type: 'text', default: 'Pending', check: inList(['Pending', 'Running', 'Completed', 'Failed', 'Cancelled']) },
    { name: 'context_id', type: 'uuid', nullable: true },
    { name: 'final_context_id', type: 'uuid', nullable: true },
    ts('started_at'),
    ts('completed_at', true),
    { name: 'error_details', type: 'text', nullable: true },
    { name: 'recovery_attempts', type: 'int', default: 0, check: '$ >= 0' },
    ts('last_recovery_at', true),
    ts('created_at'),
    ts('updated_at'),
  ],
  foreignKeys: [
    { name: 'pipeline_executions_context_fk', column: 'context_id', parent: 'contexts', onDelete: 'RESTRICT' },
    { name: 'pipeline_executions_final_context_fk', column: 'final_context_id', parent: 'contexts', onDelete: 'RESTRICT' },
  ],
  checks: [
    {
      name: 'pipeline_executions_completed_at_check',
      sql: "(completed_at IS NULL) = (status IN ('Pending', 'Running'))",
    },
  ],
  indexes: [
    { name: 'pipeline_executions_status_idx', columns: ['status'] },
    { name: 'pipeline_executions_name_version_idx', columns: ['pipeline_name', 'pipeline_version'] },
    { name: 'pipeline_executions_name_started_idx', columns: ['pipeline_name', 'started_at', 'id'] },
    { name: 'pipeline_executions_started_idx', columns: ['started_at', 'id'] },
    { name: 'pipeline_executions_context_idx', columns: ['context_id'] },
    { name: 'pipeline_executions_final_context_idx', columns: ['final_context_id'] },
  ],
};

export const TASK_EXECUTIONS: TableDef = {
  name: 'task_executions',
  columns: [
    id,
    { name: 'pipeline_execution_id', type: 'uuid' },
    { name: 'task_name', type: 'text', check: nonEmpty },
    { name: 'status', type: 'text', default: 'NotStarted', check: inList(['NotStarted', 'Ready', 'Running', 'Completed', 'Failed', 'Skipped']) },
    ts('started_at', true),
    ts('completed_at', true),
    { name: 'attempt', type: 'int', default: 1, check: '$ >= 1' },
    { name: 'max_attempts', type: 'int', default: 1, check: '$ >= 1' },
    { name: 'error_details', type: 'text', nullable: true },
    { name: 'trigger_rules', type: 'json', default: '{"type":"Always"}' },
    { name: 'task_configuration', type: 'json', default: '{}' },
    ts('retry_at', true),
    { name: 'last_error', type: 'text', nullable: true },
    { name: 'recovery_attempts', type: 'int', default: 0, check: '$ >= 0' },
    ts('last_recovery_at', true),
    { name: 'claimed_by', type: 'text', nullable: true, check: nonEmpty },
    ts('heartbeat_at', true),
    ts('created_at'),
    ts('updated_at'),
  ],
  unique: [{ name: 'task_executions_pipeline_task_key', columns: ['pipeline_execution_id', 'task_name'] }],
  foreignKeys: [
    { name: 'task_executions_pipeline_fk', column: 'pipeline_execution_id', parent: 'pipeline_executions', onDelete: 'CASCADE' },
  ],
  checks: [
    {
      name: 'task_executions_lease_check',
      sql:
        "(status = 'Running' AND claimed_by IS NOT NULL AND heartbeat_at IS NOT NULL) OR " +
        "(status <> 'Running' AND claimed_by IS NULL AND heartbeat_at IS NULL)",
    },
    {
      name: 'task_executions_completed_at_check',
      sql: "(completed_at IS NOT NULL) = (status IN ('Completed', 'Failed', 'Skipped'))",
    },
  ],
  indexes: [
    { name: 'task_executions_status_idx', columns: ['status'] },
    { name: 'task_executions_task_name_idx', columns: ['task_name'] },
    { name: 'task_executions_ready_idx', columns: ['id'], where: { postgres: "status = 'Ready'", sqlite: "status = 'Ready'" } },
    {
      name: 'task_executions_lease_idx',
      columns: ['heartbeat_at', 'id'],
      where: { postgres: "status = 'Running'", sqlite: "status = 'Running'" },
    },
    {
      name: 'task_executions_claimed_by_idx',
      columns: ['claimed_by'],
      where: { postgres: 'claimed_by IS NOT NULL', sqlite: 'claimed_by IS NOT NULL' },
    },
  ],
};

export const TASK_EXECUTION_METADATA: TableDef = {
  name: 'task_execution_metadata',
  columns: [
    id,
    { name: 'task_execution_id', type: 'uuid' },
    { name: 'pipeline_execution_id', type: 'uuid' },
    { name: 'task_name', type: 'text', check: nonEmpty },
    { name: 'context_id', type: 'uuid', nullable: true },
    ts('created_at'),
    ts('updated_at'),
  ],
  unique: [
    { name: 'task_execution_metadata_task_key', columns: ['task_execution_id'] },
    { name: 'task_execution_metadata_pipeline_task_key', columns: ['pipeline_execution_id', 'task_name'] },
  ],
  foreignKeys: [
    { name: 'task_execution_metadata_task_fk', column: 'task_execution_id', parent: 'task_executions', onDelete: 'CASCADE' },
    { name: 'task_execution_metadata_pipeline_fk', column: 'pipeline_execution_id', parent: 'pipeline_executions', onDelete: 'CASCADE' },
    { name: 'task_execution_metadata_context_fk', column: 'context_id', parent: 'contexts', onDelete: 'RESTRICT' },
  ],
  indexes: [{ name: 'task_execution_metadata_context_idx', columns: ['context_id'] }],
};

export const RECOVERY_EVENTS: TableDef = {
  name: 'recovery_events',
  columns: [
    id,
    { name: 'pipeline_execution_id', type: 'uuid' },
    { name: 'task_execution_id', type: 'uuid', nullable: true },
    { name: 'recovery_type', type: 'text' },
    ts('recovered_at'),
    { name: 'details', type: 'json', nullable: true },
    ts('created_at'),
    ts('updated_at'),
  ],
  foreignKeys: [
    { name: 'recovery_events_pipeline_fk', column: 'pipeline_execution_id', parent: 'pipeline_executions', onDelete: 'CASCADE' },
    { name: 'recovery_events_task_fk', column: 'task_execution_id', parent: 'task_executions', onDelete: 'CASCADE' },
  ],
  indexes: [
    { name: 'recovery_events_pipeline_idx', columns: ['pipeline_execution_id'] },
    {
      name: 'recovery_events_task_idx',
      columns: ['task_execution_id'],
      where: { postgres: 'task_execution_id IS NOT NULL', sqlite: 'task_execution_id IS NOT NULL' },
    },
    { name: 'recovery_events_type_idx', columns: ['recovery_type', 'recovered_at'] },
    { name: 'recovery_events_recovered_idx', columns: ['recovered_at', 'id'] },
  ],
};
