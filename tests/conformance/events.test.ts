/**
 * recoveryEvent and executionEvent (02 §4.5, §4.6): vocabulary validation, the documented orders
 * with deliberately tied timestamps (recovery: recovered_at DESC, id DESC; execution history:
 * created_at ASC, id ASC; recent: DESC), getByType paging, deleteOlderThan.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError, type ExecutionEventType, type RecoveryType } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { countRows, eventsFrom, rejectionOf } from '../support/raw-rows.js';
import { at, nextIdIndex, seedPipeline, T0, unknownId } from '../support/seed.js';

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  let p1: string;
  let p2: string;
  let t1: string;
  let t2: string;
  let u1: string;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
    const a = await seedPipeline(f.dal, { tasks: 2 }); // ids 1..3, pipeline_created 4 (T0)
    const b = await seedPipeline(f.dal, { tasks: 1, workflow: 'other' }); // ids 5..6, pipeline_created 7 (T0)
    [p1, t1, t2, p2, u1] = [a.pipeline.id, a.tasks[0].id, a.tasks[1].id, b.pipeline.id, b.tasks[0].id];
  });
  afterEach(() => f?.close());

  describe('recoveryEvent', () => {
    it('create stamps recovered_at = created_at = updated_at = now; task id and details are optional', async () => {
      f.clock.set(at(1000));
      const k = nextIdIndex(f);
      const details = { task_name: 'public::embedded::wf::t1', previous_status: 'Running', new_status: 'Ready', recovery_attempt: 1, previous_runner: 'r1', reason: 'stale_heartbeat' };
      expect(await f.dal.recoveryEvent.create({ pipelineExecutionId: p1, taskExecutionId: t1, recoveryType: 'task_reset', details })).toEqual({
        id: idAt(k), pipelineExecutionId: p1, taskExecutionId: t1, recoveryType: 'task_reset', recoveredAt: at(1000), details,
        createdAt: at(1000), updatedAt: at(1000),
      });
      expect(await f.dal.recoveryEvent.create({ pipelineExecutionId: p1, recoveryType: 'pipeline_failed' })).toEqual({
        id: idAt(k + 1), pipelineExecutionId: p1, taskExecutionId: null, recoveryType: 'pipeline_failed', recoveredAt: at(1000), details: null,
        createdAt: at(1000), updatedAt: at(1000),
      });
    });

    it('create rejects types outside 01 §7.4 (ValidationError) and unknown parents (foreign_key), writing nothing', async () => {
      const before = await dumpDatabase(raw);
      for (const bad of ['task_exploded', 'task_claimed', 'Task_Reset', '']) {
        const err = await rejectionOf(f.dal.recoveryEvent.create({ pipelineExecutionId: p1, recoveryType: bad as RecoveryType }));
        expect(err, bad).toBeInstanceOf(ValidationError);
      }
      expect(await rejectionOf(f.dal.recoveryEvent.create({ pipelineExecutionId: unknownId(), recoveryType: 'task_reset' }))).toMatchObject({
        code: 'CONSTRAINT', kind: 'foreign_key',
      });
      expect(await dumpDatabase(raw)).toEqual(before);
    });

    it('getters order by recovered_at DESC, id DESC', async () => {
      const make = async (ms: number, pipelineExecutionId: string, taskExecutionId: string | null, recoveryType: RecoveryType) => {
        f.clock.set(at(ms));
        return (await f.dal.recoveryEvent.create({ pipelineExecutionId, taskExecutionId, recoveryType })).id;
      };
      const r1 = await make(1000, p1, t1, 'task_reset');
      const r2 = await make(2000, p1, t2, 'workflow_unavailable');
      const r3 = await make(2000, p1, null, 'pipeline_failed');
      const r4 = await make(500, p2, u1, 'task_reset');
      const r5 = await make(1500, p1, t1, 'task_abandoned');
      const r6 = await make(2000, p2, null, 'workflow_unavailable');
      const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
      expect(ids(await f.dal.recoveryEvent.getByPipeline(p1))).toEqual([r3, r2, r5, r1]);
      expect(ids(await f.dal.recoveryEvent.getByTask(t1))).toEqual([r5, r1]);
      expect(ids(await f.dal.recoveryEvent.getByType('task_reset'))).toEqual([r1, r4]);
      expect(ids(await f.dal.recoveryEvent.getWorkflowUnavailableEvents())).toEqual([r6, r2]);
      expect(ids(await f.dal.recoveryEvent.getRecent(3))).toEqual([r6, r3, r2]);
      expect(ids(await f.dal.recoveryEvent.getRecent(100))).toEqual([r6, r3, r2, r5, r1, r4]);
      expect(await f.dal.recoveryEvent.getByPipeline(unknownId())).toEqual([]);
      expect(await rejectionOf(f.dal.recoveryEvent.getByType('bogus' as RecoveryType))).toBeInstanceOf(ValidationError);
      expect(await rejectionOf(f.dal.recoveryEvent.getRecent(-1))).toBeInstanceOf(ValidationError);
    });
  });

  describe('executionEvent', () => {
    it('create appends a manual event of any 01 §7.3 type', async () => {
      f.clock.set(at(1000));
      const k = nextIdIndex(f);
      const a = await f.dal.executionEvent.create({ pipelineExecutionId: p1, taskExecutionId: t1, eventType: 'task_released', eventData: { attempt: 1 }, runnerId: 'admin' });
      const b = await f.dal.executionEvent.create({ pipelineExecutionId: p1, eventType: 'pipeline_started' });
      expect(a).toEqual({ id: idAt(k), pipelineExecutionId: p1, taskExecutionId: t1, eventType: 'task_released', eventData: { attempt: 1 }, runnerId: 'admin', createdAt: at(1000) });
      // Decision: without runnerId a manual event gets the DAL's configured runnerId (DalOptions.runnerId: non-fenced methods).
      expect(b).toEqual({ id: idAt(k + 1), pipelineExecutionId: p1, taskExecutionId: null, eventType: 'pipeline_started', eventData: null, runnerId: 'test-runner', createdAt: at(1000) });
      expect(await eventsFrom(raw, k)).toEqual([a, b]);
    });

    it('create rejects types outside 01 §7.3 with ValidationError and unknown parents with foreign_key, writing nothing', async () => {
      const before = await dumpDatabase(raw);
      for (const bad of ['task_exploded', 'workflow_unavailable', 'TASK_READY', '']) {
        const err = await rejectionOf(f.dal.executionEvent.create({ pipelineExecutionId: p1, eventType: bad as ExecutionEventType }));
        expect(err, bad).toBeInstanceOf(ValidationError);
      }
      expect(await rejectionOf(f.dal.executionEvent.create({ pipelineExecutionId: unknownId(), eventType: 'task_ready' }))).toMatchObject({
        kind: 'foreign_key',
      });
      expect(await dumpDatabase(raw)).toEqual(before);
    });

    it('history getters order by created_at ASC, id ASC; getRecent by created_at DESC, id DESC', async () => {
      const make = async (ms: number, taskExecutionId: string | null, eventType: ExecutionEventType) => {
        f.clock.set(at(ms));
        return (await f.dal.executionEvent.create({ pipelineExecutionId: p1, taskExecutionId, eventType })).id;
      };
      const m1 = await make(2000, t1, 'task_ready');
      const m2 = await make(1000, null, 'pipeline_started');
      const m3 = await make(1000, t1, 'task_claimed');
      const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
      expect(ids(await f.dal.executionEvent.getByPipeline(p1))).toEqual([idAt(4), m2, m3, m1]);
      expect(ids(await f.dal.executionEvent.getByTask(t1))).toEqual([m3, m1]);
      expect(await f.dal.executionEvent.getByTask(t2)).toEqual([]);
      expect(ids(await f.dal.executionEvent.getByType('pipeline_created'))).toEqual([idAt(4), idAt(7)]);
      expect(ids(await f.dal.executionEvent.getRecent(3))).toEqual([m1, m3, m2]);
      expect(ids(await f.dal.executionEvent.getRecent(10))).toEqual([m1, m3, m2, idAt(7), idAt(4)]);
      expect((await f.dal.executionEvent.getByPipeline(p1))[0]).toEqual({
        id: idAt(4), pipelineExecutionId: p1, taskExecutionId: null, eventType: 'pipeline_created',
        eventData: { pipeline_name: 'wf', pipeline_version: '1.0', task_count: 2 }, runnerId: 'test-runner', createdAt: T0,
      });
    });

    it('getByType pages with limit (default 100) and offset, and filters by since', async () => {
      const made: { id: string; ms: number }[] = [];
      for (let i = 0; i < 101; i++) {
        const ms = i % 2 === 0 ? 5000 : 4000;
        f.clock.set(at(ms));
        made.push({ id: (await f.dal.executionEvent.create({ pipelineExecutionId: p1, taskExecutionId: t1, eventType: 'task_released' })).id, ms });
      }
      const ordered = [...made.filter((m) => m.ms === 4000), ...made.filter((m) => m.ms === 5000)].map((m) => m.id);
      const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
      expect(ids(await f.dal.executionEvent.getByType('task_released'))).toEqual(ordered.slice(0, 100));
      expect(ids(await f.dal.executionEvent.getByType('task_released', { limit: 5, offset: 48 }))).toEqual(ordered.slice(48, 53));
      expect(ids(await f.dal.executionEvent.getByType('task_released', { limit: 500 }))).toEqual(ordered);
      expect(ids(await f.dal.executionEvent.getByType('task_released', { since: at(4500), limit: 500 }))).toEqual(ordered.slice(50));
      expect(await f.dal.executionEvent.getByType('task_released', { since: at(6000) })).toEqual([]);
      expect(await rejectionOf(f.dal.executionEvent.getByType('task_released', { limit: -1 }))).toBeInstanceOf(ValidationError);
      expect(await rejectionOf(f.dal.executionEvent.getByType('nope' as ExecutionEventType))).toBeInstanceOf(ValidationError);
    });

    it('deleteOlderThan deletes created_at < cutoff and returns the count', async () => {
      f.clock.set(at(1000));
      const m1 = await f.dal.executionEvent.create({ pipelineExecutionId: p1, eventType: 'pipeline_started' });
      f.clock.set(at(2000));
      const m2 = await f.dal.executionEvent.create({ pipelineExecutionId: p2, eventType: 'pipeline_started' });
      expect(await countRows(raw, 'execution_events')).toBe(4);
      expect(await f.dal.executionEvent.deleteOlderThan(at(1000))).toBe(2); // the two pipeline_created at T0
      expect((await eventsFrom(raw)).map((e) => e.id)).toEqual([m1.id, m2.id]);
      expect(await f.dal.executionEvent.deleteOlderThan(at(1000))).toBe(0);
      expect(await f.dal.executionEvent.deleteOlderThan(at(2001))).toBe(2);
      expect(await countRows(raw, 'execution_events')).toBe(0);
    });
  });
});
