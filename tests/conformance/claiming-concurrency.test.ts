/**
 * Concurrent claimers never receive the same task (02 §4.3, §9 "Claiming"): 8 claimers over 200
 * Ready tasks in 4 runs. PostgreSQL: 8 DAL instances in this process, each with its own pool.
 * SQLite: 8 separate processes on one file (workers/claim-worker.mjs, built packages). Also a
 * mixed run where half the claimers use the legacy DAL and half the unified DAL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dal, ExecutionEvent } from '@cloacina/core';
import { combosFor, selectedCombos, type BackendName, type DalCombo } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import type { RawDb } from '../support/raw-db.js';
import { allTasks, eventsFrom } from '../support/raw-rows.js';
import { startWorker, workerIdBase } from '../support/child-workers.js';
import { seedReady, T0 } from '../support/seed.js';

const CLAIMERS = 8;
const RUNS = 4;
const TASKS_PER_RUN = 50;
const BATCH = 7;

interface Seeded {
  taskIds: string[];
  pipelineIds: string[];
}

async function seed200(dal: Dal): Promise<Seeded> {
  const taskIds: string[] = [];
  const pipelineIds: string[] = [];
  for (let r = 0; r < RUNS; r++) {
    const c = await seedReady(dal, { tasks: TASKS_PER_RUN, workflow: `run${r}` });
    pipelineIds.push(c.pipeline.id);
    taskIds.push(...c.tasks.map((t) => t.id));
  }
  return { taskIds, pipelineIds };
}

/** Claims in batches until nothing is left; every batch must come back in id ASC. */
async function claimAll(dal: Dal, runnerId: string): Promise<string[]> {
  const mine: string[] = [];
  for (;;) {
    const batch = await dal.taskExecution.claimReadyTasks(runnerId, BATCH);
    if (batch.length === 0) return mine;
    const ids = batch.map((c) => c.id);
    expect(ids).toEqual([...ids].sort());
    mine.push(...ids);
  }
}

/** Every task claimed exactly once, by the claimer that reported it, with one event each and one start per run. */
async function verify(raw: RawDb, seeded: Seeded, claimedBy: Map<string, string[]>): Promise<void> {
  const all = [...claimedBy.values()].flat();
  expect(all.length).toBe(seeded.taskIds.length);
  expect(new Set(all).size).toBe(seeded.taskIds.length);
  expect([...all].sort()).toEqual([...seeded.taskIds].sort());
  const owner = new Map<string, string>();
  for (const [runner, ids] of claimedBy) for (const id of ids) owner.set(id, runner);
  for (const t of await allTasks(raw)) {
    expect(t.status).toBe('Running');
    expect(t.claimedBy).toBe(owner.get(t.id));
    expect(t.attempt).toBe(1);
  }
  const events: ExecutionEvent[] = await eventsFrom(raw);
  const claimed = events.filter((e) => e.eventType === 'task_claimed');
  expect(claimed.length).toBe(seeded.taskIds.length);
  expect(new Set(claimed.map((e) => e.taskExecutionId)).size).toBe(seeded.taskIds.length);
  const started = events.filter((e) => e.eventType === 'pipeline_started').map((e) => e.pipelineExecutionId);
  expect([...started].sort()).toEqual([...seeded.pipelineIds].sort());
}

/** PostgreSQL: one DAL instance (own pool) per claimer in this process, all claiming at once. */
async function inProcess(f: DalFixture, combos: DalCombo[]): Promise<void> {
  const seeded = await seed200(f.dal);
  const dals = await Promise.all(combos.map((c) => f.open(c, { poolSize: 1, listen: false })));
  const results = await Promise.all(dals.map((d, k) => claimAll(d, `claimer-${k}`)));
  await verify(await f.raw(), seeded, new Map(results.map((ids, k) => [`claimer-${k}`, ids])));
}

/** SQLite: one process per claimer on the same file; started together with a "go" message. */
async function inProcesses(f: DalFixture, combos: DalCombo[]): Promise<void> {
  const seeded = await seed200(f.dal);
  const workers = combos.map((c, k) =>
    startWorker('claim-worker.mjs', {
      packageName: c.packageName, factoryName: c.factoryName, url: f.db.url, runnerId: `claimer-${k}`,
      limit: BATCH, now: T0.toISOString(), idBase: workerIdBase(k),
    }),
  );
  try {
    await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'ready' || m.type === 'error')));
    for (const w of workers) expect(w.messages.find((m) => m.type === 'error')).toBeUndefined();
    for (const w of workers) w.send({ type: 'go' });
    const results = await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'result' || m.type === 'error')));
    for (const r of results) expect(r).toMatchObject({ type: 'result', sorted: true });
    for (const w of workers) expect((await w.exited).code).toBe(0);
    await verify(await f.raw(), seeded, new Map(results.map((r, k) => [`claimer-${k}`, r.claimed as string[]])));
  } finally {
    for (const w of workers) w.kill();
  }
}

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  beforeEach(async () => {
    f = await openFixture(combo);
  });
  afterEach(() => f?.close());

  it.runIf(combo.backend === 'postgres')(
    '8 concurrent in-process claimers (own DAL instances) claim each of 200 tasks exactly once',
    () => inProcess(f, Array.from({ length: CLAIMERS }, () => combo)),
    120_000,
  );

  it.runIf(combo.backend === 'sqlite')(
    '8 claimer processes on one SQLite file claim each of 200 tasks exactly once',
    () => inProcesses(f, Array.from({ length: CLAIMERS }, () => combo)),
    120_000,
  );
});

describe.each(['postgres', 'sqlite'] as BackendName[])('mixed legacy + unified claimers on %s', (backend) => {
  const legacy = combosFor(backend).find((c) => c.implementation !== 'dal-unified');
  const unified = combosFor(backend).find((c) => c.implementation === 'dal-unified');
  let f: DalFixture;
  beforeEach(async () => {
    if (legacy) f = await openFixture(legacy);
  });
  afterEach(async () => {
    if (legacy) await f.close();
  });

  it.runIf(legacy !== undefined && unified !== undefined)(
    'half the claimers legacy, half unified: each of 200 tasks claimed exactly once',
    () => {
      const combos = Array.from({ length: CLAIMERS }, (_, k) => (k % 2 === 0 ? legacy! : unified!));
      return backend === 'postgres' ? inProcess(f, combos) : inProcesses(f, combos);
    },
    120_000,
  );
});
