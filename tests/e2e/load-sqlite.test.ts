/**
 * SQLite under load: one file; the scheduler, the executor with 32 permits (heartbeats every
 * 250 ms), the stale-claim sweeper every 100 ms, a submitter keeping several wide runs in flight,
 * and a caller polling getExecutionStatus / getExecutionResult / listExecutions in a loop — for
 * CLOACINA_LOAD_SECONDS (20 s by default; the loops are bounded and stop by themselves).
 * Nothing may complain: no "database is locked" / SQLITE_BUSY, no transaction error, no warn or
 * error log line at all, no rejected call; every run completes with the right context.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DefaultRunner, task, workflow, type PipelineExecutionHandle, type PipelineResult } from '@cloacina/runner';
import { capturingLogger, newTarget, type DbTarget } from './workers/db-target.js';
import { sleep } from './workers/workflows.mjs';

const SECONDS = Number(process.env.CLOACINA_LOAD_SECONDS ?? 20);
const WIDTH = 32;
const IN_FLIGHT_RUNS = 4;
/** Every 8th worker fails its first attempt, so retries are part of the load. */
const flaky = (k: number) => k % 8 === 3;

function wideWorkflow() {
  const root = task({ id: 'root', run: (ctx) => ctx.set('base', ctx.get<number>('batch')! * 100) });
  const workers = Array.from({ length: WIDTH }, (_, k) =>
    task({
      id: `w${String(k).padStart(2, '0')}`,
      dependencies: [root],
      retry: { maxAttempts: 2, backoff: 'fixed', initialDelayMs: 20, jitter: false },
      run: async (ctx, { attempt, signal }) => {
        await sleep(1 + ((k * 7) % 10), signal);
        if (flaky(k) && attempt === 1) throw new Error(`worker ${k} flaked`);
        return { parts: [ctx.get<number>('base')! + k] };
      },
    }),
  );
  const join = task({
    id: 'join',
    dependencies: workers,
    run: (ctx) => ({ sum: ctx.get<number[]>('parts')!.reduce((a, b) => a + b, 0), count: ctx.get<number[]>('parts')!.length }),
  });
  const finish = task({ id: 'finish', dependencies: [join], run: (ctx) => ctx.set('ok', true) });
  return workflow({ name: 'load_wide', tasks: [root, ...workers, join, finish] });
}

const expectedSum = (batch: number) => WIDTH * batch * 100 + (WIDTH * (WIDTH - 1)) / 2;
const BAD = /database is locked|SQLITE_BUSY|SQLITE_LOCKED|busy|transaction|TX_ABORTED/i;

