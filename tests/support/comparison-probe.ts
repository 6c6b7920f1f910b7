/**
 * A read probe (02 §10.3 step 2): every read method of every module, called for every id/key a
 * scenario produced, as plain steps, so it runs through the same comparer as any scenario.
 */
import { EXECUTION_EVENT_TYPES, RECOVERY_TYPES } from '@cloacina/core';
import type { CallStep, IdKind, IdPools, Ref } from './comparison-steps.js';
import { PACKAGE_NAMES, PACKAGE_VERSIONS, RUNNERS, TASK_NAMES, WORKFLOWS } from './comparison-values.js';

const HOUR = 3_600_000;

/** Every read method, per module, as a function of the ids each pool holds. */
export function readProbe(pools: IdPools): CallStep[] {
  const refs = (kind: IdKind): Ref[] => pools.get(kind).map((_, index) => ({ ref: kind, index }));
  const s = (method: string, ...args: unknown[]): CallStep => ({ method, args });
  const out: CallStep[] = [];
  const wide = { $at: -24 * HOUR };
  const later = { $now: 24 * HOUR };

  for (const c of refs('context')) out.push(s('context.read', c), s('context.find', c));
  out.push(s('context.list', 10_000, 0));

  const pipelines = refs('pipeline');
  for (const p of pipelines) {
    out.push(
      s('pipelineExecution.getById', p),
      s('pipelineExecution.findById', p),
      s('taskExecution.getAllTasksForPipeline', p),
      s('taskExecution.getPendingTasks', p),
      s('taskExecution.checkPipelineCompletion', p),
      s('taskExecution.getTaskStatusesBatch', p, TASK_NAMES),
      s('taskExecution.buildInputContext', p, []),
      s('taskExecution.buildInputContext', p, [...TASK_NAMES].reverse()),
      s('taskExecution.checkPipelineFailure', p),
      s('taskExecution.getRetryStats', p),
      s('taskExecution.getExhaustedRetryTasks', p),
      s('taskExecutionMetadata.getDependencyMetadata', p, TASK_NAMES),
      s('taskExecutionMetadata.getDependencyMetadataWithContexts', p, TASK_NAMES),
      s('recoveryEvent.getByPipeline', p),
      s('executionEvent.getByPipeline', p),
      s('cronExecution.getByPipelineExecutionId', p),
    );
    for (const name of TASK_NAMES) out.push(s('taskExecution.getTaskStatus', p, name), s('taskExecutionMetadata.getByPipelineAndTask', p, name));
  }
  out.push(
    s('pipelineExecution.getActiveExecutions'),
    s('pipelineExecution.listRecent', 10_000),
    s('taskExecution.getPendingTasksBatch', pipelines),
    s('taskExecution.getTasksForPipelines', pipelines),
    s('taskExecution.getReadyForRetry'),
    s('taskExecution.getOrphanedTasks'),
    s('taskExecution.findStaleClaims', later),
    s('taskExecution.findStaleClaims', later, 2),
  );
  for (const w of WORKFLOWS) out.push(s('pipelineExecution.getLastVersion', w), s('cronSchedule.findByWorkflow', w));
  for (const r of [...RUNNERS, 'cmp-runner']) out.push(s('taskExecution.findClaimsByRunner', r));

  for (const t of refs('task')) {
    out.push(
      s('taskExecution.getById', t),
      s('taskExecution.findById', t),
      s('taskExecutionMetadata.getByTaskExecution', t),
      s('recoveryEvent.getByTask', t),
      s('executionEvent.getByTask', t),
    );
  }
  for (const type of RECOVERY_TYPES) out.push(s('recoveryEvent.getByType', type));
  out.push(s('recoveryEvent.getWorkflowUnavailableEvents'), s('recoveryEvent.getRecent', 10_000));
  for (const type of EXECUTION_EVENT_TYPES) out.push(s('executionEvent.getByType', type, { since: wide, limit: 10_000, offset: 0 }));
  out.push(s('executionEvent.getRecent', 10_000));

  for (const c of refs('cronSchedule')) {
    out.push(
      s('cronSchedule.getById', c),
      s('cronSchedule.findById', c),
      s('cronExecution.getByScheduleId', c, 10_000, 0),
      s('cronExecution.getLatestBySchedule', c),
      s('cronExecution.countBySchedule', c),
    );
    for (let k = 0; k <= 6; k++) out.push(s('cronExecution.executionExists', c, { $at: k * 60_000 }));
  }
  out.push(
    s('cronSchedule.getDueSchedules', { $now: 0 }),
    s('cronSchedule.getDueSchedules', later),
    s('cronSchedule.list', { limit: 10_000 }),
    s('cronSchedule.list', { enabledOnly: true, limit: 10_000 }),
    s('cronSchedule.count'),
    s('cronSchedule.count', { enabledOnly: true }),
  );
  for (const e of refs('cronExecution')) out.push(s('cronExecution.getById', e), s('cronExecution.findById', e));
  out.push(
    s('cronExecution.getByTimeRange', wide, later, 10_000, 0),
    s('cronExecution.findLostExecutions', 0),
    s('cronExecution.getExecutionStats', wide),
    s('cronExecution.getExecutionStats', wide, { lostThresholdMinutes: 0 }),
  );

  for (const name of PACKAGE_NAMES) for (const version of PACKAGE_VERSIONS) out.push(s('workflowPackages.getPackageMetadata', name, version));
  for (const p of refs('package')) out.push(s('workflowPackages.getPackageMetadataById', p));
  out.push(s('workflowPackages.listAllPackages'));
  for (const b of refs('binary')) out.push(s('workflowRegistryStorage.retrieveBinary', b));
  return out;
}
