/**
 * Pipeline state machine, part 2 (01 §7.1 P3, P4; 02 §4.2, §9 "Pipeline machine"): the first
 * claim starts a Pending run exactly once; finalize returns each of its three outcomes with the
 * exact record, final context, summary text and event; getLastVersion, listRecent and
 * getActiveExecutions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTEXTS, ValidationError, type Dal, type PipelineStatus, type TaskStatus } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { at, countRows, decodedRow, eventRecord, expectError, nextIds, pipelineRecord, rawEvents, rawPipeline, rawRow, T0, taskSpec } from '../support/core-areas.js';

async function runWithTasks(dal: Dal, statuses: TaskStatus[], pipelineStatus: PipelineStatus = 'Running'): Promise<string> {
  const p = (await dal.pipelineExecution.create({ pipelineName: 'fin', status: pipelineStatus })).id;
  for (const [i, status] of statuses.entries()) {
    await dal.taskExecution.create({ pipelineExecutionId: p, taskName: `public::pkg::wf::t${i}`, status, claimedBy: status === 'Running' ? 'runner-9' : undefined });
  }
  return p;
}

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
  });
  afterEach(() => f.close());

  it('P3: the first claim moves a Pending run to Running (updated_at, pipeline_started after the task events); later claims do not', async () => {
    const created = await f.dal.pipelineExecution.createWithTasks({
      pipelineName: 'p3',
      pipelineVersion: '1',
      inputContext: {},
      tasks: [taskSpec('a', 3, { leaf: false }), taskSpec('b')],
    });
    const [t1, t2] = created.tasks.map((t) => t.id) as [string, string];
    await f.dal.taskExecution.markReadiness([
      { id: t1, outcome: 'Ready' },
      { id: t2, outcome: 'Ready' },
    ]);
    f.clock.set(at(1000));
    const [e1, e2] = nextIds(f, 2);
    // The claiming runner is the DAL's configured runner id, so runner_id is unambiguous.
    const claimed = await f.dal.taskExecution.claimReadyTasks('test-runner', 1);
    expect(claimed).toEqual([
      { id: t1, pipelineExecutionId: created.pipeline.id, taskName: 'public::pkg::wf::a', attempt: 1, maxAttempts: 3, taskConfiguration: { leaf: false } },
    ]);
    const running = pipelineRecord({ id: created.pipeline.id, pipelineName: 'p3', pipelineVersion: '1', status: 'Running', updatedAt: at(1000) });
    expect(await rawPipeline(raw, created.pipeline.id)).toEqual(running);
    expect((await rawEvents(raw, created.pipeline.id)).slice(-2)).toEqual([
      eventRecord({ id: e1!, pipelineExecutionId: created.pipeline.id, taskExecutionId: t1, eventType: 'task_claimed', eventData: { attempt: 1 }, createdAt: at(1000) }),
      eventRecord({ id: e2!, pipelineExecutionId: created.pipeline.id, eventType: 'pipeline_started', createdAt: at(1000) }),
    ]);

    f.clock.set(at(2000));
    const pipelineRow = await rawRow(raw, 'pipeline_executions', created.pipeline.id);
    const [e3] = nextIds(f, 1);
    expect((await f.dal.taskExecution.claimReadyTasks('test-runner', 5)).map((c) => c.id)).toEqual([t2]);
    expect(await rawRow(raw, 'pipeline_executions', created.pipeline.id)).toEqual(pipelineRow);
    expect((await rawEvents(raw, created.pipeline.id)).slice(-1)).toEqual([
      eventRecord({ id: e3!, pipelineExecutionId: created.pipeline.id, taskExecutionId: t2, eventType: 'task_claimed', eventData: { attempt: 1 }, createdAt: at(2000) }),
    ]);
  });

  it('P4 finalize → not_finished with the count of non-terminal tasks; nothing written', async () => {
    const p = await runWithTasks(f.dal, ['Completed', 'NotStarted', 'Ready', 'Running', 'Skipped']);
    const before = await dumpDatabase(raw);
    f.clock.set(at(1000));
    expect(await f.dal.pipelineExecution.finalize(p, { out: 1 })).toEqual({ outcome: 'not_finished', remaining: 3 });
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('P4 finalize → finalized Completed: final context row, final_context_id, completed_at, pipeline_completed with counts', async () => {
    const p = await runWithTasks(f.dal, ['Completed', 'Skipped', 'Completed']);
    f.clock.set(at(1000));
    const [ctx, ev] = nextIds(f, 2);
    expect(await f.dal.pipelineExecution.finalize(p, { result: 42 })).toEqual({ outcome: 'finalized', status: 'Completed', errorDetails: null, contextId: ctx });
    expect(await decodedRow(raw, CONTEXTS, ctx!)).toEqual({ id: ctx, value: { result: 42 }, createdAt: at(1000), updatedAt: at(1000) });
    expect(await rawPipeline(raw, p)).toEqual(
      pipelineRecord({ id: p, pipelineName: 'fin', status: 'Completed', finalContextId: ctx!, completedAt: at(1000), updatedAt: at(1000) }),
    );
    expect((await rawEvents(raw, p)).slice(-1)).toEqual([
      eventRecord({ id: ev!, pipelineExecutionId: p, eventType: 'pipeline_completed', eventData: { completed: 2, failed: 0, skipped: 1, context_id: ctx! }, createdAt: at(1000) }),
    ]);
  });

  it('P4 finalize → finalized Failed with "<f> task(s) failed, <c> completed, <s> skipped"', async () => {
    const p = await runWithTasks(f.dal, ['Failed', 'Completed', 'Skipped', 'Failed'], 'Pending');
    f.clock.set(at(1000));
    const [ctx, ev] = nextIds(f, 2);
    const summary = '2 task(s) failed, 1 completed, 1 skipped';
    expect(await f.dal.pipelineExecution.finalize(p, { partial: true })).toEqual({ outcome: 'finalized', status: 'Failed', errorDetails: summary, contextId: ctx });
    expect(await rawPipeline(raw, p)).toEqual(
      pipelineRecord({ id: p, pipelineName: 'fin', status: 'Failed', finalContextId: ctx!, completedAt: at(1000), errorDetails: summary, updatedAt: at(1000) }),
    );
    // Decision: the reason in pipeline_failed is the summary written to error_details.
    expect((await rawEvents(raw, p)).slice(-1)).toEqual([
      eventRecord({
        id: ev!,
        pipelineExecutionId: p,
        eventType: 'pipeline_failed',
        eventData: { completed: 1, failed: 2, skipped: 1, context_id: ctx!, reason: summary },
        createdAt: at(1000),
      }),
    ]);
  });

  it('P4 finalize with an empty final context: no context row, final_context_id NULL, context_id null', async () => {
    const created = await f.dal.pipelineExecution.createWithTasks({ pipelineName: 'empty', pipelineVersion: '1', inputContext: {}, tasks: [taskSpec('a'), taskSpec('b')] });
    for (const t of created.tasks) await f.dal.taskExecution.markSkipped(t.id, 'not needed');
    f.clock.set(at(1000));
    const [ev] = nextIds(f, 1);
    expect(await f.dal.pipelineExecution.finalize(created.pipeline.id, {})).toEqual({ outcome: 'finalized', status: 'Completed', errorDetails: null, contextId: null });
    expect(await countRows(raw, 'contexts')).toBe(0);
    expect(await rawPipeline(raw, created.pipeline.id)).toEqual(
      pipelineRecord({ id: created.pipeline.id, pipelineName: 'empty', pipelineVersion: '1', status: 'Completed', completedAt: at(1000), updatedAt: at(1000) }),
    );
    expect((await rawEvents(raw, created.pipeline.id)).slice(-1)).toEqual([
      eventRecord({ id: ev!, pipelineExecutionId: created.pipeline.id, eventType: 'pipeline_completed', eventData: { completed: 0, failed: 0, skipped: 2, context_id: null }, createdAt: at(1000) }),
    ]);
  });

  it('P4 finalize of a run without tasks completes it with zero counts', async () => {
    const p = await runWithTasks(f.dal, [], 'Pending');
    f.clock.set(at(1000));
    const [ev] = nextIds(f, 1);
    expect(await f.dal.pipelineExecution.finalize(p, {})).toEqual({ outcome: 'finalized', status: 'Completed', errorDetails: null, contextId: null });
    expect((await rawEvents(raw, p)).slice(-1)).toEqual([
      eventRecord({ id: ev!, pipelineExecutionId: p, eventType: 'pipeline_completed', eventData: { completed: 0, failed: 0, skipped: 0, context_id: null }, createdAt: at(1000) }),
    ]);
  });

  it('P4 finalize of a terminal run → already_terminal with its status; nothing written', async () => {
    for (const status of ['Completed', 'Failed', 'Cancelled'] as PipelineStatus[]) {
      const p = await runWithTasks(f.dal, ['Completed'], status);
      const before = await dumpDatabase(raw);
      f.clock.advance(1000);
      expect(await f.dal.pipelineExecution.finalize(p, { late: true }), status).toEqual({ outcome: 'already_terminal', status });
      expect(await dumpDatabase(raw)).toEqual(before);
    }
    const p = await runWithTasks(f.dal, ['Completed']);
    await f.dal.pipelineExecution.finalize(p, { once: 1 });
    expect(await f.dal.pipelineExecution.finalize(p, { twice: 2 })).toEqual({ outcome: 'already_terminal', status: 'Completed' });
  });

  it('P4 finalize with a final context that is not a JSON object is a ValidationError; nothing written', async () => {
    const p = await runWithTasks(f.dal, ['Completed']);
    const before = await dumpDatabase(raw);
    await expectError(() => f.dal.pipelineExecution.finalize(p, [1] as never), ValidationError);
    await expectError(() => f.dal.pipelineExecution.finalize(p, { bad: Number.NaN }), ValidationError);
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('getLastVersion: version of the greatest (started_at, id) for the name', async () => {
    const pe = f.dal.pipelineExecution;
    f.clock.set(at(1000));
    await pe.create({ pipelineName: 'wf', pipelineVersion: 'v1' });
    f.clock.set(T0);
    await pe.create({ pipelineName: 'wf', pipelineVersion: 'v2' });
    f.clock.set(at(9000));
    await pe.create({ pipelineName: 'other', pipelineVersion: 'x' });
    expect(await pe.getLastVersion('wf')).toBe('v1');
    f.clock.set(at(1000));
    await pe.create({ pipelineName: 'wf', pipelineVersion: 'v3' }); // ties with v1, higher id
    expect(await pe.getLastVersion('wf')).toBe('v3');
    expect(await pe.getLastVersion('WF')).toBeNull();
  });

  it('listRecent: started_at DESC, id DESC with exact records; getActiveExecutions: Pending/Running in id ASC', async () => {
    const pe = f.dal.pipelineExecution;
    const mk = async (ms: number, status: PipelineStatus) => {
      f.clock.set(at(ms));
      return pe.create({ pipelineName: `r${ms}`, status });
    };
    const p1 = await mk(1000, 'Running');
    const p2 = await mk(0, 'Completed');
    const p3 = await mk(1000, 'Pending');
    const p4 = await mk(0, 'Pending');
    const p5 = await mk(500, 'Cancelled');
    expect(await pe.listRecent(10)).toEqual([p3, p1, p5, p4, p2]);
    expect((await pe.listRecent(2)).map((p) => p.id)).toEqual([p3.id, p1.id]);
    expect(await pe.listRecent(0)).toEqual([]);
    expect(await pe.getActiveExecutions()).toEqual([p1, p3, p4]);
  });
});
