/**
 * Input validation (02 §1 "Inputs", "Typed errors write nothing", §9 "Validation"): malformed
 * UUIDs, negative or non-integer limits and offsets, and values outside the status / event /
 * recovery / catch-up / storage vocabularies are a ValidationError (never a database CHECK
 * failure) and write nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError, type Dal, type PackageManifest } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { dumpDatabase } from '../support/dump.js';
import { at, expectError, T0, taskSpec } from '../support/core-areas.js';

const MANIFEST: PackageManifest = {
  formatVersion: 1,
  name: 'val',
  version: '1.0.0',
  entry: 'index.js',
  cloacinaVersion: '0.1.0',
  fingerprint: 'sha256:00',
  workflows: [],
};

/** Malformed UUIDs: not hex, wrong lengths, wrong shape, wrong type. */
const BAD_IDS: unknown[] = [
  'not-a-uuid',
  '',
  '00000000-0000-7000-8000-00000000001',
  '00000000-0000-7000-8000-0000000000001',
  'g0000000-0000-7000-8000-000000000001',
  '00000000_0000_7000_8000_000000000001',
  42,
  null,
];
/** Not non-negative safe integers. */
const BAD_NUMBERS = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53];

interface World {
  p: string;
  t: string;
  s: string;
  e: string;
  r: string;
}

async function world(dal: Dal): Promise<World> {
  const created = await dal.pipelineExecution.createWithTasks({ pipelineName: 'val', pipelineVersion: '1', inputContext: {}, tasks: [taskSpec('a')] });
  // A Ready task: a claim with a bad limit that slipped through would visibly write.
  await dal.taskExecution.markReady(created.tasks[0]!.id);
  const s = await dal.cronSchedule.create({ workflowName: 'val', cronExpression: '* * * * *', nextRunAt: T0 });
  const e = await dal.cronExecution.create({ scheduleId: s.id, scheduledTime: T0 });
  const r = await dal.workflowRegistryStorage.storeBinary(new Uint8Array([1]));
  return { p: created.pipeline.id, t: created.tasks[0]!.id, s: s.id, e: e.id, r };
}

type Call = [label: string, call: () => Promise<unknown>];

