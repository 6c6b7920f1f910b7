#!/usr/bin/env node
// Runner benchmark (`pnpm bench`, after building): end-to-end numbers of a DefaultRunner, on
// SQLite and PostgreSQL, with the unified and the legacy DAL.
//
//   * wide:   one run of BENCH_TASKS independent no-op tasks (default 2000) → tasks/s
//   * many:   BENCH_RUNS runs (default 100) × BENCH_RUN_TASKS no-op tasks (default 20), submitted
//             together → tasks/s
//   * chain:  one run of a BENCH_CHAIN-task chain (default 100) → per-hop latency, from one task's
//             start to the next one's (complete, ready the next, claim it, build its input),
//             measured with the runner's taskStarted events; also the whole run's time ÷ tasks
//             (which adds creating the run, its first load, finalizing and reading the result)
//
// Each measurement is the median of BENCH_REPEAT repetitions (default 3), after one small warm-up
// run per combination. Other knobs: BENCH_CONCURRENCY (maxConcurrentTasks, default 64),
// BENCH_PG_POOL (dbPoolSize on PostgreSQL, default 4), BENCH_SQLITE_POOL (default 1),
// BENCH_COMBOS (e.g. "sqlite+unified,postgres+legacy"), BENCH_SCENARIOS (e.g. "wide,chain"),
// CLOACINA_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
// Numbers, not assertions: timing goals live here, never in tests. Prints a markdown table.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { DefaultRunner, consoleLogger, task, workflow } from '@cloacina/runner';

const env = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (got ${v})`);
  return n;
};
const PG_URL = process.env.CLOACINA_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const WIDE_TASKS = env('BENCH_TASKS', 2000);
const RUNS = env('BENCH_RUNS', 100);
const RUN_TASKS = env('BENCH_RUN_TASKS', 20);
const CHAIN = env('BENCH_CHAIN', 100);
const REPEAT = env('BENCH_REPEAT', 3);
const CONCURRENCY = env('BENCH_CONCURRENCY', 64);
const PG_POOL = env('BENCH_PG_POOL', 4);
const SQLITE_POOL = env('BENCH_SQLITE_POOL', 1);
const ALL_COMBOS = ['sqlite+unified', 'sqlite+legacy', 'postgres+unified', 'postgres+legacy'];
const COMBOS = (process.env.BENCH_COMBOS || ALL_COMBOS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
const SCENARIOS = (process.env.BENCH_SCENARIOS || 'wide,many,chain').split(',').map((s) => s.trim()).filter(Boolean);
for (const c of COMBOS) if (!ALL_COMBOS.includes(c)) throw new Error(`unknown combo ${c}; expected some of ${ALL_COMBOS.join(', ')}`);

const noop = () => {};

function wideWorkflow(name, n) {
  return workflow({ name, tasks: Array.from({ length: n }, (_, i) => task({ id: `t${i}`, run: noop })) });
}

function chainWorkflow(n) {
  const tasks = [];
  for (let i = 0; i < n; i++) tasks.push(task({ id: `c${i}`, dependencies: i === 0 ? [] : [tasks[i - 1]], run: noop }));
  return workflow({ name: 'bench_chain', tasks });
}

async function openTarget(backend) {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cloacina-bench-'));
    return { options: { databaseUrl: `sqlite://${join(dir, 'bench.db')}`, dbPoolSize: SQLITE_POOL }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `bench_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  return {
    options: { databaseUrl: PG_URL, schema, dbPoolSize: PG_POOL },
    cleanup: async () => {
      const c = new pg.Client(PG_URL);
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(fn) {
  const t0 = performance.now();
  const result = await fn();
  return { ms: performance.now() - t0, result };
}

function check(result, what) {
  if (result.status !== 'Completed') throw new Error(`${what}: run ended ${result.status} (${result.errorMessage})`);
}

async function benchCombo(combo) {
  const [backend, dal] = combo.split('+');
  const target = await openTarget(backend);
  const warnings = [];
  const base = consoleLogger('silent');
  const logger = { ...base, warn: (m) => warnings.push(m), error: (m) => warnings.push(`error: ${m}`) };
  const runner = await DefaultRunner.create({
    ...target.options,
    dal,
    maxConcurrentTasks: CONCURRENCY,
    logger,
    enableCronScheduling: false,
    enableRegistryReconciler: false,
    pipelineTimeoutMs: 600_000,
    workflows: [wideWorkflow('bench_wide', WIDE_TASKS), wideWorkflow('bench_small', RUN_TASKS), chainWorkflow(CHAIN)],
  });
  const out = { combo, backend, dal };
  try {
    // Warm-up: JIT, connections, statement caches.
    check(await runner.execute('bench_small', {}), 'warm-up');
    check(await runner.execute('bench_chain', {}), 'warm-up chain');

    if (SCENARIOS.includes('wide')) {
      const samples = [];
      for (let r = 0; r < REPEAT; r++) {
        const { ms, result } = await timed(() => runner.execute('bench_wide', { r }));
        check(result, 'wide');
        samples.push(ms);
      }
      out.wideMs = median(samples);
      out.wideRate = (WIDE_TASKS / out.wideMs) * 1000;
    }
    if (SCENARIOS.includes('many')) {
      const samples = [];
      for (let r = 0; r < REPEAT; r++) {
        const { ms } = await timed(async () => {
          const handles = [];
          for (let i = 0; i < RUNS; i++) handles.push(await runner.executeAsync('bench_small', { i }));
          const results = await Promise.all(handles.map((h) => h.wait()));
          for (const res of results) check(res, 'many');
        });
        samples.push(ms);
      }
      out.manyMs = median(samples);
      out.manyRate = ((RUNS * RUN_TASKS) / out.manyMs) * 1000;
    }
    if (SCENARIOS.includes('chain')) {
      const samples = [];
      const hops = [];
      // Start time of every chain task: a hop is one task's start to the next one's (its
      // completion, the dependent's readiness, claim and input), without the run's creation,
      // first load and result read.
      const starts = [];
      const off = runner.on('taskStarted', (e) => {
        if (e.workflowName === 'bench_chain') starts.push(performance.now());
      });
      for (let r = 0; r < REPEAT; r++) {
        starts.length = 0;
        const { ms, result } = await timed(() => runner.execute('bench_chain', { r }));
        check(result, 'chain');
        samples.push(ms);
        if (starts.length === CHAIN) hops.push((starts[CHAIN - 1] - starts[0]) / (CHAIN - 1));
      }
      off();
      out.chainMs = median(samples);
      out.runHopMs = out.chainMs / CHAIN;
      out.hopMs = hops.length > 0 ? median(hops) : undefined;
    }
    out.warnings = warnings.length;
  } finally {
    await runner.shutdown();
    await target.cleanup();
  }
  return out;
}

const fmt = (n, digits = 0) => (n === undefined ? '—' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));

