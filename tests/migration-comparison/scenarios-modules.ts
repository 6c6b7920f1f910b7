/**
 * Hand-written scenarios (02 §10.1 (a)) for the methods outside the state tables: one tour per
 * module, each method called with valid and invalid input, plus transactions. Together with
 * scenarios-state-machines.ts every method of 02 §4 is called at least once (checked by
 * state-machines.test.ts against the generator's method list).
 */
import type { Step } from '../support/comparison-steps.js';
import { TASK_NAMES } from '../support/comparison-values.js';
import { advance, C, createRun, MALFORMED, P, s, T, tx, UNKNOWN } from './scenarios-state-machines.js';

const CS = (index: number) => ({ ref: 'cronSchedule', index });
const CE = (index: number) => ({ ref: 'cronExecution', index });
const PK = (index: number) => ({ ref: 'package', index });
const BIN = (index: number) => ({ ref: 'binary', index });
const tasksOf = (p: number) => s('taskExecution.getAllTasksForPipeline', P(p));
const at = (minutes: number) => ({ $at: minutes * 60_000 });
const manifest = (name: string, version: string, extra: object = {}) => ({
  formatVersion: 1, name, version, entry: 'workflows.mjs', cloacinaVersion: '1.0.0', fingerprint: `sha256:${'0'.repeat(64)}`,
  workflows: [{ name: 'analytics', tasks: [{ id: 'extract', dependencies: [] }] }], ...extra,
});

