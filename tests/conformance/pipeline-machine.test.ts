/**
 * Pipeline state machine, part 1 (01 §7.1, 02 §4.2, §9 "Pipeline machine"): P2 create, P5
 * markCompleted, P6 markFailed, P7 cancel, P8 updateStatus, incrementRecoveryAttempts and
 * updateFinalContext, with source-state guards (false, row unchanged), timestamps equal to the
 * pinned clock, the exact texts, the tasks skipped or revoked, and exactly the listed events.
 * P3, P4 (finalize) and the queries are in pipeline-finalize.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConstraintError, type Dal, type PipelineStatus, type TaskStatus } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import {
  at,
  eventRecord,
  expectError,
  isPlainRecord,
  nextIds,
  pipelineRecord,
  rawEvents,
  rawPipeline,
  rawRow,
  rawTask,
  T0,
} from '../support/core-areas.js';

const TERMINAL: PipelineStatus[] = ['Completed', 'Failed', 'Cancelled'];

/** One task per status on pipeline `p`, created in the given order (so ids ascend in it). */
async function tasksIn(dal: Dal, p: string, statuses: TaskStatus[]): Promise<string[]> {
  const out: string[] = [];
  for (const [i, status] of statuses.entries()) {
    const t = await dal.taskExecution.create({
      pipelineExecutionId: p,
      taskName: `public::pkg::wf::t${i}`,
      status,
      claimedBy: status === 'Running' ? 'runner-9' : undefined,
    });
    out.push(t.id);
  }
  return out;
}

