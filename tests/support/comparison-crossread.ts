/**
 * Cross-reading (02 §10.3, steps 1–3): side A runs a scenario prefix on a database, side B (the
 * other implementation) opens the same database with the same clock and id sequence and must
 * find nothing to migrate, read back exactly what A reads, and run the suffix so that the final
 * database equals a run of the whole scenario by A alone.
 */
import { LEDGER_TABLE, type Dal } from '@cloacina/core';
import type { DalCombo } from './dal-combos.js';
import { normalise } from './dump.js';
import { compareScenario, formatDifference, type Difference } from './comparison-runner.js';
import { dalOptions, openSide, type Side } from './comparison-sides.js';
import { readProbe } from './comparison-probe.js';
import type { IdPools, Step } from './comparison-steps.js';
import { firstDifference, formatValueDifference, IdMapping } from './comparison-normalise.js';

export interface CrossReadResult {
  /** Null when every check held; otherwise what failed, formatted for the report. */
  failure: string | null;
}

async function ledgerRows(side: Side): Promise<unknown> {
  const rows = await side.raw.query(`SELECT version, name, applied_at FROM ${LEDGER_TABLE} ORDER BY version`);
  return normalise(rows.map((r) => ({ version: Number(r.version), name: r.name, appliedAt: r.applied_at instanceof Date ? r.applied_at : String(r.applied_at) })));
}

/** A second Side over the same database as `base`, driven by another DAL (same clock and ids). */
function sameDatabase(base: Side, dal: Dal, label: string): Side {
  const signals: Side['signals'] = [];
  const unsubscribe = dal.signals.subscribe((s) => signals.push(s));
  return { ...base, label, dal, signals, close: async () => unsubscribe() };
}

/**
 * Runs the scenario split at `split`: steps before it by A (`first`), the rest by B (`second`),
 * on one database; compares every step and the final dump with a run of the whole scenario by
 * A alone on a fresh database, and checks migrate()/ledger and the read probes at the hand-over
 * and at the end.
 */
export async function crossRead(first: DalCombo, second: DalCombo, steps: Step[], split: number): Promise<CrossReadResult> {
  const pairName = `${first.name} → ${second.name} (split at step ${split})`;
  const shared = await openSide(first, 'A then B');
  const single = await openSide(first, 'A alone');
  let b: Dal | undefined;
  let bSide: Side | undefined;
  let problem: string | null = null;
  // The shared side's DAL switches from A to B at the split; `current` is what the runner uses.
  const handedOver: Side & { dal: Dal } = { ...shared, dal: shared.dal };
  const probe = async (when: string, pools: IdPools, nowMs: number): Promise<string | null> => {
    if (!bSide) return null;
    const aSide = sameDatabase(shared, shared.dal, 'A');
    const run = await compareScenario(aSide, bSide, readProbe(pools), { sameBackend: true, dump: false, start: { pools, nowMs } });
    await aSide.close();
    return run.difference ? `${when}: B reads differently from A\n${formatDifference(pairName, { a: first.name, b: second.name }, run.difference)}` : null;
  };
  try {
    const run = await compareScenario(handedOver, single, steps, {
      sameBackend: true,
      beforeStep: async (index, nowMs, pools) => {
        if (index !== split || b) return;
        const ledgerBefore = await ledgerRows(shared);
        shared.clock.set(new Date(nowMs));
        b = await second.create(dalOptions(shared.db, shared.clock, shared.ids));
        const report = await b.migrate();
        const ledgerAfter = await ledgerRows(shared);
        if (report.applied.length !== 0) problem = `B's migrate() applied ${JSON.stringify(report.applied)} on A's database (02 §10.3: nothing to apply)`;
        const d = firstDifference(ledgerBefore as never, ledgerAfter as never, new IdMapping());
        if (!problem && d) problem = `B's migrate() changed the ledger ${formatValueDifference(d)}`;
        bSide = sameDatabase(shared, b, 'B');
        if (!problem) problem = await probe('at the hand-over', pools, nowMs);
        handedOver.dal = b;
      },
    });
    if (problem) return { failure: problem };
    if (run.difference) return { failure: describe(pairName, run.difference, first, second) };
    return { failure: await probe('after the suffix', run.poolsA, run.nowMs) };
  } finally {
    await bSide?.close();
    await b?.close().catch(() => undefined);
    await shared.close();
    await single.close();
  }
}

function describe(pairName: string, d: Difference, first: DalCombo, second: DalCombo): string {
  return formatDifference(pairName, { a: `${first.name} then ${second.name} on one database`, b: `${first.name} alone` }, d);
}