/** Every method taking an id, called with `bad` in that position. */
function idCalls(d: Dal, w: World, bad: string): Call[] {
  const te = d.taskExecution;
  const claim = { expectedNextRunAt: T0, now: T0, lastRunAt: T0, nextRunAt: at(60_000) };
  return [
    ['context.read', () => d.context.read(bad)],
    ['context.find', () => d.context.find(bad)],
    ['context.update', () => d.context.update(bad, { a: 1 })],
    ['context.delete', () => d.context.delete(bad)],
    ['pipelineExecution.create contextId', () => d.pipelineExecution.create({ pipelineName: 'x', contextId: bad })],
    ['pipelineExecution.getById', () => d.pipelineExecution.getById(bad)],
    ['pipelineExecution.findById', () => d.pipelineExecution.findById(bad)],
    ['pipelineExecution.updateStatus', () => d.pipelineExecution.updateStatus(bad, 'Running')],
    ['pipelineExecution.markCompleted', () => d.pipelineExecution.markCompleted(bad)],
    ['pipelineExecution.markFailed', () => d.pipelineExecution.markFailed(bad, 'r')],
    ['pipelineExecution.cancel', () => d.pipelineExecution.cancel(bad)],
    ['pipelineExecution.finalize', () => d.pipelineExecution.finalize(bad, {})],
    ['pipelineExecution.incrementRecoveryAttempts', () => d.pipelineExecution.incrementRecoveryAttempts(bad)],
    ['pipelineExecution.updateFinalContext id', () => d.pipelineExecution.updateFinalContext(bad, null)],
    ['pipelineExecution.updateFinalContext contextId', () => d.pipelineExecution.updateFinalContext(w.p, bad)],
    ['pipelineExecution.delete', () => d.pipelineExecution.delete(bad)],
    ['taskExecution.create', () => te.create({ pipelineExecutionId: bad, taskName: 'x' })],
    ['taskExecution.getById', () => te.getById(bad)],
    ['taskExecution.findById', () => te.findById(bad)],
    ['taskExecution.getAllTasksForPipeline', () => te.getAllTasksForPipeline(bad)],
    ['taskExecution.getPendingTasks', () => te.getPendingTasks(bad)],
    ['taskExecution.getPendingTasksBatch', () => te.getPendingTasksBatch([w.p, bad])],
    ['taskExecution.getTasksForPipelines', () => te.getTasksForPipelines([bad])],
    ['taskExecution.checkPipelineCompletion', () => te.checkPipelineCompletion(bad)],
    ['taskExecution.getTaskStatus', () => te.getTaskStatus(bad, 'x')],
    ['taskExecution.getTaskStatusesBatch', () => te.getTaskStatusesBatch(bad, ['x'])],
    ['taskExecution.markReady', () => te.markReady(bad)],
    ['taskExecution.markSkipped', () => te.markSkipped(bad, 'r')],
    ['taskExecution.markReadiness', () => te.markReadiness([{ id: w.t, outcome: 'Skipped', reason: 'r' }, { id: bad, outcome: 'Ready' }])],
    ['taskExecution.markCompleted', () => te.markCompleted(bad, 'r')],
    ['taskExecution.markFailed', () => te.markFailed(bad, 'r', 'm')],
    ['taskExecution.markAbandoned', () => te.markAbandoned(bad, 'r')],
    ['taskExecution.resetRetryState', () => te.resetRetryState(bad)],
    ['taskExecution.buildInputContext', () => te.buildInputContext(bad, [])],
    ['taskExecution.completeWithOutput', () => te.completeWithOutput(bad, 'r', { a: 1 })],
    ['taskExecution.completeManyWithOutput', () => te.completeManyWithOutput('r', [{ id: w.t, output: {} }, { id: bad, output: { a: 1 } }])],
    ['taskExecution.scheduleRetry', () => te.scheduleRetry(bad, 'r', { retryAt: T0 })],
    ['taskExecution.heartbeat', () => te.heartbeat(bad, 'r')],
    ['taskExecution.heartbeatMany', () => te.heartbeatMany('r', [w.t, bad])],
    ['taskExecution.releaseClaim', () => te.releaseClaim(bad, 'r')],
    ['taskExecution.resetTaskForRecovery', () => te.resetTaskForRecovery(bad)],
    ['taskExecution.checkPipelineFailure', () => te.checkPipelineFailure(bad)],
    ['taskExecution.getRetryStats', () => te.getRetryStats(bad)],
    ['taskExecution.getExhaustedRetryTasks', () => te.getExhaustedRetryTasks(bad)],
    ['metadata.create', () => d.taskExecutionMetadata.create({ taskExecutionId: bad, pipelineExecutionId: w.p, taskName: 'x' })],
    ['metadata.create contextId', () => d.taskExecutionMetadata.create({ taskExecutionId: w.t, pipelineExecutionId: w.p, taskName: 'x', contextId: bad })],
    ['metadata.getByPipelineAndTask', () => d.taskExecutionMetadata.getByPipelineAndTask(bad, 'x')],
    ['metadata.getByTaskExecution', () => d.taskExecutionMetadata.getByTaskExecution(bad)],
    ['metadata.updateContextId', () => d.taskExecutionMetadata.updateContextId(bad, null)],
    ['metadata.upsert', () => d.taskExecutionMetadata.upsertTaskExecutionMetadata({ taskExecutionId: w.t, pipelineExecutionId: bad, taskName: 'x' })],
    ['metadata.getDependencyMetadata', () => d.taskExecutionMetadata.getDependencyMetadata(bad, ['x'])],
    ['metadata.getDependencyMetadataWithContexts', () => d.taskExecutionMetadata.getDependencyMetadataWithContexts(bad, ['x'])],
    ['recoveryEvent.create', () => d.recoveryEvent.create({ pipelineExecutionId: bad, recoveryType: 'task_reset' })],
    ['recoveryEvent.create task', () => d.recoveryEvent.create({ pipelineExecutionId: w.p, taskExecutionId: bad, recoveryType: 'task_reset' })],
    ['recoveryEvent.getByPipeline', () => d.recoveryEvent.getByPipeline(bad)],
    ['recoveryEvent.getByTask', () => d.recoveryEvent.getByTask(bad)],
    ['executionEvent.create', () => d.executionEvent.create({ pipelineExecutionId: bad, eventType: 'task_ready' })],
    ['executionEvent.getByPipeline', () => d.executionEvent.getByPipeline(bad)],
    ['executionEvent.getByTask', () => d.executionEvent.getByTask(bad)],
    ['cronSchedule.getById', () => d.cronSchedule.getById(bad)],
    ['cronSchedule.findById', () => d.cronSchedule.findById(bad)],
    ['cronSchedule.delete', () => d.cronSchedule.delete(bad)],
    ['cronSchedule.updateScheduleTimes', () => d.cronSchedule.updateScheduleTimes(bad, T0, T0)],
    ['cronSchedule.enable', () => d.cronSchedule.enable(bad)],
    ['cronSchedule.disable', () => d.cronSchedule.disable(bad)],
    ['cronSchedule.updateNextRun', () => d.cronSchedule.updateNextRun(bad, T0)],
    ['cronSchedule.claimAndUpdate', () => d.cronSchedule.claimAndUpdate(bad, claim)],
    ['cronSchedule.updateExpressionAndTimezone', () => d.cronSchedule.updateExpressionAndTimezone(bad, { nextRunAt: T0 })],
    ['cronExecution.create', () => d.cronExecution.create({ scheduleId: bad, scheduledTime: at(1) })],
    ['cronExecution.updatePipelineExecutionId', () => d.cronExecution.updatePipelineExecutionId(bad, w.p)],
    ['cronExecution.updatePipelineExecutionId pipeline', () => d.cronExecution.updatePipelineExecutionId(w.e, bad)],
    ['cronExecution.linkPipelineExecution', () => d.cronExecution.linkPipelineExecution(w.e, bad)],
    ['cronExecution.getById', () => d.cronExecution.getById(bad)],
    ['cronExecution.findById', () => d.cronExecution.findById(bad)],
    ['cronExecution.getByScheduleId', () => d.cronExecution.getByScheduleId(bad, 10, 0)],
    ['cronExecution.getByPipelineExecutionId', () => d.cronExecution.getByPipelineExecutionId(bad)],
    ['cronExecution.getLatestBySchedule', () => d.cronExecution.getLatestBySchedule(bad)],
    ['cronExecution.countBySchedule', () => d.cronExecution.countBySchedule(bad)],
    ['cronExecution.executionExists', () => d.cronExecution.executionExists(bad, T0)],
    ['workflowPackages.storePackageMetadata', () => d.workflowPackages.storePackageMetadata(bad, MANIFEST)],
    ['workflowPackages.getPackageMetadataById', () => d.workflowPackages.getPackageMetadataById(bad)],
    ['workflowPackages.deletePackageMetadataById', () => d.workflowPackages.deletePackageMetadataById(bad)],
    ['workflowRegistryStorage.retrieveBinary', () => d.workflowRegistryStorage.retrieveBinary(bad)],
    ['workflowRegistryStorage.deleteBinary', () => d.workflowRegistryStorage.deleteBinary(bad)],
  ];
}

