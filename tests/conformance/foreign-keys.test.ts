/**
 * Foreign keys and delete behaviour (01 §5, 02 §4.2 delete, §4.7 delete, §9 "Foreign keys"):
 * deleting a run cascades to its tasks, metadata, recovery events, execution events and the
 * cron audit row that launched it (contexts stay); deleting a schedule cascades to its
 * executions; a child of a missing parent is a ConstraintError of kind foreign_key.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConstraintError, DatabaseError, type Dal } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase, type Normalised } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { at, expectError, T0, taskSpec } from '../support/core-areas.js';

const MISSING = idAt(0xabcdef);

interface Run {
  pipeline: string;
  tasks: string[];
  contexts: string[];
  schedule: string;
  cronExecution: string;
}

/** A run with a row in every child table (two tasks, metadata, both kinds of events, a cron audit row). */
async function fullRun(dal: Dal, name: string, minute: number): Promise<Run> {
  const created = await dal.pipelineExecution.createWithTasks({ pipelineName: name, pipelineVersion: '1', inputContext: { in: name }, tasks: [taskSpec('a'), taskSpec('b')] });
  const p = created.pipeline.id;
  const [a, b] = created.tasks as [(typeof created.tasks)[0], (typeof created.tasks)[0]];
  const out = (await dal.context.create({ out: name }))!;
  await dal.taskExecutionMetadata.create({ taskExecutionId: a.id, pipelineExecutionId: p, taskName: a.taskName, contextId: out });
  await dal.taskExecution.markReady(a.id); // a task-level execution event
  await dal.recoveryEvent.create({ pipelineExecutionId: p, recoveryType: 'pipeline_failed', details: { reason: 'r', abandoned_tasks: 0 } });
  await dal.recoveryEvent.create({ pipelineExecutionId: p, taskExecutionId: b.id, recoveryType: 'task_abandoned' });
  const schedule = await dal.cronSchedule.create({ workflowName: name, cronExpression: '* * * * *', nextRunAt: T0 });
  const exec = await dal.cronExecution.create({ scheduleId: schedule.id, scheduledTime: at(minute * 60_000), pipelineExecutionId: p });
  return { pipeline: p, tasks: [a.id, b.id], contexts: [created.contextId!, out], schedule: schedule.id, cronExecution: exec.id };
}

