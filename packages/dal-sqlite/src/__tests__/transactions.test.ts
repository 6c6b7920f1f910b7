import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, ConstraintError, DatabaseError, NotFoundError, type Dal, type Signal } from '@cloacina/core';
import { createSqliteDal } from '../index.js';

let dir: string;
let file: string;
let d: Dal;
const extra: Dal[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cloacina-sqlite-'));
  file = path.join(dir, 'tx.db');
  d = await createSqliteDal({ url: `sqlite://${file}` });
  await d.migrate();
});

afterEach(async () => {
  await Promise.all([d, ...extra.splice(0)].map((x) => x.close()));
  await rm(dir, { recursive: true, force: true });
});

const count = async (dal: Dal) => (await dal.context.list(1000, 0)).length;

describe('transactions', () => {
  it('commits, and rolls back when fn rejects (rethrowing the same error)', async () => {
    const id = await d.transaction(async (tx) => tx.context.create({ a: 1 }));
    expect(await d.context.read(id!)).toEqual({ a: 1 });

    const boom = new Error('boom');
    await expect(
      d.transaction(async (tx) => {
        await tx.context.create({ b: 2 });
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await count(d)).toBe(1);
  });

  it('nests with savepoints: an inner rejection undoes the inner writes only', async () => {
    await d.transaction(async (tx) => {
      await tx.context.create({ outer: 1 });
      await expect(
        tx.transaction(async (inner) => {
          await inner.context.create({ inner: 1 });
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      await tx.transaction(async (inner) => inner.context.create({ inner: 2 }));
    });
    const values = (await d.context.list(10, 0)).map((c) => c.value);
    expect(values).toHaveLength(2);
    expect(values).toEqual(expect.arrayContaining([{ outer: 1 }, { inner: 2 }]));
  });

  it('runs concurrent sibling savepoints one after another', async () => {
    await d.transaction(async (tx) => {
      const results = await Promise.allSettled(
        [0, 1, 2, 3, 4, 5].map((i) =>
          tx.transaction(async (inner) => {
            await inner.context.create({ i });
            await new Promise((r) => setTimeout(r, 5 - i));
            if (i % 2 === 1) throw new Error(`odd ${i}`);
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected']);
    });
    const kept = (await d.context.list(10, 0)).map((c) => c.value.i).sort();
    expect(kept).toEqual([0, 2, 4]);
  });

  it('aborts after a database error even when fn catches it (TX_ABORTED), and rolls back', async () => {
    const ctx = await d.context.create({ keep: true });
    await d.pipelineExecution.create({ pipelineName: 'p', contextId: ctx });
    let abortedCode: string | undefined;
    const outcome = d.transaction(async (tx) => {
      await tx.context.create({ lost: true });
      const err = await tx.context.delete(ctx!).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConstraintError);
      expect(err).toMatchObject({ kind: 'foreign_key' });
      abortedCode = await tx.context.list(1, 0).then(
        () => 'none',
        (e: DatabaseError) => e.dbCode,
      );
      return 'resolved anyway';
    });
    await expect(outcome).rejects.toMatchObject({ dbCode: 'TX_ABORTED' });
    expect(abortedCode).toBe('TX_ABORTED');
    expect(await count(d)).toBe(1);
  });

  it('keeps the transaction usable after typed errors', async () => {
    await d.transaction(async (tx) => {
      await expect(tx.context.read('00000000-0000-7000-8000-000000000999')).rejects.toBeInstanceOf(NotFoundError);
      await expect(tx.pipelineExecution.finalize('00000000-0000-7000-8000-000000000999', {})).rejects.toBeInstanceOf(NotFoundError);
      await tx.context.create({ fine: true });
    });
    expect(await count(d)).toBe(1);
  });

  it('refuses the root DAL inside its own transaction and a finished tx', async () => {
    let leaked: Dal | undefined;
    await d.transaction(async (tx) => {
      leaked = tx;
      await expect(d.context.create({ a: 1 })).rejects.toThrow('use the transaction-bound DAL inside transaction()');
      await expect(d.transaction(async () => 1)).rejects.toBeInstanceOf(ConfigurationError);
    });
    await expect(leaked!.context.create({ a: 1 })).rejects.toThrow('transaction already finished');
    expect(await count(d)).toBe(0);
  });

  it("a rollback never takes another flow's autocommit write with it", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const failing = d.transaction(async (tx) => {
      await tx.context.create({ from: 'tx' });
      entered();
      await gate;
      throw new Error('roll back');
    });
    await inside;
    // Another flow writes while the transaction is open: it queues behind it.
    const other = d.context.create({ from: 'other' });
    expect(d.poolStats().waiting).toBe(1);
    release();
    await expect(failing).rejects.toThrow('roll back');
    const otherId = await other;
    expect(await d.context.read(otherId!)).toEqual({ from: 'other' });
    expect(await count(d)).toBe(1);
  });

  it('publishes signals after commit only', async () => {
    const seen: Signal[] = [];
    const listener = await createSqliteDal({ url: file });
    extra.push(listener);
    listener.signals.subscribe((s) => seen.push(s));
    await expect(
      d.transaction(async (tx) => {
        await tx.pipelineExecution.create({ pipelineName: 'rolled-back' });
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(seen).toEqual([]);
    let before = -1;
    const p = await d.transaction(async (tx) => {
      const run = await tx.pipelineExecution.create({ pipelineName: 'kept' });
      before = seen.length;
      return run;
    });
    expect(before).toBe(0);
    // Delivered to another DAL instance on the same file too.
    expect(seen).toEqual([{ type: 'pipeline_created', pipelineExecutionId: p.id, taskExecutionId: null, schema: null }]);
  });

  it('runs 50 concurrent transactions on one file from one process', async () => {
    const run = await d.pipelineExecution.create({ pipelineName: 'counter' });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        d.transaction(async (tx) => {
          await tx.context.create({ i });
          await tx.pipelineExecution.incrementRecoveryAttempts(run.id);
          return i;
        }),
      ),
    );
    expect(results).toHaveLength(50);
    expect(await count(d)).toBe(50);
    expect((await d.pipelineExecution.getById(run.id)).recoveryAttempts).toBe(50);
  });

  it('runs concurrent transactions from several DAL instances on one file without SQLITE_BUSY', async () => {
    // More instances than libuv has worker threads: waiting writers must not starve the holder.
    const others = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => createSqliteDal({ url: `sqlite://${file}`, poolSize: 1 + (i % 3) })));
    extra.push(...others);
    const all = [d, ...others];
    const run = await d.pipelineExecution.create({ pipelineName: 'counter' });
    await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        all[i % all.length]!.transaction(async (tx) => {
          const before = await tx.pipelineExecution.getById(run.id);
          await tx.context.create({ i, seen: before.recoveryAttempts });
          await tx.pipelineExecution.incrementRecoveryAttempts(run.id);
        }),
      ),
    );
    expect((await d.pipelineExecution.getById(run.id)).recoveryAttempts).toBe(80);
    const seen = (await d.context.list(100, 0)).map((c) => c.value.seen as number).sort((a, b) => a - b);
    // Every transaction saw every earlier commit: the counts are 0..79 exactly.
    expect(seen).toEqual(Array.from({ length: 80 }, (_, i) => i));
  });

  it('serves reads outside a transaction from a read connection while the writer is busy (poolSize > 1)', async () => {
    const pooled = await createSqliteDal({ url: `sqlite://${file}`, poolSize: 2 });
    extra.push(pooled);
    const committed = await pooled.context.create({ committed: true });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const holder = pooled.transaction(async (tx) => {
      await tx.context.create({ uncommitted: true });
      entered();
      await gate;
    });
    await inside;
    // The writer is held by the open transaction; the read does not queue behind it and does
    // not see its uncommitted row.
    expect(await pooled.context.read(committed!)).toEqual({ committed: true });
    expect(await count(pooled)).toBe(1);
    expect(pooled.poolStats()).toMatchObject({ total: 2, max: 2, waiting: 0 });
    release();
    await holder;
    expect(await count(pooled)).toBe(2);
  });

  it('times out waiting for the connection with POOL_TIMEOUT', async () => {
    const short = await createSqliteDal({ url: `sqlite://${file}`, acquireTimeoutMs: 50 });
    extra.push(short);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const holder = short.transaction(async () => gate);
    await expect(short.context.create({ a: 1 })).rejects.toMatchObject({ dbCode: 'POOL_TIMEOUT', transient: true });
    release();
    await holder;
  });
});
