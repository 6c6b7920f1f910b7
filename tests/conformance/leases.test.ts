/**
 * Leases (01 §7.2, 02 §4.3 claiming.ts / recovery.ts): renewal (heartbeat, heartbeatMany), the
 * stale-claim sweep and its strict boundary, lookups by runner, recovery resets with and without
 * a lease guard, voluntary release and abandonment under a guard.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { countRows, event, eventsFrom, exactRow, rejectionOf, taskRecord } from '../support/raw-rows.js';
import { at, claimExactly, makeReady, nextIdIndex, seedPipeline, seedReady, seedRunning, T0, unknownId } from '../support/seed.js';

const ME = 'test-runner';

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
  });
  afterEach(() => f?.close());

  it('heartbeat renews heartbeat_at only: updated_at untouched, no event', async () => {
    const { tasks } = await seedRunning(f.dal, 'r1', { tasks: 1 });
    const before = await taskRecord(raw, tasks[0].id);
    const events = await countRows(raw, 'execution_events');
    f.clock.set(at(5000));
    expect(await f.dal.taskExecution.heartbeat(tasks[0].id, 'r1')).toBeUndefined();
    expect(await taskRecord(raw, tasks[0].id)).toEqual({ ...before, heartbeatAt: at(5000) });
    expect(before.updatedAt).toEqual(T0);
    expect(await countRows(raw, 'execution_events')).toBe(events);
  });

  it('heartbeatMany renews the tasks still held and reports the rest as lost, both lists id ASC', async () => {
    const { tasks } = await seedReady(f.dal, { tasks: 5 });
    const [t1, t2, t3, t4, t5] = tasks.map((t) => t.id);
    await claimExactly(f.dal, 'r1', [t1, t2, t3]);
    await f.dal.taskExecution.releaseClaim(t2, 'r1');
    await claimExactly(f.dal, 'r2', [t2, t4]); // t2 changed hands; t5 stays Ready
    const lostRows = await Promise.all([t2, t4, t5].map((id) => exactRow(raw, 'task_executions', id)));
    const [b1, b3] = [await taskRecord(raw, t1), await taskRecord(raw, t3)];
    const events = await countRows(raw, 'execution_events');
    f.clock.set(at(7000));
    const res = await f.dal.taskExecution.heartbeatMany('r1', [t5, unknownId(), t3, t2, t1, t4]);
    expect(res).toEqual({ renewed: [t1, t3], lost: [t2, t4, t5, unknownId()] });
    expect(await taskRecord(raw, t1)).toEqual({ ...b1, heartbeatAt: at(7000) });
    expect(await taskRecord(raw, t3)).toEqual({ ...b3, heartbeatAt: at(7000) });
    expect(await Promise.all([t2, t4, t5].map((id) => exactRow(raw, 'task_executions', id)))).toEqual(lostRows);
    expect(await countRows(raw, 'execution_events')).toBe(events);
    const before = await dumpDatabase(raw);
    expect(await f.dal.taskExecution.heartbeatMany('r1', [])).toEqual({ renewed: [], lost: [] });
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('findStaleClaims uses heartbeat_at < staleBefore (strict), orders by heartbeat_at then id, honours limit', async () => {
    const { tasks } = await seedReady(f.dal, { tasks: 5 });
    const [t1, t2, t3, t4] = tasks.map((t) => t.id); // t5 stays Ready (no lease)
    await claimExactly(f.dal, 'r1', [t1]); // heartbeat T0
    f.clock.set(at(1000));
    await claimExactly(f.dal, 'r2', [t2, t3]); // heartbeat 1000, tied
    f.clock.set(at(2000));
    await claimExactly(f.dal, 'r1', [t4]); // heartbeat 2000
    const ids = async (before: Date, limit?: number) => (await f.dal.taskExecution.findStaleClaims(before, limit)).map((t) => t.id);
    expect(await ids(T0)).toEqual([]);
    expect(await ids(at(1000))).toEqual([t1]);
    expect(await ids(at(1001))).toEqual([t1, t2, t3]);
    expect(await ids(at(2000))).toEqual([t1, t2, t3]);
    expect(await ids(at(2001))).toEqual([t1, t2, t3, t4]);
    expect(await ids(at(2001), 2)).toEqual([t1, t2]);
    // Renewing t1 moves it to the end: heartbeat order, not id order.
    f.clock.set(at(3000));
    await f.dal.taskExecution.heartbeat(t1, 'r1');
    expect(await ids(at(9000))).toEqual([t2, t3, t4, t1]);
    const stale = await f.dal.taskExecution.findStaleClaims(at(1001));
    expect(stale[0]).toEqual(await taskRecord(raw, t2));
  });

  it('findClaimsByRunner and getOrphanedTasks list Running tasks, id ASC', async () => {
    const a = await seedReady(f.dal, { tasks: 3, workflow: 'a' });
    const b = await seedReady(f.dal, { tasks: 2, workflow: 'b' });
    await claimExactly(f.dal, 'r1', [a.tasks[0].id]);
    await claimExactly(f.dal, 'r2', [a.tasks[1].id, a.tasks[2].id]);
    await claimExactly(f.dal, 'r1', [b.tasks[0].id]);
    await f.dal.taskExecution.markCompleted(a.tasks[2].id, 'r2');
    const ids = (ts: { id: string }[]) => ts.map((t) => t.id);
    expect(ids(await f.dal.taskExecution.findClaimsByRunner('r1'))).toEqual([a.tasks[0].id, b.tasks[0].id]);
    expect(ids(await f.dal.taskExecution.findClaimsByRunner('r2'))).toEqual([a.tasks[1].id]);
    expect(await f.dal.taskExecution.findClaimsByRunner('nobody')).toEqual([]);
    const orphans = await f.dal.taskExecution.getOrphanedTasks();
    expect(ids(orphans)).toEqual([a.tasks[0].id, a.tasks[1].id, b.tasks[0].id]);
    expect(orphans[1]).toEqual(await taskRecord(raw, a.tasks[1].id));
  });

  it('resetTaskForRecovery: Ready, lease and started_at cleared, recovery_attempts + 1, attempt and retry_at kept', async () => {
    const { pipeline, tasks } = await seedRunning(f.dal, 'r1', { tasks: 1, maxAttempts: 3 });
    const t = tasks[0].id;
    await f.dal.taskExecution.scheduleRetry(t, 'r1', { retryAt: at(500), error: 'flaky' });
    f.clock.set(at(500));
    await claimExactly(f.dal, 'r1', [t]);
    const before = await taskRecord(raw, t);
    f.clock.set(at(60_000));
    const e = nextIdIndex(f);
    expect(await f.dal.taskExecution.resetTaskForRecovery(t)).toBe(true);
    expect(await taskRecord(raw, t)).toEqual({
      ...before, status: 'Ready', startedAt: null, claimedBy: null, heartbeatAt: null, recoveryAttempts: 1,
      lastRecoveryAt: at(60_000), updatedAt: at(60_000), attempt: 2, retryAt: at(500),
    });
    expect(await eventsFrom(raw, e)).toEqual([
      event(e, 'task_reset', pipeline.id, t, { recovery_attempts: 1, previous_runner: 'r1' }, ME, at(60_000)),
    ]);
    // The same attempt re-runs; a second recovery counts on.
    expect((await claimExactly(f.dal, 'r2', [t]))[0].attempt).toBe(2);
    f.clock.set(at(120_000));
    expect(await f.dal.taskExecution.resetTaskForRecovery(t)).toBe(true);
    expect((await eventsFrom(raw, nextIdIndex(f) - 1))[0].eventData).toEqual({ recovery_attempts: 2, previous_runner: 'r2' });
    expect(await taskRecord(raw, t)).toMatchObject({ recoveryAttempts: 2, lastRecoveryAt: at(120_000), attempt: 2 });
  });

  it('resetTaskForRecovery with a guard refuses when the heartbeat was renewed or the owner changed', async () => {
    const { tasks } = await seedRunning(f.dal, 'r1', { tasks: 2 }); // heartbeats at T0
    const [t1, t2] = tasks.map((t) => t.id);
    // The sweeper saw both stale before 30 s; then t1's runner renewed and t2 changed hands.
    f.clock.set(at(31_000));
    await f.dal.taskExecution.heartbeat(t1, 'r1');
    await f.dal.taskExecution.releaseClaim(t2, 'r1');
    await claimExactly(f.dal, 'r2', [t2]);
    f.clock.set(at(40_000));
    const rows = [await exactRow(raw, 'task_executions', t1), await exactRow(raw, 'task_executions', t2)];
    const before = await dumpDatabase(raw);
    expect(await f.dal.taskExecution.resetTaskForRecovery(t1, { claimedBy: 'r1', heartbeatBefore: at(30_000) })).toBe(false);
    expect(await f.dal.taskExecution.resetTaskForRecovery(t1, { claimedBy: 'r1', heartbeatBefore: at(31_000) })).toBe(false); // not <
    expect(await f.dal.taskExecution.resetTaskForRecovery(t2, { claimedBy: 'r1' })).toBe(false);
    expect(await f.dal.taskExecution.resetTaskForRecovery(t2, { claimedBy: 'r1', heartbeatBefore: at(90_000) })).toBe(false);
    expect([await exactRow(raw, 'task_executions', t1), await exactRow(raw, 'task_executions', t2)]).toEqual(rows);
    expect(await dumpDatabase(raw)).toEqual(before);

    const e = nextIdIndex(f);
    expect(await f.dal.taskExecution.resetTaskForRecovery(t1, { claimedBy: 'r1', heartbeatBefore: at(31_001) })).toBe(true);
    expect(await f.dal.taskExecution.resetTaskForRecovery(t2, { claimedBy: 'r2' })).toBe(true);
    expect((await eventsFrom(raw, e)).map((x) => [x.taskExecutionId, x.eventData])).toEqual([
      [t1, { recovery_attempts: 1, previous_runner: 'r1' }],
      [t2, { recovery_attempts: 1, previous_runner: 'r2' }],
    ]);
    const err = await rejectionOf(f.dal.taskExecution.resetTaskForRecovery(unknownId(), { claimedBy: 'r1' }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ entity: 'TaskExecution', id: unknownId() });
  });

  it('releaseClaim keeps the attempt: the same attempt is claimed again', async () => {
    const { tasks } = await seedRunning(f.dal, 'r1', { tasks: 1, maxAttempts: 3 });
    const t = tasks[0].id;
    await f.dal.taskExecution.scheduleRetry(t, 'r1', { retryAt: T0 });
    await claimExactly(f.dal, 'r1', [t]);
    const e = nextIdIndex(f);
    await f.dal.taskExecution.releaseClaim(t, 'r1');
    expect(await taskRecord(raw, t)).toMatchObject({ status: 'Ready', attempt: 2, recoveryAttempts: 0, startedAt: null, claimedBy: null });
    expect((await eventsFrom(raw, e)).map((x) => [x.eventType, x.eventData, x.runnerId])).toEqual([['task_released', { attempt: 2 }, 'r1']]);
    const [again] = await claimExactly(f.dal, 'r2', [t]);
    expect(again.attempt).toBe(2);
  });

  it('markAbandoned with a guard applies only to a Running task whose lease still matches', async () => {
    const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 3 });
    const [t1, t2, t3] = tasks.map((t) => t.id);
    await makeReady(f.dal, [t1, t2, t3]);
    await claimExactly(f.dal, 'r1', [t1, t2]); // t3 stays Ready
    f.clock.set(at(10_000));
    await f.dal.taskExecution.heartbeat(t2, 'r1');
    const before = await dumpDatabase(raw);
    expect(await f.dal.taskExecution.markAbandoned(t3, 'x', { claimedBy: 'r1' })).toBe(false); // a guard needs Running
    expect(await f.dal.taskExecution.markAbandoned(t1, 'x', { claimedBy: 'r2' })).toBe(false);
    expect(await f.dal.taskExecution.markAbandoned(t2, 'x', { claimedBy: 'r1', heartbeatBefore: at(10_000) })).toBe(false);
    expect(await dumpDatabase(raw)).toEqual(before);

    f.clock.set(at(20_000));
    const e = nextIdIndex(f);
    expect(await f.dal.taskExecution.markAbandoned(t1, 'too many recoveries', { claimedBy: 'r1', heartbeatBefore: at(1) })).toBe(true);
    expect(await f.dal.taskExecution.markAbandoned(t2, 'gone', { claimedBy: 'r1' })).toBe(true);
    expect(await f.dal.taskExecution.markAbandoned(t3, 'no runner')).toBe(true); // without a guard: Ready is fine
    expect(await taskRecord(raw, t1)).toMatchObject({
      status: 'Failed', errorDetails: 'ABANDONED: too many recoveries', completedAt: at(20_000), claimedBy: null, heartbeatAt: null,
    });
    expect(await eventsFrom(raw, e)).toEqual([
      event(e, 'task_abandoned', pipeline.id, t1, { reason: 'too many recoveries' }, ME, at(20_000)),
      event(e + 1, 'task_abandoned', pipeline.id, t2, { reason: 'gone' }, ME, at(20_000)),
      event(e + 2, 'task_abandoned', pipeline.id, t3, { reason: 'no runner' }, ME, at(20_000)),
    ]);
  });
});