describe.each([
  { dal: 'unified' as const, dbPoolSize: 4 },
  { dal: 'legacy' as const, dbPoolSize: 4 },
])('SQLite under load ($dal DAL, pool $dbPoolSize)', ({ dal, dbPoolSize }) => {
  let target: DbTarget | undefined;
  let runner: DefaultRunner | undefined;

  afterEach(async () => {
    await runner?.shutdown().catch(() => undefined);
    await target?.cleanup();
    target = runner = undefined;
  });

  it(`stays clean for ${SECONDS} s with 32 concurrent tasks, the sweeper and a polling caller`, { timeout: SECONDS * 1000 + 120_000 }, async () => {
    target = newTarget('sqlite', 'load');
    const { logger, entries } = capturingLogger();
    const rejected: string[] = [];
    const onUnhandled = (reason: unknown) => rejected.push(`unhandled rejection: ${String((reason as Error)?.stack ?? reason)}`);
    process.on('unhandledRejection', onUnhandled);
    try {
      runner = await DefaultRunner.create({
        ...target.runnerOptions,
        dal,
        dbPoolSize,
        logger,
        maxConcurrentTasks: WIDTH,
        heartbeatIntervalMs: 250,
        staleClaimThresholdMs: 5_000,
        staleClaimSweepIntervalMs: 100,
        workflows: [wideWorkflow()],
      });
      const r = runner;
      let retries = 0;
      let peak = 0;
      let running = 0;
      r.on('taskRetrying', () => retries++);
      r.on('taskStarted', () => (peak = Math.max(peak, ++running)));
      r.on('taskCompleted', () => running--);
      r.on('taskRetrying', () => running--);
      r.on('taskFailed', () => running--);

      const deadline = Date.now() + SECONDS * 1000;
      const handles: { batch: number; handle: PipelineExecutionHandle }[] = [];
      const finished: { batch: number; result: PipelineResult }[] = [];
      let stop = false;
      let polls = 0;

      // The caller: status, result and list queries in a tight loop while everything runs.
      const poller = (async () => {
        for (let i = 0; !stop && i < 1_000_000; i++) {
          try {
            if (handles.length > 0) {
              const { handle } = handles[(i * 7919) % handles.length]!;
              await r.getExecutionStatus(handle.executionId);
              if (i % 5 === 0) await r.getExecutionResult(handle.executionId);
            }
            if (i % 3 === 0) await r.listExecutions({ limit: 20 });
            polls++;
          } catch (err) {
            rejected.push(`poller: ${String((err as Error)?.stack ?? err)}`);
          }
          await new Promise((res) => setImmediate(res));
        }
      })();

      // The submitter: keeps IN_FLIGHT_RUNS runs going until the deadline.
      let inFlight = 0;
      const waits: Promise<void>[] = [];
      for (let batch = 1; Date.now() < deadline && batch < 100_000; batch++) {
        while (inFlight >= IN_FLIGHT_RUNS && Date.now() < deadline) await sleep(5);
        if (Date.now() >= deadline) break;
        const handle = await r.executeAsync('load_wide', { batch });
        handles.push({ batch, handle });
        inFlight++;
        waits.push(
          handle
            .wait({ timeoutMs: 90_000 })
            .then((result) => void finished.push({ batch, result }))
            .catch(async (err: unknown) => {
              // Say where the run stands, so a stall can be told from an error.
              const state = await r.getExecutionResult(handle.executionId).then(
                (res) => {
                  const counts: Record<string, number> = {};
                  for (const t of res.taskResults) counts[t.status] = (counts[t.status] ?? 0) + 1;
                  return `${res.status}; tasks ${JSON.stringify(counts)}`;
                },
                (e: unknown) => `unknown (${String(e)})`,
              );
              rejected.push(`wait ${batch}: ${String((err as Error)?.message ?? err)}; run ${state}`);
            })
            .finally(() => inFlight--),
        );
      }
      await Promise.all(waits);
      stop = true;
      await poller;

      // Nothing complained (checked first: a complaint explains any other failure below).
      expect(rejected).toEqual([]);
      expect(entries.filter((e) => BAD.test(e.msg) || BAD.test(JSON.stringify(e.meta ?? {})))).toEqual([]);
      expect(entries).toEqual([]);

      // Everything completed, with the context each run computed.
      expect(handles.length).toBeGreaterThan(0);
      expect(finished).toHaveLength(handles.length);
      for (const { batch, result } of finished) {
        expect({ batch, status: result.status, error: result.errorMessage }).toEqual({ batch, status: 'Completed', error: null });
        expect(result.finalContext.toJSON()).toEqual({ sum: expectedSum(batch), count: WIDTH, ok: true });
      }
      const flakyCount = Array.from({ length: WIDTH }, (_, k) => k).filter(flaky).length;
      expect(retries).toBe(flakyCount * handles.length);
      expect(polls).toBeGreaterThan(0);
      if (process.env.CLOACINA_E2E_LOG === '1') {
        console.info(`load (${dal}): ${handles.length} runs, ${handles.length * (WIDTH + 3)} tasks, ${retries} retries, ${polls} polls, peak ${peak} concurrent`);
      }
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