function limitCalls(d: Dal, w: World, n: number): Call[] {
  return [
    ['context.list limit', () => d.context.list(n, 0)],
    ['context.list offset', () => d.context.list(10, n)],
    ['pipelineExecution.listRecent', () => d.pipelineExecution.listRecent(n)],
    ['taskExecution.claimReadyTasks', () => d.taskExecution.claimReadyTasks('runner-1', n)],
    ['taskExecution.findStaleClaims', () => d.taskExecution.findStaleClaims(at(60_000), n)],
    ['recoveryEvent.getRecent', () => d.recoveryEvent.getRecent(n)],
    ['executionEvent.getRecent', () => d.executionEvent.getRecent(n)],
    ['executionEvent.getByType limit', () => d.executionEvent.getByType('task_ready', { limit: n })],
    ['executionEvent.getByType offset', () => d.executionEvent.getByType('task_ready', { offset: n })],
    ['cronSchedule.list limit', () => d.cronSchedule.list({ limit: n })],
    ['cronSchedule.list offset', () => d.cronSchedule.list({ offset: n })],
    ['cronExecution.getByScheduleId limit', () => d.cronExecution.getByScheduleId(w.s, n, 0)],
    ['cronExecution.getByScheduleId offset', () => d.cronExecution.getByScheduleId(w.s, 10, n)],
    ['cronExecution.getByTimeRange limit', () => d.cronExecution.getByTimeRange(T0, at(1000), n, 0)],
    ['cronExecution.getByTimeRange offset', () => d.cronExecution.getByTimeRange(T0, at(1000), 10, n)],
  ];
}

