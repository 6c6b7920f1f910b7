/**
 * Mixed concurrency (02 §10.3 step 4): workers of the legacy and of the unified implementation,
 * each a separate process importing the built package, claim, heartbeat and complete tasks of
 * one database at the same time. Every task must be claimed exactly once, nothing may be lost
 * or fail, and the final database must satisfy every invariant of 01 §11.
 *
 * Needs built packages (dist): `cd packages/X && ./node_modules/.bin/tsc -p tsconfig.json`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Dal } from '@cloacina/core';
import { checkInvariants } from '../support/comparison-invariants.js';
import { spawnComparisonWorker, type ComparisonWorker } from '../support/comparison-workers.js';
import { selectedCombos, freshDatabase, type DalCombo, type TestDatabase } from '../support/dal-combos.js';
import { idAt, TestClock } from '../support/determinism.js';
import { dalOptions } from '../support/comparison-sides.js';
import type { RawDb } from '../support/raw-db.js';
import { TASK_NAMES } from '../support/comparison-values.js';

const byName = new Map(selectedCombos().map((c) => [c.name, c]));
const pairs: [DalCombo, DalCombo][] = [];
for (const [l, u] of [['dal-postgres:postgres', 'dal-unified:postgres'], ['dal-sqlite:sqlite', 'dal-unified:sqlite']] as const) {
  if (byName.has(l) && byName.has(u)) pairs.push([byName.get(l)!, byName.get(u)!]);
}

const PIPELINES = 16;
const TASKS_PER_PIPELINE = 8;
const NOW = '2025-01-01T00:00:00.000Z';

if (pairs.length === 0) it.skip('no legacy/unified pair selected (CLOACINA_DALS)', () => undefined);

describe.each(pairs)('%s with %s', (legacy, unified) => {
  let db: TestDatabase | undefined;
  const dals: Dal[] = [];
  const workers: ComparisonWorker[] = [];
  let raw: RawDb | undefined;
  afterEach(async () => {
    for (const w of workers.splice(0)) w.kill();
    for (const d of dals.splice(0)) await d.close().catch(() => undefined);
    await raw?.close().catch(() => undefined);
    await db?.cleanup();
  });

  it('concurrent claims, heartbeats and completions by both implementations', { timeout: 180_000 }, async () => {
    db = freshDatabase(legacy.backend);
    const clock = new TestClock(NOW);
    // Parent ids: 1, 2, … while seeding, then above every worker's range (worker k draws from
    // (k+1)·2³²), so execution_events in id order stay in write order (01 §11.8).
    let base = 0;
    let n = 0;
    const ids = { next: () => idAt(base + ++n) };
    const [l, u] = [await legacy.create(dalOptions(db, clock, ids)), await unified.create(dalOptions(db, clock, ids))];
    dals.push(l, u);
    await l.migrate();
    // Seed through both implementations: runs created alternately, then every task Ready.
    const taskIds: string[] = [];
    for (let p = 0; p < PIPELINES; p++) {
      const dal = p % 2 === 0 ? l : u;
      const spec = Array.from({ length: TASKS_PER_PIPELINE }, (_, i) => ({ taskName: `${TASK_NAMES[0]}-${i}`, maxAttempts: 1, triggerRules: { type: 'Always' }, taskConfiguration: {} }));
      const created = await dal.pipelineExecution.createWithTasks({ pipelineName: p % 3 === 0 ? 'wf-a' : 'wf-b', pipelineVersion: '1.0', inputContext: { p }, tasks: spec });
      const ready = await (p % 2 === 0 ? u : l).taskExecution.markReadiness(created.tasks.map((t) => ({ id: t.id, outcome: 'Ready' as const })));
      expect(ready.ready).toHaveLength(TASKS_PER_PIPELINE);
      taskIds.push(...created.tasks.map((t) => t.id));
    }

    const roster = [legacy, unified, legacy, unified].map((combo, k) => ({ combo, runnerId: `${combo.implementation}-${k}` }));
    for (const [k, r] of roster.entries()) {
      workers.push(
        spawnComparisonWorker('mixed-worker.mjs', {
          packageName: r.combo.packageName,
          factoryName: r.combo.factoryName,
          url: db.url,
          schema: db.schema,
          runnerId: r.runnerId,
          limit: 3,
          now: NOW,
          idBase: 0x100000000 * (k + 1),
        }),
      );
    }
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.go();
    const results = await Promise.all(workers.map((w) => w.result));

    const claimedBy = new Map<string, string>();
    const duplicates: string[] = [];
    for (const [k, res] of results.entries()) {
      expect({ runner: roster[k]!.runnerId, errors: res.errors, unsorted: res.unsorted }).toEqual({ runner: roster[k]!.runnerId, errors: [], unsorted: 0 });
      for (const id of res.claimed as string[]) {
        if (claimedBy.has(id)) duplicates.push(id);
        claimedBy.set(id, roster[k]!.runnerId);
      }
    }
    expect(duplicates, 'no task is claimed twice').toEqual([]);
    expect([...claimedBy.keys()].sort()).toEqual([...taskIds].sort());
    // Both implementations took part (otherwise this was not a mixed run).
    const perImpl = (impl: string) => results.filter((_, k) => roster[k]!.combo.implementation === impl).reduce((n, r) => n + (r.claimed as string[]).length, 0);
    expect(perImpl(legacy.implementation)).toBeGreaterThan(0);
    expect(perImpl(unified.implementation)).toBeGreaterThan(0);

    // Finalize through both implementations, then check the database as a whole.
    base = 0x100000000 * 16;
    const pipelines = await l.pipelineExecution.getActiveExecutions();
    expect(pipelines).toHaveLength(PIPELINES);
    for (const [i, p] of pipelines.entries()) {
      const res = await (i % 2 === 0 ? u : l).pipelineExecution.finalize(p.id, { done: true });
      expect(res).toMatchObject({ outcome: 'finalized', status: 'Completed' });
    }
    raw = await db.raw();
    expect(await checkInvariants(raw)).toEqual([]);
    // Exactly one claim event per task, written by the runner that reported the claim.
    const claims = await raw.query(`SELECT task_execution_id AS t, runner_id AS r FROM execution_events WHERE event_type = 'task_claimed'`);
    expect(claims).toHaveLength(taskIds.length);
    const decode = (v: unknown) => (typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'));
    for (const c of claims) expect({ task: decode(c.t), runner: c.r }).toEqual({ task: decode(c.t), runner: claimedBy.get(decode(c.t)) });
  });
});