/**
 * The median round trip of `SELECT $1` to the PostgreSQL server, in µs: this machine's speed
 * varies over time (shared host; the same code measured 2× apart in one day), so numbers from
 * two moments compare only together with this figure.
 */
async function roundTripUs() {
  const c = new pg.Client(PG_URL);
  await c.connect();
  try {
    const samples = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      await c.query('SELECT $1::int AS n', [i]);
      samples.push((performance.now() - t0) * 1000);
    }
    return median(samples.slice(50));
  } finally {
    await c.end();
  }
}

async function main() {
  const header =
    `Cloacina runner benchmark — node ${process.version}, ${cpus().length} CPU(s), load average ${loadavg()[0].toFixed(2)}, ` +
    `PostgreSQL round trip ${(await roundTripUs()).toFixed(0)} µs; median of ${REPEAT}; ` +
    `maxConcurrentTasks ${CONCURRENCY}, PostgreSQL pool ${PG_POOL}, SQLite pool ${SQLITE_POOL}`;
  process.stderr.write(`${header}\n`);
  const rows = [];
  for (const combo of COMBOS) {
    process.stderr.write(`  ${combo} …\n`);
    rows.push(await benchCombo(combo));
  }
  const lines = [
    `| Backend | DAL | 1 run × ${WIDE_TASKS} no-op tasks | tasks/s | ${RUNS} runs × ${RUN_TASKS} tasks | tasks/s | ${CHAIN}-task chain | run ÷ ${CHAIN} | per hop |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.backend} | ${r.dal} | ${r.wideMs === undefined ? '—' : `${fmt(r.wideMs)} ms`} | ${fmt(r.wideRate)} | ` +
        `${r.manyMs === undefined ? '—' : `${fmt(r.manyMs)} ms`} | ${fmt(r.manyRate)} | ` +
        `${r.chainMs === undefined ? '—' : `${fmt(r.chainMs)} ms`} | ${r.runHopMs === undefined ? '—' : `${fmt(r.runHopMs, 2)} ms`} | ` +
        `${r.hopMs === undefined ? '—' : `${fmt(r.hopMs, 2)} ms`} |`,
    ),
  ];
  console.log(`${header}\n`);
  console.log(lines.join('\n'));
  const noisy = rows.filter((r) => r.warnings > 0);
  if (noisy.length > 0) console.log(`\nRunner warnings/errors during the benchmark: ${noisy.map((r) => `${r.combo}: ${r.warnings}`).join(', ')}`);
  console.log('\nTargets (2-core machine): ≥ 2,000 independent tasks/s on SQLite; per-hop latency < 5 ms on both backends.');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
