/**
 * Parent side of runner-worker.mjs: spawns runner child processes, collects their JSON-line
 * messages, and guarantees that every child is gone after a test (`killAllRunnerProcesses` in
 * afterEach), whatever happened in the test.
 */
import { fileURLToPath } from 'node:url';
import { assertFreshBuild } from '../../support/child-workers.js';
import { spawnJsonLines, type ChildExit, type ChildMessage } from '../../support/json-lines-child.js';

const WORKER = fileURLToPath(new URL('./runner-worker.mjs', import.meta.url));
const TESTS_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type RunnerMessage = ChildMessage;

export interface RunnerWorkerParams {
  url: string;
  schema?: string;
  dal: 'unified' | 'legacy';
  runnerId: string;
  workflow: 'crash' | 'scale';
  tasks?: number;
  sleepMs?: number;
  unique?: boolean;
  reportEffects?: boolean;
  hangAtEffect?: number;
  submit?: { count: number; input: Record<string, unknown> };
  options?: Record<string, unknown>;
}

export type Exit = ChildExit;

export interface RunnerProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly messages: RunnerMessage[];
  /** First message (past or future) matching `pred`; rejects if the process exits first or on timeout. */
  waitFor(pred: (m: RunnerMessage) => boolean, timeoutMs?: number): Promise<RunnerMessage>;
  send(msg: Record<string, unknown>): void;
  readonly exited: Promise<Exit>;
  /** SIGKILL (no clean-up of any kind in the child) and wait for the exit. */
  kill(): Promise<Exit>;
  /** Warn/error log lines the child's runner produced. */
  logs(): { level: string; msg: string }[];
}

const live = new Set<RunnerProcess>();

/** The packages a worker imports, built: a stale dist would silently test old code. */
export function assertRunnerBuilt(): void {
  assertFreshBuild(['@cloacina/core', '@cloacina/dal-sqlite', '@cloacina/dal-postgres', '@cloacina/dal-unified', '@cloacina/runner']);
}

export function startRunnerProcess(name: string, params: RunnerWorkerParams): RunnerProcess {
  const c = spawnJsonLines(WORKER, params, TESTS_ROOT);
  const describe = (problem: string) => `runner process ${name} ${problem}; stderr:\n${c.stderr()}\nlast messages: ${JSON.stringify(c.messages.slice(-10))}`;
  const proc: RunnerProcess = {
    name,
    pid: c.child.pid,
    messages: c.messages,
    waitFor: (pred, timeoutMs = 60_000) => c.waitFor(pred, timeoutMs, describe),
    send: (msg) => c.send(msg),
    exited: c.exited,
    async kill() {
      if (!c.done()) c.child.kill('SIGKILL');
      return c.exited;
    },
    logs() {
      return c.messages.filter((m) => m.type === 'log').map((m) => ({ level: String(m.level), msg: String(m.msg) }));
    },
  };
  live.add(proc);
  void c.exited.then(() => live.delete(proc));
  return proc;
}

/** Asks a child to shut down and waits (bounded) for it to exit on its own; SIGKILL after `ms`. */
export async function stopRunnerProcess(proc: RunnerProcess, ms = 30_000): Promise<Exit & { timedOut: boolean }> {
  proc.send({ type: 'shutdown' });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const outcome = await Promise.race([proc.exited, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') return { ...(await proc.kill()), timedOut: true };
  return { ...outcome, timedOut: false };
}

/** SIGKILLs every child still alive (afterEach). */
export async function killAllRunnerProcesses(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}
