/**
 * Crash recovery with real processes. A runner in a child process runs an 8-task DAG whose
 * every task body writes a side-effect row into the same database; the parent SIGKILLs the child
 * while the task that wrote the N-th row is in flight (N = 1, 3, 5), then starts a new runner on
 * the same database and the same workflow. The run must complete with the right final context;
 * every task's side effect appears exactly once except the attempt in flight at the kill, which
 * appears twice (the re-run of the same attempt); the recovery audit shows the reset.
 *
 * Two recovery paths: `restart` — the new runner has the dead runner's stable runnerId and
 * reclaims its tasks at start (reason runner_restart, default 60 s threshold so nothing else
 * could have reset them); `stale` — a different runnerId, short heartbeat and stale threshold,
 * so the sweeper finds the silent lease (reason stale_heartbeat).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DefaultRunner, type PipelineResult, type RunnerEventMap } from '@cloacina/runner';
import { capturingLogger, newTarget, type Backend, type DbTarget } from './workers/db-target.js';
import { assertRunnerBuilt, killAllRunnerProcesses, startRunnerProcess } from './workers/processes.js';
import { openSideTable, type SideTable } from './workers/side-effects.mjs';
import { CRASH_TASKS, CRASH_WORKFLOW, crashExpectedFinal, crashWorkflow } from './workers/workflows.mjs';

type Mode = 'restart' | 'stale';
interface Case {
  name: string;
  backend: Backend;
  dal: 'unified' | 'legacy';
  mode: Mode;
  killAfter: number;
}

const cases: Case[] = [];
for (const backend of ['sqlite', 'postgres'] as const) {
  for (const mode of ['restart', 'stale'] as const) {
    for (const killAfter of [1, 3, 5]) cases.push({ name: `${backend}+unified ${mode} kill after ${killAfter}`, backend, dal: 'unified', mode, killAfter });
  }
}
cases.push({ name: 'sqlite+legacy restart kill after 3', backend: 'sqlite', dal: 'legacy', mode: 'restart', killAfter: 3 });
cases.push({ name: 'postgres+legacy stale kill after 5', backend: 'postgres', dal: 'legacy', mode: 'stale', killAfter: 5 });

/** Short leases for the `stale` mode (both runners use them; heartbeat × 2 ≤ threshold). */
const SHORT_LEASES = { heartbeatIntervalMs: 200, staleClaimThresholdMs: 1000, staleClaimSweepIntervalMs: 200 };
const INPUT_N = 3;

