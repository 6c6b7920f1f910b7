// 03 — Dependencies: fan-out, parallel work, fan-in.
//
//                                ┌─> process_partition_a ─┐
//   generate_data ─> partition ──┼─> process_partition_b ─┼─> combine_results ─> generate_report ─> send_notifications ─> cleanup
//                                └─> process_partition_c ─┘
//
// The three processors run at the same time. `combine_results` depends on all three, so its
// input is the MERGE of their outputs, in declaration order:
//   * objects merge key by key (each processor adds its own entry under `results`);
//   * arrays merge as an order-preserving union (`stages` keeps the shared prefix once and
//     gains one entry per processor);
//   * any other value: the later dependency wins.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultRunner, task, workflow } from '@cloacina/runner';

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

const generateData = task({
  id: 'generate_data',
  run: (ctx) => {
    const size = ctx.get('size') ?? 30;
    ctx.set('data', Array.from({ length: size }, (_, i) => i + 1));
    ctx.set('stages', ['generated']);
  },
});

const partition = task({
  id: 'partition_data',
  dependencies: [generateData],
  run: (ctx) => {
    const data = ctx.get('data');
    const third = Math.ceil(data.length / 3);
    ctx.set('partitions', { a: data.slice(0, third), b: data.slice(third, 2 * third), c: data.slice(2 * third) });
    ctx.set('stages', [...ctx.get('stages'), 'partitioned']);
  },
});

/** One processor per partition; they only differ in their key and how long they take. */
function processor(key, workMs) {
  return task({
    id: `process_partition_${key}`,
    dependencies: [partition],
    run: async (ctx, { signal }) => {
      await sleep(workMs, signal); // pretend this is real work
      const values = ctx.get('partitions')[key];
      const sum = values.reduce((a, b) => a + b, 0);
      // Only this processor's entry: the fan-in merges the three objects.
      ctx.set('results', { [key]: { count: values.length, sum, max: Math.max(...values) } });
      ctx.set('stages', [...ctx.get('stages'), `processed_${key}`]);
      ctx.set('processed_by', [`process_partition_${key}`]);
    },
  });
}
const processA = processor('a', 300);
const processB = processor('b', 200);
const processC = processor('c', 250);

const combine = task({
  id: 'combine_results',
  dependencies: [processA, processB, processC],
  run: (ctx) => {
    const results = ctx.get('results');
    const total = Object.values(results).reduce((acc, r) => acc + r.sum, 0);
    ctx.set('total', total);
    ctx.set('stages', [...ctx.get('stages'), 'combined']);
  },
});

const report = task({
  id: 'generate_report',
  dependencies: [combine],
  run: (ctx) => {
    const lines = Object.entries(ctx.get('results')).map(([k, r]) => `partition ${k}: ${r.count} values, sum ${r.sum}, max ${r.max}`);
    ctx.set('report', [...lines, `total: ${ctx.get('total')}`]);
    ctx.set('stages', [...ctx.get('stages'), 'reported']);
  },
});

const notify = task({
  id: 'send_notifications',
  dependencies: [report],
  run: (ctx) => {
    ctx.set('notified', ['ops@example.com', 'data@example.com']);
    ctx.set('stages', [...ctx.get('stages'), 'notified']);
  },
});

const cleanup = task({
  id: 'cleanup',
  dependencies: [notify],
  run: (ctx) => {
    // Drop the bulky intermediate data from the final context.
    ctx.remove('data');
    ctx.remove('partitions');
    ctx.set('stages', [...ctx.get('stages'), 'cleaned_up']);
  },
});

const pipeline = workflow({
  name: 'fan_out_fan_in',
  description: 'Partition a data set, process the partitions in parallel, combine the results',
  tasks: [generateData, partition, processA, processB, processC, combine, report, notify, cleanup],
});

const dir = mkdtempSync(join(tmpdir(), 'cloacina-example-03-'));
const databaseUrl = process.env.DATABASE_URL ?? `sqlite://${join(dir, 'dependencies.db')}`;
console.log(`Database: ${databaseUrl}`);
console.log(`Workflow: ${pipeline.name}, ${pipeline.tasks.length} tasks in ${pipeline.executionLevels().length} levels:`);
for (const [i, level] of pipeline.executionLevels().entries()) {
  console.log(`  level ${i}: ${level.map((ns) => ns.split('::')[3]).join(', ')}`);
}
const [a, b] = ['process_partition_a', 'process_partition_b'];
console.log(`  ${a} and ${b} can run in parallel: ${pipeline.canRunParallel(pipeline.namespaceOf(a), pipeline.namespaceOf(b))}\n`);

// Four permits, so the three processors really run at the same time.
const runner = await DefaultRunner.create({ databaseUrl, workflows: [pipeline], maxConcurrentTasks: 4 });
const t0 = Date.now();
const at = () => `+${((Date.now() - t0) / 1000).toFixed(2)}s`.padEnd(7);
runner.on('taskStarted', (e) => console.log(`  ${at()} ▶ ${e.taskId}`));
runner.on('taskCompleted', (e) => console.log(`  ${at()} ✔ ${e.taskId} (${e.durationMs} ms)`));

try {
  const result = await runner.execute('fan_out_fan_in', { size: 30 });
  const ctx = result.finalContext;
  console.log(`\nRun ${result.status} in ${result.durationMs} ms (the processors' 300 + 200 + 250 ms overlapped)`);
  console.log(`  merged results:  ${JSON.stringify(ctx.get('results'))}`);
  console.log(`  processed_by:    ${JSON.stringify(ctx.get('processed_by'))}   <- union of three one-element arrays`);
  console.log(`  stages:          ${JSON.stringify(ctx.get('stages'))}`);
  console.log('  report:');
  for (const line of ctx.get('report')) console.log(`    ${line}`);
  console.log(`  final keys:      ${ctx.keys().sort().join(', ')}`);

  const ok =
    result.status === 'Completed' &&
    ctx.get('total') === 465 &&
    ctx.get('processed_by').length === 3 &&
    JSON.stringify(ctx.get('stages').slice(0, 2)) === '["generated","partitioned"]' &&
    !ctx.has('data');
  if (!ok) {
    console.error('Unexpected result');
    process.exitCode = 1;
  }
} finally {
  await runner.shutdown();
  rmSync(dir, { recursive: true, force: true });
}
