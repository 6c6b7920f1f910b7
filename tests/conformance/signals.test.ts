/**
 * Signals (02 §2.5): published only after the outermost commit, dropped on rollback, coalesced per
 * (type, pipeline) within a transaction, shared between DAL instances of one process on the same
 * database, and on PostgreSQL delivered to another process (workers/listen-worker.mjs).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dal, Signal } from '@cloacina/core';
import { combosFor, selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { rejectionOf } from '../support/raw-rows.js';
import { startWorker } from '../support/child-workers.js';
import { claimExactly, makeReady, seedPipeline, seedReady } from '../support/seed.js';
import { listen, settle, sortedSignals as sorted, waitFor } from '../support/signal-watch.js';


describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let schema: string | null;
  const sig = (type: Signal['type'], pipelineExecutionId: string, taskExecutionId: string | null): Signal => ({
    type, pipelineExecutionId, taskExecutionId, schema,
  });
  beforeEach(async () => {
    f = await openFixture(combo);
    schema = f.db.schema ?? null;
  });
  afterEach(() => f?.close());

  it('are delivered after the commit, not before', async () => {
    const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 2 });
    await settle();
    const got = listen(f.dal);
    await f.dal.transaction(async (tx) => {
      await tx.taskExecution.markReady(tasks[0].id);
      await settle();
      expect(got).toEqual([]);
    });
    await waitFor(() => got.length > 0);
    await settle();
    expect(got).toEqual([sig('task_ready', pipeline.id, tasks[0].id)]);
  });

  it('are dropped on rollback, also for a rolled-back savepoint inside a committed transaction', async () => {
    const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 3 });
    await settle();
    const got = listen(f.dal);
    await rejectionOf(
      f.dal.transaction(async (tx) => {
        await tx.taskExecution.markReady(tasks[0].id);
        throw new Error('rollback');
      }),
    );
    await f.dal.transaction(async (tx) => {
      await tx.taskExecution.markReady(tasks[1].id);
      await rejectionOf(
        tx.transaction(async (tx2) => {
          await tx2.taskExecution.markReady(tasks[2].id);
          throw new Error('savepoint');
        }),
      );
    });
    await waitFor(() => got.length > 0);
    await settle();
    // Had the savepoint's task_ready survived, the two would coalesce to taskExecutionId null.
    expect(got).toEqual([sig('task_ready', pipeline.id, tasks[1].id)]);
  });

  it('coalesce per type and run within one call: several tasks → null, a single task → its id', async () => {
    const a = await seedPipeline(f.dal, { tasks: 4 });
    const b = await seedPipeline(f.dal, { tasks: 1, workflow: 'other' });
    await settle();
    const got = listen(f.dal);
    await f.dal.taskExecution.markReadiness([
      { id: a.tasks[0].id, outcome: 'Ready' },
      { id: b.tasks[0].id, outcome: 'Ready' },
      { id: a.tasks[2].id, outcome: 'Ready' },
      { id: a.tasks[1].id, outcome: 'Ready' },
      { id: a.tasks[3].id, outcome: 'Skipped', reason: 'no' },
    ]);
    await waitFor(() => got.length >= 3);
    await settle();
    expect(sorted(got)).toEqual(
      sorted([sig('task_ready', a.pipeline.id, null), sig('task_ready', b.pipeline.id, b.tasks[0].id), sig('task_skipped', a.pipeline.id, a.tasks[3].id)]),
    );
  });

  it('claim, complete and finalize publish exactly their signal sets', async () => {
    const a = await seedReady(f.dal, { tasks: 2 });
    const b = await seedReady(f.dal, { tasks: 1, workflow: 'other' });
    await settle();
    let got = listen(f.dal);
    await claimExactly(f.dal, 'r1', a.tasks.map((t) => t.id));
    await waitFor(() => got.length >= 2);
    await settle();
    expect(sorted(got)).toEqual(sorted([sig('task_claimed', a.pipeline.id, null), sig('pipeline_started', a.pipeline.id, null)]));

    got.stop();
    got = listen(f.dal);
    await claimExactly(f.dal, 'r1', [b.tasks[0].id]);
    await f.dal.taskExecution.completeWithOutput(a.tasks[0].id, 'r1', { x: 1 });
    await f.dal.taskExecution.markCompleted(a.tasks[1].id, 'r1');
    await f.dal.pipelineExecution.finalize(a.pipeline.id, { x: 1 });
    await waitFor(() => got.length >= 5);
    await settle();
    expect(sorted(got)).toEqual(
      sorted([
        sig('task_claimed', b.pipeline.id, b.tasks[0].id),
        sig('pipeline_started', b.pipeline.id, null),
        sig('task_completed', a.pipeline.id, a.tasks[0].id),
        sig('task_completed', a.pipeline.id, a.tasks[1].id),
        sig('pipeline_completed', a.pipeline.id, null),
      ]),
    );
  });

  it('stop after unsubscribe', async () => {
    const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 2 });
    await settle();
    const kept = listen(f.dal);
    const dropped = listen(f.dal);
    dropped.stop();
    await makeReady(f.dal, [tasks[0].id]);
    await waitFor(() => kept.length > 0);
    await settle();
    expect(kept).toEqual([sig('task_ready', pipeline.id, tasks[0].id)]);
    expect(dropped).toEqual([]);
  });

  const other = combosFor(combo.backend).find((c) => c.implementation !== combo.implementation);
  it.runIf(other !== undefined)('reach every DAL instance on the same database in this process, whatever its implementation', async () => {
    const second = await f.open(other);
    const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 2 });
    await settle();
    const mine = listen(f.dal);
    const theirs = listen(second);
    await f.dal.taskExecution.markReady(tasks[0].id);
    await second.taskExecution.markReady(tasks[1].id);
    await waitFor(() => mine.length >= 2 && theirs.length >= 2);
    await settle();
    const expected = [sig('task_ready', pipeline.id, tasks[0].id), sig('task_ready', pipeline.id, tasks[1].id)];
    expect(mine).toEqual(expected);
    expect(theirs).toEqual(expected);
  });

  it.runIf(combo.backend === 'postgres')('PostgreSQL delivers across processes: another process receives task_ready within 1 s', async () => {
    const { pipeline, tasks } = await seedPipeline(f.dal, { tasks: 1 });
    const worker = startWorker('listen-worker.mjs', {
      packageName: combo.packageName, factoryName: combo.factoryName, url: f.db.url, schema: f.db.schema,
    });
    try {
      await worker.waitFor((m) => m.type === 'ready' || m.type === 'error', 60_000);
      expect(worker.messages.find((m) => m.type === 'error')).toBeUndefined();
      // Handshake: the worker's LISTEN may still be connecting; write until it sees one of ours.
      let linked = false;
      for (let i = 0; i < 40 && !linked; i++) {
        const warm = await f.dal.pipelineExecution.create({ pipelineName: `warmup-${i}` });
        linked = await worker
          .waitFor((m) => m.type === 'signal' && (m.signal as Signal).pipelineExecutionId === warm.id, 250)
          .then(() => true, () => false);
      }
      expect(linked).toBe(true);
      await f.dal.taskExecution.markReady(tasks[0].id);
      const got = await worker.waitFor((m) => m.type === 'signal' && (m.signal as Signal).type === 'task_ready', 1000);
      expect(got.signal).toEqual(sig('task_ready', pipeline.id, tasks[0].id));
      worker.send({ type: 'stop' });
      expect((await worker.exited).code).toBe(0);
    } finally {
      worker.kill();
    }
  }, 120_000);
});
