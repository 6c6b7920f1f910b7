/**
 * The random differential comparison (02 §10.1 (b)) for one kind of pair: seeded scenarios of
 * valid and invalid calls run on both sides and compared step by step and by final dump.
 * fast-check shrinks a failing scenario and prints its seed (replay: CLOACINA_SEED=… and
 * CLOACINA_PATH=…). CLOACINA_LONG=1 runs thousands of longer scenarios.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { scenario } from '../support/comparison-arbitraries.js';
import { assertComparison, fcParams, LONG, openPair, OutcomeStats, type PairSides } from '../support/comparison-property.js';
import { pairNamed } from '../support/comparison-sides.js';

export interface DifferentialBudget {
  runs: number;
  maxLength: number;
  longRuns: number;
  longMaxLength: number;
}

export function defineDifferential(kind: 'postgres' | 'sqlite' | 'cross-backend', budget: DifferentialBudget): void {
  const pairs = pairNamed(kind);
  if (pairs.length === 0) {
    it.skip(`no ${kind} pair selected (CLOACINA_DALS)`, () => undefined);
    return;
  }
  const runs = fcParams(LONG ? budget.longRuns : budget.runs).numRuns!;
  const maxLength = LONG ? budget.longMaxLength : budget.maxLength;
  describe.each(pairs)('$name', (pair) => {
    let sides: PairSides | undefined;
    beforeAll(async () => {
      // One migrated database per side for all runs of this test; runScenario empties all ten
      // tables (ledger kept) and restarts clock and ids before every run.
      sides = await openPair(pair);
    });
    afterAll(async () => sides?.close());

    it(`${runs} random scenarios of up to ${maxLength} steps are indistinguishable`, { timeout: LONG ? 3_600_000 : 600_000 }, async () => {
      const stats = new OutcomeStats();
      const options = { checkpointEvery: LONG ? 10 : 20 };
      await assertComparison({ pair, source: { kind: 'reused', sides: () => sides! }, options, stats }, scenario({ maxLength }), fcParams(runs));
      stats.print(`${pair.name}: outcomes of side A per method`);
    });
  });
}
