/**
 * pipelineExecution.createWithTasks (01 §7.1 P1 / §7.2 T1, 02 §4.2, §1 "Ids and time", §9
 * "createWithTasks"): one transaction writing the input context, the pipeline, the tasks in the
 * given order and pipeline_created; a database failure after the first insert leaves no rows;
 * invalid input (duplicate names, no tasks, bad JSON, maxAttempts < 1) is refused before
 * anything is written; the returned records are exact.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConstraintError, ValidationError, type NewPipelineWithTasks } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { at, countRows, eventRecord, expectError, isPlainRecord, pipelineRecord, rawEvents, rawRow, taskRecord, taskSpec } from '../support/core-areas.js';

const INPUT: NewPipelineWithTasks = {
  pipelineName: 'etl',
  pipelineVersion: 'sha-1234',
  inputContext: { source: 's3://bucket', n: [1, 2] },
  tasks: [
    taskSpec('extract', 3, { dependencies: [], retry_policy: { max_attempts: 3 } }),
    { taskName: 'public::pkg::wf::transform', maxAttempts: 1, triggerRules: { type: 'All', rules: [] }, taskConfiguration: { dependencies: ['public::pkg::wf::extract'] } },
    taskSpec('load', 2, { dependencies: ['public::pkg::wf::transform'], leaf: true }),
  ],
};

/** An id generator that hands out the given ids, then fresh ones far from the fixture's range. */
function scriptedIds(script: string[]): () => string {
  let fresh = 0x10000;
  return () => script.shift() ?? idAt(fresh++);
}

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
  });
  afterEach(() => f.close());

  it('writes context, pipeline, tasks (given order) and pipeline_created, with ids drawn in that order; returns exact plain records', async () => {
    f.clock.set(at(1000));
    const created = await f.dal.pipelineExecution.createWithTasks(INPUT);
    const [ctx, p, t1, t2, t3, ev] = [1, 2, 3, 4, 5, 6].map(idAt) as [string, string, string, string, string, string];
    const pipeline = pipelineRecord({ id: p, pipelineName: 'etl', pipelineVersion: 'sha-1234', contextId: ctx, startedAt: at(1000), createdAt: at(1000), updatedAt: at(1000) });
    const tasks = [t1, t2, t3].map((id, i) =>
      taskRecord({
        id,
        pipelineExecutionId: p,
        taskName: INPUT.tasks[i]!.taskName,
        maxAttempts: INPUT.tasks[i]!.maxAttempts,
        triggerRules: INPUT.tasks[i]!.triggerRules,
        taskConfiguration: INPUT.tasks[i]!.taskConfiguration,
        createdAt: at(1000),
        updatedAt: at(1000),
      }),
    );
    expect(created).toEqual({ pipeline, tasks, contextId: ctx });
    for (const r of [created, created.pipeline, ...created.tasks]) expect(isPlainRecord(r)).toBe(true);

    expect(await f.dal.pipelineExecution.getById(p)).toEqual(pipeline);
    expect(await f.dal.taskExecution.getAllTasksForPipeline(p)).toEqual(tasks);
    expect(await f.dal.context.read(ctx)).toEqual(INPUT.inputContext);
    // Only pipeline_created: T1 via createWithTasks writes no task_created (01 §7.3).
    expect(await rawEvents(raw)).toEqual([
      eventRecord({ id: ev, pipelineExecutionId: p, eventType: 'pipeline_created', eventData: { pipeline_name: 'etl', pipeline_version: 'sha-1234', task_count: 3 }, createdAt: at(1000) }),
    ]);
    expect(await countRows(raw, 'contexts')).toBe(1);
  });

  it('an empty input context stores no context row and leaves context_id NULL', async () => {
    const created = await f.dal.pipelineExecution.createWithTasks({ ...INPUT, inputContext: {} });
    // Decision (as for context.create): no row, no id drawn, so the pipeline takes the first id.
    expect(created.contextId).toBeNull();
    expect(created.pipeline).toEqual(pipelineRecord({ id: idAt(1), pipelineName: 'etl', pipelineVersion: 'sha-1234' }));
    expect(created.tasks.map((t) => t.id)).toEqual([2, 3, 4].map(idAt));
    expect(await countRows(raw, 'contexts')).toBe(0);
    expect((await rawEvents(raw)).map((e) => e.id)).toEqual([idAt(5)]);
  });

  it('task ids follow the given order, not the names; tasks come back in id order', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `public::pkg::wf::task_${String(19 - i).padStart(2, '0')}`);
    const created = await f.dal.pipelineExecution.createWithTasks({
      pipelineName: 'order',
      pipelineVersion: '1',
      inputContext: {},
      tasks: names.map((taskName) => ({ taskName, maxAttempts: 1, triggerRules: { type: 'Always' }, taskConfiguration: {} })),
    });
    expect(created.tasks.map((t) => t.taskName)).toEqual(names);
    expect(created.tasks.map((t) => t.id)).toEqual(names.map((_, i) => idAt(i + 2)));
    expect((await f.dal.taskExecution.getAllTasksForPipeline(created.pipeline.id)).map((t) => t.taskName)).toEqual(names);
  });

  it('a database failure on a later task row (a repeated id) rolls back every row of the call', async () => {
    const before = await dumpDatabase(raw);
    // context, pipeline, task 1, task 2, then task 3 reuses task 1's id: the primary key refuses it.
    const dal = await f.open(combo, { idGenerator: scriptedIds([idAt(101), idAt(102), idAt(103), idAt(104), idAt(103)]) });
    await expectError(() => dal.pipelineExecution.createWithTasks(INPUT), ConstraintError, { kind: 'unique' });
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('a later task row reusing the id of an existing row fails and leaves only the earlier data', async () => {
    const first = await f.dal.pipelineExecution.createWithTasks(INPUT);
    const before = await dumpDatabase(raw);
    const existingTask = first.tasks[0]!.id;
    const dal = await f.open(combo, { idGenerator: scriptedIds([idAt(201), idAt(202), idAt(203), existingTask]) });
    await expectError(() => dal.pipelineExecution.createWithTasks({ ...INPUT, pipelineName: 'second' }), ConstraintError, { kind: 'unique' });
    expect(await dumpDatabase(raw)).toEqual(before);
    expect(await rawRow(raw, 'pipeline_executions', idAt(202))).toBeUndefined();
    // The DAL is still usable afterwards.
    const ok = await dal.pipelineExecution.createWithTasks({ ...INPUT, pipelineName: 'third' });
    expect(ok.tasks).toHaveLength(3);
  });

  it.each<[string, Partial<NewPipelineWithTasks>]>([
    ['duplicate task names', { tasks: [taskSpec('a'), taskSpec('b'), taskSpec('a')] }],
    ['no tasks', { tasks: [] }],
    ['maxAttempts 0', { tasks: [taskSpec('a', 0)] }],
    ['maxAttempts -1', { tasks: [taskSpec('a'), taskSpec('b', -1)] }],
    ['maxAttempts 1.5', { tasks: [taskSpec('a', 1.5)] }],
    ['trigger rules not an object', { tasks: [{ ...taskSpec('a'), triggerRules: [] as never }] }],
    ['task configuration with a non-finite number', { tasks: [taskSpec('a'), taskSpec('b', 1, { timeout_ms: Number.POSITIVE_INFINITY })] }],
    ['input context not an object', { inputContext: ['x'] as never }],
    ['input context with undefined', { inputContext: { a: undefined } as never }],
  ])('%s → ValidationError before anything is written', async (_, patch) => {
    const before = await dumpDatabase(raw);
    await expectError(() => f.dal.pipelineExecution.createWithTasks({ ...INPUT, ...patch }), ValidationError);
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('inside a transaction that rolls back, nothing of the call remains', async () => {
    const before = await dumpDatabase(raw);
    const marker = new Error('roll back');
    await expect(
      f.dal.transaction(async (tx) => {
        await tx.pipelineExecution.createWithTasks(INPUT);
        throw marker;
      }),
    ).rejects.toBe(marker);
    expect(await dumpDatabase(raw)).toEqual(before);
  });
});
