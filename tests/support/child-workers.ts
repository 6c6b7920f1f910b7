/**
 * Child-process workers for the multi-process conformance tests. A worker is a plain Node ESM
 * script under tests/conformance/workers/ that imports the BUILT DAL packages; it gets its
 * parameters as JSON in argv[2], reads JSON lines on stdin and writes JSON lines on stdout.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const WORKERS_DIR = fileURLToPath(new URL('../conformance/workers/', import.meta.url));

export type WorkerMessage = { type: string } & Record<string, unknown>;

export interface ChildWorker {
  readonly messages: WorkerMessage[];
  /** Resolves with the first message (already received or future) matching `pred`. */
  waitFor(pred: (m: WorkerMessage) => boolean, timeoutMs?: number): Promise<WorkerMessage>;
  send(msg: Record<string, unknown>): void;
  /** Resolves when the process exits. */
  readonly exited: Promise<{ code: number | null; stderr: string }>;
  kill(): void;
}

/** Newest modification time of the files under `dir` ending in `ext` (test sources excluded). */
function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path, ext));
    else if (entry.name.endsWith(ext) && !entry.name.includes('.test.')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Workers run the BUILT packages: refuse to test a missing or stale dist (older than its
 * sources), which would silently judge old code.
 */
export function assertFreshBuild(packageNames: string[]): void {
  for (const name of packageNames) {
    const root = realpathSync(fileURLToPath(new URL(`../node_modules/${name}`, import.meta.url)));
    const entry = join(root, 'dist', 'index.js');
    if (!existsSync(entry)) throw new Error(`${name} is not built (${entry} missing): build it with tsc -p tsconfig.json`);
    if (newestMtime(join(root, 'dist'), '.js') < newestMtime(join(root, 'src'), '.ts')) {
      throw new Error(`${name}/dist is older than its sources: rebuild it with tsc -p tsconfig.json`);
    }
  }
}

export function startWorker(script: string, params: Record<string, unknown>): ChildWorker {
  if (typeof params.packageName === 'string') assertFreshBuild(['@cloacina/core', params.packageName]);
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [join(WORKERS_DIR, script), JSON.stringify(params)], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const messages: WorkerMessage[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.trim()) return;
    try {
      messages.push(JSON.parse(line) as WorkerMessage);
    } catch {
      messages.push({ type: 'unparsed', line });
    }
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on('exit', (code) => {
      for (const w of [...waiters]) w();
      resolve({ code, stderr });
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });

  return {
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
            reject(new Error(`worker ${script} exited before the expected message; stderr:\n${stderr}\nmessages: ${JSON.stringify(messages)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`worker ${script}: no expected message within ${timeoutMs} ms; stderr:\n${stderr}\nmessages: ${JSON.stringify(messages)}`));
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
      child.stdin.write(`${JSON.stringify(msg)}\n`);
    },
    exited,
    kill() {
      if (!done) child.kill('SIGKILL');
    },
  };
}

/** Worker id generator base: worker k draws ids idAt(base(k) + n), disjoint from the parent's. */
export function workerIdBase(k: number): number {
  return 0x100000000 * (k + 1);
}
