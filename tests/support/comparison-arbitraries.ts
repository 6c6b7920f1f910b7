/**
 * Model-free scenario generator for the migration comparison (02 §10.1 (b)): random walks over
 * every DAL method with valid and invalid arguments, transactions that commit or roll back
 * (with nested savepoints), and clock advances. Nothing here predicts results; the two sides
 * are only compared with each other.
 */
import fc from 'fast-check';
import type { CallStep, Step, TxStep } from './comparison-steps.js';
import * as v from './comparison-values.js';

type ArgsArb = fc.Arbitrary<unknown[]>;
const args = (...arbs: fc.Arbitrary<unknown>[]): ArgsArb => fc.tuple(...arbs) as ArgsArb;
function rec<T extends Record<string, fc.Arbitrary<unknown>>>(model: T, required: (keyof T & string)[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(model as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: required as string[], noNullPrototype: true }) as fc.Arbitrary<Record<string, unknown>>;
}
const orNull = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 4 });
const guard = rec({ claimedBy: v.runner, heartbeatBefore: v.anyTime }, ['claimedBy']);

const taskSpec = (name: string) =>
  rec(
    {
      taskName: fc.constant(name),
      maxAttempts: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 3 }), weight: 40 }, { arbitrary: fc.constant(0), weight: 1 }),
      triggerRules: fc.oneof(fc.constant({ type: 'Always' }), v.jsonObject),
      taskConfiguration: v.jsonObject,
    },
    ['taskName', 'maxAttempts', 'triggerRules', 'taskConfiguration'],
  );
/** Usually distinct task names; an empty list or a duplicated name now and then. */
const taskList = v.mostly(
  fc.shuffledSubarray(v.TASK_NAMES, { minLength: 1 }).chain((names) => fc.tuple(...names.map(taskSpec))),
  fc.oneof(fc.constant([]), fc.tuple(taskSpec(v.TASK_NAMES[0]!), taskSpec(v.TASK_NAMES[0]!))),
);
const metadataInput = rec(
  { taskExecutionId: v.ref('task'), pipelineExecutionId: v.ref('pipeline'), taskName: v.taskName, contextId: orNull(v.ref('context')) },
  ['taskExecutionId', 'pipelineExecutionId', 'taskName'],
);
/** claimedBy accompanies status Running (02 §4.3), now and then it is missing or misplaced. */
const newTask = fc
  .tuple(
    rec({ pipelineExecutionId: v.ref('pipeline'), taskName: v.taskName, status: v.taskStatus, attempt: v.mostly(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, 1.5)), maxAttempts: v.mostly(fc.integer({ min: 1, max: 3 }), fc.constant(0)), triggerRules: v.jsonObject, taskConfiguration: v.jsonObject }, ['pipelineExecutionId', 'taskName']),
    v.runner,
    fc.integer({ min: 0, max: 15 }),
  )
  .map(([t, claimedBy, dice]) => ((t.status === 'Running') !== (dice === 0) ? { ...t, claimedBy } : t));
/**
 * completeManyWithOutput's items: mostly the newest claims (now and then any claimed or other
 * task, a repeated id or an unknown one through distinctRefs), outputs mostly valid JSON
 * objects, empty now and then.
 */
const completionOutput = fc.oneof({ arbitrary: v.jsonObject, weight: 30 }, { arbitrary: v.badJsonObject, weight: 1 });
const newestClaims = fc.uniqueArray(fc.integer({ min: -3, max: -1 }), { minLength: 1, maxLength: 3 }).map((idx) => idx.map((index) => ({ ref: 'claimed' as const, index })));
const completionItems = fc
  .oneof({ arbitrary: newestClaims, weight: 6 }, { arbitrary: v.distinctRefs('claimed', 4), weight: 2 }, { arbitrary: v.distinctRefs('task', 4), weight: 1 })
  .chain((refs) => fc.tuple(...refs.map((id) => completionOutput.map((output) => ({ id, output })))));
const decision = fc.oneof(
  fc.constant({ outcome: 'Ready' }),
  v.text.map((reason) => ({ outcome: 'Skipped', reason })),
);

