/**
 * claimReadyTasks (T5 + P3, 02 §4.3 claiming.ts): eligibility (Ready, retry_at, active run,
 * workflow filter), id order, limit, the pipeline start, exact rows and events. Concurrent
 * claimers are in claiming-concurrency.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError, type NewTaskSpec } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { event, eventsFrom, exactRow, pipelineRecord, rejectionOf, taskRecord } from '../support/raw-rows.js';
import { at, claimExactly, makeReady, nextIdIndex, seedPipeline, seedReady, seedRunning, T0, taskName, taskSpecs } from '../support/seed.js';

const ME = 'test-runner'; // the fixture's configured runnerId, written on claim events (01 §7.3)

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
  });
  afterEach(() => f?.close());

  it('claims Ready tasks in id order up to the limit, with exact results, rows and events', async () => {
    const specs: NewTaskSpec[] = taskSpecs(5, 'wf', 2).map((s, i) => ({ ...s, taskConfiguration: { n: i + 1, dependencies: [] } }));
    const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: specs });
    const ids = tasks.map((t) => t.id);
    await makeReady(f.dal, [...ids].reverse());
    const befores = await Promise.all(ids.map((id) => taskRecord(raw, id)));
    const untouched = await Promise.all(ids.slice(3).map((id) => exactRow(raw, 'task_executions', id)));
    const pipeBefore = await pipelineRecord(raw, pipeline.id);
    f.clock.set(at(1000));
    const e = nextIdIndex(f);

    const claims = await f.dal.taskExecution.claimReadyTasks(ME, 3);
    expect(claims).toEqual(
      [0, 1, 2].map((i) => ({
        id: ids[i], pipelineExecutionId: pipeline.id, taskName: taskName(`t${i + 1}`), attempt: 1, maxAttempts: 2,
        taskConfiguration: { n: i + 1, dependencies: [] },
      })),
    );
    for (const i of [0, 1, 2]) {
      expect(await taskRecord(raw, ids[i])).toEqual({
        ...befores[i], status: 'Running', startedAt: at(1000), claimedBy: ME, heartbeatAt: at(1000), updatedAt: at(1000),
      });
    }
    expect(await Promise.all(ids.slice(3).map((id) => exactRow(raw, 'task_executions', id)))).toEqual(untouched);
    expect(await pipelineRecord(raw, pipeline.id)).toEqual({ ...pipeBefore, status: 'Running', updatedAt: at(1000) });
    expect(await eventsFrom(raw, e)).toEqual([
      event(e, 'task_claimed', pipeline.id, ids[0], { attempt: 1 }, ME, at(1000)),
      event(e + 1, 'task_claimed', pipeline.id, ids[1], { attempt: 1 }, ME, at(1000)),
      event(e + 2, 'task_claimed', pipeline.id, ids[2], { attempt: 1 }, ME, at(1000)),
      event(e + 3, 'pipeline_started', pipeline.id, null, null, ME, at(1000)),
    ]);

    // The run is Running now: a second claim starts nothing and leaves the pipeline row alone.
    const pipeRunning = await exactRow(raw, 'pipeline_executions', pipeline.id);
    f.clock.set(at(2000));
    const e2 = nextIdIndex(f);
    expect((await f.dal.taskExecution.claimReadyTasks(ME, 10)).map((c) => c.id)).toEqual(ids.slice(3));
    expect(await exactRow(raw, 'pipeline_executions', pipeline.id)).toEqual(pipeRunning);
    expect(await eventsFrom(raw, e2)).toEqual([
      event(e2, 'task_claimed', pipeline.id, ids[3], { attempt: 1 }, ME, at(2000)),
      event(e2 + 1, 'task_claimed', pipeline.id, ids[4], { attempt: 1 }, ME, at(2000)),
    ]);
    const before = await dumpDatabase(raw);
    expect(await f.dal.taskExecution.claimReadyTasks(ME, 10)).toEqual([]);
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('sets claimed_by to the claim runnerId; its events carry the DAL-configured runner id (a claim is not fenced)', async () => {
    const { pipeline, tasks } = await seedReady(f.dal, { tasks: 1 });
    const e = nextIdIndex(f);
    await claimExactly(f.dal, 'claimer-9', [tasks[0].id]);
    // 01 §7.3: runner_id is the fenced methods' runnerId, otherwise the DAL's configured one; T5 is not fenced (§7.2).
    expect(await eventsFrom(raw, e)).toEqual([
      event(e, 'task_claimed', pipeline.id, tasks[0].id, { attempt: 1 }, ME, T0),
      event(e + 1, 'pipeline_started', pipeline.id, null, null, ME, T0),
    ]);
    expect(await taskRecord(raw, tasks[0].id)).toMatchObject({ claimedBy: 'claimer-9' });
  });

  it('claims across runs in id order and starts each Pending run exactly once (task events first)', async () => {
    const a = await seedReady(f.dal, { tasks: 2, workflow: 'a' });
    const b = await seedReady(f.dal, { tasks: 2, workflow: 'b' });
    const c = await seedReady(f.dal, { tasks: 1, workflow: 'c' });
    await claimExactly(f.dal, ME, [a.tasks[0].id]);
    f.clock.set(at(1000));
    const e = nextIdIndex(f);
    await claimExactly(f.dal, ME, [a.tasks[1].id, b.tasks[0].id, b.tasks[1].id]);
    expect(await eventsFrom(raw, e)).toEqual([
      event(e, 'task_claimed', a.pipeline.id, a.tasks[1].id, { attempt: 1 }, ME, at(1000)),
      event(e + 1, 'task_claimed', b.pipeline.id, b.tasks[0].id, { attempt: 1 }, ME, at(1000)),
      event(e + 2, 'task_claimed', b.pipeline.id, b.tasks[1].id, { attempt: 1 }, ME, at(1000)),
      event(e + 3, 'pipeline_started', b.pipeline.id, null, null, ME, at(1000)),
    ]);
    expect((await pipelineRecord(raw, a.pipeline.id)).updatedAt).toEqual(T0);
    expect((await pipelineRecord(raw, c.pipeline.id)).status).toBe('Pending');
    // Two runs started by one claim: one pipeline_started each, in pipeline id order.
    const d = await seedReady(f.dal, { tasks: 1, workflow: 'd' });
    const e2 = nextIdIndex(f);
    await claimExactly(f.dal, ME, [c.tasks[0].id, d.tasks[0].id]);
    expect((await eventsFrom(raw, e2)).map((x) => [x.eventType, x.pipelineExecutionId, x.taskExecutionId])).toEqual([
      ['task_claimed', c.pipeline.id, c.tasks[0].id],
      ['task_claimed', d.pipeline.id, d.tasks[0].id],
      ['pipeline_started', c.pipeline.id, null],
      ['pipeline_started', d.pipeline.id, null],
    ]);
  });

  it('excludes a retry_at in the future and includes one at or before now (getReadyForRetry agrees)', async () => {
    const { tasks } = await seedRunning(f.dal, ME, { tasks: 3, maxAttempts: 3 });
    const [t1, t2, t3] = tasks.map((t) => t.id);
    f.clock.set(at(1000));
    await f.dal.taskExecution.scheduleRetry(t1, ME, { retryAt: at(2001) });
    await f.dal.taskExecution.scheduleRetry(t2, ME, { retryAt: at(1000) });
    await f.dal.taskExecution.scheduleRetry(t3, ME, { retryAt: at(999) });
    expect((await f.dal.taskExecution.getReadyForRetry()).map((t) => t.id)).toEqual([t2, t3]);
    const claims = await f.dal.taskExecution.claimReadyTasks(ME, 10);
    expect(claims.map((c) => [c.id, c.attempt])).toEqual([[t2, 2], [t3, 2]]);

    f.clock.set(at(2000));
    const before = await dumpDatabase(raw);
    expect(await f.dal.taskExecution.getReadyForRetry()).toEqual([]);
    expect(await f.dal.taskExecution.claimReadyTasks(ME, 10)).toEqual([]);
    expect(await dumpDatabase(raw)).toEqual(before);

    f.clock.set(at(2001));
    expect((await f.dal.taskExecution.getReadyForRetry()).map((t) => t.id)).toEqual([t1]);
    const e = nextIdIndex(f);
    expect((await f.dal.taskExecution.claimReadyTasks(ME, 10)).map((c) => [c.id, c.attempt])).toEqual([[t1, 2]]);
    expect((await eventsFrom(raw, e)).map((x) => x.eventData)).toEqual([{ attempt: 2 }]);
  });

  it('never claims tasks of terminal runs, even after an administrative resetRetryState', async () => {
    const runs = [];
    for (const wf of ['completed', 'failed', 'cancelled', 'active']) runs.push(await seedReady(f.dal, { tasks: 1, workflow: wf }));
    await f.dal.pipelineExecution.updateStatus(runs[0].pipeline.id, 'Completed');
    await f.dal.pipelineExecution.updateStatus(runs[1].pipeline.id, 'Failed');
    await f.dal.pipelineExecution.updateStatus(runs[2].pipeline.id, 'Cancelled');
    await f.dal.pipelineExecution.updateStatus(runs[3].pipeline.id, 'Running');
    const terminalRows = await Promise.all(runs.slice(0, 3).map((r) => exactRow(raw, 'task_executions', r.tasks[0].id)));
    const e = nextIdIndex(f);
    await claimExactly(f.dal, ME, [runs[3].tasks[0].id]);
    expect(await Promise.all(runs.slice(0, 3).map((r) => exactRow(raw, 'task_executions', r.tasks[0].id)))).toEqual(terminalRows);
    // The active run was already Running: no pipeline_started.
    expect((await eventsFrom(raw, e)).map((x) => x.eventType)).toEqual(['task_claimed']);

    await f.dal.taskExecution.markCompleted(runs[3].tasks[0].id, ME);
    await f.dal.pipelineExecution.updateStatus(runs[3].pipeline.id, 'Completed');
    expect(await f.dal.taskExecution.resetRetryState(runs[3].tasks[0].id)).toBe(true);
    expect(await f.dal.taskExecution.claimReadyTasks(ME, 10)).toEqual([]);
  });

  it('filters by workflow name: exact byte-wise names, an empty list claims nothing', async () => {
    const alpha = await seedReady(f.dal, { tasks: 2, workflow: 'alpha' });
    const beta = await seedReady(f.dal, { tasks: 1, workflow: 'beta' });
    const gamma = await seedReady(f.dal, { tasks: 1, workflow: 'gamma' });
    const before = await dumpDatabase(raw);
    expect(await f.dal.taskExecution.claimReadyTasks(ME, 10, [])).toEqual([]);
    expect(await f.dal.taskExecution.claimReadyTasks(ME, 10, ['ALPHA', 'alpha ', 'nope'])).toEqual([]);
    expect(await dumpDatabase(raw)).toEqual(before);
    const claims = await f.dal.taskExecution.claimReadyTasks(ME, 10, ['gamma', 'beta']);
    expect(claims.map((c) => c.id)).toEqual([beta.tasks[0].id, gamma.tasks[0].id]);
    expect((await pipelineRecord(raw, alpha.pipeline.id)).status).toBe('Pending');
    expect((await f.dal.taskExecution.claimReadyTasks(ME, 10)).map((c) => c.id)).toEqual(alpha.tasks.map((t) => t.id));
  });

  it('limit 0 → [] and nothing written; a negative or fractional limit → ValidationError', async () => {
    await seedReady(f.dal, { tasks: 2 });
    const before = await dumpDatabase(raw);
    expect(await f.dal.taskExecution.claimReadyTasks(ME, 0)).toEqual([]);
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(await rejectionOf(f.dal.taskExecution.claimReadyTasks(ME, bad))).toBeInstanceOf(ValidationError);
    }
    expect(await dumpDatabase(raw)).toEqual(before);
  });
});
