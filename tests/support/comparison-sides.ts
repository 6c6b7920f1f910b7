/**
 * One "side" of a migration comparison: a DAL of one implementation on its own database, with
 * its own pinned clock, its own copy of the shared id sequence, the configured runnerId and a
 * signal recorder (02 §10.1).
 */
import { ALL_TABLES, type Dal, type DalOptions, type Signal } from '@cloacina/core';
import { selectedCombos, freshDatabase, type DalCombo, type TestDatabase } from './dal-combos.js';
import { TestClock, sequentialIds } from './determinism.js';
import type { RawDb } from './raw-db.js';
import { CONFIGURED_RUNNER, T0_MS } from './comparison-steps.js';

export interface CountingIds {
  next: () => string;
  /** Ids drawn since the last reset. */
  drawn(): number;
  reset(): void;
}

export function countingIds(): CountingIds {
  const seq = sequentialIds();
  let drawn = 0;
  return {
    next: () => {
      drawn += 1;
      return seq.next();
    },
    drawn: () => drawn,
    reset: () => {
      seq.reset();
      drawn = 0;
    },
  };
}

export interface Side {
  readonly label: string;
  readonly combo: DalCombo;
  readonly db: TestDatabase;
  readonly dal: Dal;
  readonly raw: RawDb;
  readonly clock: TestClock;
  readonly ids: CountingIds;
  /** Signals received since the last drain. */
  readonly signals: Signal[];
  close(): Promise<void>;
}

export function dalOptions(db: TestDatabase, clock: TestClock, ids: { next: () => string }, extra: Partial<DalOptions> = {}): DalOptions {
  return {
    url: db.url,
    schema: db.schema,
    poolSize: db.backend === 'postgres' ? 2 : 1,
    clock: clock.now,
    idGenerator: ids.next,
    runnerId: CONFIGURED_RUNNER,
    // Local delivery suffices (each side has its own database); saves a connection per DAL.
    listen: false,
    ...extra,
  };
}

/** A new database migrated by this side's own DAL (02 §10.1 "Fresh databases"). */
export async function openSide(combo: DalCombo, label: string, wrap: (dal: Dal) => Dal = (d) => d): Promise<Side> {
  const db = freshDatabase(combo.backend);
  const clock = new TestClock(new Date(T0_MS));
  const ids = countingIds();
  let dal: Dal | undefined;
  let raw: RawDb | undefined;
  try {
    dal = await combo.create(dalOptions(db, clock, ids));
    await dal.migrate();
    raw = await db.raw();
  } catch (err) {
    await dal?.close().catch(() => undefined);
    await db.cleanup().catch(() => undefined);
    throw err;
  }
  const opened = dal;
  const openedRaw = raw;
  const wrapped = wrap(opened);
  const signals: Signal[] = [];
  const unsubscribe = wrapped.signals.subscribe((s) => signals.push(s));
  ids.reset();
  return {
    label,
    combo,
    db,
    dal: wrapped,
    raw: openedRaw,
    clock,
    ids,
    signals,
    close: async () => {
      unsubscribe();
      await openedRaw.close().catch(() => undefined);
      await opened.close().catch(() => undefined);
      await db.cleanup().catch(() => undefined);
    },
  };
}

/** Children before parents, so plain deletes never hit a RESTRICT foreign key. */
const CLEAR_ORDER = [
  'workflow_packages',
  'workflow_registry',
  'cron_executions',
  'cron_schedules',
  'execution_events',
  'recovery_events',
  'task_execution_metadata',
  'task_executions',
  'pipeline_executions',
  'contexts',
];
if (CLEAR_ORDER.length !== ALL_TABLES.length || ALL_TABLES.some((t) => !CLEAR_ORDER.includes(t.name))) {
  throw new Error('comparison-sides: CLEAR_ORDER must list exactly the ten tables of core ALL_TABLES');
}

/**
 * Returns a reused side to the state of a freshly migrated database: all ten tables emptied
 * through the raw connection (the ledger is kept, as migrate() left it), clock back at T0,
 * id sequence restarted, signals dropped.
 */
export async function resetSide(side: Side): Promise<void> {
  for (const t of CLEAR_ORDER) await side.raw.query(`DELETE FROM ${t}`);
  side.clock.set(new Date(T0_MS));
  side.ids.reset();
  side.signals.length = 0;
}

export interface ComparisonPair {
  name: string;
  a: DalCombo;
  b: DalCombo;
  /** False for the secondary comparison (dal-unified PostgreSQL vs SQLite): dbCode not compared. */
  sameBackend: boolean;
}

/**
 * The pairs of 02 §10.1 whose two combos are both selected (CLOACINA_DALS narrows them):
 * legacy first, unified second.
 */
export function comparisonPairs(): ComparisonPair[] {
  const byName = new Map(selectedCombos().map((c) => [c.name, c]));
  const defs: [string, string, string][] = [
    ['dal-postgres vs dal-unified (postgres)', 'dal-postgres:postgres', 'dal-unified:postgres'],
    ['dal-sqlite vs dal-unified (sqlite)', 'dal-sqlite:sqlite', 'dal-unified:sqlite'],
    ['dal-unified postgres vs sqlite', 'dal-unified:postgres', 'dal-unified:sqlite'],
  ];
  const out: ComparisonPair[] = [];
  for (const [name, a, b] of defs) {
    const ca = byName.get(a);
    const cb = byName.get(b);
    if (ca && cb) out.push({ name, a: ca, b: cb, sameBackend: ca.backend === cb.backend });
  }
  return out;
}

export function pairNamed(kind: 'postgres' | 'sqlite' | 'cross-backend'): ComparisonPair[] {
  return comparisonPairs().filter((p) => (kind === 'cross-backend' ? !p.sameBackend : p.sameBackend && p.a.backend === kind));
}