/** [method, weight, argument generator] for every method of the contract (02 §4). */
export const METHODS: [string, number, ArgsArb][] = [
  ['context.create', 3, args(v.jsonInput)],
  ['context.read', 1, args(v.ref('context'))],
  ['context.find', 1, args(v.ref('context'))],
  ['context.update', 2, args(v.ref('context'), v.jsonInput)],
  ['context.delete', 1, args(v.ref('context'))],
  ['context.list', 1, args(v.limit, v.offset)],
  ['context.deleteUnreferenced', 1, args(v.anyTime)],

  ['pipelineExecution.createWithTasks', 12, args(rec({ pipelineName: v.workflowName, pipelineVersion: v.versionText, inputContext: v.jsonInput, tasks: taskList }, ['pipelineName', 'pipelineVersion', 'inputContext', 'tasks']))],
  ['pipelineExecution.create', 3, args(rec({ pipelineName: v.workflowName, pipelineVersion: v.versionText, status: v.pipelineStatus, contextId: orNull(v.ref('context')) }, ['pipelineName']))],
  ['pipelineExecution.getById', 1, args(v.ref('pipeline'))],
  ['pipelineExecution.findById', 1, args(v.ref('pipeline'))],
  ['pipelineExecution.getActiveExecutions', 1, args()],
  ['pipelineExecution.updateStatus', 2, args(v.ref('pipeline'), v.pipelineStatus)],
  ['pipelineExecution.markCompleted', 2, args(v.ref('pipeline'))],
  ['pipelineExecution.markFailed', 2, args(v.ref('pipeline'), v.text)],
  ['pipelineExecution.cancel', 2, args(v.ref('pipeline'))],
  ['pipelineExecution.finalize', 5, args(v.ref('pipeline'), v.jsonInput)],
  ['pipelineExecution.getLastVersion', 1, args(v.workflowName)],
  ['pipelineExecution.incrementRecoveryAttempts', 1, args(v.ref('pipeline'))],
  ['pipelineExecution.updateFinalContext', 1, args(v.ref('pipeline'), orNull(v.ref('context')))],
  ['pipelineExecution.listRecent', 1, args(v.limit)],
  ['pipelineExecution.delete', 1, args(v.ref('pipeline'))],

  ['taskExecution.create', 2, args(newTask)],
  ['taskExecution.getById', 1, args(v.ref('task'))],
  ['taskExecution.findById', 1, args(v.ref('task'))],
  ['taskExecution.getAllTasksForPipeline', 2, args(v.ref('pipeline'))],
  ['taskExecution.getPendingTasks', 1, args(v.ref('pipeline'))],
  ['taskExecution.getPendingTasksBatch', 1, args(fc.array(v.ref('pipeline'), { maxLength: 3 }))],
  ['taskExecution.getTasksForPipelines', 1, args(fc.array(v.ref('pipeline'), { maxLength: 3 }))],
  ['taskExecution.checkPipelineCompletion', 1, args(v.ref('pipeline'))],
  ['taskExecution.getTaskStatus', 1, args(v.ref('pipeline'), v.taskName)],
  ['taskExecution.getTaskStatusesBatch', 1, args(v.ref('pipeline'), v.taskNames)],
  ['taskExecution.markReady', 8, args(v.ref('task'))],
  ['taskExecution.markSkipped', 2, args(v.ref('task'), v.text)],
  ['taskExecution.markReadiness', 8, v.distinctRefs('task', 4).chain((refs) => fc.tuple(...refs.map((r) => decision.map((d) => ({ id: r, ...d })))).map((ds) => [ds]))],
  ['taskExecution.markCompleted', 6, args(v.heldTask, v.runner)],
  ['taskExecution.markFailed', 4, args(v.heldTask, v.runner, v.text)],
  ['taskExecution.markAbandoned', 2, fc.oneof(args(v.heldTask, v.text), args(v.heldTask, v.text, guard))],
  ['taskExecution.resetRetryState', 2, args(v.ref('task'))],
  ['taskExecution.buildInputContext', 1, args(v.ref('pipeline'), v.taskNames)],
  ['taskExecution.completeWithOutput', 6, args(v.heldTask, v.runner, v.jsonInput)],
  ['taskExecution.completeManyWithOutput', 6, args(v.runner, completionItems)],
  ['taskExecution.claimReadyTasks', 10, fc.oneof(args(v.runner, v.limit), args(v.runner, v.limit, fc.subarray([...v.WORKFLOWS])))],
  ['taskExecution.scheduleRetry', 4, args(v.heldTask, v.runner, rec({ retryAt: v.anyTime, error: v.text }, ['retryAt']))],
  ['taskExecution.getReadyForRetry', 1, args()],
  ['taskExecution.heartbeat', 3, args(v.heldTask, v.runner)],
  ['taskExecution.heartbeatMany', 3, args(v.runner, fc.oneof(v.distinctRefs('claimed', 4), v.distinctRefs('task', 4)))],
  ['taskExecution.releaseClaim', 3, args(v.heldTask, v.runner)],
  ['taskExecution.findClaimsByRunner', 1, args(v.runner)],
  ['taskExecution.getOrphanedTasks', 1, args()],
  ['taskExecution.findStaleClaims', 1, fc.oneof(args(v.anyTime), args(v.anyTime, v.limit))],
  ['taskExecution.resetTaskForRecovery', 3, fc.oneof(args(v.heldTask), args(v.heldTask, guard))],
  ['taskExecution.checkPipelineFailure', 1, args(v.ref('pipeline'))],
  ['taskExecution.getRetryStats', 1, args(v.ref('pipeline'))],
  ['taskExecution.getExhaustedRetryTasks', 1, args(v.ref('pipeline'))],

  ['taskExecutionMetadata.create', 1, args(metadataInput)],
  ['taskExecutionMetadata.getByPipelineAndTask', 1, args(v.ref('pipeline'), fc.oneof(v.taskName, v.taskNamespace))],
  ['taskExecutionMetadata.getByTaskExecution', 1, args(v.heldTask)],
  ['taskExecutionMetadata.updateContextId', 1, args(v.heldTask, orNull(v.ref('context')))],
  ['taskExecutionMetadata.upsertTaskExecutionMetadata', 2, args(metadataInput)],
  ['taskExecutionMetadata.getDependencyMetadata', 1, args(v.ref('pipeline'), v.taskNames)],
  ['taskExecutionMetadata.getDependencyMetadataWithContexts', 1, args(v.ref('pipeline'), v.taskNames)],

  ['recoveryEvent.create', 2, args(rec({ pipelineExecutionId: v.ref('pipeline'), taskExecutionId: orNull(v.ref('task')), recoveryType: v.recoveryType, details: orNull(v.jsonObject) }, ['pipelineExecutionId', 'recoveryType']))],
  ['recoveryEvent.getByPipeline', 1, args(v.ref('pipeline'))],
  ['recoveryEvent.getByTask', 1, args(v.ref('task'))],
  ['recoveryEvent.getByType', 1, args(v.recoveryType)],
  ['recoveryEvent.getWorkflowUnavailableEvents', 1, args()],
  ['recoveryEvent.getRecent', 1, args(v.limit)],

  ['executionEvent.create', 2, args(rec({ pipelineExecutionId: v.ref('pipeline'), taskExecutionId: orNull(v.ref('task')), eventType: v.eventType, eventData: orNull(v.jsonObject), runnerId: orNull(v.runner) }, ['pipelineExecutionId', 'eventType']))],
  ['executionEvent.getByPipeline', 1, args(v.ref('pipeline'))],
  ['executionEvent.getByTask', 1, args(v.ref('task'))],
  ['executionEvent.getByType', 1, fc.oneof(args(v.eventType), args(v.eventType, rec({ since: v.anyTime, limit: v.limit, offset: v.offset }, [])))],
  ['executionEvent.getRecent', 1, args(v.limit)],
  ['executionEvent.deleteOlderThan', 1, args(v.anyTime)],

  ['cronSchedule.create', 3, args(rec({ workflowName: v.mostly(v.workflowName, fc.constant('')), cronExpression: v.mostly(fc.constantFrom('*/5 * * * *', '0 0 * * *'), fc.constant('')), timezone: fc.constantFrom('UTC', 'Europe/Paris'), enabled: fc.boolean(), catchupPolicy: v.catchupPolicy, startDate: orNull(v.gridTime), endDate: orNull(v.gridTime), nextRunAt: v.gridOrBad }, ['workflowName', 'cronExpression', 'nextRunAt']))],
  ['cronSchedule.getById', 1, args(v.ref('cronSchedule'))],
  ['cronSchedule.findById', 1, args(v.ref('cronSchedule'))],
  ['cronSchedule.delete', 1, args(v.ref('cronSchedule'))],
  ['cronSchedule.getDueSchedules', 1, args(v.anyTime)],
  ['cronSchedule.list', 1, fc.oneof(args(), args(rec({ enabledOnly: fc.boolean(), limit: v.limit, offset: v.offset }, [])))],
  ['cronSchedule.findByWorkflow', 1, args(v.workflowName)],
  ['cronSchedule.count', 1, fc.oneof(args(), args(rec({ enabledOnly: fc.boolean() }, [])))],
  ['cronSchedule.updateScheduleTimes', 1, args(v.ref('cronSchedule'), v.gridTime, v.gridOrBad)],
  ['cronSchedule.enable', 1, args(v.ref('cronSchedule'))],
  ['cronSchedule.disable', 1, args(v.ref('cronSchedule'))],
  ['cronSchedule.updateNextRun', 1, args(v.ref('cronSchedule'), v.gridOrBad)],
  ['cronSchedule.claimAndUpdate', 3, args(v.ref('cronSchedule'), rec({ expectedNextRunAt: v.gridTime, now: v.anyTime, lastRunAt: v.gridTime, nextRunAt: v.gridTime }, ['expectedNextRunAt', 'now', 'lastRunAt', 'nextRunAt']))],
  ['cronSchedule.updateExpressionAndTimezone', 1, args(v.ref('cronSchedule'), rec({ cronExpression: fc.constantFrom('0 * * * *', ''), timezone: fc.constantFrom('UTC', 'Asia/Tokyo'), catchupPolicy: v.catchupPolicy, nextRunAt: v.gridTime }, ['nextRunAt']))],

  ['cronExecution.create', 3, args(rec({ scheduleId: v.ref('cronSchedule'), scheduledTime: v.gridOrBad, pipelineExecutionId: orNull(v.ref('pipeline')), claimedAt: v.anyTime }, ['scheduleId', 'scheduledTime']))],
  ['cronExecution.updatePipelineExecutionId', 1, args(v.ref('cronExecution'), v.ref('pipeline'))],
  ['cronExecution.linkPipelineExecution', 2, args(v.ref('cronExecution'), v.ref('pipeline'))],
  ['cronExecution.deleteOlderThan', 1, args(v.gridTime)],
  ['cronExecution.getById', 1, args(v.ref('cronExecution'))],
  ['cronExecution.findById', 1, args(v.ref('cronExecution'))],
  ['cronExecution.getByScheduleId', 1, args(v.ref('cronSchedule'), v.limit, v.offset)],
  ['cronExecution.getByPipelineExecutionId', 1, args(v.ref('pipeline'))],
  ['cronExecution.getByTimeRange', 1, args(v.gridTime, v.gridTime, v.limit, v.offset)],
  ['cronExecution.getLatestBySchedule', 1, args(v.ref('cronSchedule'))],
  ['cronExecution.findLostExecutions', 1, args(fc.constantFrom(0, 1, 10))],
  ['cronExecution.countBySchedule', 1, args(v.ref('cronSchedule'))],
  ['cronExecution.executionExists', 1, args(v.ref('cronSchedule'), v.gridOrBad)],
  ['cronExecution.getExecutionStats', 1, fc.oneof(args(v.anyTime), args(v.anyTime, rec({ lostThresholdMinutes: fc.constantFrom(0, 1, 10) }, [])))],

  ['workflowPackages.storePackageMetadata', 3, fc.oneof(args(v.ref('binary'), v.manifest), args(v.ref('binary'), v.manifest, v.storageType))],
  ['workflowPackages.getPackageMetadata', 1, args(v.packageName, v.packageVersion)],
  ['workflowPackages.getPackageMetadataById', 1, args(v.ref('package'))],
  ['workflowPackages.listAllPackages', 1, args()],
  ['workflowPackages.deletePackageMetadata', 1, args(v.packageName, v.packageVersion)],
  ['workflowPackages.deletePackageMetadataById', 1, args(v.ref('package'))],

  ['workflowRegistryStorage.storeBinary', 2, args(v.bytes)],
  ['workflowRegistryStorage.retrieveBinary', 1, args(v.ref('binary'))],
  ['workflowRegistryStorage.deleteBinary', 1, args(v.ref('binary'))],
  ['workflowRegistryStorage.storageType', 1, args()],
];

