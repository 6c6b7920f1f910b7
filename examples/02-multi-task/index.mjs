// 02 — Multi-task workflow: an ETL chain with per-task retries.
//
//   extract_numbers ──> transform_numbers ──> load_numbers
//
// Each task receives the output context of the task before it. `load_numbers` hits a simulated
// connection reset on its first attempt; its retry policy (2 attempts, fixed 1 s back-off)
// runs it again and the run completes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultRunner, TaskError, task, workflow } from '@cloacina/runner';

const RETRY = { maxAttempts: 2, backoff: 'fixed', initialDelayMs: 1000, jitter: false };

const extractNumbers = task({
  id: 'extract_numbers',
  description: 'Read the raw numbers',
  retry: RETRY,
  run: (ctx) => {
    const count = ctx.get('count') ?? 10;
    ctx.set('numbers', Array.from({ length: count }, (_, i) => i + 1));
  },
});

const transformNumbers = task({
  id: 'transform_numbers',
  description: 'Square the even numbers',
  dependencies: [extractNumbers],
  retry: RETRY,
  run: (ctx) => {
    const numbers = ctx.get('numbers');
    ctx.set('transformed', numbers.filter((n) => n % 2 === 0).map((n) => n * n));
  },
});

const loadNumbers = task({
  id: 'load_numbers',
  description: 'Store the result (the "warehouse" drops the first connection)',
  dependencies: [transformNumbers],
  retry: RETRY,
  run: (ctx, { attempt }) => {
    if (attempt === 1) throw new TaskError('warehouse connection reset by peer', { transient: true });
    const transformed = ctx.get('transformed');
    ctx.set('loaded_rows', transformed.length);
    ctx.set('loaded_sum', transformed.reduce((a, b) => a + b, 0));
  },
});

const etl = workflow({
  name: 'number_etl',
  description: 'Extract, transform and load a list of numbers',
  tasks: [extractNumbers, transformNumbers, loadNumbers],
});

const dir = mkdtempSync(join(tmpdir(), 'cloacina-example-02-'));
const databaseUrl = process.env.DATABASE_URL ?? `sqlite://${join(dir, 'etl.db')}`;
console.log(`Database: ${databaseUrl}`);
console.log(`Workflow: ${etl.name}: ${etl.topologicalSort().map((ns) => ns.split('::')[3]).join(' -> ')}\n`);

const runner = await DefaultRunner.create({ databaseUrl, workflows: [etl] });
const t0 = Date.now();
const at = () => `+${((Date.now() - t0) / 1000).toFixed(2)}s`.padEnd(7);
runner.on('taskStarted', (e) => console.log(`  ${at()} ▶ ${e.taskId.padEnd(18)} attempt ${e.attempt}/${e.maxAttempts}`));
runner.on('taskCompleted', (e) => console.log(`  ${at()} ✔ ${e.taskId.padEnd(18)} completed in ${e.durationMs} ms`));
runner.on('taskRetrying', (e) => console.log(`  ${at()} ↻ ${e.taskId.padEnd(18)} failed (${e.error}); retry in ${e.delayMs} ms`));
runner.on('taskFailed', (e) => console.log(`  ${at()} ✘ ${e.taskId.padEnd(18)} failed for good: ${e.error}`));

try {
  const result = await runner.execute('number_etl', { count: 10 });
  const ctx = result.finalContext;
  console.log(`\nRun ${result.status} in ${result.durationMs} ms`);
  console.log(`  numbers:     ${JSON.stringify(ctx.get('numbers'))}`);
  console.log(`  transformed: ${JSON.stringify(ctx.get('transformed'))}`);
  console.log(`  loaded:      ${ctx.get('loaded_rows')} rows, sum ${ctx.get('loaded_sum')}`);
  console.log('\n  Task               Status     Attempts  Last error');
  for (const t of result.taskResults) {
    console.log(`  ${t.taskId.padEnd(18)} ${t.status.padEnd(10)} ${String(t.attemptCount).padEnd(9)} ${t.errorMessage ?? ''}`);
  }
  // 2² + 4² + 6² + 8² + 10² = 220
  if (result.status !== 'Completed' || ctx.get('loaded_sum') !== 220) {
    console.error('Unexpected result');
    process.exitCode = 1;
  }
} finally {
  await runner.shutdown();
  rmSync(dir, { recursive: true, force: true });
}