function vocabularyCalls(d: Dal, w: World): Call[] {
  const bogus = 'Bogus' as never;
  return [
    ['pipelineExecution.create status', () => d.pipelineExecution.create({ pipelineName: 'x', status: bogus })],
    ['pipelineExecution.create status (case)', () => d.pipelineExecution.create({ pipelineName: 'x', status: 'pending' as never })],
    ['pipelineExecution.updateStatus', () => d.pipelineExecution.updateStatus(w.p, 'Done' as never)],
    ['taskExecution.create status', () => d.taskExecution.create({ pipelineExecutionId: w.p, taskName: 'public::pkg::wf::new', status: 'Waiting' as never })],
    ['taskExecution.markReadiness outcome', () => d.taskExecution.markReadiness([{ id: w.t, outcome: 'Maybe' } as never])],
    ['recoveryEvent.create type', () => d.recoveryEvent.create({ pipelineExecutionId: w.p, recoveryType: 'task_exploded' as never })],
    ['recoveryEvent.getByType', () => d.recoveryEvent.getByType('task_exploded' as never)],
    ['executionEvent.create type', () => d.executionEvent.create({ pipelineExecutionId: w.p, eventType: 'task_exploded' as never })],
    ['executionEvent.getByType', () => d.executionEvent.getByType('TASK_READY' as never)],
    ['cronSchedule.create policy', () => d.cronSchedule.create({ workflowName: 'x', cronExpression: '* * * * *', nextRunAt: T0, catchupPolicy: 'sometimes' as never })],
    ['cronSchedule.updateExpressionAndTimezone policy', () => d.cronSchedule.updateExpressionAndTimezone(w.s, { catchupPolicy: 'never' as never, nextRunAt: at(1) })],
    ['workflowPackages.storePackageMetadata storage type', () => d.workflowPackages.storePackageMetadata(w.r, MANIFEST, 'cloud' as never)],
  ];
}

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let w: World;
  beforeEach(async () => {
    f = await openFixture(combo);
    w = await world(f.dal);
  });
  afterEach(() => f.close());

  async function expectAllRejected(calls: Call[]): Promise<void> {
    const raw = await f.raw();
    const before = await dumpDatabase(raw);
    for (const [label, call] of calls) await expectError(call, ValidationError, {}, label);
    expect(await dumpDatabase(raw)).toEqual(before);
  }

  it('malformed UUIDs → ValidationError in every method that takes an id; nothing written', async () => {
    await expectAllRejected(idCalls(f.dal, w, 'not-a-uuid'));
  });

  it.each(BAD_IDS.map((b) => [JSON.stringify(b), b]))('malformed id %s is rejected by get, update, delete and transition methods', async (_, bad) => {
    const b = bad as string;
    const all = idCalls(f.dal, w, b);
    const pick = ['context.read', 'context.delete', 'pipelineExecution.updateStatus', 'taskExecution.markReady', 'cronSchedule.delete', 'workflowRegistryStorage.retrieveBinary'];
    await expectAllRejected(all.filter(([l]) => pick.includes(l)));
  });

  it.each(BAD_NUMBERS.map((n) => [String(n), n]))('limit/offset %s → ValidationError everywhere; nothing written (no claim)', async (_, n) => {
    await expectAllRejected(limitCalls(f.dal, w, n));
    expect((await f.dal.taskExecution.getById(w.t)).status).toBe('Ready');
  });

  it('limit 0 is valid and returns nothing', async () => {
    expect(await f.dal.context.list(0, 0)).toEqual([]);
    expect(await f.dal.taskExecution.claimReadyTasks('runner-1', 0)).toEqual([]);
    expect((await f.dal.taskExecution.getById(w.t)).status).toBe('Ready');
  });

  it('statuses, outcomes, event/recovery types, catch-up policies and storage types outside the vocabulary → ValidationError', async () => {
    await expectAllRejected(vocabularyCalls(f.dal, w));
  });
});