/** Modules outside the run/task core; a scenario adds at most two, so their ids pile up. */
const SIDE_GROUPS: Record<string, string[]> = {
  context: ['context'],
  metadata: ['taskExecutionMetadata'],
  events: ['recoveryEvent', 'executionEvent'],
  cron: ['cronSchedule', 'cronExecution'],
  packages: ['workflowPackages', 'workflowRegistryStorage'],
};
const GROUP_SEEDS: Record<string, string[]> = {
  context: ['context.create'],
  cron: ['cronSchedule.create', 'cronExecution.create'],
  packages: ['workflowRegistryStorage.storeBinary', 'workflowPackages.storePackageMetadata'],
};
const CORE = ['pipelineExecution', 'taskExecution'];
const CREATE_RUN = 'pipelineExecution.createWithTasks';

export interface ScenarioOptions {
  maxLength: number;
  /** Restrict to these methods (e.g. for the harness self-test). */
  methods?: string[];
  /** Include transactions and clock steps (default true). */
  transactions?: boolean;
  clock?: boolean;
}

export function callStep(methods?: string[], boost: (method: string) => number = () => 1): fc.Arbitrary<CallStep> {
  const chosen = methods ? METHODS.filter(([m]) => methods.includes(m)) : METHODS;
  if (chosen.length === 0) throw new Error(`no generator for ${JSON.stringify(methods)}`);
  return fc.oneof(...chosen.map(([method, weight, a]) => ({ weight: weight * boost(method), arbitrary: a.map((argv): CallStep => ({ method, args: argv })) })));
}

