/**
 * The context module (02 §4.1, 01 §4.1, §5, 02 §9 "Context"): empty objects are never stored
 * by create, read/find/update/delete/list semantics with exact records, referenced contexts
 * cannot be deleted, and deleteUnreferenced removes only unreferenced rows older than the
 * cutoff (input, final and task-output contexts all count as references).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConstraintError, CONTEXTS, NotFoundError, ValidationError, type ContextRecord } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import { at, countRows, decodedRow, expectError, isPlainRecord, T0, taskSpec } from '../support/core-areas.js';

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  beforeEach(async () => {
    f = await openFixture(combo);
  });
  afterEach(() => f.close());

  it('create({}) returns null and writes nothing', async () => {
    expect(await f.dal.context.create({})).toBeNull();
    expect(await countRows(await f.raw(), 'contexts')).toBe(0);
    // Decision: no row means no id drawn (02 §1 ties id draws to inserts), so the next id is the first one.
    expect(await f.dal.context.create({ a: 1 })).toBe(idAt(1));
  });

  it('create stores {id, value, created_at = updated_at = now} and returns the id', async () => {
    f.clock.set(at(1234));
    const id = await f.dal.context.create({ b: [1, 'two', { three: null }] });
    expect(id).toBe(idAt(1));
    const row = await decodedRow<ContextRecord>(await f.raw(), CONTEXTS, idAt(1));
    expect(row).toEqual({ id: idAt(1), value: { b: [1, 'two', { three: null }] }, createdAt: at(1234), updatedAt: at(1234) });
  });

  it('create refuses values that are not plain JSON objects, writing nothing', async () => {
    const raw = await f.raw();
    const bad: unknown[] = [null, [], [1], 'text', 42, true, new Date(0), new Map([['a', 1]]), { a: undefined }, { a: () => 1 }, { a: 1n }, { a: Number.NaN }];
    class Custom {
      a = 1;
    }
    bad.push(new Custom());
    for (const v of bad) await expectError(() => f.dal.context.create(v as never), ValidationError, {}, String(v));
    expect(await countRows(raw, 'contexts')).toBe(0);
  });

  it('read and find return the stored value; a missing id is NotFoundError / null', async () => {
    const id = (await f.dal.context.create({ k: 'v' }))!;
    expect(await f.dal.context.read(id)).toEqual({ k: 'v' });
    expect(await f.dal.context.find(id)).toEqual({ k: 'v' });
    const missing = idAt(999);
    await expectError(() => f.dal.context.read(missing), NotFoundError, { entity: 'Context', id: missing, message: `Context not found: ${missing}` });
    expect(await f.dal.context.find(missing)).toBeNull();
  });

  it('update replaces the value and sets updated_at; an empty object is stored as is', async () => {
    const id = (await f.dal.context.create({ a: 1, b: 2 }))!;
    f.clock.set(at(5000));
    await f.dal.context.update(id, { c: 3 });
    const raw = await f.raw();
    expect(await decodedRow(raw, CONTEXTS, id)).toEqual({ id, value: { c: 3 }, createdAt: T0, updatedAt: at(5000) });
    f.clock.set(at(6000));
    await f.dal.context.update(id, {});
    expect(await decodedRow(raw, CONTEXTS, id)).toEqual({ id, value: {}, createdAt: T0, updatedAt: at(6000) });
    expect(await f.dal.context.read(id)).toEqual({});
  });

  it('update of a missing id is NotFoundError, an invalid value a ValidationError; neither writes', async () => {
    const id = (await f.dal.context.create({ a: 1 }))!;
    const raw = await f.raw();
    const before = await dumpDatabase(raw);
    f.clock.set(at(1000));
    await expectError(() => f.dal.context.update(idAt(999), { a: 2 }), NotFoundError, { entity: 'Context', id: idAt(999) });
    await expectError(() => f.dal.context.update(id, [1, 2] as never), ValidationError);
    await expectError(() => f.dal.context.update(id, { bad: Number.POSITIVE_INFINITY }), ValidationError);
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('delete: true, then false; a context referenced by a pipeline or metadata row → ConstraintError foreign_key', async () => {
    const free = (await f.dal.context.create({ free: true }))!;
    expect(await f.dal.context.delete(free)).toBe(true);
    expect(await f.dal.context.delete(free)).toBe(false);

    const created = await f.dal.pipelineExecution.createWithTasks({ pipelineName: 'ref', pipelineVersion: '1', inputContext: { in: 1 }, tasks: [taskSpec('a')] });
    const input = created.contextId!;
    const final = (await f.dal.context.create({ final: 1 }))!;
    await f.dal.pipelineExecution.updateFinalContext(created.pipeline.id, final);
    const output = (await f.dal.context.create({ out: 1 }))!;
    const task = created.tasks[0]!;
    await f.dal.taskExecutionMetadata.create({ taskExecutionId: task.id, pipelineExecutionId: created.pipeline.id, taskName: task.taskName, contextId: output });
    const raw = await f.raw();
    const before = await dumpDatabase(raw);
    for (const [label, id] of [['input', input], ['final', final], ['task output', output]] as const) {
      const e = await expectError(() => f.dal.context.delete(id), ConstraintError, { kind: 'foreign_key' }, label);
      expect(e.code, label).toBe('CONSTRAINT');
    }
    expect(await dumpDatabase(raw)).toEqual(before);
    // Once the run is gone (cascading to its metadata) the contexts can go too.
    expect(await f.dal.pipelineExecution.delete(created.pipeline.id)).toBe(true);
    expect([await f.dal.context.delete(input), await f.dal.context.delete(final), await f.dal.context.delete(output)]).toEqual([true, true, true]);
  });

  it('a refused delete keeps the context and leaves the DAL usable', async () => {
    const created = await f.dal.pipelineExecution.createWithTasks({ pipelineName: 'ref', pipelineVersion: '1', inputContext: { in: 1 }, tasks: [taskSpec('a')] });
    await expectError(() => f.dal.context.delete(created.contextId!), ConstraintError, { kind: 'foreign_key' });
    expect(await f.dal.context.read(created.contextId!)).toEqual({ in: 1 });
    expect(await f.dal.context.create({ next: 1 })).not.toBeNull();
  });

  it('list returns exact plain records in created_at DESC, id DESC order with limit and offset', async () => {
    f.clock.set(at(2000));
    const a = (await f.dal.context.create({ n: 'a' }))!;
    f.clock.set(at(1000));
    const b = (await f.dal.context.create({ n: 'b' }))!;
    const c = (await f.dal.context.create({ n: 'c' }))!;
    f.clock.set(at(9000));
    await f.dal.context.update(c, { n: 'c2' }); // updated_at does not affect the order
    const listed = await f.dal.context.list(10, 0);
    expect(listed).toEqual([
      { id: a, value: { n: 'a' }, createdAt: at(2000), updatedAt: at(2000) },
      { id: c, value: { n: 'c2' }, createdAt: at(1000), updatedAt: at(9000) },
      { id: b, value: { n: 'b' }, createdAt: at(1000), updatedAt: at(1000) },
    ]);
    for (const r of listed) expect(isPlainRecord(r)).toBe(true);
    expect((await f.dal.context.list(1, 1)).map((r) => r.id)).toEqual([c]);
    expect(await f.dal.context.list(0, 0)).toEqual([]);
    expect(await f.dal.context.list(5, 3)).toEqual([]);
  });

  it('deleteUnreferenced removes only unreferenced contexts created strictly before the cutoff', async () => {
    const d = f.dal;
    const oldFree = (await d.context.create({ old: 'free' }))!;
    const created = await d.pipelineExecution.createWithTasks({ pipelineName: 'gc', pipelineVersion: '1', inputContext: { role: 'input' }, tasks: [taskSpec('a')] });
    const input = created.contextId!;
    const finalCtx = (await d.context.create({ role: 'final' }))!;
    await d.pipelineExecution.updateFinalContext(created.pipeline.id, finalCtx);
    const output = (await d.context.create({ role: 'output' }))!;
    const task = created.tasks[0]!;
    await d.taskExecutionMetadata.create({ taskExecutionId: task.id, pipelineExecutionId: created.pipeline.id, taskName: task.taskName, contextId: output });
    // A run referencing its input through pipelineExecution.create counts as well.
    const input2 = (await d.context.create({ role: 'input2' }))!;
    await d.pipelineExecution.create({ pipelineName: 'gc2', contextId: input2 });
    const oldFree2 = (await d.context.create({ old: 'free2' }))!;
    const cutoff = at(10_000);
    f.clock.set(cutoff);
    const atCutoff = (await d.context.create({ at: 'cutoff' }))!; // not strictly before: kept
    f.clock.set(at(20_000));
    const newer = (await d.context.create({ newer: true }))!;

    expect(await d.context.deleteUnreferenced(cutoff)).toBe(2);
    expect(await d.context.deleteUnreferenced(cutoff)).toBe(0);
    const remaining = (await d.context.list(100, 0)).map((r) => r.id).sort();
    expect(remaining).toEqual([input, finalCtx, output, input2, atCutoff, newer].sort());
    expect([await d.context.find(oldFree), await d.context.find(oldFree2)]).toEqual([null, null]);

    // Unreferenced once the runs are deleted; everything before a late cutoff then goes.
    await d.pipelineExecution.delete(created.pipeline.id);
    expect(await d.context.deleteUnreferenced(at(15_000))).toBe(4);
    expect((await d.context.list(100, 0)).map((r) => r.id).sort()).toEqual([input2, newer].sort());
  });
});
