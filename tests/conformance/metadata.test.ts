/**
 * taskExecutionMetadata (02 §4.4): create, the upsert (id and created_at kept, only context_id and
 * updated_at change, an id is drawn anyway), the (pipeline, task_name) conflict, lookups by name or
 * TaskNamespace, and the argument-order dependency queries.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConstraintError, NotFoundError, type TaskExecutionMetadata } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { allMetadata, rejectionOf } from '../support/raw-rows.js';
import { at, nextIdIndex, seedPipeline, T0, taskName, unknownId } from '../support/seed.js';

const n = (i: number) => taskName(`t${i}`);

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  let p: string;
  let t: string[];
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
    const created = await seedPipeline(f.dal, { tasks: 4 });
    p = created.pipeline.id;
    t = created.tasks.map((x) => x.id);
  });
  afterEach(() => f?.close());

  const meta = (i: number, contextId: string | null = null) => ({ taskExecutionId: t[i - 1], pipelineExecutionId: p, taskName: n(i), contextId });

  it('create inserts with created_at = updated_at = now and a NULL context by default', async () => {
    const ctx = await f.dal.context.create({ v: 1 });
    f.clock.set(at(1000));
    const k = nextIdIndex(f);
    const a = await f.dal.taskExecutionMetadata.create(meta(1, ctx));
    const b = await f.dal.taskExecutionMetadata.create({ taskExecutionId: t[1], pipelineExecutionId: p, taskName: n(2) });
    const expected: TaskExecutionMetadata[] = [
      { id: idAt(k), taskExecutionId: t[0], pipelineExecutionId: p, taskName: n(1), contextId: ctx, createdAt: at(1000), updatedAt: at(1000) },
      { id: idAt(k + 1), taskExecutionId: t[1], pipelineExecutionId: p, taskName: n(2), contextId: null, createdAt: at(1000), updatedAt: at(1000) },
    ];
    expect([a, b]).toEqual(expected);
    expect(await allMetadata(raw)).toEqual(expected);
  });

  it('create refuses a second row for a task, a second (pipeline, task_name) and unknown parents, writing nothing', async () => {
    await f.dal.taskExecutionMetadata.create(meta(1));
    const before = await dumpDatabase(raw);
    const dupTask = await rejectionOf(f.dal.taskExecutionMetadata.create({ ...meta(1), taskName: n(9) }));
    expect(dupTask).toBeInstanceOf(ConstraintError);
    expect(dupTask).toMatchObject({ code: 'CONSTRAINT', kind: 'unique' });
    expect(await rejectionOf(f.dal.taskExecutionMetadata.create({ ...meta(2), taskName: n(1) }))).toMatchObject({ kind: 'unique' });
    expect(await rejectionOf(f.dal.taskExecutionMetadata.create({ ...meta(2), taskExecutionId: unknownId() }))).toMatchObject({ kind: 'foreign_key' });
    expect(await rejectionOf(f.dal.taskExecutionMetadata.create(meta(2, unknownId(1))))).toMatchObject({ kind: 'foreign_key' });
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('upsert inserts, then updates only context_id and updated_at, keeping id and created_at; an id is drawn each time', async () => {
    const c1 = await f.dal.context.create({ v: 1 });
    const k = nextIdIndex(f);
    const first = await f.dal.taskExecutionMetadata.upsertTaskExecutionMetadata(meta(1, c1));
    expect(first).toEqual({ id: idAt(k), taskExecutionId: t[0], pipelineExecutionId: p, taskName: n(1), contextId: c1, createdAt: T0, updatedAt: T0 });
    f.clock.set(at(1000));
    const c2 = await f.dal.context.create({ v: 2 }); // idAt(k + 1)
    const second = await f.dal.taskExecutionMetadata.upsertTaskExecutionMetadata({ ...meta(1, c2), taskName: n(7) }); // draws idAt(k + 2)
    expect(second).toEqual({ ...first, contextId: c2, updatedAt: at(1000) });
    expect(await allMetadata(raw)).toEqual([second]);
    expect(await f.dal.context.create({ v: 3 })).toBe(idAt(k + 3));
    f.clock.set(at(2000));
    expect(await f.dal.taskExecutionMetadata.upsertTaskExecutionMetadata(meta(1, null))).toEqual({ ...first, contextId: null, updatedAt: at(2000) });
  });

  it('upsert conflicting on (pipeline, task_name) with a different task execution → ConstraintError unique, nothing written', async () => {
    await f.dal.taskExecutionMetadata.create(meta(1));
    const before = await dumpDatabase(raw);
    const err = await rejectionOf(f.dal.taskExecutionMetadata.upsertTaskExecutionMetadata({ ...meta(2), taskName: n(1) }));
    expect(err).toBeInstanceOf(ConstraintError);
    expect(err).toMatchObject({ code: 'CONSTRAINT', kind: 'unique' });
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('getByPipelineAndTask accepts a name or a TaskNamespace; getByTaskExecution; NotFound ids', async () => {
    const row = await f.dal.taskExecutionMetadata.create(meta(2));
    expect(await f.dal.taskExecutionMetadata.getByPipelineAndTask(p, n(2))).toEqual(row);
    const ns = { tenantId: 'public', packageName: 'embedded', workflowId: 'wf', taskId: 't2' };
    expect(await f.dal.taskExecutionMetadata.getByPipelineAndTask(p, ns)).toEqual(row);
    expect(await f.dal.taskExecutionMetadata.getByTaskExecution(t[1])).toEqual(row);

    const byName = await rejectionOf(f.dal.taskExecutionMetadata.getByPipelineAndTask(p, n(1)));
    expect(byName).toBeInstanceOf(NotFoundError);
    expect(byName).toMatchObject({ code: 'NOT_FOUND', entity: 'TaskExecutionMetadata', id: `${p}/${n(1)}` });
    const byNs = await rejectionOf(f.dal.taskExecutionMetadata.getByPipelineAndTask(p, { ...ns, taskId: 't3' }));
    expect(byNs).toMatchObject({ entity: 'TaskExecutionMetadata', id: `${p}/public::embedded::wf::t3` });
    const other = await rejectionOf(f.dal.taskExecutionMetadata.getByPipelineAndTask(unknownId(), n(2)));
    expect(other).toMatchObject({ entity: 'TaskExecutionMetadata', id: `${unknownId()}/${n(2)}` });
    const byTask = await rejectionOf(f.dal.taskExecutionMetadata.getByTaskExecution(t[0]));
    expect(byTask).toMatchObject({ entity: 'TaskExecutionMetadata', id: t[0] });
  });

  it('updateContextId sets context_id and updated_at; unknown row → NotFoundError, unknown context → foreign_key', async () => {
    const row = await f.dal.taskExecutionMetadata.create(meta(1));
    const ctx = await f.dal.context.create({ v: 1 });
    f.clock.set(at(1000));
    await f.dal.taskExecutionMetadata.updateContextId(t[0], ctx);
    expect(await allMetadata(raw)).toEqual([{ ...row, contextId: ctx, updatedAt: at(1000) }]);
    f.clock.set(at(2000));
    await f.dal.taskExecutionMetadata.updateContextId(t[0], null);
    expect(await allMetadata(raw)).toEqual([{ ...row, contextId: null, updatedAt: at(2000) }]);
    const before = await dumpDatabase(raw);
    const missing = await rejectionOf(f.dal.taskExecutionMetadata.updateContextId(t[1], ctx));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ entity: 'TaskExecutionMetadata', id: t[1] });
    expect(await rejectionOf(f.dal.taskExecutionMetadata.updateContextId(t[0], unknownId()))).toMatchObject({ kind: 'foreign_key' });
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('getDependencyMetadata(WithContexts) returns rows in argument order, first duplicate only, missing names absent', async () => {
    const c1 = await f.dal.context.create({ one: 1 });
    const c3 = await f.dal.context.create({ three: [3] });
    const m1 = await f.dal.taskExecutionMetadata.create(meta(1, c1));
    const m2 = await f.dal.taskExecutionMetadata.create(meta(2));
    const m3 = await f.dal.taskExecutionMetadata.create(meta(3, c3));
    // The same names in another run must not leak in.
    const other = await seedPipeline(f.dal, { tasks: 3 });
    await f.dal.taskExecutionMetadata.create({ taskExecutionId: other.tasks[0].id, pipelineExecutionId: other.pipeline.id, taskName: n(1) });

    const names = [n(3), n(4), n(1), 'public::embedded::wf::ghost', n(3), n(2), n(1)];
    expect(await f.dal.taskExecutionMetadata.getDependencyMetadata(p, names)).toEqual([m3, m1, m2]);
    expect(await f.dal.taskExecutionMetadata.getDependencyMetadataWithContexts(p, names)).toEqual([
      { metadata: m3, context: { three: [3] } },
      { metadata: m1, context: { one: 1 } },
      { metadata: m2, context: null },
    ]);
    expect(await f.dal.taskExecutionMetadata.getDependencyMetadata(p, [])).toEqual([]);
    expect(await f.dal.taskExecutionMetadata.getDependencyMetadataWithContexts(p, [])).toEqual([]);
  });
});