function txStep(call: fc.Arbitrary<CallStep>, depth: number): fc.Arbitrary<TxStep> {
  // Now and then a sub-step calls the root DAL from inside the callback (ConfigurationError, 02 §2.4).
  const inner = fc.oneof({ arbitrary: call, weight: 15 }, { arbitrary: call.map((c): CallStep => ({ ...c, root: true })), weight: 1 });
  const sub: fc.Arbitrary<Step> = depth >= 1 ? inner : fc.oneof({ arbitrary: inner, weight: 5 }, { arbitrary: txStep(call, depth + 1), weight: 1 });
  return fc.record({ method: fc.constant('transaction' as const), steps: fc.array(sub, { minLength: 1, maxLength: 4 }), rollback: fc.boolean() }, { noNullPrototype: true });
}

/**
 * A short happy-path walk as one atom: readiness for the newest tasks, a claim, and a fenced or
 * lease call on the latest claim (mostly by the claiming runner). Random steps alone rarely
 * line up into Ready → Running → terminal; these atoms make the deep states common, and each of
 * their steps can still be dropped by the minimiser.
 */
const lifecycle: fc.Arbitrary<Step[]> = fc
  .record(
    {
      k: fc.constantFrom(1, 1, 2),
      ready: fc.boolean(),
      claim: fc.integer({ min: 0, max: 3 }),
      runner: fc.constantFrom('runner-a', 'runner-a', 'runner-a', 'runner-b'),
      finish: fc.oneof(
        fc.constant(null),
        fc.constant(['taskExecution.markCompleted']),
        v.jsonInput.map((o) => ['taskExecution.completeWithOutput', o]),
        { arbitrary: fc.tuple(v.jsonObject, v.jsonObject, v.jsonObject).map((outputs) => ['taskExecution.completeManyWithOutput', ...outputs]), weight: 2 },
        v.text.map((t) => ['taskExecution.markFailed', t]),
        v.nearNow.map((t) => ['taskExecution.scheduleRetry', { retryAt: t, error: 'retry' }]),
        fc.constant(['taskExecution.releaseClaim']),
        fc.constant(['taskExecution.heartbeat']),
      ),
    },
    { noNullPrototype: true },
  )
  .map(({ k, ready, claim, runner, finish }): Step[] => {
    const out: Step[] = [];
    if (ready) out.push({ method: 'taskExecution.markReadiness', args: [Array.from({ length: k }, (_, i) => ({ id: { ref: 'task', index: -1 - i }, outcome: 'Ready' }))] });
    if (claim > 0) out.push({ method: 'taskExecution.claimReadyTasks', args: ['runner-a', claim] });
    if (finish) {
      const [method, ...rest] = finish as [string, ...unknown[]];
      if (method === 'taskExecution.completeManyWithOutput') {
        // The executor's group commit: the tasks this atom claimed, newest first (so the input
        // is not in id order), in one call.
        const items = rest.map((output, i) => ({ id: { ref: 'claimed', index: -1 - i }, output }));
        out.push({ method, args: [runner, items.slice(0, ready ? Math.max(1, Math.min(k, claim)) : 1)] });
      } else {
        out.push({ method, args: [{ ref: 'claimed', index: -1 }, runner, ...rest] });
      }
    }
    return out;
  });

