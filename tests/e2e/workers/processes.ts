/**
 * Parent side of runner-worker.mjs: spawns runner child processes, collects their JSON-line
 * messages, and guarantees that every child is gone after a test (`killAllRunnerProcesses` in
 * afterEach), whatever happened in the test.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { assertFreshBuild } from '../../support/child-workers.js';

const WORKER = fileURLToPath(new URL('./runner-worker.mjs', import.meta.url));
const TESTS_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type RunnerMessage = { type: string } & Record<string, unknown>;

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

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

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
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [WORKER, JSON.stringify(params)], {
    cwd: TESTS_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const messages: RunnerMessage[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let done = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // A write to a dead child's stdin must not crash the test process.
  child.stdin.on('error', () => undefined);
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.trim()) return;
    try {
      messages.push(JSON.parse(line) as RunnerMessage);
    } catch {
      messages.push({ type: 'unparsed', line });
    }
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      for (const w of [...waiters]) w();
      resolve({ code, signal, stderr });
    });
  });

  const describeState = () => `stderr:\n${stderr}\nlast messages: ${JSON.stringify(messages.slice(-10))}`;
  const proc: RunnerProcess = {
    name,
    pid: child.pid,
    messages,
    waitFor(pred, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = messages.find(pred);
          if (hit) {
            cleanup();
            resolve(hit);
          } else if (done) {
            cleanup();
            reject(new Error(`runner process ${name} exited before the expected message; ${describeState()}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`runner process ${name}: no expected message within ${timeoutMs} ms; ${describeState()}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    send(msg) {
      if (!done) child.stdin.write(`${JSON.stringify(msg)}\n`);
    },
    exited,
    async kill() {
      if (!done) child.kill('SIGKILL');
      return exited;
    },
    logs() {
      return messages.filter((m) => m.type === 'log').map((m) => ({ level: String(m.level), msg: String(m.msg) }));
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
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