async function rawRows(raw: RawDb, ids: string[], table = 'task_executions') {
  return Promise.all(ids.map((id) => rawRow(raw, table, id)));
}

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
  });
  afterEach(() => f.close());

  /** Asserts a guarded call returns false and leaves the database byte-for-byte unchanged. */
  async function expectRefused(label: string, call: () => Promise<unknown>): Promise<void> {
    const before = await dumpDatabase(raw);
    f.clock.advance(1000);
    expect(await call(), label).toBe(false);
    expect(await dumpDatabase(raw), label).toEqual(before);
  }

  it('P2 create: exact record, pipeline_created with task_count 0, default version 1.0', async () => {
    f.clock.set(at(1000));
    const ctx = (await f.dal.context.create({ in: 1 }))!;
    const [p, ev] = nextIds(f, 2);
    const rec = await f.dal.pipelineExecution.create({ pipelineName: 'p2', contextId: ctx });
    const expected = pipelineRecord({ id: p!, pipelineName: 'p2', contextId: ctx, startedAt: at(1000), createdAt: at(1000), updatedAt: at(1000) });
    expect(rec).toEqual(expected);
    expect(isPlainRecord(rec)).toBe(true);
    expect(await f.dal.pipelineExecution.getById(p!)).toEqual(expected);
    expect(await rawEvents(raw, p)).toEqual([
      eventRecord({ id: ev!, pipelineExecutionId: p!, eventType: 'pipeline_created', eventData: { pipeline_name: 'p2', pipeline_version: '1.0', task_count: 0 }, createdAt: at(1000) }),
    ]);
  });

  it('P2 create with a status: completed_at = now exactly for terminal statuses', async () => {
    for (const status of ['Pending', 'Running', 'Completed', 'Failed', 'Cancelled'] as PipelineStatus[]) {
      const rec = await f.dal.pipelineExecution.create({ pipelineName: 'st', pipelineVersion: 'v9', status });
      expect(rec, status).toEqual(pipelineRecord({ id: rec.id, pipelineName: 'st', pipelineVersion: 'v9', status, completedAt: TERMINAL.includes(status) ? T0 : null }));
      expect(await rawPipeline(raw, rec.id)).toEqual(rec);
    }
  });

  it('P2 create with an unknown context → ConstraintError foreign_key, nothing written', async () => {
    const before = await dumpDatabase(raw);
    await expectError(() => f.dal.pipelineExecution.create({ pipelineName: 'x', contextId: idAt(999) }), ConstraintError, { kind: 'foreign_key' });
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it.each(['Pending', 'Running'] as PipelineStatus[])('P5 markCompleted from %s: Completed, completed_at, no task changes, pipeline_completed (null data)', async (from) => {
    const p = (await f.dal.pipelineExecution.create({ pipelineName: 'p5', status: from })).id;
    const tasks = await tasksIn(f.dal, p, ['NotStarted', 'Ready']);
    const tasksBefore = await rawRows(raw, tasks);
    f.clock.set(at(1000));
    const [ev] = nextIds(f, 1);
    expect(await f.dal.pipelineExecution.markCompleted(p)).toBe(true);
    expect(await rawPipeline(raw, p)).toEqual(pipelineRecord({ id: p, pipelineName: 'p5', status: 'Completed', completedAt: at(1000), updatedAt: at(1000) }));
    expect(await rawRows(raw, tasks)).toEqual(tasksBefore);
    expect((await rawEvents(raw, p)).slice(-1)).toEqual([eventRecord({ id: ev!, pipelineExecutionId: p, eventType: 'pipeline_completed', createdAt: at(1000) })]);
  });

  it('P5/P6/P7 from a terminal status return false and change nothing', async () => {
    for (const status of TERMINAL) {
      const p = (await f.dal.pipelineExecution.create({ pipelineName: 'guard', status })).id;
      await tasksIn(f.dal, p, ['NotStarted', 'Ready', 'Running']);
      await expectRefused(`markCompleted ${status}`, () => f.dal.pipelineExecution.markCompleted(p));
      await expectRefused(`markFailed ${status}`, () => f.dal.pipelineExecution.markFailed(p, 'late'));
      await expectRefused(`cancel ${status}`, () => f.dal.pipelineExecution.cancel(p));
    }
  });

  it.each(['Pending', 'Running'] as PipelineStatus[])('P6 markFailed from %s: reason, NotStarted/Ready tasks skipped, Running and terminal tasks untouched, events', async (from) => {
    const p = (await f.dal.pipelineExecution.create({ pipelineName: 'p6', status: from })).id;
    const [tNs, tRd, tRun, tC, tF, tS] = await tasksIn(f.dal, p, ['NotStarted', 'Ready', 'Running', 'Completed', 'Failed', 'Skipped']);
    const untouched = await rawRows(raw, [tRun!, tC!, tF!, tS!]);
    const skippedBefore = [(await rawTask(raw, tNs!))!, (await rawTask(raw, tRd!))!];
    f.clock.set(at(1000));
    const [e1, e2, e3] = nextIds(f, 3);
    expect(await f.dal.pipelineExecution.markFailed(p, 'boom')).toBe(true);

    expect(await rawPipeline(raw, p)).toEqual(
      pipelineRecord({ id: p, pipelineName: 'p6', status: 'Failed', completedAt: at(1000), errorDetails: 'boom', updatedAt: at(1000) }),
    );
    for (const before of skippedBefore) {
      expect(await rawTask(raw, before.id)).toEqual({ ...before, status: 'Skipped', errorDetails: 'Pipeline failed: boom', completedAt: at(1000), updatedAt: at(1000) });
    }
    expect(await rawRows(raw, [tRun!, tC!, tF!, tS!])).toEqual(untouched);
    // Decision: T4's task_skipped reason is the task's error_details text (T3 semantics with the pipeline's reason).
    const skipData = { reason: 'Pipeline failed: boom' };
    expect((await rawEvents(raw, p)).slice(-3)).toEqual([
      eventRecord({ id: e1!, pipelineExecutionId: p, taskExecutionId: tNs!, eventType: 'task_skipped', eventData: skipData, createdAt: at(1000) }),
      eventRecord({ id: e2!, pipelineExecutionId: p, taskExecutionId: tRd!, eventType: 'task_skipped', eventData: skipData, createdAt: at(1000) }),
      eventRecord({ id: e3!, pipelineExecutionId: p, eventType: 'pipeline_failed', eventData: { reason: 'boom' }, createdAt: at(1000) }),
    ]);
  });

  it.each(['Pending', 'Running'] as PipelineStatus[])('P7 cancel from %s: tasks skipped or revoked with the exact texts, counts in pipeline_cancelled', async (from) => {
    const p = (await f.dal.pipelineExecution.create({ pipelineName: 'p7', status: from })).id;
    const [tNs, tRd, tRun, tC, tF, tS] = await tasksIn(f.dal, p, ['NotStarted', 'Ready', 'Running', 'Completed', 'Failed', 'Skipped']);
    const untouched = await rawRows(raw, [tC!, tF!, tS!]);
    const before = Object.fromEntries(await Promise.all([tNs!, tRd!, tRun!].map(async (id) => [id, (await rawTask(raw, id))!] as const)));
    f.clock.set(at(1000));
    const [e1, e2, e3, e4] = nextIds(f, 4);
    expect(await f.dal.pipelineExecution.cancel(p)).toBe(true);

    // P7 lists completed_at only; error_details of the run stays NULL.
    expect(await rawPipeline(raw, p)).toEqual(pipelineRecord({ id: p, pipelineName: 'p7', status: 'Cancelled', completedAt: at(1000), updatedAt: at(1000) }));
    for (const id of [tNs!, tRd!]) {
      expect(await rawTask(raw, id)).toEqual({ ...before[id]!, status: 'Skipped', errorDetails: 'Pipeline cancelled', completedAt: at(1000), updatedAt: at(1000) });
    }
    expect(await rawTask(raw, tRun!)).toEqual({
      ...before[tRun!]!,
      status: 'Failed',
      errorDetails: 'CANCELLED: Pipeline cancelled',
      lastError: 'CANCELLED: Pipeline cancelled',
      claimedBy: null,
      heartbeatAt: null,
      completedAt: at(1000),
      updatedAt: at(1000),
    });
    expect(await rawRows(raw, [tC!, tF!, tS!])).toEqual(untouched);
    const skip = { reason: 'Pipeline cancelled' };
    expect((await rawEvents(raw, p)).slice(-4)).toEqual([
      eventRecord({ id: e1!, pipelineExecutionId: p, taskExecutionId: tNs!, eventType: 'task_skipped', eventData: skip, createdAt: at(1000) }),
      eventRecord({ id: e2!, pipelineExecutionId: p, taskExecutionId: tRd!, eventType: 'task_skipped', eventData: skip, createdAt: at(1000) }),
      eventRecord({
        id: e3!,
        pipelineExecutionId: p,
        taskExecutionId: tRun!,
        eventType: 'task_failed',
        eventData: { attempt: 1, error: 'CANCELLED: Pipeline cancelled' },
        createdAt: at(1000),
      }),
      eventRecord({ id: e4!, pipelineExecutionId: p, eventType: 'pipeline_cancelled', eventData: { skipped_tasks: 2, revoked_tasks: 1 }, createdAt: at(1000) }),
    ]);
  });

  it('P8 updateStatus: any → any, completed_at set on terminal and cleared on active, pipeline_status_changed {from, to}', async () => {
    const p = (await f.dal.pipelineExecution.create({ pipelineName: 'p8' })).id;
    const tasks = await tasksIn(f.dal, p, ['NotStarted', 'Running']);
    const tasksBefore = await rawRows(raw, tasks);
    const steps: [PipelineStatus, PipelineStatus, Date | null][] = [
      ['Pending', 'Running', null],
      ['Running', 'Completed', at(2000)],
      // Decision: moving between terminal statuses sets completed_at to now again.
      ['Completed', 'Failed', at(3000)],
      ['Failed', 'Pending', null],
      ['Pending', 'Cancelled', at(5000)],
    ];
    for (const [i, [from, to, completedAt]] of steps.entries()) {
      f.clock.set(at((i + 1) * 1000));
      const [ev] = nextIds(f, 1);
      await f.dal.pipelineExecution.updateStatus(p, to);
      expect(await rawPipeline(raw, p), `${from}→${to}`).toEqual(pipelineRecord({ id: p, pipelineName: 'p8', status: to, completedAt, updatedAt: at((i + 1) * 1000) }));
      expect((await rawEvents(raw, p)).slice(-1), `${from}→${to}`).toEqual([
        eventRecord({ id: ev!, pipelineExecutionId: p, eventType: 'pipeline_status_changed', eventData: { from, to }, createdAt: at((i + 1) * 1000) }),
      ]);
    }
    expect(await rawRows(raw, tasks)).toEqual(tasksBefore);
  });

  it('incrementRecoveryAttempts: +1, last_recovery_at and updated_at = now, no event, status untouched', async () => {
    const p = (await f.dal.pipelineExecution.create({ pipelineName: 'rec', status: 'Running' })).id;
    const events = await rawEvents(raw, p);
    f.clock.set(at(1000));
    await f.dal.pipelineExecution.incrementRecoveryAttempts(p);
    f.clock.set(at(2000));
    await f.dal.pipelineExecution.incrementRecoveryAttempts(p);
    expect(await rawPipeline(raw, p)).toEqual(
      pipelineRecord({ id: p, pipelineName: 'rec', status: 'Running', recoveryAttempts: 2, lastRecoveryAt: at(2000), updatedAt: at(2000) }),
    );
    expect(await rawEvents(raw, p)).toEqual(events);
  });

  it('updateFinalContext: sets and clears final_context_id with updated_at, no event; an unknown context is refused', async () => {
    const p = (await f.dal.pipelineExecution.create({ pipelineName: 'fin' })).id;
    const ctx = (await f.dal.context.create({ final: true }))!;
    const events = await rawEvents(raw, p);
    f.clock.set(at(1000));
    await f.dal.pipelineExecution.updateFinalContext(p, ctx);
    expect(await rawPipeline(raw, p)).toEqual(pipelineRecord({ id: p, pipelineName: 'fin', finalContextId: ctx, updatedAt: at(1000) }));
    f.clock.set(at(2000));
    const before = await dumpDatabase(raw);
    await expectError(() => f.dal.pipelineExecution.updateFinalContext(p, idAt(999)), ConstraintError, { kind: 'foreign_key' });
    expect(await dumpDatabase(raw)).toEqual(before);
    await f.dal.pipelineExecution.updateFinalContext(p, null);
    expect(await rawPipeline(raw, p)).toEqual(pipelineRecord({ id: p, pipelineName: 'fin', finalContextId: null, updatedAt: at(2000) }));
    expect(await rawEvents(raw, p)).toEqual(events);
  });
});