function stepsOf(methods: string[] | undefined, opts: ScenarioOptions, boost: (method: string) => number = () => 1, seeds: string[] = []): fc.Arbitrary<Step[]> {
  const call = callStep(methods, boost);
  const atoms: fc.WeightedArbitrary<Step[]>[] = [{ arbitrary: call.map((c) => [c]), weight: 20 }];
  if (opts.transactions ?? true) atoms.push({ arbitrary: txStep(call, 0).map((t) => [t]), weight: 2 });
  if (opts.clock ?? true) atoms.push({ arbitrary: v.clockAdvance.map((ms): Step[] => [{ method: 'clock.advance', args: [ms] }]), weight: 3 });
  const core = !methods || methods.includes(CREATE_RUN);
  if (core && !opts.methods) atoms.push({ arbitrary: lifecycle, weight: 6 });
  const body = fc
    .array(fc.oneof(...atoms), { minLength: 1, maxLength: opts.maxLength, size: 'max' })
    .map((parts) => parts.flat().slice(0, opts.maxLength + 3))
    .filter((steps) => steps.length > 0);
  if (!core || opts.methods) return body;
  // Every core scenario starts with a run (and one row of each other module's root kind), so
  // the transitions have ids to act on.
  return fc.tuple(fc.tuple(...[CREATE_RUN, ...seeds].map((m) => callStep([m]))), body).map(([first, rest]) => [...first, ...rest]);
}


/**
 * A scenario: a list of steps over the pipeline/task core plus up to two other modules (so a
 * short scenario still builds up ids of the kinds it uses), shrinkable by fast-check.
 */
export function scenario(opts: ScenarioOptions): fc.Arbitrary<Step[]> {
  if (opts.methods) return stepsOf(opts.methods, opts);
  return fc
    .subarray(Object.keys(SIDE_GROUPS), { maxLength: 2 })
    .chain((groups) => {
      const modules = [...CORE, ...groups.flatMap((g) => SIDE_GROUPS[g]!)];
      const isCore = (m: string) => CORE.includes(m.split('.')[0]!);
      // The other modules' methods weigh 3× so that they are not drowned by the core's many methods.
      const seeds = groups.flatMap((g) => GROUP_SEEDS[g] ?? []);
      return stepsOf(METHODS.map(([m]) => m).filter((m) => modules.includes(m.split('.')[0]!)), opts, (m) => (isCore(m) ? 1 : 3), seeds);
    });
}
