/** Entities of the cron and registry tables (01 §4.7–4.10). */
import { col } from './columns.js';
import { defineEntity } from './define.js';

export const CronScheduleEntity = defineEntity('CronSchedule', 'cron_schedules', {
  id: col.uuid({ primary: true }),
  workflowName: col.text(),
  cronExpression: col.text(),
  timezone: col.text(),
  enabled: col.bool(),
  catchupPolicy: col.text(),
  startDate: col.ts({ nullable: true }),
  endDate: col.ts({ nullable: true }),
  nextRunAt: col.ts(),
  lastRunAt: col.ts({ nullable: true }),
  createdAt: col.ts(),
  updatedAt: col.ts(),
});

export const CronExecutionEntity = defineEntity('CronExecution', 'cron_executions', {
  id: col.uuid({ primary: true }),
  scheduleId: col.uuid(),
  pipelineExecutionId: col.uuid({ nullable: true }),
  scheduledTime: col.ts(),
  claimedAt: col.ts(),
  createdAt: col.ts(),
  updatedAt: col.ts(),
});

export const WorkflowRegistryEntity = defineEntity('WorkflowRegistry', 'workflow_registry', {
  id: col.uuid({ primary: true }),
  createdAt: col.ts(),
  data: col.bytes(),
});

export const WorkflowPackageEntity = defineEntity('WorkflowPackage', 'workflow_packages', {
  id: col.uuid({ primary: true }),
  registryId: col.uuid(),
  packageName: col.text(),
  version: col.text(),
  description: col.text({ nullable: true }),
  author: col.text({ nullable: true }),
  metadata: col.json(),
  storageType: col.text(),
  createdAt: col.ts(),
  updatedAt: col.ts(),
});
