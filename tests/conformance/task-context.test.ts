/**
 * Task contexts (02 §4.3 context.ts): buildInputContext's merge order and rules (03 §6: objects
 * merge recursively, arrays form an order-preserving union, anything else: later wins) and
 * completeWithOutput's single transaction (fenced first, then context, metadata upsert, event).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaimLostError, NotFoundError, ValidationError, type JsonObject } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { allContexts, allMetadata, event, eventsFrom, rejectionOf, taskRecord } from '../support/raw-rows.js';
import { at, claimExactly, makeReady, nextIdIndex, seedPipeline, seedRunning, taskName, taskSpecs, unknownId } from '../support/seed.js';

const A: JsonObject = { x: 1, list: [1, 2], obj: { k: 1, deep: { m: 1 }, arr: [{ q: 1 }] }, s: 'a', typ: { o: 1 }, n: 5 };
const B: JsonObject = { x: 2, list: [2, 3], obj: { j: 2, deep: { n: 2 }, arr: [{ q: 1 }, { q: 2 }] }, s: 'b', typ: [1], n: null };
const C: JsonObject = { list: [1, 1] };
const NAMES = ['a', 'b', 'c', 'd', 'e', 'consumer'];
const n = (task: string) => taskName(task);

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
  });
  afterEach(() => f?.close());

  /** A run with tasks a, b, c, d, e, consumer; a/b/c complete with A/B/C, d with {}, e is skipped. */
  async function runWithOutputs(input: JsonObject, outputs: Record<string, JsonObject>, workflow = 'wf') {
    const specs = NAMES.map((name) => ({ ...taskSpecs(1)[0], taskName: taskName(name, workflow) }));
    const created = await seedPipeline(f.dal, { tasks: specs, input, workflow });
    const byName = Object.fromEntries(NAMES.map((name, i) => [name, created.tasks[i].id]));
    const done = Object.keys(outputs).map((name) => byName[name]);
    await makeReady(f.dal, done);
    await claimExactly(f.dal, 'r1', done);
    for (const [name, out] of Object.entries(outputs)) await f.dal.taskExecution.completeWithOutput(byName[name], 'r1', out);
    await f.dal.taskExecution.markSkipped(byName.e, 'not needed');
    return { pipelineId: created.pipeline.id, byName };
  }

  describe('buildInputContext', () => {
    it('with no dependencies returns the run input context, or {} when the run has none', async () => {
      const withInput = await seedPipeline(f.dal, { input: { inp: 1, nested: { a: [1] } }, tasks: 1 });
      const without = await seedPipeline(f.dal, { tasks: 1, workflow: 'other' });
      expect(await f.dal.taskExecution.buildInputContext(withInput.pipeline.id, [])).toEqual({ inp: 1, nested: { a: [1] } });
      expect(await f.dal.taskExecution.buildInputContext(without.pipeline.id, [])).toEqual({});
    });

    it('merges dependency outputs in the given order: objects recursively, arrays as union, scalars later-wins', async () => {
      const { pipelineId } = await runWithOutputs({ inp: 1 }, { a: A, b: B, c: C, d: {} });
      expect(await f.dal.taskExecution.buildInputContext(pipelineId, [n('b'), n('a')])).toEqual({
        x: 1, list: [2, 3, 1], obj: { j: 2, deep: { n: 2, m: 1 }, arr: [{ q: 1 }, { q: 2 }], k: 1 }, s: 'a', typ: { o: 1 }, n: 5,
      });
      expect(await f.dal.taskExecution.buildInputContext(pipelineId, [n('a'), n('b')])).toEqual({
        x: 2, list: [1, 2, 3], obj: { k: 1, deep: { m: 1, n: 2 }, arr: [{ q: 1 }, { q: 2 }], j: 2 }, s: 'b', typ: [1], n: null,
      });
      // Duplicates already in the earlier array stay; only new elements of the later one are added.
      expect(await f.dal.taskExecution.buildInputContext(pipelineId, [n('c'), n('a')])).toMatchObject({ list: [1, 1, 2] });
      expect(await f.dal.taskExecution.buildInputContext(pipelineId, [n('a'), n('c')])).toMatchObject({ list: [1, 2] });
    });

    it('skips dependencies without output (empty, skipped, unknown) and never mixes in the run input', async () => {
      const { pipelineId } = await runWithOutputs({ inp: 1 }, { a: A, b: B, d: {} });
      const plain = await f.dal.taskExecution.buildInputContext(pipelineId, [n('b'), n('a')]);
      expect(await f.dal.taskExecution.buildInputContext(pipelineId, [n('d'), n('b'), n('e'), n('ghost'), n('consumer'), n('a')])).toEqual(plain);
      expect(plain).not.toHaveProperty('inp');
      expect(await f.dal.taskExecution.buildInputContext(pipelineId, [n('d'), n('e'), n('ghost')])).toEqual({});
    });

    it('reads only the given run; an unknown run → NotFoundError', async () => {
      const first = await runWithOutputs({}, { a: A });
      const second = await runWithOutputs({}, { a: { other: true } }, 'wf');
      expect(await f.dal.taskExecution.buildInputContext(first.pipelineId, [n('a')])).toEqual(A);
      expect(await f.dal.taskExecution.buildInputContext(second.pipelineId, [n('a')])).toEqual({ other: true });
      const err = await rejectionOf(f.dal.taskExecution.buildInputContext(unknownId(), [n('a')]));
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ code: 'NOT_FOUND', entity: 'PipelineExecution', id: unknownId() });
    });
  });

  describe('completeWithOutput', () => {
    it('stores the output context, inserts the metadata row and writes task_completed, ids in that order', async () => {
      const { pipeline, tasks } = await seedRunning(f.dal, 'r1', { tasks: 1 });
      const t = tasks[0].id;
      const before = await taskRecord(raw, t);
      f.clock.set(at(1000));
      const k = nextIdIndex(f);
      expect(await f.dal.taskExecution.completeWithOutput(t, 'r1', { rows: 3, tags: ['x'] })).toEqual({ contextId: idAt(k) });
      expect(await allContexts(raw)).toEqual([{ id: idAt(k), value: { rows: 3, tags: ['x'] }, createdAt: at(1000), updatedAt: at(1000) }]);
      expect(await allMetadata(raw)).toEqual([
        { id: idAt(k + 1), taskExecutionId: t, pipelineExecutionId: pipeline.id, taskName: taskName('t1'), contextId: idAt(k), createdAt: at(1000), updatedAt: at(1000) },
      ]);
      expect(await taskRecord(raw, t)).toEqual({
        ...before, status: 'Completed', completedAt: at(1000), claimedBy: null, heartbeatAt: null, retryAt: null, updatedAt: at(1000),
      });
      expect(await eventsFrom(raw, k + 2)).toEqual([event(k + 2, 'task_completed', pipeline.id, t, { attempt: 1, context_id: idAt(k) }, 'r1', at(1000))]);
    });

    it('with an empty output writes metadata with a NULL context and no context row', async () => {
      const { pipeline, tasks } = await seedRunning(f.dal, 'r1', { tasks: 1 });
      f.clock.set(at(1000));
      const k = nextIdIndex(f);
      expect(await f.dal.taskExecution.completeWithOutput(tasks[0].id, 'r1', {})).toEqual({ contextId: null });
      expect(await allContexts(raw)).toEqual([]);
      expect(await allMetadata(raw)).toEqual([
        { id: idAt(k), taskExecutionId: tasks[0].id, pipelineExecutionId: pipeline.id, taskName: taskName('t1'), contextId: null, createdAt: at(1000), updatedAt: at(1000) },
      ]);
      expect(await eventsFrom(raw, k)).toEqual([event(k + 1, 'task_completed', pipeline.id, tasks[0].id, { attempt: 1, context_id: null }, 'r1', at(1000))]);
    });

    it('upserts an existing metadata row: id and created_at kept, the upsert still draws an id', async () => {
      const { pipeline, tasks } = await seedRunning(f.dal, 'r1', { tasks: 1 });
      const t = tasks[0].id;
      const pre = await f.dal.taskExecutionMetadata.create({ taskExecutionId: t, pipelineExecutionId: pipeline.id, taskName: taskName('t1') });
      f.clock.set(at(1000));
      const k = nextIdIndex(f);
      await f.dal.taskExecution.completeWithOutput(t, 'r1', { v: 1 });
      expect(await allMetadata(raw)).toEqual([{ ...pre, contextId: idAt(k), updatedAt: at(1000) }]);
      expect((await eventsFrom(raw, k)).map((e) => e.id)).toEqual([idAt(k + 2)]);
    });

    it('is fenced: a lost claim, a non-Running task or an unknown id write nothing at all', async () => {
      const { tasks } = await seedRunning(f.dal, 'r1', { tasks: 2 });
      await f.dal.taskExecution.markCompleted(tasks[1].id, 'r1');
      f.clock.set(at(1000));
      const before = await dumpDatabase(raw);
      const lost = await rejectionOf(f.dal.taskExecution.completeWithOutput(tasks[0].id, 'r2', { v: 1 }));
      expect(lost).toBeInstanceOf(ClaimLostError);
      expect(lost).toMatchObject({ taskExecutionId: tasks[0].id, runnerId: 'r2', currentStatus: 'Running', currentOwner: 'r1' });
      const done = await rejectionOf(f.dal.taskExecution.completeWithOutput(tasks[1].id, 'r1', { v: 1 }));
      expect(done).toMatchObject({ code: 'CLAIM_LOST', currentStatus: 'Completed', currentOwner: null });
      expect(await rejectionOf(f.dal.taskExecution.completeWithOutput(unknownId(), 'r1', { v: 1 }))).toBeInstanceOf(NotFoundError);
      expect(await dumpDatabase(raw)).toEqual(before);
    });

    it('rejects an output that is not plain JSON with ValidationError and leaves the task Running', async () => {
      const { tasks } = await seedRunning(f.dal, 'r1', { tasks: 1 });
      const before = await dumpDatabase(raw);
      const bad = [{ s: 'nul\u0000byte' }, { v: Number.POSITIVE_INFINITY }, { d: new Date() }] as unknown as JsonObject[];
      for (const output of bad) {
        expect(await rejectionOf(f.dal.taskExecution.completeWithOutput(tasks[0].id, 'r1', output))).toBeInstanceOf(ValidationError);
      }
      expect(await dumpDatabase(raw)).toEqual(before);
      expect((await taskRecord(raw, tasks[0].id)).status).toBe('Running');
    });
  });
});
