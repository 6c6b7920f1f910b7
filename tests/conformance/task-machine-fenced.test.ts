/**
 * Fenced executor writes of 01 §7.2 (T6, T7, T8, T10, heartbeat): the successful transitions with
 * their exact rows and events, the fence (ClaimLostError with its fields, nothing changed), and
 * lease consistency along a full walk through the machine.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaimLostError, NotFoundError, ValidationError, type Dal, type TaskStatus } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { allTasks, countRows, event, eventsFrom, exactRow, leaseConsistent, rejectionOf, taskRecord } from '../support/raw-rows.js';
import { at, claimExactly, nextIdIndex, seedAllStatuses, seedPipeline, seedRunning, T0, unknownId } from '../support/seed.js';

const FENCED: { method: string; call: (dal: Dal, id: string, runnerId: string) => Promise<unknown> }[] = [
  { method: 'markCompleted', call: (d, id, r) => d.taskExecution.markCompleted(id, r) },
  { method: 'completeWithOutput', call: (d, id, r) => d.taskExecution.completeWithOutput(id, r, { out: 1 }) },
  { method: 'markFailed', call: (d, id, r) => d.taskExecution.markFailed(id, r, 'late failure') },
  { method: 'scheduleRetry', call: (d, id, r) => d.taskExecution.scheduleRetry(id, r, { retryAt: at(60_000), error: 'late' }) },
  { method: 'releaseClaim', call: (d, id, r) => d.taskExecution.releaseClaim(id, r) },
  { method: 'heartbeat', call: (d, id, r) => d.taskExecution.heartbeat(id, r) },
];

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
  });
  afterEach(() => f?.close());

  describe('successful fenced transitions', () => {
    it('T6 markCompleted: Completed, completed_at, lease cleared, task_completed with the fenced runner id', async () => {
      const { pipeline, tasks } = await seedRunning(f.dal, 'r1', { tasks: 2 });
      const before = await taskRecord(raw, tasks[0].id);
      const other = await exactRow(raw, 'task_executions', tasks[1].id);
      f.clock.set(at(1000));
      const e = nextIdIndex(f);
      expect(await f.dal.taskExecution.markCompleted(tasks[0].id, 'r1')).toBeUndefined();
      expect(await taskRecord(raw, tasks[0].id)).toEqual({
        ...before, status: 'Completed', completedAt: at(1000), claimedBy: null, heartbeatAt: null, retryAt: null, updatedAt: at(1000),
      });
      expect(before.startedAt).toEqual(T0);
      expect(await exactRow(raw, 'task_executions', tasks[1].id)).toEqual(other);
      expect(await eventsFrom(raw, e)).toEqual([event(e, 'task_completed', pipeline.id, tasks[0].id, { attempt: 1, context_id: null }, 'r1', at(1000))]);
      // Without output there is no context and no metadata row (that is completeWithOutput's job).
      expect(await countRows(raw, 'task_execution_metadata')).toBe(0);
      expect(await countRows(raw, 'contexts')).toBe(0);
    });

    it('T6 clears the retry_at of a retried attempt', async () => {
      const { tasks } = await seedRunning(f.dal, 'r1', { tasks: 1, maxAttempts: 2 });
      await f.dal.taskExecution.scheduleRetry(tasks[0].id, 'r1', { retryAt: at(500) });
      f.clock.set(at(500));
      await claimExactly(f.dal, 'r1', [tasks[0].id]);
      await f.dal.taskExecution.markCompleted(tasks[0].id, 'r1');
      expect(await taskRecord(raw, tasks[0].id)).toMatchObject({ status: 'Completed', attempt: 2, retryAt: null, completedAt: at(500) });
    });

    it('T7 markFailed: Failed, last_error = error_details = message, lease cleared, task_failed {attempt, error}', async () => {
      const { pipeline, tasks } = await seedRunning(f.dal, 'r1', { tasks: 1 });
      const before = await taskRecord(raw, tasks[0].id);
      f.clock.set(at(1000));
      const e = nextIdIndex(f);
      await f.dal.taskExecution.markFailed(tasks[0].id, 'r1', 'kaput');
      expect(await taskRecord(raw, tasks[0].id)).toEqual({
        ...before, status: 'Failed', completedAt: at(1000), lastError: 'kaput', errorDetails: 'kaput', claimedBy: null, heartbeatAt: null, updatedAt: at(1000),
      });
      expect(await eventsFrom(raw, e)).toEqual([event(e, 'task_failed', pipeline.id, tasks[0].id, { attempt: 1, error: 'kaput' }, 'r1', at(1000))]);
    });

    it('T8 scheduleRetry: Ready, attempt + 1, retry_at, started_at cleared, last_error, task_retry_scheduled', async () => {
      const { pipeline, tasks } = await seedRunning(f.dal, 'r1', { tasks: 2, maxAttempts: 3 });
      const [t1, t2] = tasks.map((t) => t.id);
      const b1 = await taskRecord(raw, t1);
      const b2 = await taskRecord(raw, t2);
      f.clock.set(at(1000));
      const e = nextIdIndex(f);
      await f.dal.taskExecution.scheduleRetry(t1, 'r1', { retryAt: at(5000), error: 'flaky' });
      await f.dal.taskExecution.scheduleRetry(t2, 'r1', { retryAt: at(2000) });
      expect(await taskRecord(raw, t1)).toEqual({
        ...b1, status: 'Ready', attempt: 2, retryAt: at(5000), startedAt: null, lastError: 'flaky', claimedBy: null, heartbeatAt: null, updatedAt: at(1000),
      });
      expect(await taskRecord(raw, t2)).toEqual({
        ...b2, status: 'Ready', attempt: 2, retryAt: at(2000), startedAt: null, lastError: null, claimedBy: null, heartbeatAt: null, updatedAt: at(1000),
      });
      expect(await eventsFrom(raw, e)).toEqual([
        event(e, 'task_retry_scheduled', pipeline.id, t1, { attempt: 2, retry_at: '2025-01-01T00:00:05.000Z', error: 'flaky' }, 'r1', at(1000)),
        event(e + 1, 'task_retry_scheduled', pipeline.id, t2, { attempt: 2, retry_at: '2025-01-01T00:00:02.000Z', error: null }, 'r1', at(1000)),
      ]);
    });

    it('T10 releaseClaim: Ready, started_at and lease cleared, attempt kept, task_released {attempt}', async () => {
      const { pipeline, tasks } = await seedRunning(f.dal, 'r1', { tasks: 1 });
      const before = await taskRecord(raw, tasks[0].id);
      f.clock.set(at(1000));
      const e = nextIdIndex(f);
      await f.dal.taskExecution.releaseClaim(tasks[0].id, 'r1');
      expect(await taskRecord(raw, tasks[0].id)).toEqual({
        ...before, status: 'Ready', startedAt: null, claimedBy: null, heartbeatAt: null, updatedAt: at(1000),
      });
      expect(await eventsFrom(raw, e)).toEqual([event(e, 'task_released', pipeline.id, tasks[0].id, { attempt: 1 }, 'r1', at(1000))]);
    });
  });

  describe.each(FENCED)('fence of $method', ({ method, call }) => {
    it('a task held by another runner → ClaimLostError with its fields; nothing changes', async () => {
      const { byStatus } = await seedAllStatuses(f.dal, 'r1');
      const id = byStatus.Running;
      f.clock.set(at(5000));
      const row = await exactRow(raw, 'task_executions', id);
      const before = await dumpDatabase(raw);
      const err = await rejectionOf(call(f.dal, id, 'r2'));
      expect(err).toBeInstanceOf(ClaimLostError);
      expect(err).toMatchObject({ code: 'CLAIM_LOST', taskExecutionId: id, runnerId: 'r2', currentStatus: 'Running', currentOwner: 'r1' });
      expect(err.message).toBe(`Claim lost on task execution ${id}: held by r1, status Running`);
      expect(await exactRow(raw, 'task_executions', id)).toEqual(row);
      expect(await dumpDatabase(raw)).toEqual(before);
    });

    it('a task that is not Running → ClaimLostError naming its status and no owner; nothing changes', async () => {
      const { byStatus } = await seedAllStatuses(f.dal, 'r1');
      f.clock.set(at(5000));
      for (const status of ['NotStarted', 'Ready', 'Completed', 'Failed', 'Skipped'] as TaskStatus[]) {
        const id = byStatus[status as keyof typeof byStatus];
        const row = await exactRow(raw, 'task_executions', id);
        const before = await dumpDatabase(raw);
        const err = await rejectionOf(call(f.dal, id, 'r1'));
        expect(err, `${method} on ${status}`).toBeInstanceOf(ClaimLostError);
        expect(err).toMatchObject({ code: 'CLAIM_LOST', taskExecutionId: id, runnerId: 'r1', currentStatus: status, currentOwner: null });
        expect(err.message).toBe(`Claim lost on task execution ${id}: held by nobody, status ${status}`);
        expect(await exactRow(raw, 'task_executions', id)).toEqual(row);
        expect(await dumpDatabase(raw)).toEqual(before);
      }
    });

    it('an unknown id → NotFoundError; a malformed id → ValidationError; nothing changes', async () => {
      await seedAllStatuses(f.dal, 'r1');
      const before = await dumpDatabase(raw);
      const err = await rejectionOf(call(f.dal, unknownId(), 'r1'));
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ code: 'NOT_FOUND', entity: 'TaskExecution', id: unknownId() });
      expect(await rejectionOf(call(f.dal, 'nope', 'r1'))).toBeInstanceOf(ValidationError);
      expect(await dumpDatabase(raw)).toEqual(before);
    });
  });

  it('lease consistency: claimed_by and heartbeat_at are set exactly while Running, through a full walk', async () => {
    const { tasks } = await seedPipeline(f.dal, { tasks: 1, maxAttempts: 5 });
    const t = tasks[0].id;
    const lease = async (status: TaskStatus, claimedBy: string | null, heartbeatAt: Date | null) => {
      const rec = await taskRecord(raw, t);
      expect({ status: rec.status, claimedBy: rec.claimedBy, heartbeatAt: rec.heartbeatAt }).toEqual({ status, claimedBy, heartbeatAt });
      expect(leaseConsistent(rec)).toBe(true);
    };
    await lease('NotStarted', null, null);
    await f.dal.taskExecution.markReady(t);
    await lease('Ready', null, null);
    await claimExactly(f.dal, 'r1', [t]);
    await lease('Running', 'r1', T0);
    f.clock.set(at(1000));
    await f.dal.taskExecution.heartbeat(t, 'r1');
    await lease('Running', 'r1', at(1000));
    await f.dal.taskExecution.scheduleRetry(t, 'r1', { retryAt: at(2000), error: 'again' });
    await lease('Ready', null, null);
    f.clock.set(at(2000));
    await claimExactly(f.dal, 'r2', [t]);
    await lease('Running', 'r2', at(2000));
    await f.dal.taskExecution.releaseClaim(t, 'r2');
    await lease('Ready', null, null);
    f.clock.set(at(3000));
    await claimExactly(f.dal, 'r1', [t]);
    await lease('Running', 'r1', at(3000));
    expect(await f.dal.taskExecution.resetTaskForRecovery(t)).toBe(true);
    await lease('Ready', null, null);
    await claimExactly(f.dal, 'r1', [t]);
    expect(await f.dal.taskExecution.markAbandoned(t, 'stuck', { claimedBy: 'r1' })).toBe(true);
    await lease('Failed', null, null);
    expect(await f.dal.taskExecution.resetRetryState(t)).toBe(true);
    await lease('Ready', null, null);
    await claimExactly(f.dal, 'r3', [t]);
    await f.dal.taskExecution.completeWithOutput(t, 'r3', { done: true });
    await lease('Completed', null, null);
    expect((await allTasks(raw)).every(leaseConsistent)).toBe(true);
  });
});
