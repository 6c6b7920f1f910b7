/** Entities of the execution tables (01 §4.1–4.6). */
import { col } from './columns.js';
import { defineEntity } from './define.js';

export const ContextEntity = defineEntity('Context', 'contexts', {
  id: col.uuid({ primary: true }),
  value: col.json(),
  createdAt: col.ts(),
  updatedAt: col.ts(),
});

export const PipelineExecutionEntity = defineEntity('PipelineExecution', 'pipeline_executions', {
  id: col.uuid({ primary: true }),
  pipelineName: col.text(),
  pipelineVersion: col.text(),
  status: col.text(),
  contextId: col.uuid({ nullable: true }),
  finalContextId: col.uuid({ nullable: true }),
  startedAt: col.ts(),
  completedAt: col.ts({ nullable: true }),
  errorDetails: col.text({ nullable: true }),
  recoveryAttempts: col.int(),
  lastRecoveryAt: col.ts({ nullable: true }),
  createdAt: col.ts(),
  updatedAt: col.ts(),
});

export const TaskExecutionEntity = defineEntity('TaskExecution', 'task_executions', {
  id: col.uuid({ primary: true }),
  pipelineExecutionId: col.uuid(),
  taskName: col.text(),
  status: col.text(),
  startedAt: col.ts({ nullable: true }),
  completedAt: col.ts({ nullable: true }),
  attempt: col.int(),
  maxAttempts: col.int(),
  errorDetails: col.text({ nullable: true }),
  triggerRules: col.json(),
  taskConfiguration: col.json(),
  retryAt: col.ts({ nullable: true }),
  lastError: col.text({ nullable: true }),
  recoveryAttempts: col.int(),
  lastRecoveryAt: col.ts({ nullable: true }),
  claimedBy: col.text({ nullable: true }),
  heartbeatAt: col.ts({ nullable: true }),
  createdAt: col.ts(),
  updatedAt: col.ts(),
});

export const TaskExecutionMetadataEntity = defineEntity('TaskExecutionMetadata', 'task_execution_metadata', {
  id: col.uuid({ primary: true }),
  taskExecutionId: col.uuid(),
  pipelineExecutionId: col.uuid(),
  taskName: col.text(),
  contextId: col.uuid({ nullable: true }),
  createdAt: col.ts(),
  updatedAt: col.ts(),
});

export const RecoveryEventEntity = defineEntity('RecoveryEvent', 'recovery_events', {
  id: col.uuid({ primary: true }),
  pipelineExecutionId: col.uuid(),
  taskExecutionId: col.uuid({ nullable: true }),
  recoveryType: col.text(),
  recoveredAt: col.ts(),
  details: col.json({ nullable: true }),
  createdAt: col.ts(),
  updatedAt: col.ts(),
});

export const ExecutionEventEntity = defineEntity('ExecutionEvent', 'execution_events', {
  id: col.uuid({ primary: true }),
  pipelineExecutionId: col.uuid(),
  taskExecutionId: col.uuid({ nullable: true }),
  eventType: col.text(),
  eventData: col.json({ nullable: true }),
  runnerId: col.text({ nullable: true }),
  createdAt: col.ts(),
});
