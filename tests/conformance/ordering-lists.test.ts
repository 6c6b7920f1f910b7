/**
 * Ordering, part 2 (02 §1 "Ordering", §4, §9 "Ordering"): execution events, recovery events,
 * cron schedules and executions, metadata (argument order) and packages (byte-wise), each with
 * deliberately tied sort keys under the pinned clock, return exactly the documented order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PackageManifest } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { at, T0, taskSpec } from '../support/core-areas.js';

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
const MIN = 60_000;

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  beforeEach(async () => {
    f = await openFixture(combo);
  });
  afterEach(() => f.close());

  it('execution events: created_at ASC, id ASC (getRecent: DESC); getByType pages', async () => {
    const ev = f.dal.executionEvent;
    f.clock.set(at(2000));
    const p = await f.dal.pipelineExecution.create({ pipelineName: 'ev' });
    const task = await f.dal.taskExecution.create({ pipelineExecutionId: p.id, taskName: 'public::pkg::wf::x' });
    const [e0, ex] = ids(await ev.getByPipeline(p.id)) as [string, string]; // pipeline_created, task_created at +2s
    f.clock.set(at(3000));
    const e1 = (await ev.create({ pipelineExecutionId: p.id, taskExecutionId: task.id, eventType: 'task_ready' })).id;
    f.clock.set(at(1000));
    const e2 = (await ev.create({ pipelineExecutionId: p.id, taskExecutionId: task.id, eventType: 'task_claimed', eventData: { attempt: 1 } })).id;
    const e3 = (await ev.create({ pipelineExecutionId: p.id, eventType: 'pipeline_started' })).id;
    const e4 = (await ev.create({ pipelineExecutionId: p.id, taskExecutionId: task.id, eventType: 'task_ready' })).id;
    expect(ids(await ev.getByPipeline(p.id))).toEqual([e2, e3, e4, e0, ex, e1]);
    expect(ids(await ev.getByTask(task.id))).toEqual([e2, e4, ex, e1]);
    expect(ids(await ev.getByType('task_ready'))).toEqual([e4, e1]);
    expect(ids(await ev.getByType('task_ready', { limit: 1, offset: 1 }))).toEqual([e1]);
    expect(ids(await ev.getRecent(4))).toEqual([e1, ex, e0, e4]);
  });

  it('recovery events: recovered_at DESC, id DESC for every getter', async () => {
    const created = await f.dal.pipelineExecution.createWithTasks({ pipelineName: 'rec', pipelineVersion: '1', inputContext: {}, tasks: [taskSpec('a')] });
    const p = created.pipeline.id;
    const t = created.tasks[0]!.id;
    const re = f.dal.recoveryEvent;
    f.clock.set(at(1000));
    const r1 = (await re.create({ pipelineExecutionId: p, recoveryType: 'pipeline_failed', details: { reason: 'x', abandoned_tasks: 0 } })).id;
    const r2 = (await re.create({ pipelineExecutionId: p, taskExecutionId: t, recoveryType: 'task_reset' })).id;
    f.clock.set(T0);
    const r3 = (await re.create({ pipelineExecutionId: p, taskExecutionId: t, recoveryType: 'task_abandoned' })).id;
    const r4 = (await re.create({ pipelineExecutionId: p, recoveryType: 'workflow_unavailable' })).id;
    const r5 = (await re.create({ pipelineExecutionId: p, taskExecutionId: t, recoveryType: 'workflow_unavailable' })).id;
    expect(ids(await re.getByPipeline(p))).toEqual([r2, r1, r5, r4, r3]);
    expect(ids(await re.getByTask(t))).toEqual([r2, r5, r3]);
    expect(ids(await re.getByType('workflow_unavailable'))).toEqual([r5, r4]);
    expect(ids(await re.getWorkflowUnavailableEvents())).toEqual([r5, r4]);
    expect(ids(await re.getRecent(3))).toEqual([r2, r1, r5]);
  });

  it('cron schedules: due by next_run_at ASC, id ASC; list by workflow_name ASC (byte-wise), id ASC; findByWorkflow by created_at DESC, id DESC', async () => {
    const cs = f.dal.cronSchedule;
    const mk = (workflowName: string, nextRunAt: Date, enabled = true) => cs.create({ workflowName, cronExpression: '* * * * *', nextRunAt, enabled });
    f.clock.set(at(1000));
    const s1 = (await mk('b', at(2 * MIN))).id; // created later than s3 and s6 despite the lower id
    f.clock.set(T0);
    const s2 = (await mk('a', at(MIN))).id;
    const s3 = (await mk('b', at(MIN))).id;
    const s4 = (await mk('B', at(3 * MIN))).id;
    const s5 = (await mk('a', T0, false)).id;
    const s6 = (await mk('b', at(2 * MIN))).id;
    expect(ids(await cs.getDueSchedules(at(2 * MIN)))).toEqual([s2, s3, s1, s6]);
    expect(ids(await cs.list())).toEqual([s4, s2, s5, s1, s3, s6]);
    expect(ids(await cs.list({ limit: 2, offset: 1 }))).toEqual([s2, s5]);
    expect(ids(await cs.list({ enabledOnly: true }))).toEqual([s4, s2, s1, s3, s6]);
    expect(ids(await cs.findByWorkflow('b'))).toEqual([s1, s6, s3]);
    expect([await cs.count(), await cs.count({ enabledOnly: true })]).toEqual([6, 5]);
  });

  it('cron executions: scheduled_time DESC, id DESC; time range [start, end); lost ones ASC; lowest/greatest picks', async () => {
    const ce = f.dal.cronExecution;
    const mkS = (w: string) => f.dal.cronSchedule.create({ workflowName: w, cronExpression: '* * * * *', nextRunAt: T0 });
    const S1 = (await mkS('one')).id;
    const S2 = (await mkS('two')).id;
    const x = async (s: string, minutes: number) => (await ce.create({ scheduleId: s, scheduledTime: at(minutes * MIN) })).id;
    const x1 = await x(S1, 2);
    const x2 = await x(S2, 1);
    const x3 = await x(S1, 1);
    const x4 = await x(S2, 2);
    const x5 = await x(S1, 3);
    expect(ids(await ce.getByScheduleId(S1, 10, 0))).toEqual([x5, x1, x3]);
    expect(ids(await ce.getByScheduleId(S1, 1, 1))).toEqual([x1]);
    expect(ids(await ce.getByTimeRange(at(MIN), at(3 * MIN), 10, 0))).toEqual([x4, x1, x3, x2]);
    expect(ids(await ce.getByTimeRange(at(MIN), at(3 * MIN), 2, 1))).toEqual([x1, x3]);
    expect((await ce.getLatestBySchedule(S2))!.id).toBe(x4);

    const p = await f.dal.pipelineExecution.create({ pipelineName: 'cron' });
    await ce.updatePipelineExecutionId(x4, p.id);
    await ce.updatePipelineExecutionId(x1, p.id);
    expect((await ce.getByPipelineExecutionId(p.id))!.id).toBe(x1);
    f.clock.set(at(20 * MIN));
    expect(ids(await ce.findLostExecutions(10))).toEqual([x2, x3, x5]);
  });

  it('metadata lookups follow the order of the given names (duplicates after the first and unknown names dropped)', async () => {
    const created = await f.dal.pipelineExecution.createWithTasks({
      pipelineName: 'md',
      pipelineVersion: '1',
      inputContext: {},
      tasks: [taskSpec('a'), taskSpec('b'), taskSpec('c')],
    });
    const p = created.pipeline.id;
    const meta: Record<string, string> = {};
    for (const t of created.tasks) {
      const ctx = await f.dal.context.create({ from: t.taskName });
      meta[t.taskName] = (await f.dal.taskExecutionMetadata.create({ taskExecutionId: t.id, pipelineExecutionId: p, taskName: t.taskName, contextId: ctx })).id;
    }
    const [a, b, c] = created.tasks.map((t) => t.taskName) as [string, string, string];
    const names = [c, a, c, 'public::pkg::wf::missing', b];
    expect(ids(await f.dal.taskExecutionMetadata.getDependencyMetadata(p, names))).toEqual([meta[c], meta[a], meta[b]]);
    const withCtx = await f.dal.taskExecutionMetadata.getDependencyMetadataWithContexts(p, names);
    expect(withCtx.map((m) => [m.metadata.id, m.context])).toEqual([
      [meta[c], { from: c }],
      [meta[a], { from: a }],
      [meta[b], { from: b }],
    ]);
    expect(await f.dal.taskExecutionMetadata.getDependencyMetadata(p, [])).toEqual([]);
  });

  it('packages: package_name ASC, version ASC, id ASC, all byte-wise', async () => {
    const reg = await f.dal.workflowRegistryStorage.storeBinary(new Uint8Array([1]));
    const m = (name: string, version: string): PackageManifest => ({
      formatVersion: 1,
      name,
      version,
      entry: 'index.js',
      cloacinaVersion: '0.1.0',
      fingerprint: 'sha256:00',
      workflows: [],
    });
    const pairs: [string, string][] = [
      ['b', '1.0'],
      ['é', '1.0'],
      ['a', '2.0'],
      ['a_', '1.0'],
      ['Z', '1.0'],
      ['a', '10.0'],
      ['a-', '1.0'],
      ['B', '1.0'],
      ['a', '1.10'],
    ];
    for (const [name, version] of pairs) await f.dal.workflowPackages.storePackageMetadata(reg, m(name, version));
    const listed = (await f.dal.workflowPackages.listAllPackages()).map((p) => `${p.packageName}@${p.version}`);
    expect(listed).toEqual(['B@1.0', 'Z@1.0', 'a@1.10', 'a@10.0', 'a@2.0', 'a-@1.0', 'a_@1.0', 'b@1.0', 'é@1.0']);
  });
});
