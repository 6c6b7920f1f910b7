import type { TableDef } from './tables.js';

const id = { name: 'id', type: 'uuid' } as const;
const ts = (name: string, nullable = false) => ({ name, type: 'ts' as const, nullable });

export const EXECUTION_EVENTS: TableDef = {
  name: 'execution_events',
  columns: [
    id,
    { name: 'pipeline_execution_id', type: 'uuid' },
    { name: 'task_execution_id', type: 'uuid', nullable: true },
    { name: 'event_type', type: 'text', check: 'length($) BETWEEN 1 AND 64' },
    { name: 'event_data', type: 'json', nullable: true },
    { name: 'runner_id', type: 'text', nullable: true },
    ts('created_at'),
  ],
  foreignKeys: [
    { name: 'execution_events_pipeline_fk', column: 'pipeline_execution_id', parent: 'pipeline_executions', onDelete: 'CASCADE' },
    { name: 'execution_events_task_fk', column: 'task_execution_id', parent: 'task_executions', onDelete: 'CASCADE' },
  ],
  indexes: [
    { name: 'execution_events_pipeline_idx', columns: ['pipeline_execution_id', 'id'] },
    {
      name: 'execution_events_task_idx',
      columns: ['task_execution_id'],
      where: { postgres: 'task_execution_id IS NOT NULL', sqlite: 'task_execution_id IS NOT NULL' },
    },
    { name: 'execution_events_type_idx', columns: ['event_type', 'created_at'] },
    { name: 'execution_events_created_idx', columns: ['created_at', 'id'] },
  ],
};

export const CRON_SCHEDULES: TableDef = {
  name: 'cron_schedules',
  columns: [
    id,
    { name: 'workflow_name', type: 'text', check: 'length($) >= 1' },
    { name: 'cron_expression', type: 'text', check: 'length($) >= 1' },
    { name: 'timezone', type: 'text', default: 'UTC' },
    { name: 'enabled', type: 'bool', default: true },
    { name: 'catchup_policy', type: 'text', default: 'skip', check: "$ IN ('skip', 'run_once', 'run_all')" },
    ts('start_date', true),
    ts('end_date', true),
    ts('next_run_at'),
    ts('last_run_at', true),
    ts('created_at'),
    ts('updated_at'),
  ],
  checks: [
    { name: 'cron_schedules_window_check', sql: 'start_date IS NULL OR end_date IS NULL OR start_date <= end_date' },
  ],
  indexes: [
    { name: 'cron_schedules_polling_idx', columns: ['next_run_at', 'id'], where: { postgres: 'enabled', sqlite: 'enabled = 1' } },
    { name: 'cron_schedules_workflow_idx', columns: ['workflow_name', 'enabled'] },
    { name: 'cron_schedules_window_idx', columns: ['start_date', 'end_date'] },
  ],
};

export const CRON_EXECUTIONS: TableDef = {
  name: 'cron_executions',
  columns: [
    id,
    { name: 'schedule_id', type: 'uuid' },
    { name: 'pipeline_execution_id', type: 'uuid', nullable: true },
    ts('scheduled_time'),
    ts('claimed_at'),
    ts('created_at'),
    ts('updated_at'),
  ],
  unique: [{ name: 'cron_executions_schedule_time_key', columns: ['schedule_id', 'scheduled_time'] }],
  foreignKeys: [
    { name: 'cron_executions_schedule_fk', column: 'schedule_id', parent: 'cron_schedules', onDelete: 'CASCADE' },
    { name: 'cron_executions_pipeline_fk', column: 'pipeline_execution_id', parent: 'pipeline_executions', onDelete: 'CASCADE' },
  ],
  indexes: [
    {
      name: 'cron_executions_pipeline_idx',
      columns: ['pipeline_execution_id'],
      where: { postgres: 'pipeline_execution_id IS NOT NULL', sqlite: 'pipeline_execution_id IS NOT NULL' },
    },
    { name: 'cron_executions_claimed_idx', columns: ['claimed_at', 'id'] },
    { name: 'cron_executions_scheduled_idx', columns: ['scheduled_time', 'id'] },
  ],
};

export const WORKFLOW_REGISTRY: TableDef = {
  name: 'workflow_registry',
  columns: [id, ts('created_at'), { name: 'data', type: 'bytes' }],
  indexes: [{ name: 'workflow_registry_created_idx', columns: ['created_at', 'id'] }],
};

export const WORKFLOW_PACKAGES: TableDef = {
  name: 'workflow_packages',
  columns: [
    id,
    { name: 'registry_id', type: 'uuid' },
    { name: 'package_name', type: 'text', check: 'length($) BETWEEN 1 AND 255' },
    { name: 'version', type: 'text', check: 'length($) BETWEEN 1 AND 100' },
    { name: 'description', type: 'text', nullable: true },
    { name: 'author', type: 'text', nullable: true, check: 'length($) <= 255' },
    { name: 'metadata', type: 'json', default: '{}' },
    { name: 'storage_type', type: 'text', default: 'database', check: "$ IN ('database', 'filesystem')" },
    ts('created_at'),
    ts('updated_at'),
  ],
  unique: [{ name: 'workflow_packages_name_version_key', columns: ['package_name', 'version'] }],
  checks: [
    { name: 'workflow_packages_metadata_object_check', sql: { postgres: "jsonb_typeof(metadata) = 'object'", sqlite: "json_type(metadata) = 'object'" } },
  ],
  indexes: [
    { name: 'workflow_packages_registry_idx', columns: ['registry_id'] },
    { name: 'workflow_packages_created_idx', columns: ['created_at', 'id'] },
    { name: 'workflow_packages_storage_type_idx', columns: ['storage_type'] },
  ],
};
