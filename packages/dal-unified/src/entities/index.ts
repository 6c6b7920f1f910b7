/**
 * The one entity set of the unified DAL: ten EntitySchemas (no decorators), declared once by
 * logical type and materialised per backend when the DataSource is built.
 */
import type { EntitySchema } from 'typeorm';
import type { Backend } from '@cloacina/core';
import { buildEntitySchema, type EntityDef } from './define.js';
import {
  ContextEntity,
  ExecutionEventEntity,
  PipelineExecutionEntity,
  RecoveryEventEntity,
  TaskExecutionEntity,
  TaskExecutionMetadataEntity,
} from './execution.js';
import { CronExecutionEntity, CronScheduleEntity, WorkflowPackageEntity, WorkflowRegistryEntity } from './cron-registry.js';

export * from './columns.js';
export * from './define.js';
export * from './execution.js';
export * from './cron-registry.js';

/** Keys under which the DAL refers to its tables. */
export const ENTITY_DEFS = {
  contexts: ContextEntity,
  pipelines: PipelineExecutionEntity,
  tasks: TaskExecutionEntity,
  metadata: TaskExecutionMetadataEntity,
  recoveryEvents: RecoveryEventEntity,
  executionEvents: ExecutionEventEntity,
  cronSchedules: CronScheduleEntity,
  cronExecutions: CronExecutionEntity,
  registry: WorkflowRegistryEntity,
  packages: WorkflowPackageEntity,
} as const satisfies Record<string, EntityDef>;

export type EntityKey = keyof typeof ENTITY_DEFS;
export type EntitySchemas = Record<EntityKey, EntitySchema<Record<string, unknown>>>;

/** The entity set for one backend (column types and transformers chosen here). */
export function buildEntities(backend: Backend): EntitySchemas {
  const out = {} as EntitySchemas;
  for (const [key, def] of Object.entries(ENTITY_DEFS) as [EntityKey, EntityDef][]) out[key] = buildEntitySchema(def, backend);
  return out;
}
