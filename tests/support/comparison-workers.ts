/**
 * Child processes for the mixed-concurrency comparison: plain Node ESM scripts under
 * tests/migration-comparison/workers/ that import the BUILT DAL packages. Parameters go as JSON
 * in argv[2]; the worker prints JSON lines ({type:'ready'}, then {type:'result'} or
 * {type:'error'}) and starts on a line on stdin, so all workers begin together.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const WORKERS = fileURLToPath(new URL('../migration-comparison/workers/', import.meta.url));
const TESTS_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface ComparisonWorker {
  ready: Promise<void>;
  go(): void;
  result: Promise<Record<string, unknown>>;
  kill(): void;
}

export function spawnComparisonWorker(script: string, params: Record<string, unknown>, timeoutMs = 120_000): ComparisonWorker {
  const child = spawn(process.execPath, [`${WORKERS}${script}`, JSON.stringify(params)], { cwd: TESTS_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: Record<string, unknown>[] = [];
  let onLine: (() => void) | undefined;
  createInterface({ input: child.stdout }).on('line', (l) => {
    if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    onLine?.();
  });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  const waitFor = (type: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script}: no '${type}' within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      const check = () => {
        const hit = lines.find((m) => m.type === type || m.type === 'error');
        if (!hit) return;
        clearTimeout(timer);
        if (hit.type === 'error') reject(new Error(`${script} failed: ${JSON.stringify(hit.error)}; stderr: ${stderr}`));
        else resolve(hit);
      };
      onLine = check;
      void exited.then(() => {
        check();
        clearTimeout(timer);
        reject(new Error(`${script} exited before '${type}'; stderr: ${stderr}; output: ${JSON.stringify(lines)}`));
      });
      check();
    });
  const ready = waitFor('ready').then(() => undefined);
  return {
    ready,
    go: () => child.stdin.write('go\n'),
    result: ready.then(() => waitFor('result')),
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
