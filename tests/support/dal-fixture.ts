/** Opens a migrated DAL of one combination on a fresh database with a pinned clock and ids. */
import type { Dal, DalOptions } from '@cloacina/core';
import type { DalCombo, TestDatabase } from './dal-combos.js';
import { freshDatabase } from './dal-combos.js';
import { TestClock, sequentialIds } from './determinism.js';
import type { RawDb } from './raw-db.js';

export interface DalFixture {
  dal: Dal;
  db: TestDatabase;
  clock: TestClock;
  ids: ReturnType<typeof sequentialIds>;
  /** Opens another DAL (same or other implementation) on the same database. */
  open(combo?: DalCombo, extra?: Partial<DalOptions>): Promise<Dal>;
  raw(): Promise<RawDb>;
  close(): Promise<void>;
}

export async function openFixture(combo: DalCombo, extra: Partial<DalOptions> = {}): Promise<DalFixture> {
  const db = freshDatabase(combo.backend);
  const clock = new TestClock();
  const ids = sequentialIds();
  const opened: Dal[] = [];
  const raws: RawDb[] = [];
  const open = async (c: DalCombo = combo, more: Partial<DalOptions> = {}) => {
    const dal = await c.create({
      url: db.url,
      schema: db.schema,
      poolSize: db.backend === 'postgres' ? 3 : 1,
      clock: clock.now,
      idGenerator: ids.next,
      runnerId: 'test-runner',
      ...extra,
      ...more,
    });
    opened.push(dal);
    return dal;
  };
  let dal: Dal;
  try {
    dal = await open();
    await dal.migrate();
  } catch (err) {
    // A factory or migration failure must not leak the fresh database it was given.
    for (const d of opened) await d.close().catch(() => undefined);
    await db.cleanup().catch(() => undefined);
    throw err;
  }
  return {
    dal,
    db,
    clock,
    ids,
    open,
    raw: async () => {
      const r = await db.raw();
      raws.push(r);
      return r;
    },
    close: async () => {
      for (const r of raws) await r.close().catch(() => undefined);
      for (const d of opened) await d.close().catch(() => undefined);
      await db.cleanup();
    },
  };
}
