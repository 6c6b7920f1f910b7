/**
 * A child Node process that talks in JSON lines: parameters as JSON in argv[2], messages read
 * from its stdout, commands written to its stdin. Shared by the conformance workers and the
 * runner processes of the end-to-end tests.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export type ChildMessage = { type: string } & Record<string, unknown>;

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export interface JsonLinesChild {
  readonly child: ChildProcessWithoutNullStreams;
  readonly messages: ChildMessage[];
  readonly exited: Promise<ChildExit>;
  /** True once the process has exited. */
  done(): boolean;
  stderr(): string;
  /**
   * The first message (already received or future) matching `pred`; rejects when the process
   * exits first or after `timeoutMs`, with `describe(problem)` as the message.
   */
  waitFor(pred: (m: ChildMessage) => boolean, timeoutMs: number, describe: (problem: string) => string): Promise<ChildMessage>;
  send(msg: Record<string, unknown>): void;
}

export function spawnJsonLines(script: string, params: unknown, cwd: string): JsonLinesChild {
  const child = spawn(process.execPath, [script, JSON.stringify(params)], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const messages: ChildMessage[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
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
      messages.push(JSON.parse(line) as ChildMessage);
    } catch {
      messages.push({ type: 'unparsed', line });
    }
    wake();
  });
  const exited = new Promise<ChildExit>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      wake();
      resolve({ code, signal, stderr });
    });
  });
  return {
    child,
    messages,
    exited,
    done: () => done,
    stderr: () => stderr,
    waitFor(pred, timeoutMs, describe) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = messages.find(pred);
          if (hit) {
            cleanup();
            resolve(hit);
          } else if (done) {
            cleanup();
            reject(new Error(describe('exited before the expected message')));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(describe(`no expected message within ${timeoutMs} ms`)));
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
  };
}