export const MODULE_SCENARIOS: Record<string, Step[]> = {
  'context module': [
    s('context.create', { a: 1, nested: { b: [true, null, 'é'] } }), s('context.create', {}), advance(0), s('context.create', { z: 'tie' }),
    s('context.create', { bad: 'nul\u0000' }), s('context.create', [1]), s('context.read', C(0)), s('context.find', C(0)),
    s('context.read', UNKNOWN), s('context.find', UNKNOWN), s('context.read', MALFORMED), s('context.update', C(0), {}), s('context.update', C(1), { u: 2 }),
    s('context.update', UNKNOWN, { u: 1 }), s('context.list', 1, 1), s('context.list', 10, 0), s('context.list', -1, 0), s('context.list', 1, -1),
    s('pipelineExecution.create', { pipelineName: 'wf-a', contextId: C(0) }), s('context.delete', C(0)), s('context.delete', C(1)), s('context.delete', C(1)),
    advance(10), s('context.create', { late: 1 }), s('context.deleteUnreferenced', { $now: 0 }), s('context.deleteUnreferenced', { $now: 1 }), s('context.list', 10, 0),
  ],
  'pipeline and task queries': [
    createRun('wf-a'), advance(0), createRun('wf-b'), s('pipelineExecution.create', { pipelineName: 'wf-a', pipelineVersion: '2.0' }),
    s('pipelineExecution.findById', UNKNOWN), s('pipelineExecution.getById', UNKNOWN), s('pipelineExecution.getLastVersion', 'wf-a'), s('pipelineExecution.getLastVersion', 'none'),
    s('pipelineExecution.listRecent', 2), s('pipelineExecution.listRecent', 0), s('taskExecution.getById', T(4)), s('taskExecution.findById', UNKNOWN),
    s('taskExecution.getById', UNKNOWN), s('taskExecution.getPendingTasks', P(1)), s('taskExecution.getPendingTasksBatch', [P(1), P(0), UNKNOWN]),
    s('taskExecution.getPendingTasksBatch', []), s('taskExecution.getTasksForPipelines', [P(1), P(0)]), s('taskExecution.getTasksForPipelines', []),
    s('taskExecution.checkPipelineCompletion', P(2)), s('taskExecution.checkPipelineCompletion', P(0)), s('taskExecution.checkPipelineCompletion', UNKNOWN),
    s('taskExecution.getTaskStatus', P(0), TASK_NAMES[1]), s('taskExecution.getTaskStatus', P(0), TASK_NAMES[3]),
    s('taskExecution.getTaskStatusesBatch', P(0), [TASK_NAMES[3], TASK_NAMES[0]]), s('taskExecution.getTaskStatusesBatch', P(0), []),
    s('taskExecution.getAllTasksForPipeline', MALFORMED), s('taskExecution.buildInputContext', P(0), []), s('taskExecution.buildInputContext', P(1), []),
    s('taskExecution.buildInputContext', UNKNOWN, []), s('taskExecution.getRetryStats', P(2)), s('taskExecution.checkPipelineFailure', P(0)),
  ],
  'task execution metadata': [
    createRun(), s('context.create', { m: 1 }),
    s('taskExecutionMetadata.create', { taskExecutionId: T(0), pipelineExecutionId: P(0), taskName: TASK_NAMES[0], contextId: C(1) }),
    s('taskExecutionMetadata.create', { taskExecutionId: T(0), pipelineExecutionId: P(0), taskName: TASK_NAMES[0] }),
    advance(5), s('taskExecutionMetadata.upsertTaskExecutionMetadata', { taskExecutionId: T(0), pipelineExecutionId: P(0), taskName: TASK_NAMES[0], contextId: null }),
    s('taskExecutionMetadata.upsertTaskExecutionMetadata', { taskExecutionId: T(1), pipelineExecutionId: P(0), taskName: TASK_NAMES[0] }),
    s('taskExecutionMetadata.upsertTaskExecutionMetadata', { taskExecutionId: T(1), pipelineExecutionId: P(0), taskName: TASK_NAMES[1], contextId: C(1) }),
    s('taskExecutionMetadata.create', { taskExecutionId: T(2), pipelineExecutionId: UNKNOWN, taskName: TASK_NAMES[2] }),
    s('taskExecutionMetadata.getByPipelineAndTask', P(0), TASK_NAMES[1]),
    s('taskExecutionMetadata.getByPipelineAndTask', P(0), { tenantId: 'public', packageName: 'embedded', workflowId: 'wf', taskId: 't1' }),
    s('taskExecutionMetadata.getByPipelineAndTask', P(0), TASK_NAMES[3]), s('taskExecutionMetadata.getByTaskExecution', T(1)),
    // Decision: a TaskNamespace with missing parts (or a non-string task) is invalid input, like any
    // malformed argument (02 §1 "Inputs"), not a name 'public::undefined::…' to look up.
    s('taskExecutionMetadata.getByPipelineAndTask', P(0), { tenantId: 'public' }), s('taskExecutionMetadata.getByPipelineAndTask', P(0), 42),
    s('taskExecutionMetadata.getByTaskExecution', T(2)), s('taskExecutionMetadata.updateContextId', T(0), C(1)), s('taskExecutionMetadata.updateContextId', T(2), null),
    s('taskExecutionMetadata.updateContextId', T(0), UNKNOWN),
    s('taskExecutionMetadata.getDependencyMetadata', P(0), [TASK_NAMES[1], TASK_NAMES[3], TASK_NAMES[0], TASK_NAMES[1]]),
    s('taskExecutionMetadata.getDependencyMetadataWithContexts', P(0), [TASK_NAMES[0], TASK_NAMES[1]]),
    s('taskExecutionMetadata.getDependencyMetadata', P(0), []), s('taskExecution.buildInputContext', P(0), [TASK_NAMES[1], TASK_NAMES[0]]), s('context.delete', C(1)),
  ],
  'recovery and execution events': [
    createRun(),
    s('recoveryEvent.create', { pipelineExecutionId: P(0), taskExecutionId: T(0), recoveryType: 'task_reset', details: { task_name: TASK_NAMES[0], reason: 'stale_heartbeat' } }),
    advance(0), s('recoveryEvent.create', { pipelineExecutionId: P(0), recoveryType: 'workflow_unavailable' }),
    s('recoveryEvent.create', { pipelineExecutionId: P(0), recoveryType: 'task_rest' }), s('recoveryEvent.create', { pipelineExecutionId: UNKNOWN, recoveryType: 'pipeline_failed' }),
    s('recoveryEvent.getByPipeline', P(0)), s('recoveryEvent.getByTask', T(0)), s('recoveryEvent.getByType', 'task_reset'), s('recoveryEvent.getByType', 'nope'),
    s('recoveryEvent.getWorkflowUnavailableEvents'), s('recoveryEvent.getRecent', 1),
    s('executionEvent.create', { pipelineExecutionId: P(0), taskExecutionId: T(1), eventType: 'task_ready', runnerId: 'manual' }),
    s('executionEvent.create', { pipelineExecutionId: P(0), eventType: 'pipeline_exploded' }), s('executionEvent.create', { pipelineExecutionId: P(0), eventType: 'pipeline_started', eventData: { x: 1 } }),
    s('executionEvent.create', { pipelineExecutionId: UNKNOWN, eventType: 'pipeline_started' }),
    s('executionEvent.getByPipeline', P(0)), s('executionEvent.getByTask', T(1)), s('executionEvent.getByType', 'pipeline_created'),
    s('executionEvent.getByType', 'task_ready', { since: { $now: 0 }, limit: 1, offset: 0 }), s('executionEvent.getByType', 'bad'), s('executionEvent.getRecent', 2),
    advance(1), s('executionEvent.deleteOlderThan', { $now: 0 }), s('executionEvent.getRecent', 10),
  ],
  'cron schedules and executions': [
    s('cronSchedule.create', { workflowName: 'wf-b', cronExpression: '*/5 * * * *', nextRunAt: at(1) }),
    s('cronSchedule.create', { workflowName: 'wf-a', cronExpression: '0 0 * * *', timezone: 'Europe/Paris', enabled: false, catchupPolicy: 'run_all', startDate: at(0), endDate: at(9), nextRunAt: at(1) }),
    s('cronSchedule.create', { workflowName: 'WF-c', cronExpression: '0 0 * * *', nextRunAt: at(0), startDate: at(3) }),
    s('cronSchedule.create', { workflowName: 'wf-a', cronExpression: '', nextRunAt: at(0) }), s('cronSchedule.create', { workflowName: 'wf-a', cronExpression: '* * * * *', catchupPolicy: 'x', nextRunAt: at(0) }),
    s('cronSchedule.create', { workflowName: 'wf-a', cronExpression: '* * * * *', startDate: at(2), endDate: at(1), nextRunAt: at(0) }),
    s('cronSchedule.getById', CS(0)), s('cronSchedule.findById', UNKNOWN), s('cronSchedule.getById', UNKNOWN), advance(60_000),
    s('cronSchedule.getDueSchedules', { $now: 0 }), s('cronSchedule.list'), s('cronSchedule.list', { enabledOnly: true, limit: 1, offset: 1 }),
    s('cronSchedule.findByWorkflow', 'wf-a'), s('cronSchedule.count'), s('cronSchedule.count', { enabledOnly: true }),
    s('cronSchedule.claimAndUpdate', CS(0), { expectedNextRunAt: at(1), now: { $now: 0 }, lastRunAt: at(1), nextRunAt: at(6) }),
    s('cronSchedule.claimAndUpdate', CS(0), { expectedNextRunAt: at(1), now: { $now: 0 }, lastRunAt: at(1), nextRunAt: at(6) }),
    s('cronSchedule.claimAndUpdate', CS(1), { expectedNextRunAt: at(1), now: { $now: 0 }, lastRunAt: at(1), nextRunAt: at(6) }),
    s('cronSchedule.claimAndUpdate', UNKNOWN, { expectedNextRunAt: at(1), now: { $now: 0 }, lastRunAt: at(1), nextRunAt: at(6) }),
    tx(false,
      s('cronExecution.create', { scheduleId: CS(0), scheduledTime: at(1) }),
      s('cronExecution.create', { scheduleId: CS(0), scheduledTime: at(1) }),
      s('cronExecution.create', { scheduleId: CS(0), scheduledTime: at(2), claimedAt: at(0) })),
    s('cronExecution.create', { scheduleId: UNKNOWN, scheduledTime: at(1) }), createRun(),
    s('cronExecution.linkPipelineExecution', CE(0), P(0)), s('cronExecution.linkPipelineExecution', CE(0), P(0)), s('cronExecution.updatePipelineExecutionId', CE(1), P(0)),
    s('cronExecution.linkPipelineExecution', UNKNOWN, P(0)), s('cronExecution.updatePipelineExecutionId', CE(0), UNKNOWN),
    s('cronExecution.getById', CE(1)), s('cronExecution.findById', UNKNOWN), s('cronExecution.getByScheduleId', CS(0), 1, 0), s('cronExecution.getByPipelineExecutionId', P(0)),
    s('cronExecution.getByTimeRange', at(1), at(2), 10, 0), s('cronExecution.getLatestBySchedule', CS(0)), s('cronExecution.getLatestBySchedule', CS(1)),
    s('cronExecution.findLostExecutions', 0), s('cronExecution.countBySchedule', CS(0)), s('cronExecution.executionExists', CS(0), at(2)),
    s('cronExecution.getExecutionStats', at(0)), s('cronExecution.getExecutionStats', at(9)), s('cronExecution.deleteOlderThan', at(2)),
    s('cronSchedule.updateScheduleTimes', CS(1), at(2), at(3)), s('cronSchedule.enable', CS(1)), s('cronSchedule.disable', CS(0)), s('cronSchedule.updateNextRun', CS(2), at(4)),
    s('cronSchedule.updateExpressionAndTimezone', CS(2), { cronExpression: '0 * * * *', nextRunAt: at(5) }), s('cronSchedule.updateExpressionAndTimezone', CS(2), { timezone: 'Asia/Tokyo', catchupPolicy: 'run_once', nextRunAt: at(5) }),
    s('cronSchedule.updateExpressionAndTimezone', CS(2), { catchupPolicy: 'bad', nextRunAt: at(5) }), s('cronSchedule.enable', UNKNOWN),
    s('pipelineExecution.delete', P(0)), s('cronSchedule.delete', CS(0)), s('cronSchedule.delete', CS(0)), s('cronExecution.getByScheduleId', CS(0), 10, 0),
  ],
  'packages and registry storage': [
    s('workflowRegistryStorage.storeBinary', Uint8Array.from([1, 255, 0])), s('workflowRegistryStorage.storeBinary', new Uint8Array(0)),
    s('workflowRegistryStorage.retrieveBinary', BIN(0)), s('workflowRegistryStorage.retrieveBinary', BIN(1)), s('workflowRegistryStorage.retrieveBinary', UNKNOWN),
    s('workflowRegistryStorage.retrieveBinary', MALFORMED), s('workflowRegistryStorage.storageType'),
    s('workflowPackages.storePackageMetadata', BIN(0), manifest('etl', '1.2.0', { description: 'd', author: 'a' })),
    s('workflowPackages.storePackageMetadata', BIN(1), manifest('etl', '1.10.0'), 'filesystem'), s('workflowPackages.storePackageMetadata', BIN(1), manifest('Analytics', '1.0.0')),
    tx(false, s('workflowPackages.storePackageMetadata', BIN(0), manifest('etl', '1.2.0')), s('workflowPackages.storePackageMetadata', BIN(0), manifest('analytics', '1.0.0'))),
    s('workflowPackages.storePackageMetadata', MALFORMED, manifest('x', '1')), s('workflowPackages.storePackageMetadata', BIN(0), manifest('', '1')),
    s('workflowPackages.storePackageMetadata', BIN(0), manifest('y', '1'), 's3'),
    s('workflowPackages.getPackageMetadata', 'etl', '1.2.0'), s('workflowPackages.getPackageMetadata', 'etl', '9'), s('workflowPackages.getPackageMetadataById', PK(1)),
    s('workflowPackages.getPackageMetadataById', UNKNOWN), s('workflowPackages.getPackageMetadataById', MALFORMED), s('workflowPackages.listAllPackages'),
    s('workflowPackages.deletePackageMetadata', 'etl', '1.2.0'), s('workflowPackages.deletePackageMetadata', 'etl', '1.2.0'), s('workflowPackages.deletePackageMetadataById', PK(1)),
    s('workflowPackages.deletePackageMetadataById', PK(1)), s('workflowPackages.deletePackageMetadataById', MALFORMED), s('workflowRegistryStorage.deleteBinary', BIN(0)),
    s('workflowRegistryStorage.deleteBinary', BIN(0)), s('workflowRegistryStorage.deleteBinary', MALFORMED), s('workflowPackages.listAllPackages'),
  ],
  // Values the spec lets through on both backends (01 §2: encodeJson rejects only U+0000 and
  // non-JSON; int is any safe integer) but PostgreSQL cannot store (jsonb refuses a lone
  // surrogate escape; integer is 32-bit). Kept as the spec demands: the secondary comparison
  // (PostgreSQL vs SQLite) reports them until the spec or core closes the gap.
  'encoding edge: lone surrogates in JSON and text': [
    createRun(), s('context.create', { lone: '\ud800' }), s('taskExecution.markSkipped', T(0), 'lone \udfff'), tasksOf(0), s('context.list', 10, 0),
  ],
  'encoding edge: integers beyond 32 bits': [
    createRun(),
    s('taskExecution.create', { pipelineExecutionId: P(0), taskName: 'max-int4', attempt: 2 ** 31 - 1, maxAttempts: 2 ** 31 - 1 }),
    s('taskExecution.create', { pipelineExecutionId: P(0), taskName: 'beyond-int4', attempt: 2 ** 31, maxAttempts: 2 ** 31 }),
    tasksOf(0),
  ],
  'transactions: commit, rollback, savepoints, aborted and typed errors': [
    tx(false, createRun(), s('context.create', { in: 'tx' })),
    tx(true, createRun('wf-b'), s('taskExecution.markReady', T(-1))),
    tx(false, s('taskExecution.markReady', T(0)), tx(true, s('taskExecution.markReady', T(1))), s('taskExecution.markReady', T(2))),
    tx(false, s('taskExecution.getById', UNKNOWN), s('context.create', { typed: 'error keeps tx usable' })),
    tx(false, s('taskExecution.create', { pipelineExecutionId: P(0), taskName: TASK_NAMES[0] }), s('context.create', { after: 'abort' })),
    tx(false, s('context.create', { x: 1 }), tx(false, s('taskExecution.create', { pipelineExecutionId: UNKNOWN, taskName: 'x' })), s('context.create', { y: 2 })),
    tx(false, s('taskExecution.claimReadyTasks', 'runner-a', 5), s('taskExecution.markCompleted', T(0), 'runner-a')),
    tx(false, s('context.create', { before: 'root call' }), { ...s('context.create', { root: 'call' }), root: true }, s('context.create', { after: 'root call' })),
    tx(true, s('context.create', { rolled: 'back' }), tx(false, s('context.create', { inner: 'savepoint' }))),
    s('taskExecution.getAllTasksForPipeline', P(0)), s('context.list', 20, 0), s('executionEvent.getRecent', 50),
  ],
};
