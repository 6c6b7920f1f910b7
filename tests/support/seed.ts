/**
 * Seeding helpers for the task/claim/lease/context conformance files: runs created through the
 * DAL's own hot paths (createWithTasks, markReadiness, claimReadyTasks), so a seeded database is
 * exactly what a runner would have written.
 */
import type { ClaimResult, CreatedPipeline, Dal, JsonObject, NewTaskSpec } from '@cloacina/core';
import type { DalFixture } from './dal-fixture.js';
import { idAt } from './determinism.js';

/** The fixture clock's starting instant (TestClock default). */
export const T0 = new Date('2025-01-01T00:00:00.000Z');

/** T0 plus `ms` milliseconds. */
export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

/** Full task namespace as stored in task_executions.task_name. */
export function taskName(task: string, workflow = 'wf'): string {
  return `public::embedded::${workflow}::${task}`;
}

/** Index of the id the fixture's generator hands out next (idAt(index) is that id). */
export function nextIdIndex(f: DalFixture): number {
  return Number.parseInt(f.ids.peek().slice(24), 16);
}

/** An id no row will ever get from the sequential generator during a test. */
export function unknownId(n = 0): string {
  return idAt(0xfff000 + n);
}

export interface SeedOptions {
  /** Workflow (pipeline) name; task names are `public::embedded::<workflow>::t<i>`. */
  workflow?: string;
  version?: string;
  input?: JsonObject;
  /** Number of tasks (named t1, t2, …) or explicit specs. Default 3. */
  tasks?: number | NewTaskSpec[];
  maxAttempts?: number;
}

export function taskSpecs(count: number, workflow = 'wf', maxAttempts = 1): NewTaskSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    taskName: taskName(`t${i + 1}`, workflow),
    maxAttempts,
    triggerRules: { type: 'Always' },
    taskConfiguration: {},
  }));
}

/** createWithTasks: tasks NotStarted, pipeline Pending. */
export async function seedPipeline(dal: Dal, opts: SeedOptions = {}): Promise<CreatedPipeline> {
  const workflow = opts.workflow ?? 'wf';
  const tasks = Array.isArray(opts.tasks) ? opts.tasks : taskSpecs(opts.tasks ?? 3, workflow, opts.maxAttempts ?? 1);
  return dal.pipelineExecution.createWithTasks({
    pipelineName: workflow,
    pipelineVersion: opts.version ?? '1.0',
    inputContext: opts.input ?? {},
    tasks,
  });
}

/** Moves the given tasks (default: all) from NotStarted to Ready in one markReadiness call. */
export async function makeReady(dal: Dal, ids: string[]): Promise<void> {
  const res = await dal.taskExecution.markReadiness(ids.map((id) => ({ id, outcome: 'Ready' as const })));
  if (res.ready.length !== ids.length) throw new Error(`seed: markReadiness readied ${res.ready.length} of ${ids.length}`);
}

/** createWithTasks, then every task Ready. */
export async function seedReady(dal: Dal, opts: SeedOptions = {}): Promise<CreatedPipeline> {
  const created = await seedPipeline(dal, opts);
  await makeReady(
    dal,
    created.tasks.map((t) => t.id),
  );
  return created;
}

/**
 * Claims `count` Ready tasks for `runnerId` and checks they are exactly the expected ones. Claims
 * take the oldest Ready tasks of any run, so call it when no other Ready task precedes them.
 */
export async function claimExactly(dal: Dal, runnerId: string, expectedIds: string[]): Promise<ClaimResult[]> {
  const claims = await dal.taskExecution.claimReadyTasks(runnerId, expectedIds.length);
  const got = claims.map((c) => c.id);
  if (JSON.stringify(got) !== JSON.stringify(expectedIds)) {
    throw new Error(`seed: claimed ${JSON.stringify(got)}, expected ${JSON.stringify(expectedIds)}`);
  }
  return claims;
}

/** createWithTasks, every task Ready, then every task claimed by `runnerId` (Running). */
export async function seedRunning(dal: Dal, runnerId: string, opts: SeedOptions = {}): Promise<CreatedPipeline> {
  const created = await seedReady(dal, opts);
  await claimExactly(
    dal,
    runnerId,
    created.tasks.map((t) => t.id),
  );
  return created;
}

/**
 * One run with a task in each of the six statuses, in id order:
 * NotStarted, Ready, Running (held by `runnerId`), Completed, Failed ('boom'), Skipped ('not needed').
 */
export async function seedAllStatuses(
  dal: Dal,
  runnerId: string,
  opts: Omit<SeedOptions, 'tasks'> = {},
): Promise<{ created: CreatedPipeline; byStatus: Record<'NotStarted' | 'Ready' | 'Running' | 'Completed' | 'Failed' | 'Skipped', string> }> {
  const created = await seedPipeline(dal, { ...opts, tasks: 6 });
  const [notStarted, ready, running, completed, failed, skipped] = created.tasks.map((t) => t.id);
  await makeReady(dal, [running, completed, failed]);
  await claimExactly(dal, runnerId, [running, completed, failed]);
  await dal.taskExecution.markCompleted(completed, runnerId);
  await dal.taskExecution.markFailed(failed, runnerId, 'boom');
  await makeReady(dal, [ready]);
  if (!(await dal.taskExecution.markSkipped(skipped, 'not needed'))) throw new Error('seed: markSkipped refused');
  return { created, byStatus: { NotStarted: notStarted, Ready: ready, Running: running, Completed: completed, Failed: failed, Skipped: skipped } };
}
