/**
 * cronExecution (02 §4.8): the insert-if-absent audit row (DuplicateCronExecutionError, the
 * enclosing transaction still commits), linking a run (single winner), the query orders and
 * ranges, lost executions, counts, existence at millisecond precision, statistics, cleanup.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuplicateCronExecutionError, NotFoundError } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { countRows, exactRow, rejectionOf } from '../support/raw-rows.js';
import { at, nextIdIndex, unknownId } from '../support/seed.js';

const MIN = 60_000;

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  let s1: string;
  let s2: string;
  let p1: string;
  let p2: string;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
    s1 = (await f.dal.cronSchedule.create({ workflowName: 'nightly', cronExpression: '0 2 * * *', nextRunAt: at(MIN) })).id;
    s2 = (await f.dal.cronSchedule.create({ workflowName: 'hourly', cronExpression: '0 * * * *', nextRunAt: at(MIN) })).id;
    p1 = (await f.dal.pipelineExecution.create({ pipelineName: 'nightly' })).id;
    p2 = (await f.dal.pipelineExecution.create({ pipelineName: 'nightly' })).id;
  });
  afterEach(() => f?.close());

  it('create writes the audit row with claimed_at = now unless given; get/find by id', async () => {
    f.clock.set(at(1000));
    const k = nextIdIndex(f);
    const a = await f.dal.cronExecution.create({ scheduleId: s1, scheduledTime: at(MIN) });
    expect(a).toEqual({ id: idAt(k), scheduleId: s1, pipelineExecutionId: null, scheduledTime: at(MIN), claimedAt: at(1000), createdAt: at(1000), updatedAt: at(1000) });
    const b = await f.dal.cronExecution.create({ scheduleId: s1, scheduledTime: at(2 * MIN), pipelineExecutionId: p1, claimedAt: at(500) });
    expect(b).toEqual({ id: idAt(k + 1), scheduleId: s1, pipelineExecutionId: p1, scheduledTime: at(2 * MIN), claimedAt: at(500), createdAt: at(1000), updatedAt: at(1000) });
    expect(await f.dal.cronExecution.getById(a.id)).toEqual(a);
    expect(await f.dal.cronExecution.findById(unknownId())).toBeNull();
    expect(await rejectionOf(f.dal.cronExecution.getById(unknownId()))).toMatchObject({ code: 'NOT_FOUND', entity: 'CronExecution', id: unknownId() });
    expect(await rejectionOf(f.dal.cronExecution.create({ scheduleId: unknownId(), scheduledTime: at(MIN) }))).toMatchObject({ kind: 'foreign_key' });
  });

  it('a duplicate (schedule, scheduled_time) → DuplicateCronExecutionError, nothing written, an id still drawn', async () => {
    const k = nextIdIndex(f);
    await f.dal.cronExecution.create({ scheduleId: s1, scheduledTime: at(MIN) });
    const before = await dumpDatabase(raw);
    const err = await rejectionOf(f.dal.cronExecution.create({ scheduleId: s1, scheduledTime: at(MIN), pipelineExecutionId: p1 }));
    expect(err).toBeInstanceOf(DuplicateCronExecutionError);
    expect(err).toMatchObject({ code: 'DUPLICATE_CRON_EXECUTION', scheduleId: s1, scheduledTime: at(MIN) });
    expect(err.message).toBe(`Cron execution already recorded for schedule ${s1} at ${at(MIN).toISOString()}`);
    expect(await dumpDatabase(raw)).toEqual(before);
    // Same time, other schedule: fine. Its id shows the refused insert drew one (02 §1).
    expect((await f.dal.cronExecution.create({ scheduleId: s2, scheduledTime: at(MIN) })).id).toBe(idAt(k + 2));
  });

  it('the duplicate leaves the enclosing transaction usable and committing its other writes', async () => {
    await f.dal.cronExecution.create({ scheduleId: s1, scheduledTime: at(MIN) });
    const out = await f.dal.transaction(async (tx) => {
      const ctx = await tx.context.create({ in: 'tx' });
      const err = await rejectionOf(tx.cronExecution.create({ scheduleId: s1, scheduledTime: at(MIN) }));
      expect(err).toBeInstanceOf(DuplicateCronExecutionError);
      await tx.cronSchedule.updateNextRun(s1, at(99 * MIN));
      const next = await tx.cronExecution.create({ scheduleId: s1, scheduledTime: at(2 * MIN) });
      return { ctx: ctx!, next };
    });
    expect(await f.dal.context.read(out.ctx)).toEqual({ in: 'tx' });
    expect((await f.dal.cronSchedule.getById(s1)).nextRunAt).toEqual(at(99 * MIN));
    expect(await f.dal.cronExecution.getById(out.next.id)).toEqual(out.next);
    expect(await countRows(raw, 'cron_executions')).toBe(2);
  });

  it('linkPipelineExecution links only an unlinked row; updatePipelineExecutionId overwrites', async () => {
    const e = await f.dal.cronExecution.create({ scheduleId: s1, scheduledTime: at(MIN) });
    f.clock.set(at(1000));
    expect(await f.dal.cronExecution.linkPipelineExecution(e.id, p1)).toBe(true);
    const linked = { ...e, pipelineExecutionId: p1, updatedAt: at(1000) };
    expect(await f.dal.cronExecution.getById(e.id)).toEqual(linked);
    const row = await exactRow(raw, 'cron_executions', e.id);
    f.clock.set(at(2000));
    expect(await f.dal.cronExecution.linkPipelineExecution(e.id, p2)).toBe(false);
    expect(await exactRow(raw, 'cron_executions', e.id)).toEqual(row);
    await f.dal.cronExecution.updatePipelineExecutionId(e.id, p2);
    expect(await f.dal.cronExecution.getById(e.id)).toEqual({ ...linked, pipelineExecutionId: p2, updatedAt: at(2000) });

    const free = await f.dal.cronExecution.create({ scheduleId: s1, scheduledTime: at(2 * MIN) });
    const before = await dumpDatabase(raw);
    for (const call of [() => f.dal.cronExecution.linkPipelineExecution(unknownId(), p1), () => f.dal.cronExecution.updatePipelineExecutionId(unknownId(), p1)]) {
      const err = await rejectionOf(call());
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ entity: 'CronExecution', id: unknownId() });
    }
    expect(await rejectionOf(f.dal.cronExecution.linkPipelineExecution(free.id, unknownId(1)))).toMatchObject({ kind: 'foreign_key' });
    expect(await rejectionOf(f.dal.cronExecution.updatePipelineExecutionId(free.id, unknownId(1)))).toMatchObject({ kind: 'foreign_key' });
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('linkPipelineExecution has a single winner among 8 concurrent DAL instances', async () => {
    const e = await f.dal.cronExecution.create({ scheduleId: s1, scheduledTime: at(MIN) });
    const runs: string[] = [];
    for (let k = 0; k < 8; k++) runs.push((await f.dal.pipelineExecution.create({ pipelineName: 'nightly' })).id);
    const dals = await Promise.all(runs.map(() => f.open(combo, { poolSize: 1, listen: false })));
    const results = await Promise.all(dals.map((d, k) => d.cronExecution.linkPipelineExecution(e.id, runs[k])));
    expect(results.filter(Boolean).length).toBe(1);
    expect((await f.dal.cronExecution.getById(e.id)).pipelineExecutionId).toBe(runs[results.indexOf(true)]);
  });

  it('queries: by schedule and by time range order by scheduled_time DESC, id DESC; latest; by run; count; exists', async () => {
    const make = async (scheduleId: string, ms: number) => (await f.dal.cronExecution.create({ scheduleId, scheduledTime: at(ms) })).id;
    const x1 = await make(s1, 3000);
    const x2 = await make(s1, 1000);
    const x3 = await make(s1, 2000);
    const x4 = await make(s2, 2000);
    const x5 = await make(s2, 4000);
    const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
    expect(ids(await f.dal.cronExecution.getByScheduleId(s1, 10, 0))).toEqual([x1, x3, x2]);
    expect(ids(await f.dal.cronExecution.getByScheduleId(s1, 1, 1))).toEqual([x3]);
    expect(ids(await f.dal.cronExecution.getByTimeRange(at(1000), at(3000), 10, 0))).toEqual([x4, x3, x2]);
    expect(ids(await f.dal.cronExecution.getByTimeRange(at(1000), at(3001), 10, 0))).toEqual([x1, x4, x3, x2]);
    expect(ids(await f.dal.cronExecution.getByTimeRange(at(1000), at(3001), 2, 1))).toEqual([x4, x3]);
    expect(await f.dal.cronExecution.getByTimeRange(at(1001), at(2000), 10, 0)).toEqual([]);
    expect((await f.dal.cronExecution.getLatestBySchedule(s1))?.id).toBe(x1);
    expect((await f.dal.cronExecution.getLatestBySchedule(s2))?.id).toBe(x5);
    expect(await f.dal.cronExecution.getLatestBySchedule(unknownId())).toBeNull();
    await f.dal.cronExecution.linkPipelineExecution(x4, p1);
    await f.dal.cronExecution.linkPipelineExecution(x2, p1);
    expect(await f.dal.cronExecution.getByPipelineExecutionId(p1)).toEqual(await f.dal.cronExecution.getById(x2));
    expect(await f.dal.cronExecution.getByPipelineExecutionId(p2)).toBeNull();
    expect(await f.dal.cronExecution.countBySchedule(s1)).toBe(3);
    expect(await f.dal.cronExecution.countBySchedule(s2)).toBe(2);
    expect(await f.dal.cronExecution.countBySchedule(unknownId())).toBe(0);
    expect(await f.dal.cronExecution.executionExists(s1, at(1000))).toBe(true);
    expect(await f.dal.cronExecution.executionExists(s1, at(1001))).toBe(false);
    expect(await f.dal.cronExecution.executionExists(s1, at(999))).toBe(false);
    expect(await f.dal.cronExecution.executionExists(s2, at(1000))).toBe(false);
  });

  it('findLostExecutions: unlinked and claimed_at < now − N minutes, ordered by scheduled_time then id', async () => {
    const make = async (scheduled: number, claimed: number, link?: string) =>
      (await f.dal.cronExecution.create({ scheduleId: s1, scheduledTime: at(scheduled), claimedAt: at(claimed), pipelineExecutionId: link ?? null })).id;
    const y1 = await make(3000, 4999);
    await make(4000, 5000); // exactly at the threshold: not lost yet
    await make(5000, 1000, p1); // linked
    const y4 = await make(2000, 0);
    f.clock.set(at(10 * MIN + 5000));
    expect((await f.dal.cronExecution.findLostExecutions(10)).map((x) => x.id)).toEqual([y4, y1]);
    expect(await f.dal.cronExecution.findLostExecutions(11)).toEqual([]);
  });

  it('getExecutionStats counts since a time, with lost by threshold; 0 total → 0 rate', async () => {
    const make = async (ms: number, scheduled: number, link?: string) =>
      f.dal.cronExecution.create({ scheduleId: s1, scheduledTime: at(scheduled), claimedAt: at(ms), pipelineExecutionId: link ?? null });
    await make(500, 1, p2); // before `since`
    await make(1000, 2, p1); // at `since`: counted, successful
    await make(2000, 3); // old and unlinked: lost
    await make(10 * MIN, 4); // exactly at the 10-minute threshold: not lost
    await make(16 * MIN, 5);
    f.clock.set(at(20 * MIN));
    expect(await f.dal.cronExecution.getExecutionStats(at(1000))).toEqual({ totalExecutions: 4, successfulExecutions: 1, lostExecutions: 1, successRate: 25 });
    expect(await f.dal.cronExecution.getExecutionStats(at(1000), { lostThresholdMinutes: 1 })).toEqual({
      totalExecutions: 4, successfulExecutions: 1, lostExecutions: 3, successRate: 25,
    });
    expect(await f.dal.cronExecution.getExecutionStats(at(30 * MIN))).toEqual({ totalExecutions: 0, successfulExecutions: 0, lostExecutions: 0, successRate: 0 });
  });

  it('deleteOlderThan deletes scheduled_time < cutoff and returns the count', async () => {
    for (const ms of [1000, 2000, 3000]) await f.dal.cronExecution.create({ scheduleId: s1, scheduledTime: at(ms) });
    await f.dal.cronExecution.create({ scheduleId: s2, scheduledTime: at(1500) });
    expect(await f.dal.cronExecution.deleteOlderThan(at(2000))).toBe(2);
    expect((await f.dal.cronExecution.getByTimeRange(at(0), at(10_000), 10, 0)).map((x) => x.scheduledTime)).toEqual([at(3000), at(2000)]);
    expect(await f.dal.cronExecution.deleteOlderThan(at(2000))).toBe(0);
  });
});
