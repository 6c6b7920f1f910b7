#!/usr/bin/env node
// DAL benchmark (`pnpm bench:dal`): the same operation mix against the legacy and the unified DAL
// on each backend, in one run. Prints per-method latency and the unified/legacy time ratio.
// Numbers, not assertions: timing goals live here, never in tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createPostgresDal } from '@cloacina/dal-postgres';
import { createSqliteDal } from '@cloacina/dal-sqlite';
import { createUnifiedDal } from '@cloacina/dal-unified';

const PG_URL = process.env.CLOACINA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const WARMUP = Math.min(20, Math.floor(ITERATIONS / 5));
const TASKS = 10;

const combos = [
  { backend: 'sqlite', kind: 'legacy', create: createSqliteDal },
  { backend: 'sqlite', kind: 'unified', create: createUnifiedDal },
  { backend: 'postgres', kind: 'legacy', create: createPostgresDal },
  { backend: 'postgres', kind: 'unified', create: createUnifiedDal },
];

async function openTarget(backend) {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cloacina-bench-'));
    return { url: `sqlite://${join(dir, 'bench.db')}`, schema: undefined, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `bench_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  return {
    url: PG_URL,
    schema,
    cleanup: async () => {
      const c = new pg.Client(PG_URL);
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}

/** One iteration of the mix; records each call's latency under its method name. */
async function iteration(dal, i, record) {
  const time = async (name, fn) => {
    const t0 = performance.now();
    const r = await fn();
    record(name, performance.now() - t0);
    return r;
  };
  const tasks = Array.from({ length: TASKS }, (_, k) => ({
    taskName: `public::embedded::bench::t${k}`,
    maxAttempts: 3,
    triggerRules: { type: 'Always' },
    taskConfiguration: { dependencies: [], leaf: true },
  }));
  const created = await time('createWithTasks', () =>
    dal.pipelineExecution.createWithTasks({ pipelineName: 'bench', pipelineVersion: 'v1', inputContext: { i }, tasks }),
  );
  await time('markReadiness', () => dal.taskExecution.markReadiness(created.tasks.map((t) => ({ id: t.id, outcome: 'Ready' }))));
  const claimed = await time('claimReadyTasks', () => dal.taskExecution.claimReadyTasks('bench-runner', TASKS));
  for (const c of claimed) {
    await time('completeWithOutput', () => dal.taskExecution.completeWithOutput(c.id, 'bench-runner', { done: c.taskName, i }));
  }
  await time('finalize', () => dal.pipelineExecution.finalize(created.pipeline.id, { i }));
  await time('listRecent', () => dal.pipelineExecution.listRecent(10));
  await time('getAllTasksForPipeline', () => dal.taskExecution.getAllTasksForPipeline(created.pipeline.id));
}

async function runCombo(combo) {
  const target = await openTarget(combo.backend);
  const dal = await combo.create({ url: target.url, schema: target.schema, listen: false });
  try {
    await dal.migrate();
    const samples = new Map();
    const record = (name, ms) => {
      if (!samples.has(name)) samples.set(name, []);
      samples.get(name).push(ms);
    };
    for (let i = 0; i < WARMUP; i++) await iteration(dal, i, () => {});
    const t0 = performance.now();
    for (let i = 0; i < ITERATIONS; i++) await iteration(dal, i, record);
    const totalMs = performance.now() - t0;
    return { ...combo, totalMs, samples };
  } finally {
    await dal.close();
    await target.cleanup();
  }
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);

const results = [];
for (const combo of combos) {
  process.stderr.write(`running ${combo.backend}/${combo.kind} (${ITERATIONS} iterations)…\n`);
  results.push(await runCombo(combo));
}

console.log(`\nOperation mix per iteration: createWithTasks(${TASKS} tasks), markReadiness, claimReadyTasks, ${TASKS}× completeWithOutput, finalize, listRecent, getAllTasksForPipeline\n`);
console.log('| backend | DAL | iterations/s | mix time (ms/iter) | unified/legacy time |');
console.log('|---|---|---:|---:|---:|');
for (const r of results) {
  const legacy = results.find((x) => x.backend === r.backend && x.kind === 'legacy');
  const ratio = r.kind === 'unified' ? (r.totalMs / legacy.totalMs).toFixed(2) + '×' : '—';
  console.log(`| ${r.backend} | ${r.kind} | ${((ITERATIONS * 1000) / r.totalMs).toFixed(1)} | ${(r.totalMs / ITERATIONS).toFixed(2)} | ${ratio} |`);
}
console.log('\nPer-method latency (mean / p50 / p95):\n');
const methods = [...results[0].samples.keys()];
console.log(`| method | ${results.map((r) => `${r.backend} ${r.kind}`).join(' | ')} |`);
console.log(`|---|${results.map(() => '---:').join('|')}|`);
for (const m of methods) {
  const cells = results.map((r) => {
    const xs = r.samples.get(m) ?? [];
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `${fmt(mean)} / ${fmt(pct(xs, 50))} / ${fmt(pct(xs, 95))}`;
  });
  console.log(`| ${m} | ${cells.join(' | ')} |`);
}
