/**
 * Three runner processes on one PostgreSQL schema share 1,000 tasks (20 runs × 50 independent
 * tasks by default; CLOACINA_SCALE_RUNS / CLOACINA_SCALE_TASKS change the shape). The parent only
 * submits and waits (an API-only runner: no scheduler, no executor, no recovery), so every task
 * is scheduled, claimed and run by the children. Every task body inserts its side-effect row
 * under a UNIQUE (pipeline, task, attempt) constraint and tasks are never retried, so a second
 * execution of any task would fail its run.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DefaultRunner } from '@cloacina/runner';
import { capturingLogger, newTarget, type DbTarget } from './workers/db-target.js';
import { assertRunnerBuilt, killAllRunnerProcesses, startRunnerProcess, stopRunnerProcess, type RunnerProcess } from './workers/processes.js';
import { openSideTable, type SideTable } from './workers/side-effects.mjs';
import { SCALE_WORKFLOW, scaleWorkflow } from './workers/workflows.mjs';

const RUNS = Number(process.env.CLOACINA_SCALE_RUNS ?? 20);
const TASKS = Number(process.env.CLOACINA_SCALE_TASKS ?? 50);

const variants = [
  { name: 'three unified runners', dals: ['unified', 'unified', 'unified'] as const },
  { name: 'unified, legacy and unified runners', dals: ['unified', 'legacy', 'unified'] as const },
];

beforeAll(() => assertRunnerBuilt());

describe.each(variants)('scale: $name on one PostgreSQL schema', ({ dals }) => {
  let target: DbTarget | undefined;
  let side: SideTable | undefined;
  let api: DefaultRunner | undefined;

  afterEach(async () => {
    await killAllRunnerProcesses();
    await api?.shutdown().catch(() => undefined);
    await side?.close().catch(() => undefined);
    await target?.cleanup();
    target = side = api = undefined;
  });

  it(`runs ${RUNS * TASKS} tasks, each exactly once, spread over all three processes`, { timeout: 180_000 }, async () => {
    target = newTarget('postgres', 'scale');
    side = await openSideTable({ url: target.url, schema: target.schema, unique: true });
    await side.ensure();

    // Three runners started together: they also migrate the fresh schema concurrently.
    const children: RunnerProcess[] = dals.map((dal, k) =>
      startRunnerProcess(`runner ${k + 1}`, {
        url: target!.url,
        schema: target!.schema,
        dal,
        runnerId: `scale-runner-${k + 1}`,
        workflow: 'scale',
        tasks: TASKS,
        sleepMs: 5,
        unique: true,
        reportEffects: false,
        options: { maxConcurrentTasks: 8, dbPoolSize: 3 },
      }),
    );
    await Promise.all(children.map((ch) => ch.waitFor((m) => m.type === 'ready')));

    const { logger, entries } = capturingLogger();
    api = await DefaultRunner.create({
      ...target.runnerOptions,
      logger,
      enableExecutor: false,
      enableScheduler: false,
      enableRecovery: false,
      workflows: [scaleWorkflow({ tasks: TASKS, effect: async () => { throw new Error('the API process never runs tasks'); } })],
    });
    const handles = [];
    for (let i = 0; i < RUNS; i++) handles.push(await api.executeAsync(SCALE_WORKFLOW, { run: i }));
    const results = await Promise.all(handles.map((h) => h.wait({ timeoutMs: 150_000 })));

    for (const r of results) {
      expect({ run: r.executionId, status: r.status, error: r.errorMessage }).toEqual({ run: r.executionId, status: 'Completed', error: null });
      expect(r.taskResults).toHaveLength(TASKS);
      expect(r.taskResults.every((t) => t.status === 'Completed' && t.attemptCount === 1)).toBe(true);
    }

    // Every task's side effect exactly once (the UNIQUE constraint would have failed a second one).
    const rows = await side.rows();
    expect(rows).toHaveLength(RUNS * TASKS);
    const keys = new Set(rows.map((r) => `${r.pipelineId}/${r.taskName}/${r.attempt}`));
    expect(keys.size).toBe(RUNS * TASKS);
    const runIds = new Set(results.map((r) => r.executionId));
    expect(rows.every((r) => runIds.has(r.pipelineId) && r.attempt === 1)).toBe(true);

    // All three processes did work, and nobody else did.
    const perRunner = new Map<string, number>();
    for (const r of rows) perRunner.set(r.runnerId, (perRunner.get(r.runnerId) ?? 0) + 1);
    expect([...perRunner.keys()].sort()).toEqual(['scale-runner-1', 'scale-runner-2', 'scale-runner-3']);

    // Final contexts: each task's key names the runner that ran it, as the side table says.
    const byTask = new Map(rows.map((r) => [`${r.pipelineId}/${r.taskName}`, r.runnerId]));
    for (const r of results) {
      const final = r.finalContext.toJSON();
      for (const t of r.taskResults) expect(final[t.taskId]).toBe(byTask.get(`${r.executionId}/${t.taskId}`));
    }

    // Clean exits after shutdown; the attempts started add up to exactly one per task.
    const exits = await Promise.all(children.map((ch) => stopRunnerProcess(ch)));
    for (const [k, exit] of exits.entries()) {
      expect({ runner: k + 1, code: exit.code, signal: exit.signal, timedOut: exit.timedOut }).toEqual({ runner: k + 1, code: 0, signal: null, timedOut: false });
    }
    const stopped = children.map((ch) => ch.messages.find((m) => m.type === 'stopped'));
    expect(stopped.map((m) => m?.effects)).toEqual(children.map((ch) => perRunner.get(`scale-runner-${children.indexOf(ch) + 1}`)));
    expect(stopped.reduce((n, m) => n + Number(m?.started ?? 0), 0)).toBe(RUNS * TASKS);
    for (const ch of children) expect({ runner: ch.name, logs: ch.logs() }).toEqual({ runner: ch.name, logs: [] });
    expect(entries).toEqual([]);
  });
});
