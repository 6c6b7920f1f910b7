/**
 * transaction() (02 §2.4): commit/rollback, savepoints, TX_ABORTED after a database error, typed
 * errors leaving the transaction usable, misuse (root DAL inside the callback, tx after the end),
 * isolation of other flows' writes from a rollback, and 50 concurrent transactions on one SQLite
 * file in one process and from several processes (workers/tx-worker.mjs, built packages).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ClaimLostError, ConfigurationError, ConstraintError, DatabaseError, DuplicateCronExecutionError, NotFoundError,
  PackageExistsError, ValidationError, type Dal, type JsonObject, type PackageManifest,
} from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { allContexts, countRows, rejectionOf } from '../support/raw-rows.js';
import { startWorker, workerIdBase } from '../support/child-workers.js';
import { at, seedReady, T0, unknownId } from '../support/seed.js';

const manifest: PackageManifest = {
  formatVersion: 1, name: 'analytics', version: '1.0.0', entry: 'workflows.mjs', cloacinaVersion: '1.0.0',
  fingerprint: `sha256:${'0'.repeat(64)}`, workflows: [{ name: 'analytics', tasks: [{ id: 'extract', dependencies: [] }] }],
};
const values = async (raw: RawDb) => (await allContexts(raw)).map((c) => c.value);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
  });
  afterEach(() => f?.close());

  it('commits every write of the callback and returns its value', async () => {
    const res = await f.dal.transaction(async (tx) => {
      const ctx = await tx.context.create({ a: 1 });
      const p = await tx.pipelineExecution.create({ pipelineName: 'tx', contextId: ctx });
      return { ctx, p: p.id };
    });
    expect(res).toEqual({ ctx: idAt(1), p: idAt(2) });
    expect(await values(raw)).toEqual([{ a: 1 }]);
    expect(await countRows(raw, 'pipeline_executions')).toBe(1);
    expect(await countRows(raw, 'execution_events')).toBe(1);
  });

  it('rolls everything back when the callback rejects, rethrowing the same error', async () => {
    await f.dal.context.create({ kept: true });
    const before = await dumpDatabase(raw);
    const boom = new Error('boom');
    const err = await rejectionOf(
      f.dal.transaction(async (tx) => {
        await tx.context.create({ a: 1 });
        await tx.pipelineExecution.create({ pipelineName: 'tx' });
        throw boom;
      }),
    );
    expect(err).toBe(boom);
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('a nested transaction is a savepoint: its rollback keeps the outer work', async () => {
    await f.dal.transaction(async (tx) => {
      await tx.context.create({ outer: 1 });
      const inner = await rejectionOf(
        tx.transaction(async (tx2) => {
          await tx2.context.create({ inner: 1 });
          throw new Error('inner');
        }),
      );
      expect(inner.message).toBe('inner');
      await tx.transaction(async (tx2) => {
        await tx2.context.create({ inner: 2 });
      });
      await tx.context.create({ outer: 2 });
    });
    expect(await values(raw)).toEqual([{ outer: 1 }, { inner: 2 }, { outer: 2 }]);
    // A committed savepoint still disappears with its rolled-back parent.
    await rejectionOf(
      f.dal.transaction(async (tx) => {
        await tx.transaction(async (tx2) => {
          await tx2.context.create({ gone: 1 });
        });
        throw new Error('outer');
      }),
    );
    expect(await values(raw)).toEqual([{ outer: 1 }, { inner: 2 }, { outer: 2 }]);
  });

  it('after a database error every call rejects with TX_ABORTED and the transaction is rolled back even if fn resolves', async () => {
    const before = await dumpDatabase(raw);
    const seen: unknown[] = [];
    const outcome = await f.dal
      .transaction(async (tx) => {
        await tx.context.create({ before: 1 });
        seen.push(await rejectionOf(tx.pipelineExecution.create({ pipelineName: 'x', contextId: unknownId() })));
        seen.push(await rejectionOf(tx.context.create({ after: 1 })));
        seen.push(await rejectionOf(tx.context.read(idAt(1))));
        seen.push(await rejectionOf(tx.taskExecution.getReadyForRetry()));
        return 'caught and resolved';
      })
      .then(
        (v) => ({ ok: true as const, v }),
        (e: unknown) => ({ ok: false as const, e }),
      );
    expect(seen[0]).toBeInstanceOf(ConstraintError);
    for (const aborted of seen.slice(1)) {
      expect(aborted).toBeInstanceOf(DatabaseError);
      expect(aborted).toMatchObject({ code: 'DATABASE', dbCode: 'TX_ABORTED' });
    }
    // Decision: the spec fixes the rollback, not the promise's outcome; if it rejects, it is a DatabaseError.
    if (!outcome.ok) expect(outcome.e).toBeInstanceOf(DatabaseError);
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('typed errors leave the transaction usable and committing', async () => {
    const schedule = await f.dal.cronSchedule.create({ workflowName: 'w', cronExpression: '* * * * *', nextRunAt: at(60_000) });
    await f.dal.cronExecution.create({ scheduleId: schedule.id, scheduledTime: at(60_000) });
    await f.dal.workflowPackages.storePackageMetadata(idAt(0x500), manifest);
    const { tasks } = await seedReady(f.dal, { tasks: 1 });
    const errors = await f.dal.transaction(async (tx) => {
      await tx.context.create({ a: 1 });
      const caught = [
        await rejectionOf(tx.taskExecution.markReady(unknownId())),
        await rejectionOf(tx.context.create({ bad: undefined } as unknown as JsonObject)),
        await rejectionOf(tx.taskExecution.claimReadyTasks('r1', -1)),
        await rejectionOf(tx.workflowPackages.storePackageMetadata(idAt(0x501), manifest)),
        await rejectionOf(tx.cronExecution.create({ scheduleId: schedule.id, scheduledTime: at(60_000) })),
        await rejectionOf(tx.taskExecution.markCompleted(tasks[0].id, 'r1')),
      ];
      await tx.context.create({ b: 2 });
      return caught;
    });
    expect(errors.map((e) => e.constructor)).toEqual([
      NotFoundError, ValidationError, ValidationError, PackageExistsError, DuplicateCronExecutionError, ClaimLostError,
    ]);
    expect(errors[3]).toMatchObject({ code: 'PACKAGE_EXISTS', packageName: 'analytics', version: '1.0.0' });
    expect(await values(raw)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(await countRows(raw, 'workflow_packages')).toBe(1);
    expect(await countRows(raw, 'cron_executions')).toBe(1);
  });

  it('calling the root DAL inside its own transaction callback → ConfigurationError, nothing escapes', async () => {
    await f.dal.transaction(async (tx) => {
      await tx.context.create({ a: 1 });
      for (const call of [() => f.dal.context.create({ root: 1 }), () => f.dal.context.read(idAt(1)), () => f.dal.transaction(async () => 1)]) {
        const err = await rejectionOf(call());
        expect(err).toBeInstanceOf(ConfigurationError);
        expect(err).toMatchObject({ code: 'CONFIGURATION' });
        expect(err.message).toContain('use the transaction-bound DAL inside transaction()');
      }
      await tx.context.create({ b: 2 });
    });
    expect(await values(raw)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('using tx after its transaction ended → ConfigurationError ("transaction already finished")', async () => {
    let committed!: Dal;
    let rolledBack!: Dal;
    await f.dal.transaction(async (tx) => {
      committed = tx;
    });
    await rejectionOf(
      f.dal.transaction(async (tx) => {
        rolledBack = tx;
        throw new Error('x');
      }),
    );
    for (const tx of [committed, rolledBack]) {
      for (const call of [() => tx.context.create({ late: 1 }), () => tx.context.find(idAt(1))]) {
        const err = await rejectionOf(call());
        expect(err).toBeInstanceOf(ConfigurationError);
        expect(err.message).toContain('transaction already finished');
      }
    }
    expect(await countRows(raw, 'contexts')).toBe(0);
  });

  it('a rollback never takes another flow’s write with it (interleaved autocommit write and transaction)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const doomed = f.dal.transaction(async (tx) => {
      await tx.context.create({ doomed: 1 });
      entered();
      await gate;
      await tx.context.create({ doomed: 2 });
      throw new Error('roll back');
    });
    await inside;
    const autocommit = f.dal.context.create({ other: 'autocommit' });
    const committed = f.dal.transaction((tx) => tx.context.create({ other: 'tx' }));
    await sleep(50); // let both flows reach the database (or its queue) while the doomed one is open
    release();
    expect((await rejectionOf(doomed)).message).toBe('roll back');
    const [a, b] = await Promise.all([autocommit, committed]);
    expect(await f.dal.context.read(a!)).toEqual({ other: 'autocommit' });
    expect(await f.dal.context.read(b!)).toEqual({ other: 'tx' });
    expect((await values(raw)).map((v) => v.other).sort()).toEqual(['autocommit', 'tx']);
  });

  describe.runIf(combo.backend === 'sqlite')('50 concurrent transactions on one SQLite file', () => {
    /** Each transaction increments a shared counter (a lost update would show) and creates a run. */
    const bump = (dal: Dal, counter: string, name: string) =>
      dal.transaction(async (tx) => {
        const cur = await tx.context.read(counter);
        await tx.context.update(counter, { n: (cur.n as number) + 1 });
        await tx.pipelineExecution.create({ pipelineName: name });
      });
    const names = async () => (await dumpDatabase(raw)).pipeline_executions.map((p) => (p as { pipelineName: string }).pipelineName).sort();

    it('one DAL instance: all succeed, right final state', async () => {
      const counter = (await f.dal.context.create({ n: 0 }))!;
      const outcomes = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => bump(f.dal, counter, `p-${i}`)));
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      expect(await f.dal.context.read(counter)).toEqual({ n: 50 });
      expect(await names()).toEqual(Array.from({ length: 50 }, (_, i) => `p-${i}`).sort());
    });

    it('two DAL instances in one process (25 each): all succeed, right final state', async () => {
      const counter = (await f.dal.context.create({ n: 0 }))!;
      const second = await f.open();
      const outcomes = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => bump(i % 2 ? second : f.dal, counter, `p-${i}`)));
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      expect(await f.dal.context.read(counter)).toEqual({ n: 50 });
      expect((await names()).length).toBe(50);
    });

    it('5 processes × 10 concurrent transactions: all succeed without SQLITE_BUSY, right final state', async () => {
      const counter = (await f.dal.context.create({ n: 0 }))!;
      const workers = Array.from({ length: 5 }, (_, k) =>
        startWorker('tx-worker.mjs', {
          packageName: combo.packageName, factoryName: combo.factoryName, url: f.db.url, counterId: counter, worker: k, count: 10,
          now: T0.toISOString(), idBase: workerIdBase(k),
        }),
      );
      try {
        await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'ready' || m.type === 'error')));
        for (const w of workers) w.send({ type: 'go' });
        const results = await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'result' || m.type === 'error')));
        expect(results).toEqual(Array.from({ length: 5 }, () => ({ type: 'result', ok: 10, errors: [] })));
      } finally {
        for (const w of workers) w.kill();
      }
      expect(await f.dal.context.read(counter)).toEqual({ n: 50 });
      expect(await names()).toEqual(Array.from({ length: 50 }, (_, i) => `p-${Math.floor(i / 10)}-${i % 10}`).sort());
    }, 120_000);
  });
});
