/**
 * Missing rows (02 §1 "Missing rows", "Updates", §7, §9 "Not found"): every single-row get/read
 * and every update or transition of an unknown id throws NotFoundError with the right entity
 * and id and writes nothing; every find… and every by-nature lookup returns null.
 * Input validation lives in validation-inputs.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, type Dal } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import { at, expectError, T0, taskSpec } from '../support/core-areas.js';

/** Ids the sequential generator never reaches in these tests. */
const U = idAt(0xabcdef);
const U2 = idAt(0xabcdf0);

interface World {
  pipelineId: string;
  notStartedTask: string;
  scheduleId: string;
  cronExecutionId: string;
}

async function world(dal: Dal): Promise<World> {
  const created = await dal.pipelineExecution.createWithTasks({
    pipelineName: 'nf',
    pipelineVersion: '1',
    inputContext: { a: 1 },
    tasks: [taskSpec('a'), taskSpec('b')],
  });
  await dal.taskExecution.markReady(created.tasks[1]!.id);
  const schedule = await dal.cronSchedule.create({ workflowName: 'nf', cronExpression: '* * * * *', nextRunAt: T0 });
  const exec = await dal.cronExecution.create({ scheduleId: schedule.id, scheduledTime: T0 });
  return { pipelineId: created.pipeline.id, notStartedTask: created.tasks[0]!.id, scheduleId: schedule.id, cronExecutionId: exec.id };
}

type Case = [label: string, call: () => Promise<unknown>, entity: string, id: string];

