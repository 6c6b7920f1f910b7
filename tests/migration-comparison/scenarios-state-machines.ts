/**
 * Hand-written scenarios (02 §10.1 (a)), one per row of the state tables of 01 §7.1 and §7.2,
 * including guard refusals, fences and the not-found paths. Pure data, run through the same
 * comparer as the random scenarios.
 */
import { MALFORMED_ID, UNKNOWN_ID, type CallStep, type Ref, type Step } from '../support/comparison-steps.js';
import { TASK_NAMES } from '../support/comparison-values.js';

export const s = (method: string, ...args: unknown[]): CallStep => ({ method, args });
export const tx = (rollback: boolean, ...steps: Step[]): Step => ({ method: 'transaction', steps, rollback });
export const advance = (ms: number): Step => ({ method: 'clock.advance', args: [ms] });
export const P = (index: number): Ref => ({ ref: 'pipeline', index });
export const T = (index: number): Ref => ({ ref: 'task', index });
export const C = (index: number): Ref => ({ ref: 'context', index });
/** Literal ids: a well-formed id no row has, and a malformed one. */
export const UNKNOWN = UNKNOWN_ID;
export const MALFORMED = MALFORMED_ID;

const spec = (i: number, maxAttempts = 2) => ({ taskName: TASK_NAMES[i]!, maxAttempts, triggerRules: { type: 'Always' }, taskConfiguration: { dependencies: [], leaf: i === 2 } });
/** A run of three tasks t1..t3 (pool indexes of the run's tasks depend on earlier runs). */
export const createRun = (pipelineName = 'wf-a', input: object = { a: 1 }) =>
  s('pipelineExecution.createWithTasks', { pipelineName, pipelineVersion: '1.0', inputContext: input, tasks: [spec(0), spec(1), spec(2)] });
const readyAll = (first: number) => s('taskExecution.markReadiness', [0, 1, 2].map((k) => ({ id: T(first + k), outcome: 'Ready' })));
const history = (p: number) => s('executionEvent.getByPipeline', P(p));
const tasksOf = (p: number) => s('taskExecution.getAllTasksForPipeline', P(p));
const pipe = (p: number) => s('pipelineExecution.getById', P(p));

