/**
 * cronSchedule (02 §4.7): create/get/list/find/count, the state updates, the due-window edges of
 * getDueSchedules (all inclusive) and the compare-and-set claimAndUpdate, including 8 concurrent
 * claimers on separate DAL instances.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError, type CatchupPolicy, type Dal, type NewCronSchedule } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { countRows, exactRow, rejectionOf } from '../support/raw-rows.js';
import { at, nextIdIndex, unknownId } from '../support/seed.js';

const base: NewCronSchedule = { workflowName: 'nightly', cronExpression: '0 2 * * *', nextRunAt: at(60_000) };

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
  });
  afterEach(() => f?.close());

  it('create applies the defaults; get/find by id', async () => {
    f.clock.set(at(1000));
    const s = await f.dal.cronSchedule.create(base);
    const expected = {
      id: idAt(1), workflowName: 'nightly', cronExpression: '0 2 * * *', timezone: 'UTC', enabled: true, catchupPolicy: 'skip',
      startDate: null, endDate: null, nextRunAt: at(60_000), lastRunAt: null, createdAt: at(1000), updatedAt: at(1000),
    };
    expect(s).toEqual(expected);
    expect(await f.dal.cronSchedule.getById(s.id)).toEqual(expected);
    expect(await f.dal.cronSchedule.findById(s.id)).toEqual(expected);
    const full = await f.dal.cronSchedule.create({
      ...base, cronExpression: '*/5 * * * * *', timezone: 'Europe/Paris', enabled: false, catchupPolicy: 'run_all',
      startDate: at(10_000), endDate: at(10_000), nextRunAt: at(20_000),
    });
    expect(full).toEqual({
      ...expected, id: idAt(2), cronExpression: '*/5 * * * * *', timezone: 'Europe/Paris', enabled: false, catchupPolicy: 'run_all',
      startDate: at(10_000), endDate: at(10_000), nextRunAt: at(20_000),
    });
    expect(await f.dal.cronSchedule.findById(unknownId())).toBeNull();
    const err = await rejectionOf(f.dal.cronSchedule.getById(unknownId()));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', entity: 'CronSchedule', id: unknownId() });
  });

  it('create rejects a bad catch-up policy, empty texts and start_date > end_date with ValidationError', async () => {
    const bad: NewCronSchedule[] = [
      { ...base, catchupPolicy: 'sometimes' as CatchupPolicy },
      { ...base, catchupPolicy: 'RUN_ALL' as CatchupPolicy },
      { ...base, workflowName: '' },
      { ...base, cronExpression: '' },
      { ...base, startDate: at(2), endDate: at(1) },
    ];
    for (const input of bad) expect(await rejectionOf(f.dal.cronSchedule.create(input)), JSON.stringify(input)).toBeInstanceOf(ValidationError);
    expect(await countRows(raw, 'cron_schedules')).toBe(0);
  });

  it('list orders by workflow_name (byte-wise) then id; findByWorkflow by created_at DESC, id DESC; count', async () => {
    const make = async (ms: number, workflowName: string, enabled = true) => {
      f.clock.set(at(ms));
      return (await f.dal.cronSchedule.create({ ...base, workflowName, enabled })).id;
    };
    const s1 = await make(0, 'beta');
    const s2 = await make(0, 'Alpha');
    const s3 = await make(1000, 'alpha', false);
    const s4 = await make(1000, 'beta');
    const s5 = await make(1000, 'beta');
    const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
    expect(ids(await f.dal.cronSchedule.list())).toEqual([s2, s3, s1, s4, s5]);
    expect(ids(await f.dal.cronSchedule.list({ enabledOnly: true }))).toEqual([s2, s1, s4, s5]);
    expect(ids(await f.dal.cronSchedule.list({ limit: 2, offset: 1 }))).toEqual([s3, s1]);
    expect(ids(await f.dal.cronSchedule.findByWorkflow('beta'))).toEqual([s5, s4, s1]);
    expect(await f.dal.cronSchedule.findByWorkflow('BETA')).toEqual([]);
    expect(await f.dal.cronSchedule.count()).toBe(5);
    expect(await f.dal.cronSchedule.count({ enabledOnly: true })).toBe(4);
    expect(await rejectionOf(f.dal.cronSchedule.list({ limit: -1 }))).toBeInstanceOf(ValidationError);
  });

  it('enable, disable, updateNextRun, updateScheduleTimes and updateExpressionAndTimezone change only their fields and updated_at', async () => {
    const s = await f.dal.cronSchedule.create({ ...base, timezone: 'Asia/Tokyo', catchupPolicy: 'run_once' });
    const tick = (ms: number) => f.clock.set(at(ms));
    tick(1000);
    await f.dal.cronSchedule.disable(s.id);
    expect(await f.dal.cronSchedule.getById(s.id)).toEqual({ ...s, enabled: false, updatedAt: at(1000) });
    tick(2000);
    await f.dal.cronSchedule.enable(s.id);
    expect(await f.dal.cronSchedule.getById(s.id)).toEqual({ ...s, enabled: true, updatedAt: at(2000) });
    tick(3000);
    await f.dal.cronSchedule.updateNextRun(s.id, at(90_000));
    expect(await f.dal.cronSchedule.getById(s.id)).toEqual({ ...s, nextRunAt: at(90_000), updatedAt: at(3000) });
    tick(4000);
    await f.dal.cronSchedule.updateScheduleTimes(s.id, at(90_000), at(150_000));
    const timed = { ...s, lastRunAt: at(90_000), nextRunAt: at(150_000), updatedAt: at(4000) };
    expect(await f.dal.cronSchedule.getById(s.id)).toEqual(timed);
    tick(5000);
    await f.dal.cronSchedule.updateExpressionAndTimezone(s.id, { nextRunAt: at(200_000) });
    expect(await f.dal.cronSchedule.getById(s.id)).toEqual({ ...timed, nextRunAt: at(200_000), updatedAt: at(5000) });
    tick(6000);
    await f.dal.cronSchedule.updateExpressionAndTimezone(s.id, { cronExpression: '15 * * * *', timezone: 'UTC', catchupPolicy: 'skip', nextRunAt: at(300_000) });
    const updated = { ...timed, cronExpression: '15 * * * *', timezone: 'UTC', catchupPolicy: 'skip', nextRunAt: at(300_000), updatedAt: at(6000) };
    expect(await f.dal.cronSchedule.getById(s.id)).toEqual(updated);

    const before = await dumpDatabase(raw);
    const policy = await rejectionOf(f.dal.cronSchedule.updateExpressionAndTimezone(s.id, { catchupPolicy: 'never' as CatchupPolicy, nextRunAt: at(1) }));
    expect(policy).toBeInstanceOf(ValidationError);
    const calls: ((dal: Dal, id: string) => Promise<unknown>)[] = [
      (d, id) => d.cronSchedule.enable(id),
      (d, id) => d.cronSchedule.disable(id),
      (d, id) => d.cronSchedule.updateNextRun(id, at(1)),
      (d, id) => d.cronSchedule.updateScheduleTimes(id, at(1), at(2)),
      (d, id) => d.cronSchedule.updateExpressionAndTimezone(id, { nextRunAt: at(1) }),
      (d, id) => d.cronSchedule.claimAndUpdate(id, { expectedNextRunAt: at(1), now: at(1), lastRunAt: at(1), nextRunAt: at(2) }),
    ];
    for (const call of calls) {
      const err = await rejectionOf(call(f.dal, unknownId()));
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ entity: 'CronSchedule', id: unknownId() });
    }
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('getDueSchedules: enabled, next_run_at ≤ now, start_date ≤ now, end_date ≥ now (all inclusive), ordered by next_run_at then id', async () => {
    const now = at(100_000);
    const make = async (offset: number, extra: Partial<NewCronSchedule> = {}) =>
      (await f.dal.cronSchedule.create({ ...base, nextRunAt: at(100_000 + offset), ...extra })).id;
    const s1 = await make(0);
    await make(1);
    const s3 = await make(-1000, { startDate: now });
    await make(-1000, { startDate: at(100_001) });
    const s5 = await make(-2000, { endDate: now });
    await make(-2000, { endDate: at(99_999) });
    await make(-5000, { enabled: false });
    const s8 = await make(-5000);
    const s9 = await make(-1000, { startDate: at(0), endDate: at(200_000) });
    // The clock stays at T0: the window is decided by the `now` argument.
    expect((await f.dal.cronSchedule.getDueSchedules(now)).map((s) => s.id)).toEqual([s8, s5, s3, s9, s1]);
    expect(await f.dal.cronSchedule.getDueSchedules(at(90_000))).toEqual([]);
  });

  it('claimAndUpdate is a compare-and-set on next_run_at; a miss returns false and changes nothing', async () => {
    const s = await f.dal.cronSchedule.create(base);
    f.clock.set(at(60_000));
    const k = nextIdIndex(f);
    const claim = { expectedNextRunAt: at(60_000), now: at(60_000), lastRunAt: at(60_000), nextRunAt: at(120_000) };
    expect(await f.dal.cronSchedule.claimAndUpdate(s.id, claim)).toBe(true);
    const claimed = { ...s, lastRunAt: at(60_000), nextRunAt: at(120_000), updatedAt: at(60_000) };
    expect(await f.dal.cronSchedule.getById(s.id)).toEqual(claimed);
    expect(nextIdIndex(f)).toBe(k); // a compare-and-set inserts nothing
    const row = await exactRow(raw, 'cron_schedules', s.id);
    f.clock.set(at(130_000));
    expect(await f.dal.cronSchedule.claimAndUpdate(s.id, claim)).toBe(false); // stale expectedNextRunAt
    expect(await f.dal.cronSchedule.claimAndUpdate(s.id, { ...claim, expectedNextRunAt: at(120_000), now: at(119_999) })).toBe(false); // not due
    expect(await exactRow(raw, 'cron_schedules', s.id)).toEqual(row);
    await f.dal.cronSchedule.disable(s.id);
    const disabledRow = await exactRow(raw, 'cron_schedules', s.id);
    expect(await f.dal.cronSchedule.claimAndUpdate(s.id, { ...claim, expectedNextRunAt: at(120_000), now: at(120_000) })).toBe(false);
    expect(await exactRow(raw, 'cron_schedules', s.id)).toEqual(disabledRow);
  });

  it('8 concurrent claimers on separate DAL instances: exactly one wins', async () => {
    const s = await f.dal.cronSchedule.create(base);
    f.clock.set(at(60_000));
    const dals = await Promise.all(Array.from({ length: 8 }, () => f.open(combo, { poolSize: 1, listen: false })));
    const results = await Promise.all(
      dals.map((d, k) =>
        d.cronSchedule.claimAndUpdate(s.id, { expectedNextRunAt: at(60_000), now: at(60_000), lastRunAt: at(60_000), nextRunAt: at(120_000 + k) }),
      ),
    );
    expect(results.filter(Boolean).length).toBe(1);
    const winner = results.indexOf(true);
    expect(await f.dal.cronSchedule.getById(s.id)).toMatchObject({ lastRunAt: at(60_000), nextRunAt: at(120_000 + winner) });
  });
});