/** Rows of a dump that mention `id` in any column (after normalisation ids are plain strings). */
function rowsMentioning(dump: Record<string, Normalised[]>, id: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [table, rows] of Object.entries(dump)) {
    const n = rows.filter((r) => JSON.stringify(r).includes(id)).length;
    if (n) out[table] = n;
  }
  return out;
}

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
  });
  afterEach(() => f.close());

  it('deleting a run removes its tasks, metadata, recovery and execution events and its cron audit row; contexts and schedule stay', async () => {
    const doomed = await fullRun(f.dal, 'doomed', 1);
    const kept = await fullRun(f.dal, 'kept', 2);
    const before = await dumpDatabase(raw);
    expect(rowsMentioning(before, doomed.pipeline)).toEqual({
      pipeline_executions: 1,
      task_executions: 2,
      task_execution_metadata: 1,
      recovery_events: 2,
      execution_events: 2, // pipeline_created, task_ready
      cron_executions: 1,
    });

    expect(await f.dal.pipelineExecution.delete(doomed.pipeline)).toBe(true);
    const after = await dumpDatabase(raw);
    expect(rowsMentioning(after, doomed.pipeline)).toEqual({});
    for (const t of doomed.tasks) expect(rowsMentioning(after, t), t).toEqual({});
    // Everything else is untouched: the other run, every context, every schedule.
    const without = (rows: Normalised[], ids: string[]) => rows.filter((r) => !ids.some((id) => JSON.stringify(r).includes(id)));
    const doomedIds = [doomed.pipeline, ...doomed.tasks, doomed.cronExecution];
    for (const table of Object.keys(before)) expect(after[table], table).toEqual(without(before[table]!, doomedIds));
    expect(after.contexts).toEqual(before.contexts);
    expect(after.cron_schedules).toEqual(before.cron_schedules);
    expect(rowsMentioning(after, kept.pipeline)).toEqual(rowsMentioning(before, kept.pipeline));
  });

  it('deleting a schedule removes its cron executions only', async () => {
    const doomed = await fullRun(f.dal, 'doomed', 1);
    const kept = await fullRun(f.dal, 'kept', 1);
    await f.dal.cronExecution.create({ scheduleId: doomed.schedule, scheduledTime: at(5 * 60_000) }); // an unlinked one too
    const before = await dumpDatabase(raw);
    expect(await f.dal.cronSchedule.delete(doomed.schedule)).toBe(true);
    const after = await dumpDatabase(raw);
    expect(rowsMentioning(after, doomed.schedule)).toEqual({});
    expect(after.cron_executions).toEqual(before.cron_executions!.filter((r) => !JSON.stringify(r).includes(doomed.schedule)));
    expect(after.cron_executions).toHaveLength(1);
    expect(await f.dal.cronExecution.getById(kept.cronExecution)).toMatchObject({ scheduleId: kept.schedule, pipelineExecutionId: kept.pipeline });
    // The run the deleted schedule launched is not affected.
    expect((await f.dal.pipelineExecution.getById(doomed.pipeline)).status).toBe('Pending');
    for (const t of ['pipeline_executions', 'task_executions', 'task_execution_metadata', 'recovery_events', 'execution_events', 'contexts']) {
      expect(after[t], t).toEqual(before[t]);
    }
  });

  it('a child of a missing parent → ConstraintError kind foreign_key (a DatabaseError); nothing written', async () => {
    const run = await fullRun(f.dal, 'parent', 1);
    const d = f.dal;
    const t = run.tasks[1]!; // has no metadata row yet
    const calls: [string, () => Promise<unknown>][] = [
      ['pipelineExecution.create context', () => d.pipelineExecution.create({ pipelineName: 'x', contextId: MISSING })],
      ['pipelineExecution.updateFinalContext', () => d.pipelineExecution.updateFinalContext(run.pipeline, MISSING)],
      ['taskExecution.create pipeline', () => d.taskExecution.create({ pipelineExecutionId: MISSING, taskName: 'public::pkg::wf::x' })],
      ['metadata.create task', () => d.taskExecutionMetadata.create({ taskExecutionId: MISSING, pipelineExecutionId: run.pipeline, taskName: 'public::pkg::wf::x' })],
      ['metadata.create pipeline', () => d.taskExecutionMetadata.create({ taskExecutionId: t, pipelineExecutionId: MISSING, taskName: 'public::pkg::wf::b' })],
      ['metadata.create context', () => d.taskExecutionMetadata.create({ taskExecutionId: t, pipelineExecutionId: run.pipeline, taskName: 'public::pkg::wf::b', contextId: MISSING })],
      ['metadata.updateContextId', () => d.taskExecutionMetadata.updateContextId(run.tasks[0]!, MISSING)],
      ['recoveryEvent.create pipeline', () => d.recoveryEvent.create({ pipelineExecutionId: MISSING, recoveryType: 'task_reset' })],
      ['recoveryEvent.create task', () => d.recoveryEvent.create({ pipelineExecutionId: run.pipeline, taskExecutionId: MISSING, recoveryType: 'task_reset' })],
      ['executionEvent.create pipeline', () => d.executionEvent.create({ pipelineExecutionId: MISSING, eventType: 'pipeline_started' })],
      ['executionEvent.create task', () => d.executionEvent.create({ pipelineExecutionId: run.pipeline, taskExecutionId: MISSING, eventType: 'task_ready' })],
      ['cronExecution.create schedule', () => d.cronExecution.create({ scheduleId: MISSING, scheduledTime: at(60_000) })],
      ['cronExecution.create pipeline', () => d.cronExecution.create({ scheduleId: run.schedule, scheduledTime: at(9 * 60_000), pipelineExecutionId: MISSING })],
      ['cronExecution.updatePipelineExecutionId', () => d.cronExecution.updatePipelineExecutionId(run.cronExecution, MISSING)],
    ];
    const before = await dumpDatabase(raw);
    for (const [label, call] of calls) {
      const e = await expectError(call, ConstraintError, { kind: 'foreign_key', backend: combo.backend }, label);
      expect(e, label).toBeInstanceOf(DatabaseError);
      expect(e.message, label).toMatch(/^foreign_key constraint violated \(.*\)$/);
    }
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('linkPipelineExecution to a missing run is refused; a linked audit row goes with its run', async () => {
    const s = await f.dal.cronSchedule.create({ workflowName: 'w', cronExpression: '* * * * *', nextRunAt: T0 });
    const e = await f.dal.cronExecution.create({ scheduleId: s.id, scheduledTime: T0 });
    await expectError(() => f.dal.cronExecution.linkPipelineExecution(e.id, MISSING), ConstraintError, { kind: 'foreign_key' });
    expect((await f.dal.cronExecution.getById(e.id)).pipelineExecutionId).toBeNull();
    const p = await f.dal.pipelineExecution.create({ pipelineName: 'w' });
    expect(await f.dal.cronExecution.linkPipelineExecution(e.id, p.id)).toBe(true);
    expect(await f.dal.pipelineExecution.delete(p.id)).toBe(true);
    expect(await f.dal.cronExecution.findById(e.id)).toBeNull();
  });
});