export const STATE_MACHINE_SCENARIOS: Record<string, Step[]> = {
  'P1 createWithTasks (context, empty context, validation)': [
    createRun(),
    advance(0),
    createRun('wf-b', {}),
    s('pipelineExecution.createWithTasks', { pipelineName: 'wf-a', pipelineVersion: '1.0', inputContext: {}, tasks: [] }),
    s('pipelineExecution.createWithTasks', { pipelineName: 'wf-a', pipelineVersion: '1.0', inputContext: {}, tasks: [spec(0), spec(0)] }),
    s('pipelineExecution.createWithTasks', { pipelineName: 'wf-a', pipelineVersion: '1.0', inputContext: {}, tasks: [spec(0, 0)] }),
    tasksOf(0), tasksOf(1), history(0), history(1), s('context.list', 10, 0),
  ],
  'P2 create with each status and a missing context': [
    ...['Pending', 'Running', 'Completed', 'Failed', 'Cancelled'].map((status) => s('pipelineExecution.create', { pipelineName: 'wf-a', status })),
    s('pipelineExecution.create', { pipelineName: 'wf-b' }),
    s('pipelineExecution.create', { pipelineName: 'wf-b', status: 'Bogus' }),
    s('pipelineExecution.create', { pipelineName: 'wf-b', contextId: UNKNOWN }),
    s('pipelineExecution.getActiveExecutions'), s('pipelineExecution.listRecent', 10), s('executionEvent.getRecent', 20),
  ],
  'P3 first claim starts the run once': [
    createRun(), readyAll(0), advance(1000),
    s('taskExecution.claimReadyTasks', 'runner-a', 1), s('taskExecution.claimReadyTasks', 'runner-b', 1),
    pipe(0), history(0),
  ],
  'P4 finalize: not_finished, Completed, Failed, already_terminal, empty context': [
    createRun(), readyAll(0), s('taskExecution.claimReadyTasks', 'runner-a', 3),
    s('pipelineExecution.finalize', P(0), { out: 1 }),
    s('taskExecution.completeWithOutput', T(0), 'runner-a', { x: 1 }), s('taskExecution.markCompleted', T(1), 'runner-a'), s('taskExecution.markCompleted', T(2), 'runner-a'),
    advance(60_000), s('pipelineExecution.finalize', P(0), { out: 1 }), s('pipelineExecution.finalize', P(0), {}),
    createRun('wf-b'), s('taskExecution.markReadiness', [{ id: T(3), outcome: 'Ready' }, { id: T(4), outcome: 'Skipped', reason: 'no' }, { id: T(5), outcome: 'Ready' }]),
    s('taskExecution.claimReadyTasks', 'runner-b', 2), s('taskExecution.markFailed', T(3), 'runner-b', 'boom'), s('taskExecution.markCompleted', T(5), 'runner-b'),
    s('pipelineExecution.finalize', P(1), {}), s('pipelineExecution.finalize', UNKNOWN, {}),
    pipe(0), pipe(1), history(0), history(1),
  ],
  'P5 markCompleted guard': [
    createRun(), s('pipelineExecution.markCompleted', P(0)), s('pipelineExecution.markCompleted', P(0)),
    s('pipelineExecution.markCompleted', UNKNOWN), s('pipelineExecution.markCompleted', MALFORMED), pipe(0), history(0),
  ],
  'P6 markFailed skips NotStarted/Ready, leaves Running': [
    createRun(), s('taskExecution.markReady', T(1)), s('taskExecution.markReady', T(2)), s('taskExecution.claimReadyTasks', 'runner-a', 1),
    advance(5), s('pipelineExecution.markFailed', P(0), 'lost worker'), s('pipelineExecution.markFailed', P(0), 'again'),
    s('taskExecution.markCompleted', T(1), 'runner-a'), tasksOf(0), history(0),
  ],
  'P7 cancel skips, revokes Running, then the fence holds': [
    createRun(), s('taskExecution.markReady', T(1)), s('taskExecution.markReady', T(2)), s('taskExecution.claimReadyTasks', 'runner-a', 1),
    s('pipelineExecution.cancel', P(0)), s('pipelineExecution.cancel', P(0)),
    s('taskExecution.markCompleted', T(1), 'runner-a'), s('taskExecution.heartbeat', T(1), 'runner-a'), tasksOf(0), history(0),
  ],
  'P8 updateStatus any to any': [
    createRun(), s('pipelineExecution.updateStatus', P(0), 'Completed'), advance(1), s('pipelineExecution.updateStatus', P(0), 'Running'),
    s('pipelineExecution.updateStatus', P(0), 'Cancelled'), s('pipelineExecution.updateStatus', P(0), 'Cancelled'), s('pipelineExecution.updateStatus', P(0), 'Nope'),
    s('pipelineExecution.updateStatus', UNKNOWN, 'Running'), pipe(0), history(0),
  ],
  'P recovery counter and final context': [
    createRun(), s('pipelineExecution.incrementRecoveryAttempts', P(0)), advance(10), s('pipelineExecution.incrementRecoveryAttempts', P(0)),
    s('context.create', { f: 1 }), s('pipelineExecution.updateFinalContext', P(0), C(-1)), s('pipelineExecution.updateFinalContext', P(0), null),
    s('pipelineExecution.updateFinalContext', P(0), UNKNOWN), s('pipelineExecution.incrementRecoveryAttempts', UNKNOWN), pipe(0),
    s('pipelineExecution.getLastVersion', 'wf-a'), s('pipelineExecution.delete', P(0)), s('pipelineExecution.delete', P(0)), s('context.deleteUnreferenced', { $now: 1 }),
  ],
  'T1 taskExecution.create variants': [
    s('pipelineExecution.create', { pipelineName: 'wf-a' }),
    s('taskExecution.create', { pipelineExecutionId: P(0), taskName: TASK_NAMES[0] }),
    s('taskExecution.create', { pipelineExecutionId: P(0), taskName: TASK_NAMES[1], status: 'Running', claimedBy: 'runner-a', attempt: 2, maxAttempts: 3 }),
    s('taskExecution.create', { pipelineExecutionId: P(0), taskName: TASK_NAMES[2], status: 'Completed' }),
    s('taskExecution.create', { pipelineExecutionId: P(0), taskName: TASK_NAMES[3], status: 'Running' }),
    s('taskExecution.create', { pipelineExecutionId: P(0), taskName: TASK_NAMES[0] }),
    s('taskExecution.create', { pipelineExecutionId: UNKNOWN, taskName: TASK_NAMES[0] }),
    tasksOf(0), history(0),
  ],
  'T2 markReady / markReadiness Ready': [
    createRun(), s('taskExecution.markReady', T(0)), s('taskExecution.markReady', T(0)), s('taskExecution.markReady', UNKNOWN),
    s('taskExecution.markReadiness', [{ id: T(2), outcome: 'Ready' }, { id: T(0), outcome: 'Ready' }, { id: T(1), outcome: 'Ready' }]),
    s('taskExecution.markReadiness', []), s('taskExecution.getReadyForRetry'), history(0),
  ],
  'T3 markSkipped / markReadiness Skipped, unknown id writes nothing': [
    createRun(), s('taskExecution.markSkipped', T(0), 'not needed'), s('taskExecution.markSkipped', T(0), 'twice'),
    s('taskExecution.markReadiness', [{ id: T(1), outcome: 'Skipped', reason: 'r' }, { id: UNKNOWN, outcome: 'Ready' }]),
    s('taskExecution.markReadiness', [{ id: T(2), outcome: 'Skipped', reason: 'r2' }, { id: T(1), outcome: 'Ready' }]),
    tasksOf(0), history(0),
  ],
  'T4 pipeline failure skips NotStarted and Ready tasks': [
    createRun(), s('taskExecution.markReady', T(0)), s('pipelineExecution.markFailed', P(0), 'stop'), tasksOf(0), history(0),
  ],
  'T5 claim eligibility: limit, workflowNames, retry_at, terminal runs': [
    createRun('wf-a'), readyAll(0), createRun('wf-b'), readyAll(3), createRun('WF-c'), readyAll(6), s('pipelineExecution.markCompleted', P(2)),
    s('taskExecution.claimReadyTasks', 'runner-a', 0), s('taskExecution.claimReadyTasks', 'runner-a', -1),
    s('taskExecution.claimReadyTasks', 'runner-a', 2, []), s('taskExecution.claimReadyTasks', 'runner-a', 2, ['wf-b']),
    s('taskExecution.scheduleRetry', T(3), 'runner-a', { retryAt: { $now: 60_000 }, error: 'later' }),
    s('taskExecution.claimReadyTasks', 'runner-b', 10, ['wf-b', 'WF-c']), advance(60_000), s('taskExecution.claimReadyTasks', 'runner-b', 10),
    s('taskExecution.findClaimsByRunner', 'runner-b'), s('taskExecution.getOrphanedTasks'), history(1),
  ],
  'T6 markCompleted / completeWithOutput fenced': [
    createRun(), readyAll(0), s('taskExecution.claimReadyTasks', 'runner-a', 3),
    s('taskExecution.markCompleted', T(0), 'runner-b'), s('taskExecution.markCompleted', T(0), 'runner-a'), s('taskExecution.markCompleted', T(0), 'runner-a'),
    s('taskExecution.completeWithOutput', T(1), 'runner-a', { k: [1, 'x'] }), s('taskExecution.completeWithOutput', T(2), 'runner-a', {}),
    s('taskExecution.completeWithOutput', T(2), 'runner-a', { late: true }), s('taskExecution.completeWithOutput', UNKNOWN, 'runner-a', {}),
    s('taskExecution.buildInputContext', P(0), [TASK_NAMES[2], TASK_NAMES[1], TASK_NAMES[0]]),
    s('taskExecutionMetadata.getDependencyMetadataWithContexts', P(0), [TASK_NAMES[1], TASK_NAMES[2]]), tasksOf(0), history(0),
  ],
  'T6 completeManyWithOutput: group commit, per-item fence, validation, transactions': [
    createRun(), readyAll(0), createRun('wf-b'), readyAll(3),
    s('taskExecution.claimReadyTasks', 'runner-a', 4), s('taskExecution.claimReadyTasks', 'runner-b', 1),
    s('taskExecutionMetadata.upsertTaskExecutionMetadata', { taskExecutionId: T(1), pipelineExecutionId: P(0), taskName: TASK_NAMES[1] }),
    s('taskExecution.markCompleted', T(2), 'runner-a'), advance(1000),
    s('taskExecution.completeManyWithOutput', 'runner-a', []),
    s('taskExecution.completeManyWithOutput', 'runner-a', [{ id: T(0), output: { x: 1 } }, { id: T(0), output: {} }]),
    s('taskExecution.completeManyWithOutput', 'runner-a', [{ id: T(0), output: { x: 1 } }, { id: MALFORMED, output: {} }]),
    s('taskExecution.completeManyWithOutput', 'runner-a', [{ id: T(0), output: { x: 1 } }, { id: T(1), output: { nul: 'a\u0000' } }]),
    s('taskExecution.completeManyWithOutput', 'runner-a', [{ id: T(0), output: [1] }]),
    s('taskExecution.completeManyWithOutput', '', [{ id: T(0), output: {} }]),
    tx(true, s('taskExecution.completeManyWithOutput', 'runner-a', [{ id: T(1), output: { rolled: 'back' } }])),
    s('taskExecution.completeManyWithOutput', 'runner-a', [
      { id: T(3), output: { b: [1, 'é'] } }, { id: T(1), output: {} }, { id: T(4), output: { lost: true } },
      { id: UNKNOWN, output: {} }, { id: T(2), output: { late: 1 } }, { id: T(0), output: { a: { deep: null } } },
    ]),
    s('taskExecution.completeManyWithOutput', 'runner-a', [{ id: T(0), output: { again: true } }]),
    advance(0),
    tx(false, s('context.create', { before: 1 }), s('taskExecution.completeManyWithOutput', 'runner-b', [{ id: T(4), output: { rb: 1 } }, { id: T(5), output: {} }]), s('context.create', { after: 1 })),
    s('taskExecution.buildInputContext', P(0), [TASK_NAMES[0], TASK_NAMES[1], TASK_NAMES[2]]),
    s('taskExecutionMetadata.getDependencyMetadataWithContexts', P(0), [TASK_NAMES[0], TASK_NAMES[1], TASK_NAMES[2]]),
    tasksOf(0), tasksOf(1), history(0), history(1), s('context.list', 20, 0),
  ],
  'T7 markFailed fenced': [
    createRun(), readyAll(0), s('taskExecution.claimReadyTasks', 'runner-a', 1), s('taskExecution.markFailed', T(0), 'runner-b', 'x'),
    s('taskExecution.markFailed', T(0), 'runner-a', 'boom'), s('taskExecution.markFailed', T(0), 'runner-a', 'again'), s('taskExecution.markFailed', T(1), 'runner-a', 'not running'),
    s('taskExecution.getExhaustedRetryTasks', P(0)), s('taskExecution.getRetryStats', P(0)), tasksOf(0), history(0),
  ],
  'T8 scheduleRetry and the next attempt': [
    createRun(), readyAll(0), s('taskExecution.claimReadyTasks', 'runner-a', 1),
    s('taskExecution.scheduleRetry', T(0), 'runner-a', { retryAt: { $now: 1000 }, error: 'flaky' }), s('taskExecution.scheduleRetry', T(0), 'runner-a', { retryAt: { $now: 1000 } }),
    s('taskExecution.getReadyForRetry'), s('taskExecution.claimReadyTasks', 'runner-b', 1), advance(1000), s('taskExecution.getReadyForRetry'),
    s('taskExecution.claimReadyTasks', 'runner-b', 1), s('taskExecution.getRetryStats', P(0)), tasksOf(0), history(0),
  ],
  'T9 cancel revokes a Running task': [
    createRun(), readyAll(0), s('taskExecution.claimReadyTasks', 'runner-a', 2), s('pipelineExecution.cancel', P(0)),
    s('taskExecution.releaseClaim', T(0), 'runner-a'), s('taskExecution.heartbeatMany', 'runner-a', [T(0), T(1)]), tasksOf(0), history(0),
  ],
  'T10 releaseClaim keeps the attempt': [
    createRun(), readyAll(0), s('taskExecution.claimReadyTasks', 'runner-a', 1), s('taskExecution.releaseClaim', T(0), 'runner-b'),
    s('taskExecution.releaseClaim', T(0), 'runner-a'), s('taskExecution.releaseClaim', T(0), 'runner-a'), s('taskExecution.claimReadyTasks', 'runner-b', 1), tasksOf(0), history(0),
  ],
  'T11 resetTaskForRecovery with and without guard': [
    createRun(), readyAll(0), s('taskExecution.claimReadyTasks', 'runner-a', 3), advance(30_000), s('taskExecution.heartbeat', T(1), 'runner-a'),
    s('taskExecution.findStaleClaims', { $now: 0 }), s('taskExecution.findStaleClaims', { $now: -30_000 }), s('taskExecution.findStaleClaims', { $now: -29_999 }, 1),
    s('taskExecution.resetTaskForRecovery', T(0), { claimedBy: 'runner-b' }),
    s('taskExecution.resetTaskForRecovery', T(1), { claimedBy: 'runner-a', heartbeatBefore: { $now: 0 } }),
    s('taskExecution.resetTaskForRecovery', T(0), { claimedBy: 'runner-a', heartbeatBefore: { $now: 0 } }),
    s('taskExecution.resetTaskForRecovery', T(2)), s('taskExecution.resetTaskForRecovery', T(2)), s('taskExecution.resetTaskForRecovery', UNKNOWN),
    tasksOf(0), history(0),
  ],
  'T12 markAbandoned from each status, with guard': [
    createRun(), s('taskExecution.markReady', T(1)), s('taskExecution.markReady', T(2)), s('taskExecution.claimReadyTasks', 'runner-a', 1),
    s('taskExecution.markAbandoned', T(0), 'gone'), s('taskExecution.markAbandoned', T(2), 'gone', { claimedBy: 'runner-a' }),
    s('taskExecution.markAbandoned', T(1), 'lease', { claimedBy: 'runner-b' }), s('taskExecution.markAbandoned', T(1), 'lease', { claimedBy: 'runner-a', heartbeatBefore: { $now: 1 } }),
    s('taskExecution.markAbandoned', T(1), 'again'), s('taskExecution.markAbandoned', T(2), 'ready task'),
    s('taskExecution.checkPipelineFailure', P(0)), tasksOf(0), history(0),
  ],
  'T13 resetRetryState from each status': [
    createRun(), readyAll(0), s('taskExecution.claimReadyTasks', 'runner-a', 2), s('taskExecution.markFailed', T(0), 'runner-a', 'x'),
    s('taskExecution.markCompleted', T(1), 'runner-a'), createRun('wf-b'), s('taskExecution.markSkipped', T(3), 'no'), s('taskExecution.markReady', T(4)),
    s('taskExecution.claimReadyTasks', 'runner-a', 1), createRun('WF-c'),
    // T0 Failed, T1 Completed, T2 Running, T3 Skipped, T4 Ready, T6 NotStarted
    ...[0, 1, 2, 3, 4, 6].map((i) => s('taskExecution.resetRetryState', T(i))), s('taskExecution.resetRetryState', UNKNOWN),
    tasksOf(0), tasksOf(1), history(0), history(1),
  ],
  'heartbeat and heartbeatMany fenced': [
    createRun(), readyAll(0), s('taskExecution.claimReadyTasks', 'runner-a', 2), advance(500),
    s('taskExecution.heartbeat', T(0), 'runner-a'), s('taskExecution.heartbeat', T(0), 'runner-b'), s('taskExecution.heartbeat', T(2), 'runner-a'),
    s('taskExecution.heartbeatMany', 'runner-a', [T(1), T(0), T(2), UNKNOWN]), s('taskExecution.heartbeatMany', 'runner-a', []),
    s('taskExecution.heartbeat', UNKNOWN, 'runner-a'), tasksOf(0),
  ],
};
