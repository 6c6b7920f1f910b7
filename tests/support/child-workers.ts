/**
 * Child-process workers for the multi-process conformance tests. A worker is a plain Node ESM
 * script under tests/conformance/workers/ that imports the BUILT DAL packages; it gets its
 * parameters as JSON in argv[2], reads JSON lines on stdin and writes JSON lines on stdout.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { spawnJsonLines, type ChildMessage } from './json-lines-child.js';

export const WORKERS_DIR = fileURLToPath(new URL('../conformance/workers/', import.meta.url));

export type WorkerMessage = ChildMessage;

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
  const c = spawnJsonLines(join(WORKERS_DIR, script), params, fileURLToPath(new URL('..', import.meta.url)));
  const describe = (problem: string) => `worker ${script}: ${problem}; stderr:\n${c.stderr()}\nmessages: ${JSON.stringify(c.messages)}`;
  return {
    messages: c.messages,
    waitFor: (pred, timeoutMs = 60_000) => c.waitFor(pred, timeoutMs, describe),
    send: (msg) => c.send(msg),
    exited: c.exited.then(({ code, stderr }) => ({ code, stderr })),
    kill() {
      if (!c.done()) c.child.kill('SIGKILL');
    },
  };
}

/** Worker id generator base: worker k draws ids idAt(base(k) + n), disjoint from the parent's. */
export function workerIdBase(k: number): number {
  return 0x100000000 * (k + 1);
}