function notFoundCases(dal: Dal, w: World): Case[] {
  const pe = dal.pipelineExecution;
  const te = dal.taskExecution;
  const md = dal.taskExecutionMetadata;
  const cs = dal.cronSchedule;
  const ce = dal.cronExecution;
  const claim = { expectedNextRunAt: T0, now: T0, lastRunAt: T0, nextRunAt: at(60_000) };
  return [
    ['context.read', () => dal.context.read(U), 'Context', U],
    ['context.update', () => dal.context.update(U, { a: 1 }), 'Context', U],
    ['pipelineExecution.getById', () => pe.getById(U), 'PipelineExecution', U],
    ['pipelineExecution.updateStatus', () => pe.updateStatus(U, 'Running'), 'PipelineExecution', U],
    ['pipelineExecution.markCompleted', () => pe.markCompleted(U), 'PipelineExecution', U],
    ['pipelineExecution.markFailed', () => pe.markFailed(U, 'reason'), 'PipelineExecution', U],
    ['pipelineExecution.cancel', () => pe.cancel(U), 'PipelineExecution', U],
    ['pipelineExecution.finalize', () => pe.finalize(U, { out: 1 }), 'PipelineExecution', U],
    ['pipelineExecution.incrementRecoveryAttempts', () => pe.incrementRecoveryAttempts(U), 'PipelineExecution', U],
    ['pipelineExecution.updateFinalContext', () => pe.updateFinalContext(U, null), 'PipelineExecution', U],
    ['taskExecution.getById', () => te.getById(U), 'TaskExecution', U],
    ['taskExecution.markReady', () => te.markReady(U), 'TaskExecution', U],
    ['taskExecution.markSkipped', () => te.markSkipped(U, 'reason'), 'TaskExecution', U],
    ['taskExecution.markCompleted', () => te.markCompleted(U, 'runner-1'), 'TaskExecution', U],
    ['taskExecution.markFailed', () => te.markFailed(U, 'runner-1', 'boom'), 'TaskExecution', U],
    ['taskExecution.markAbandoned', () => te.markAbandoned(U, 'reason'), 'TaskExecution', U],
    ['taskExecution.markAbandoned (guard)', () => te.markAbandoned(U, 'reason', { claimedBy: 'runner-1' }), 'TaskExecution', U],
    ['taskExecution.resetRetryState', () => te.resetRetryState(U), 'TaskExecution', U],
    ['taskExecution.completeWithOutput', () => te.completeWithOutput(U, 'runner-1', { out: 1 }), 'TaskExecution', U],
    ['taskExecution.scheduleRetry', () => te.scheduleRetry(U, 'runner-1', { retryAt: at(1000), error: 'e' }), 'TaskExecution', U],
    ['taskExecution.heartbeat', () => te.heartbeat(U, 'runner-1'), 'TaskExecution', U],
    ['taskExecution.releaseClaim', () => te.releaseClaim(U, 'runner-1'), 'TaskExecution', U],
    ['taskExecution.resetTaskForRecovery', () => te.resetTaskForRecovery(U), 'TaskExecution', U],
    ['taskExecution.resetTaskForRecovery (guard)', () => te.resetTaskForRecovery(U, { claimedBy: 'r', heartbeatBefore: T0 }), 'TaskExecution', U],
    ['taskExecution.checkPipelineCompletion', () => te.checkPipelineCompletion(U), 'PipelineExecution', U],
    ['taskExecution.buildInputContext', () => te.buildInputContext(U, []), 'PipelineExecution', U],
    ['taskExecution.buildInputContext (deps)', () => te.buildInputContext(U, ['public::pkg::wf::a']), 'PipelineExecution', U],
    ['taskExecution.getTaskStatus (unknown run)', () => te.getTaskStatus(U, 'x'), 'TaskExecution', `${U}/x`],
    ['taskExecution.getTaskStatus (unknown task)', () => te.getTaskStatus(w.pipelineId, 'public::pkg::wf::zz'), 'TaskExecution', `${w.pipelineId}/public::pkg::wf::zz`],
    [
      'taskExecution.markReadiness (first unknown id in input order)',
      () =>
        te.markReadiness([
          { id: w.notStartedTask, outcome: 'Ready' },
          { id: U2, outcome: 'Skipped', reason: 'r' },
          { id: U, outcome: 'Ready' },
        ]),
      'TaskExecution',
      U2,
    ],
    ['taskExecutionMetadata.getByPipelineAndTask', () => md.getByPipelineAndTask(w.pipelineId, 'public::pkg::wf::a'), 'TaskExecutionMetadata', `${w.pipelineId}/public::pkg::wf::a`],
    [
      'taskExecutionMetadata.getByPipelineAndTask (namespace)',
      () => md.getByPipelineAndTask(w.pipelineId, { tenantId: 'public', packageName: 'pkg', workflowId: 'wf', taskId: 'b' }),
      'TaskExecutionMetadata',
      `${w.pipelineId}/public::pkg::wf::b`,
    ],
    ['taskExecutionMetadata.getByTaskExecution', () => md.getByTaskExecution(U), 'TaskExecutionMetadata', U],
    // Decision: the entity of a missing metadata row addressed by task execution id is TaskExecutionMetadata, id = that task id.
    ['taskExecutionMetadata.updateContextId', () => md.updateContextId(U, null), 'TaskExecutionMetadata', U],
    ['cronSchedule.getById', () => cs.getById(U), 'CronSchedule', U],
    ['cronSchedule.updateScheduleTimes', () => cs.updateScheduleTimes(U, T0, at(60_000)), 'CronSchedule', U],
    ['cronSchedule.enable', () => cs.enable(U), 'CronSchedule', U],
    ['cronSchedule.disable', () => cs.disable(U), 'CronSchedule', U],
    ['cronSchedule.updateNextRun', () => cs.updateNextRun(U, at(60_000)), 'CronSchedule', U],
    ['cronSchedule.claimAndUpdate', () => cs.claimAndUpdate(U, claim), 'CronSchedule', U],
    ['cronSchedule.updateExpressionAndTimezone', () => cs.updateExpressionAndTimezone(U, { cronExpression: '0 * * * *', nextRunAt: at(60_000) }), 'CronSchedule', U],
    ['cronExecution.getById', () => ce.getById(U), 'CronExecution', U],
    ['cronExecution.updatePipelineExecutionId', () => ce.updatePipelineExecutionId(U, w.pipelineId), 'CronExecution', U],
    ['cronExecution.linkPipelineExecution', () => ce.linkPipelineExecution(U, w.pipelineId), 'CronExecution', U],
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

  it('every get/read and every update or transition of an unknown id → NotFoundError(entity, id), nothing written', async () => {
    const raw = await f.raw();
    const before = await dumpDatabase(raw);
    for (const [label, call, entity, id] of notFoundCases(f.dal, w)) {
      const e = await expectError(call, NotFoundError, { entity, id }, label);
      expect(e.message, label).toBe(`${entity} not found: ${id}`);
    }
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('the same calls inside a transaction leave it usable (typed errors write nothing)', async () => {
    const raw = await f.raw();
    const id = await f.dal.transaction(async (tx) => {
      for (const [label, call, entity] of notFoundCases(tx, w).slice(0, 12)) {
        await expectError(call, NotFoundError, { entity }, `tx ${label}`);
      }
      return tx.context.create({ committed: true });
    });
    expect(await f.dal.context.read(id!)).toEqual({ committed: true });
    expect((await dumpDatabase(raw)).contexts).toHaveLength(2);
  });

  it('find… variants and by-nature lookups return null for unknown keys', async () => {
    const d = f.dal;
    const results = {
      'context.find': await d.context.find(U),
      'pipelineExecution.findById': await d.pipelineExecution.findById(U),
      'taskExecution.findById': await d.taskExecution.findById(U),
      'cronSchedule.findById': await d.cronSchedule.findById(U),
      'cronExecution.findById': await d.cronExecution.findById(U),
      'pipelineExecution.getLastVersion': await d.pipelineExecution.getLastVersion('no-such-workflow'),
      'cronExecution.getByPipelineExecutionId': await d.cronExecution.getByPipelineExecutionId(U),
      'cronExecution.getLatestBySchedule': await d.cronExecution.getLatestBySchedule(U),
      'workflowPackages.getPackageMetadata': await d.workflowPackages.getPackageMetadata('no-such-package', '1.0.0'),
      'workflowPackages.getPackageMetadataById': await d.workflowPackages.getPackageMetadataById(U),
      'workflowRegistryStorage.retrieveBinary': await d.workflowRegistryStorage.retrieveBinary(U),
    };
    expect(results).toEqual(Object.fromEntries(Object.keys(results).map((k) => [k, null])));
  });

  it('unknown parents give empty lists and neutral answers, not errors', async () => {
    const d = f.dal;
    expect(await d.taskExecution.getAllTasksForPipeline(U)).toEqual([]);
    expect(await d.taskExecution.getPendingTasks(U)).toEqual([]);
    expect(await d.taskExecution.getTaskStatusesBatch(U, ['x'])).toEqual({});
    expect(await d.taskExecution.checkPipelineFailure(U)).toBe(false);
    expect(await d.taskExecution.getExhaustedRetryTasks(U)).toEqual([]);
    expect(await d.taskExecutionMetadata.getDependencyMetadata(U, ['x'])).toEqual([]);
    expect(await d.recoveryEvent.getByPipeline(U)).toEqual([]);
    expect(await d.executionEvent.getByTask(U)).toEqual([]);
    expect(await d.cronExecution.getByScheduleId(U, 10, 0)).toEqual([]);
    expect(await d.cronExecution.countBySchedule(U)).toBe(0);
    expect(await d.cronExecution.executionExists(U, T0)).toBe(false);
  });

  it('ids are accepted in any case and returned lowercase', async () => {
    const upper = w.pipelineId.toUpperCase();
    expect((await f.dal.pipelineExecution.getById(upper)).id).toBe(w.pipelineId);
    expect((await f.dal.taskExecution.getAllTasksForPipeline(upper)).map((t) => t.pipelineExecutionId)).toEqual([w.pipelineId, w.pipelineId]);
    const e = await expectError(() => f.dal.context.read(U.toUpperCase()), NotFoundError, { entity: 'Context' });
    expect(e.id.toLowerCase()).toBe(U);
  });
});