/** Polls the run until it is terminal (bounded). */
async function waitForTerminal(runner: DefaultRunner, executionId: string, ms = 60_000): Promise<PipelineResult> {
  const deadline = Date.now() + ms;
  for (;;) {
    const result = await runner.getExecutionResult(executionId);
    if (['Completed', 'Failed', 'Cancelled'].includes(result.status)) return result;
    if (Date.now() > deadline) throw new Error(`run ${executionId} still ${result.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface TaskRow {
  task_name: string;
  status: string;
  claimed_by: string | null;
}

// Children run the built packages: refuse a missing or stale dist once, before any test.
beforeAll(() => assertRunnerBuilt());

describe.each(cases)('crash recovery: $name', (c) => {
  let target: DbTarget | undefined;
  let side: SideTable | undefined;
  let survivor: DefaultRunner | undefined;

  afterEach(async () => {
    await killAllRunnerProcesses();
    await survivor?.shutdown().catch(() => undefined);
    await side?.close().catch(() => undefined);
    await target?.cleanup();
    target = side = survivor = undefined;
  });

  it('completes the run after a SIGKILL; each side effect once, the attempt in flight twice', { timeout: 120_000 }, async () => {
    target = newTarget(c.backend, 'crash');
    side = await openSideTable({ url: target.url, schema: target.schema });
    await side.ensure();
    const leases = c.mode === 'stale' ? SHORT_LEASES : {};
    const deadRunnerId = `crash-runner-${c.killAfter}-a`;

    // ---- the first runner, in a child process; one permit, so exactly one attempt is in flight at the kill
    const child = startRunnerProcess('crashing runner', {
      url: target.url,
      schema: target.schema,
      dal: c.dal,
      runnerId: deadRunnerId,
      workflow: 'crash',
      hangAtEffect: c.killAfter,
      submit: { count: 1, input: { n: INPUT_N } },
      options: { maxConcurrentTasks: 1, dbPoolSize: target.runnerOptions.dbPoolSize, ...leases },
    });
    const submitted = await child.waitFor((m) => m.type === 'submitted');
    const executionId = (submitted.executionIds as string[])[0]!;
    const last = await child.waitFor((m) => m.type === 'effect' && m.n === c.killAfter);
    const exit = await child.kill();
    expect(exit.signal).toBe('SIGKILL');
    expect(child.logs().filter((l) => l.level === 'error')).toEqual([]);

    // ---- the database as the dead runner left it
    const inFlightTask = CRASH_TASKS[c.killAfter - 1]!; // one permit: claims follow task id order
    expect(last.task).toBe(inFlightTask);
    const atKill = await side.query<TaskRow>('SELECT task_name, status, claimed_by FROM task_executions');
    const short = (ns: string) => ns.split('::')[3]!;
    const running = atKill.filter((t) => t.status === 'Running');
    expect(running.map((t) => [short(t.task_name), t.claimed_by])).toEqual([[inFlightTask, deadRunnerId]]);
    const completedAtKill = atKill.filter((t) => t.status === 'Completed').map((t) => short(t.task_name)).sort();
    expect(completedAtKill).toEqual(CRASH_TASKS.slice(0, c.killAfter - 1).slice().sort());
    const rowsAtKill = await side.rows();
    expect(rowsAtKill.map((r) => r.taskName)).toEqual(CRASH_TASKS.slice(0, c.killAfter));

    // ---- a new runner on the same database with the same workflow
    const sideForSurvivor = side;
    const survivorId = c.mode === 'restart' ? deadRunnerId : `crash-runner-${c.killAfter}-b`;
    const { logger, entries } = capturingLogger();
    const startedHere: RunnerEventMap['taskStarted'][] = [];
    survivor = await DefaultRunner.create({
      ...target.runnerOptions,
      dal: c.dal,
      runnerId: survivorId,
      logger,
      maxConcurrentTasks: 4,
      ...leases,
      workflows: [
        crashWorkflow({
          effect: (info) =>
            sideForSurvivor.insert({ pipelineId: info.pipelineExecutionId, taskName: info.taskId, attempt: info.attempt, runnerId: info.runnerId }),
        }),
      ],
    });
    survivor.on('taskStarted', (e) => startedHere.push(e));
    const result = await waitForTerminal(survivor, executionId);

    // The run completed, with the context every task contributed to.
    expect(result.status).toBe('Completed');
    expect(result.workflowName).toBe(CRASH_WORKFLOW);
    expect(result.finalContext.toJSON()).toEqual(crashExpectedFinal(INPUT_N));
    expect(result.taskResults.map((t) => [t.taskId, t.status, t.attemptCount])).toEqual(CRASH_TASKS.map((id) => [id, 'Completed', 1]));

    // Side effects: exactly once per task, twice for the attempt in flight at the kill.
    const rows = await side.rows();
    expect(rows.every((r) => r.pipelineId === executionId && r.attempt === 1)).toBe(true);
    const perTask = new Map<string, string[]>();
    for (const r of rows) perTask.set(r.taskName, [...(perTask.get(r.taskName) ?? []), r.runnerId]);
    for (const id of CRASH_TASKS) {
      const expected = id === inFlightTask ? [deadRunnerId, survivorId] : [CRASH_TASKS.indexOf(id) < c.killAfter ? deadRunnerId : survivorId];
      expect({ task: id, runners: perTask.get(id) }).toEqual({ task: id, runners: expected });
    }
    // The survivor ran the interrupted attempt and everything after it, nothing the dead runner had finished.
    expect(startedHere.map((e) => e.taskId).sort()).toEqual(CRASH_TASKS.slice(c.killAfter - 1).slice().sort());
    expect(startedHere.every((e) => e.attempt === 1)).toBe(true);

    // The recovery audit: one reset of the interrupted task, for the expected reason.
    const dal = survivor.dal;
    const recovery = await dal.recoveryEvent.getByPipeline(executionId);
    const taskRow = result.taskResults.find((t) => t.taskId === inFlightTask)!;
    expect(recovery.map((e) => [e.recoveryType, e.taskExecutionId, e.details])).toEqual([
      [
        'task_reset',
        taskRow.taskExecutionId,
        {
          task_name: taskRow.taskName,
          previous_status: 'Running',
          new_status: 'Ready',
          recovery_attempt: 1,
          previous_runner: deadRunnerId,
          reason: c.mode === 'restart' ? 'runner_restart' : 'stale_heartbeat',
        },
      ],
    ]);
    expect((await dal.pipelineExecution.getById(executionId)).recoveryAttempts).toBe(1);
    const tasks = await dal.taskExecution.getAllTasksForPipeline(executionId);
    expect(tasks.map((t) => [t.taskName.split('::')[3], t.recoveryAttempts])).toEqual(CRASH_TASKS.map((id) => [id, id === inFlightTask ? 1 : 0]));
    const history = await dal.executionEvent.getByTask(taskRow.taskExecutionId);
    expect(history.map((e) => e.eventType)).toContain('task_reset');
    expect(history.filter((e) => e.eventType === 'task_completed')).toHaveLength(1);

    expect(entries.filter((e) => e.level === 'error')).toEqual([]);
  });
});
