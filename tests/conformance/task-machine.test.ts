/**
 * Task state machine, 01 §7.2: creation (T1), readiness (T2, T3, markReadiness), the pipeline's
 * effects on tasks (T4, T9), abandonment (T12), administrative re-run (T13) and the source-state
 * guards of every guarded transition. Fenced transitions are in task-machine-fenced.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaimLostError, ConstraintError, NotFoundError, ValidationError, type Dal, type NewTaskSpec, type TaskStatus } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { allTasks, countRows, event, eventsFrom, exactRow, rejectionOf, taskRecord } from '../support/raw-rows.js';
import { at, claimExactly, makeReady, nextIdIndex, seedAllStatuses, seedPipeline, T0, taskName, unknownId } from '../support/seed.js';

const ME = 'test-runner'; // the fixture's configured runnerId, written on non-fenced events

const GUARDED: { method: string; applies: TaskStatus[]; call: (dal: Dal, id: string) => Promise<boolean> }[] = [
  { method: 'markReady', applies: ['NotStarted'], call: (d, id) => d.taskExecution.markReady(id) },
  { method: 'markSkipped', applies: ['NotStarted'], call: (d, id) => d.taskExecution.markSkipped(id, 'why') },
  { method: 'resetTaskForRecovery', applies: ['Running'], call: (d, id) => d.taskExecution.resetTaskForRecovery(id) },
  { method: 'markAbandoned', applies: ['NotStarted', 'Ready', 'Running'], call: (d, id) => d.taskExecution.markAbandoned(id, 'lost') },
  { method: 'resetRetryState', applies: ['Failed', 'Skipped', 'Completed', 'Ready'], call: (d, id) => d.taskExecution.resetRetryState(id) },
];
const ALL_STATUSES: TaskStatus[] = ['NotStarted', 'Ready', 'Running', 'Completed', 'Failed', 'Skipped'];

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
  });
  afterEach(() => f?.close());

  describe('T1 creation', () => {
    it('createWithTasks writes NotStarted rows with attempt 1, the policy and documents, and only pipeline_created', async () => {
      const specs: NewTaskSpec[] = [
        { taskName: taskName('a'), maxAttempts: 3, triggerRules: { type: 'All', rules: [] }, taskConfiguration: { dependencies: [], leaf: false } },
        { taskName: taskName('b'), maxAttempts: 1, triggerRules: { type: 'Always' }, taskConfiguration: { dependencies: [taskName('a')], leaf: true } },
      ];
      const created = await seedPipeline(f.dal, { tasks: specs });
      const expected = specs.map((s, i) => ({
        id: idAt(2 + i), pipelineExecutionId: idAt(1), taskName: s.taskName, status: 'NotStarted', startedAt: null, completedAt: null,
        attempt: 1, maxAttempts: s.maxAttempts, errorDetails: null, triggerRules: s.triggerRules, taskConfiguration: s.taskConfiguration,
        retryAt: null, lastError: null, recoveryAttempts: 0, lastRecoveryAt: null, claimedBy: null, heartbeatAt: null, createdAt: T0, updatedAt: T0,
      }));
      expect(created.tasks).toEqual(expected);
      expect(await allTasks(raw)).toEqual(expected);
      expect(await eventsFrom(raw)).toEqual([
        event(4, 'pipeline_created', idAt(1), null, { pipeline_name: 'wf', pipeline_version: '1.0', task_count: 2 }, ME, T0),
      ]);
    });

    it('taskExecution.create applies the defaults and writes task_created {attempt, max_attempts}', async () => {
      const pipe = await f.dal.pipelineExecution.create({ pipelineName: 'wf' }); // id 1, event 2
      f.clock.set(at(1000));
      const t = await f.dal.taskExecution.create({ pipelineExecutionId: pipe.id, taskName: taskName('a') });
      const expected = {
        id: idAt(3), pipelineExecutionId: pipe.id, taskName: taskName('a'), status: 'NotStarted', startedAt: null, completedAt: null,
        attempt: 1, maxAttempts: 1, errorDetails: null, triggerRules: { type: 'Always' }, taskConfiguration: {}, retryAt: null,
        lastError: null, recoveryAttempts: 0, lastRecoveryAt: null, claimedBy: null, heartbeatAt: null, createdAt: at(1000), updatedAt: at(1000),
      };
      expect(t).toEqual(expected);
      expect(await taskRecord(raw, t.id)).toEqual(expected);
      expect(await eventsFrom(raw, 4)).toEqual([event(4, 'task_created', pipe.id, idAt(3), { attempt: 1, max_attempts: 1 }, ME, at(1000))]);
    });

    it('taskExecution.create with Running sets the lease and started_at; with a terminal status sets completed_at', async () => {
      const pipe = await f.dal.pipelineExecution.create({ pipelineName: 'wf' });
      f.clock.set(at(1000));
      const running = await f.dal.taskExecution.create({
        pipelineExecutionId: pipe.id, taskName: taskName('a'), status: 'Running', claimedBy: 'r1', attempt: 2, maxAttempts: 4,
        triggerRules: { type: 'Never' }, taskConfiguration: { timeout_ms: 5 },
      });
      expect(running).toMatchObject({ status: 'Running', claimedBy: 'r1', heartbeatAt: at(1000), startedAt: at(1000), completedAt: null, attempt: 2, maxAttempts: 4 });
      const done = await f.dal.taskExecution.create({ pipelineExecutionId: pipe.id, taskName: taskName('b'), status: 'Completed' });
      expect(done).toMatchObject({ status: 'Completed', completedAt: at(1000), startedAt: null, claimedBy: null, heartbeatAt: null });
      expect((await eventsFrom(raw, 4)).map((e) => [e.eventType, e.taskExecutionId, e.eventData])).toEqual([
        ['task_created', running.id, { attempt: 2, max_attempts: 4 }],
        ['task_created', done.id, { attempt: 1, max_attempts: 1 }],
      ]);
    });

    it('taskExecution.create refuses bad input with ValidationError / ConstraintError and writes nothing', async () => {
      const pipe = await f.dal.pipelineExecution.create({ pipelineName: 'wf' });
      await f.dal.taskExecution.create({ pipelineExecutionId: pipe.id, taskName: taskName('a') });
      const before = await dumpDatabase(raw);
      const base = { pipelineExecutionId: pipe.id, taskName: taskName('b') };
      expect(await rejectionOf(f.dal.taskExecution.create({ ...base, status: 'Running' }))).toBeInstanceOf(ValidationError); // no claimedBy
      expect(await rejectionOf(f.dal.taskExecution.create({ ...base, claimedBy: 'r1' }))).toBeInstanceOf(ValidationError); // claimedBy iff Running
      expect(await rejectionOf(f.dal.taskExecution.create({ ...base, status: 'Paused' as TaskStatus }))).toBeInstanceOf(ValidationError);
      const dup = await rejectionOf(f.dal.taskExecution.create({ ...base, taskName: taskName('a') }));
      expect(dup).toBeInstanceOf(ConstraintError);
      expect(dup).toMatchObject({ code: 'CONSTRAINT', kind: 'unique' });
      const orphan = await rejectionOf(f.dal.taskExecution.create({ ...base, pipelineExecutionId: unknownId() }));
      expect(orphan).toMatchObject({ code: 'CONSTRAINT', kind: 'foreign_key' });
      expect(await dumpDatabase(raw)).toEqual(before);
    });
  });

  describe('T2 / T3 readiness', () => {
    it('markReady moves NotStarted → Ready, touches only that row and writes task_ready', async () => {
      const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 2 });
      const [b1, b2] = [await taskRecord(raw, tasks[0].id), await exactRow(raw, 'task_executions', tasks[1].id)];
      f.clock.set(at(1000));
      const e = nextIdIndex(f);
      expect(await f.dal.taskExecution.markReady(tasks[0].id)).toBe(true);
      expect(await taskRecord(raw, tasks[0].id)).toEqual({ ...b1, status: 'Ready', updatedAt: at(1000) });
      expect(await exactRow(raw, 'task_executions', tasks[1].id)).toEqual(b2);
      expect(await eventsFrom(raw, e)).toEqual([event(e, 'task_ready', pipeline.id, tasks[0].id, null, ME, at(1000))]);
    });

    it('markSkipped moves NotStarted → Skipped with the reason and completed_at, writes task_skipped {reason}', async () => {
      const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 1 });
      const before = await taskRecord(raw, tasks[0].id);
      f.clock.set(at(1000));
      const e = nextIdIndex(f);
      expect(await f.dal.taskExecution.markSkipped(tasks[0].id, 'upstream failed')).toBe(true);
      expect(await taskRecord(raw, tasks[0].id)).toEqual({
        ...before, status: 'Skipped', errorDetails: 'upstream failed', completedAt: at(1000), updatedAt: at(1000),
      });
      expect(await eventsFrom(raw, e)).toEqual([event(e, 'task_skipped', pipeline.id, tasks[0].id, { reason: 'upstream failed' }, ME, at(1000))]);
    });

    it('markReadiness applies only to rows still NotStarted and returns the changed ids in id ASC', async () => {
      const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 4 });
      const [t1, t2, t3, t4] = tasks.map((t) => t.id);
      await f.dal.taskExecution.markReady(t3);
      const untouched = await exactRow(raw, 'task_executions', t3);
      f.clock.set(at(1000));
      const e = nextIdIndex(f);
      const res = await f.dal.taskExecution.markReadiness([
        { id: t4, outcome: 'Ready' },
        { id: t1, outcome: 'Skipped', reason: 'trigger rule false' },
        { id: t3, outcome: 'Skipped', reason: 'too late' },
        { id: t2, outcome: 'Ready' },
      ]);
      expect(res).toEqual({ ready: [t2, t4], skipped: [t1] });
      expect((await allTasks(raw)).map((t) => [t.status, t.errorDetails, t.completedAt])).toEqual([
        ['Skipped', 'trigger rule false', at(1000)],
        ['Ready', null, null],
        ['Ready', null, null],
        ['Ready', null, null],
      ]);
      expect(await exactRow(raw, 'task_executions', t3)).toEqual(untouched);
      // Task events in task id order, whatever the input order.
      expect(await eventsFrom(raw, e)).toEqual([
        event(e, 'task_skipped', pipeline.id, t1, { reason: 'trigger rule false' }, ME, at(1000)),
        event(e + 1, 'task_ready', pipeline.id, t2, null, ME, at(1000)),
        event(e + 2, 'task_ready', pipeline.id, t4, null, ME, at(1000)),
      ]);
    });

    it('markReadiness throws NotFoundError for the first unknown id in input order and writes nothing', async () => {
      const { tasks } = await seedPipeline(f.dal, { tasks: 2 });
      const before = await dumpDatabase(raw);
      f.clock.set(at(1000));
      const err = await rejectionOf(
        f.dal.taskExecution.markReadiness([
          { id: tasks[0].id, outcome: 'Ready' },
          { id: unknownId(9), outcome: 'Ready' },
          { id: unknownId(1), outcome: 'Skipped', reason: 'x' },
          { id: tasks[1].id, outcome: 'Ready' },
        ]),
      );
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ code: 'NOT_FOUND', entity: 'TaskExecution', id: unknownId(9) });
      expect(await dumpDatabase(raw)).toEqual(before);
      expect(await f.dal.taskExecution.markReadiness([])).toEqual({ ready: [], skipped: [] });
      expect(await dumpDatabase(raw)).toEqual(before);
    });
  });

  describe('T4 / T9 through the pipeline', () => {
    it('pipeline markFailed skips NotStarted and Ready tasks, leaves Running and terminal ones', async () => {
      const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 4 });
      const [t1, t2, t3, t4] = tasks.map((t) => t.id);
      await makeReady(f.dal, [t3]);
      await claimExactly(f.dal, 'r1', [t3]);
      await makeReady(f.dal, [t2]);
      await f.dal.taskExecution.markSkipped(t4, 'x');
      const [k3, k4] = [await exactRow(raw, 'task_executions', t3), await exactRow(raw, 'task_executions', t4)];
      f.clock.set(at(1000));
      const e = nextIdIndex(f);
      expect(await f.dal.pipelineExecution.markFailed(pipeline.id, 'boom')).toBe(true);
      for (const id of [t1, t2]) {
        expect(await taskRecord(raw, id)).toMatchObject({ status: 'Skipped', errorDetails: 'Pipeline failed: boom', completedAt: at(1000), updatedAt: at(1000) });
      }
      expect(await exactRow(raw, 'task_executions', t3)).toEqual(k3);
      expect(await exactRow(raw, 'task_executions', t4)).toEqual(k4);
      // Decision: the task_skipped reason is the text written to error_details ("as T3").
      expect(await eventsFrom(raw, e)).toEqual([
        event(e, 'task_skipped', pipeline.id, t1, { reason: 'Pipeline failed: boom' }, ME, at(1000)),
        event(e + 1, 'task_skipped', pipeline.id, t2, { reason: 'Pipeline failed: boom' }, ME, at(1000)),
        event(e + 2, 'pipeline_failed', pipeline.id, null, { reason: 'boom' }, ME, at(1000)),
      ]);
    });

    it('pipeline cancel skips NotStarted/Ready tasks and revokes Running ones (T9), fencing out the old runner', async () => {
      const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 4 });
      const [t1, t2, t3, t4] = tasks.map((t) => t.id);
      await makeReady(f.dal, [t2, t4]);
      await claimExactly(f.dal, 'r1', [t2, t4]);
      await f.dal.taskExecution.markCompleted(t4, 'r1');
      await makeReady(f.dal, [t3]);
      const k4 = await exactRow(raw, 'task_executions', t4);
      const running = await taskRecord(raw, t2);
      f.clock.set(at(1000));
      const e = nextIdIndex(f);
      expect(await f.dal.pipelineExecution.cancel(pipeline.id)).toBe(true);
      const cancelled = 'CANCELLED: Pipeline cancelled';
      expect(await taskRecord(raw, t2)).toEqual({
        ...running, status: 'Failed', completedAt: at(1000), errorDetails: cancelled, lastError: cancelled,
        claimedBy: null, heartbeatAt: null, updatedAt: at(1000),
      });
      for (const id of [t1, t3]) {
        expect(await taskRecord(raw, id)).toMatchObject({ status: 'Skipped', errorDetails: 'Pipeline cancelled', completedAt: at(1000) });
      }
      expect(await exactRow(raw, 'task_executions', t4)).toEqual(k4);
      expect(await eventsFrom(raw, e)).toEqual([
        event(e, 'task_skipped', pipeline.id, t1, { reason: 'Pipeline cancelled' }, ME, at(1000)),
        event(e + 1, 'task_failed', pipeline.id, t2, { attempt: 1, error: cancelled }, ME, at(1000)),
        event(e + 2, 'task_skipped', pipeline.id, t3, { reason: 'Pipeline cancelled' }, ME, at(1000)),
        event(e + 3, 'pipeline_cancelled', pipeline.id, null, { skipped_tasks: 2, revoked_tasks: 1 }, ME, at(1000)),
      ]);
      const lost = await rejectionOf(f.dal.taskExecution.markCompleted(t2, 'r1'));
      expect(lost).toBeInstanceOf(ClaimLostError);
      expect(lost).toMatchObject({ taskExecutionId: t2, runnerId: 'r1', currentStatus: 'Failed', currentOwner: null });
    });
  });

  describe('T12 / T13', () => {
    it('markAbandoned without a guard fails NotStarted, Ready and Running tasks with the ABANDONED: prefix', async () => {
      const { created, byStatus } = await seedAllStatuses(f.dal, 'r1');
      const p = created.pipeline.id;
      const befores = new Map<string, Awaited<ReturnType<typeof taskRecord>>>();
      for (const s of ['NotStarted', 'Ready', 'Running'] as const) befores.set(s, await taskRecord(raw, byStatus[s]));
      f.clock.set(at(1000));
      const e = nextIdIndex(f);
      for (const s of ['NotStarted', 'Ready', 'Running'] as const) {
        expect(await f.dal.taskExecution.markAbandoned(byStatus[s], `gone ${s}`)).toBe(true);
        // started_at and last_error are not among T12's side effects, so they are kept.
        expect(await taskRecord(raw, byStatus[s])).toEqual({
          ...befores.get(s), status: 'Failed', completedAt: at(1000), errorDetails: `ABANDONED: gone ${s}`,
          claimedBy: null, heartbeatAt: null, updatedAt: at(1000),
        });
      }
      // Decision: task_abandoned's reason is the caller's reason, without the prefix.
      expect(await eventsFrom(raw, e)).toEqual([
        event(e, 'task_abandoned', p, byStatus.NotStarted, { reason: 'gone NotStarted' }, ME, at(1000)),
        event(e + 1, 'task_abandoned', p, byStatus.Ready, { reason: 'gone Ready' }, ME, at(1000)),
        event(e + 2, 'task_abandoned', p, byStatus.Running, { reason: 'gone Running' }, ME, at(1000)),
      ]);
    });

    it('resetRetryState re-runs a Failed task from attempt 1 and clears every run field', async () => {
      const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 1, maxAttempts: 3 });
      const t = tasks[0].id;
      await makeReady(f.dal, [t]);
      await claimExactly(f.dal, 'r1', [t]);
      await f.dal.taskExecution.scheduleRetry(t, 'r1', { retryAt: at(500), error: 'e1' });
      f.clock.set(at(500));
      await claimExactly(f.dal, 'r1', [t]);
      await f.dal.taskExecution.markFailed(t, 'r1', 'e2');
      const before = await taskRecord(raw, t);
      expect(before).toMatchObject({ status: 'Failed', attempt: 2, retryAt: at(500), lastError: 'e2', errorDetails: 'e2' });
      f.clock.set(at(1000));
      const e = nextIdIndex(f);
      expect(await f.dal.taskExecution.resetRetryState(t)).toBe(true);
      expect(await taskRecord(raw, t)).toEqual({
        ...before, status: 'Ready', attempt: 1, retryAt: null, startedAt: null, completedAt: null, lastError: null,
        errorDetails: null, updatedAt: at(1000),
      });
      expect(await eventsFrom(raw, e)).toEqual([event(e, 'task_retry_reset', pipeline.id, t, { previous_status: 'Failed' }, ME, at(1000))]);
      const [claim] = await claimExactly(f.dal, 'r1', [t]);
      expect(claim.attempt).toBe(1);
    });

    it('resetRetryState applies from Ready (also clearing a pending retry), Completed and Skipped; refuses NotStarted and Running', async () => {
      const { byStatus } = await seedAllStatuses(f.dal, 'r1', { maxAttempts: 3 });
      f.clock.set(at(1000));
      const before = await dumpDatabase(raw);
      expect(await f.dal.taskExecution.resetRetryState(byStatus.NotStarted)).toBe(false);
      expect(await f.dal.taskExecution.resetRetryState(byStatus.Running)).toBe(false);
      expect(await dumpDatabase(raw)).toEqual(before);
      const e = nextIdIndex(f);
      for (const s of ['Ready', 'Completed', 'Skipped'] as const) {
        expect(await f.dal.taskExecution.resetRetryState(byStatus[s])).toBe(true);
        expect(await taskRecord(raw, byStatus[s])).toMatchObject({ status: 'Ready', attempt: 1, completedAt: null, errorDetails: null, updatedAt: at(1000) });
      }
      expect((await eventsFrom(raw, e)).map((x) => [x.eventType, x.taskExecutionId, x.eventData])).toEqual([
        ['task_retry_reset', byStatus.Ready, { previous_status: 'Ready' }],
        ['task_retry_reset', byStatus.Completed, { previous_status: 'Completed' }],
        ['task_retry_reset', byStatus.Skipped, { previous_status: 'Skipped' }],
      ]);
      // A scheduled retry (Ready, attempt 2, retry_at in the future) is reset to attempt 1, claimable now.
      await f.dal.taskExecution.scheduleRetry(byStatus.Running, 'r1', { retryAt: at(60_000), error: 'flaky' });
      expect(await f.dal.taskExecution.resetRetryState(byStatus.Running)).toBe(true);
      expect(await taskRecord(raw, byStatus.Running)).toMatchObject({
        status: 'Ready', attempt: 1, retryAt: null, startedAt: null, lastError: null, claimedBy: null, heartbeatAt: null,
      });
    });
  });

  describe.each(GUARDED)('guarded $method', ({ call, applies }) => {
    it('returns false from every other status and leaves the row byte-for-byte unchanged', async () => {
      const { byStatus } = await seedAllStatuses(f.dal, 'r1');
      f.clock.set(at(5000)); // a write would now change updated_at
      const events = await countRows(raw, 'execution_events');
      for (const status of ALL_STATUSES.filter((s) => !applies.includes(s))) {
        const row = await exactRow(raw, 'task_executions', byStatus[status]);
        const before = await dumpDatabase(raw);
        expect(await call(f.dal, byStatus[status]), `${status} must be refused`).toBe(false);
        expect(await exactRow(raw, 'task_executions', byStatus[status])).toEqual(row);
        expect(await dumpDatabase(raw)).toEqual(before);
      }
      expect(await countRows(raw, 'execution_events')).toBe(events);
    });

    it('throws NotFoundError for an unknown id and ValidationError for a malformed one, writing nothing', async () => {
      await seedAllStatuses(f.dal, 'r1');
      const before = await dumpDatabase(raw);
      const err = await rejectionOf(call(f.dal, unknownId()));
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ code: 'NOT_FOUND', entity: 'TaskExecution', id: unknownId() });
      expect(await rejectionOf(call(f.dal, 'not-a-uuid'))).toBeInstanceOf(ValidationError);
      expect(await dumpDatabase(raw)).toEqual(before);
    });
  });
});
