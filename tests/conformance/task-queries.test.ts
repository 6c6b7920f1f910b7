/**
 * Task read queries of 02 §4.3 (queries.ts, recovery.ts statistics): their filters, orders and
 * empty-input behaviour, and the abandoned test of checkPipelineFailure (01 §7.2: exact,
 * case-sensitive `ABANDONED:` prefix on a Failed task).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, type Dal, type TaskStatus } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { rejectionOf } from '../support/raw-rows.js';
import { claimExactly, makeReady, seedAllStatuses, seedPipeline, taskName, unknownId } from '../support/seed.js';

async function taskWith(dal: Dal, pipelineId: string, name: string, status: TaskStatus, attempt: number, maxAttempts: number) {
  return dal.taskExecution.create({
    pipelineExecutionId: pipelineId, taskName: taskName(name), status, attempt, maxAttempts,
    ...(status === 'Running' ? { claimedBy: 'r1' } : {}),
  });
}

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  beforeEach(async () => {
    f = await openFixture(combo);
  });
  afterEach(() => f?.close());

  it('getPendingTasks: NotStarted tasks of one run, id ASC', async () => {
    const a = await seedPipeline(f.dal, { tasks: 4 });
    const b = await seedPipeline(f.dal, { tasks: 1, workflow: 'other' });
    await f.dal.taskExecution.markReady(a.tasks[1].id);
    const pending = await f.dal.taskExecution.getPendingTasks(a.pipeline.id);
    expect(pending.map((t) => t.id)).toEqual([a.tasks[0].id, a.tasks[2].id, a.tasks[3].id]);
    expect(pending[0]).toEqual(a.tasks[0]);
    expect((await f.dal.taskExecution.getPendingTasks(b.pipeline.id)).map((t) => t.id)).toEqual([b.tasks[0].id]);
    expect(await f.dal.taskExecution.getPendingTasks(unknownId())).toEqual([]);
  });

  it('getPendingTasksBatch / getTasksForPipelines: order pipeline_execution_id ASC, id ASC; empty input → []', async () => {
    const a = await seedPipeline(f.dal, { tasks: 2 });
    const b = await seedPipeline(f.dal, { tasks: 2, workflow: 'other' });
    // A task added to run a after run b exists: id order alone would put it last.
    const late = await f.dal.taskExecution.create({ pipelineExecutionId: a.pipeline.id, taskName: taskName('late') });
    await f.dal.taskExecution.markReady(b.tasks[0].id);
    const ids = (ts: { id: string }[]) => ts.map((t) => t.id);

    expect(ids(await f.dal.taskExecution.getPendingTasksBatch([b.pipeline.id, a.pipeline.id]))).toEqual([
      a.tasks[0].id, a.tasks[1].id, late.id, b.tasks[1].id,
    ]);
    const all = await f.dal.taskExecution.getTasksForPipelines([b.pipeline.id, a.pipeline.id]);
    expect(ids(all)).toEqual([a.tasks[0].id, a.tasks[1].id, late.id, b.tasks[0].id, b.tasks[1].id]);
    expect(all[3]).toMatchObject({ id: b.tasks[0].id, status: 'Ready' });
    expect(ids(await f.dal.taskExecution.getTasksForPipelines([b.pipeline.id]))).toEqual(ids(b.tasks));
    expect(await f.dal.taskExecution.getPendingTasksBatch([])).toEqual([]);
    expect(await f.dal.taskExecution.getTasksForPipelines([])).toEqual([]);
    expect(await f.dal.taskExecution.getTasksForPipelines([unknownId()])).toEqual([]);
  });

  it('checkPipelineCompletion: true only when every task is terminal (or there is none); NotFoundError for an unknown run', async () => {
    const { created, byStatus } = await seedAllStatuses(f.dal, 'r1');
    const p = created.pipeline.id;
    expect(await f.dal.taskExecution.checkPipelineCompletion(p)).toBe(false);
    await f.dal.taskExecution.markSkipped(byStatus.NotStarted, 'x');
    await f.dal.taskExecution.markAbandoned(byStatus.Ready, 'x');
    expect(await f.dal.taskExecution.checkPipelineCompletion(p)).toBe(false); // Running left
    await f.dal.taskExecution.markCompleted(byStatus.Running, 'r1');
    expect(await f.dal.taskExecution.checkPipelineCompletion(p)).toBe(true);
    const empty = await f.dal.pipelineExecution.create({ pipelineName: 'empty' });
    expect(await f.dal.taskExecution.checkPipelineCompletion(empty.id)).toBe(true);
    const err = await rejectionOf(f.dal.taskExecution.checkPipelineCompletion(unknownId()));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ entity: 'PipelineExecution', id: unknownId() });
  });

  it('getTaskStatus and getTaskStatusesBatch look tasks up by name within one run', async () => {
    const { created } = await seedAllStatuses(f.dal, 'r1'); // t1..t6: NotStarted, Ready, Running, Completed, Failed, Skipped
    const other = await seedPipeline(f.dal, { tasks: 1 }); // same task names, another run
    const p = created.pipeline.id;
    const name = (i: number) => taskName(`t${i}`);
    expect(await f.dal.taskExecution.getTaskStatus(p, name(3))).toBe('Running');
    expect(await f.dal.taskExecution.getTaskStatus(other.pipeline.id, name(1))).toBe('NotStarted');
    const err = await rejectionOf(f.dal.taskExecution.getTaskStatus(p, 'public::embedded::wf::missing'));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', entity: 'TaskExecution', id: `${p}/public::embedded::wf::missing` });

    expect(await f.dal.taskExecution.getTaskStatusesBatch(p, [name(6), name(2), 'nope', name(4), name(5), name(1), name(3)])).toEqual({
      [name(1)]: 'NotStarted', [name(2)]: 'Ready', [name(3)]: 'Running', [name(4)]: 'Completed', [name(5)]: 'Failed', [name(6)]: 'Skipped',
    });
    expect(await f.dal.taskExecution.getTaskStatusesBatch(p, [])).toEqual({});
  });

  it('getRetryStats and getExhaustedRetryTasks count attempts over the run', async () => {
    const pipe = await f.dal.pipelineExecution.create({ pipelineName: 'wf' });
    const zero = await f.dal.taskExecution.getRetryStats(pipe.id);
    expect(zero).toEqual({ tasksWithRetries: 0, totalRetries: 0, maxAttemptsUsed: 0, tasksExhaustedRetries: 0 });

    await taskWith(f.dal, pipe.id, 'done', 'Completed', 1, 3); // no retry
    const exhausted = await taskWith(f.dal, pipe.id, 'exhausted', 'Failed', 3, 3);
    await taskWith(f.dal, pipe.id, 'retrying', 'Ready', 2, 3);
    await taskWith(f.dal, pipe.id, 'gaveup', 'Failed', 2, 5); // failed but not out of attempts
    const over = await taskWith(f.dal, pipe.id, 'over', 'Failed', 4, 3);
    await taskWith(f.dal, pipe.id, 'lastok', 'Completed', 3, 3); // used every attempt but succeeded
    await taskWith(f.dal, pipe.id, 'running', 'Running', 2, 2);
    const elsewhere = await f.dal.pipelineExecution.create({ pipelineName: 'wf' });
    await taskWith(f.dal, elsewhere.id, 'x', 'Failed', 9, 1);

    expect(await f.dal.taskExecution.getRetryStats(pipe.id)).toEqual({
      tasksWithRetries: 6, totalRetries: 2 + 1 + 1 + 3 + 2 + 1, maxAttemptsUsed: 4, tasksExhaustedRetries: 2,
    });
    const list = await f.dal.taskExecution.getExhaustedRetryTasks(pipe.id);
    expect(list.map((t) => t.id)).toEqual([exhausted.id, over.id]);
    expect(list[0]).toEqual(exhausted);
    expect(await f.dal.taskExecution.getExhaustedRetryTasks(unknownId())).toEqual([]);
  });

  describe('checkPipelineFailure (abandoned tasks)', () => {
    it('is true once a task is abandoned, false before', async () => {
      const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 2 });
      expect(await f.dal.taskExecution.checkPipelineFailure(pipeline.id)).toBe(false);
      await f.dal.taskExecution.markAbandoned(tasks[1].id, 'runner vanished');
      expect(await f.dal.taskExecution.checkPipelineFailure(pipeline.id)).toBe(true);
      const empty = await f.dal.pipelineExecution.create({ pipelineName: 'empty' });
      expect(await f.dal.taskExecution.checkPipelineFailure(empty.id)).toBe(false);
    });

    it('needs status Failed and the exact, case-sensitive ABANDONED: prefix at the start', async () => {
      // Each run gets one Failed/Skipped task whose error text is written verbatim by the DAL.
      const cases: [string, 'fail' | 'skip', string, boolean][] = [
        ['lower', 'fail', 'abandoned: by hand', false],
        ['mixed', 'fail', 'Abandoned: by hand', false],
        ['inner', 'fail', 'was ABANDONED: later', false],
        ['nocolon', 'fail', 'ABANDONED by hand', false],
        ['exact', 'fail', 'ABANDONED: by hand', true],
        ['skipped', 'skip', 'ABANDONED: skipped, not failed', false],
      ];
      for (const [wf, how, text, expected] of cases) {
        const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 1, workflow: wf });
        if (how === 'fail') {
          await makeReady(f.dal, [tasks[0].id]);
          await claimExactly(f.dal, 'r1', [tasks[0].id]);
          await f.dal.taskExecution.markFailed(tasks[0].id, 'r1', text);
        } else {
          await f.dal.taskExecution.markSkipped(tasks[0].id, text);
        }
        expect(await f.dal.taskExecution.checkPipelineFailure(pipeline.id), `${JSON.stringify(text)} (${how})`).toBe(expected);
      }
    });
  });
});
