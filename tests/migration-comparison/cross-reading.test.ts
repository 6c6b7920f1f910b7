/**
 * Cross-reading (02 §10.3 steps 1–3), both directions and both backends: a scenario prefix run
 * by one implementation, then the other opens the same database (migrate() applies nothing, the
 * ledger is unchanged), reads back exactly what the first reads for every id produced, runs the
 * suffix, and the final database equals a run of the whole scenario by the first alone.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { scenario } from '../support/comparison-arbitraries.js';
import { crossRead } from '../support/comparison-crossread.js';
import { LONG } from '../support/comparison-property.js';
import { selectedCombos, type DalCombo } from '../support/dal-combos.js';

const byName = new Map(selectedCombos().map((c) => [c.name, c]));
const directions: { name: string; first: DalCombo; second: DalCombo }[] = [];
for (const [legacy, unified] of [['dal-postgres:postgres', 'dal-unified:postgres'], ['dal-sqlite:sqlite', 'dal-unified:sqlite']] as const) {
  const l = byName.get(legacy);
  const u = byName.get(unified);
  if (l && u) directions.push({ name: `${l.name} → ${u.name}`, first: l, second: u }, { name: `${u.name} → ${l.name}`, first: u, second: l });
}

const RUNS = process.env.CLOACINA_COMPARISON_RUNS ? Number(process.env.CLOACINA_COMPARISON_RUNS) : LONG ? 40 : 5;

if (directions.length === 0) it.skip('no legacy/unified pair selected (CLOACINA_DALS)', () => undefined);

describe.skipIf(directions.length === 0)('cross-reading', () => {
  it.each(directions)('$name: hand-over mid-scenario, random scenarios', { timeout: 600_000 }, async ({ first, second }) => {
    const arb = scenario({ maxLength: 30 }).chain((steps) => fc.tuple(fc.constant(steps), fc.integer({ min: 0, max: steps.length - 1 })));
    await fc.assert(
      fc.asyncProperty(arb, async ([steps, split]) => {
        const { failure } = await crossRead(first, second, steps, split);
        if (failure) throw new Error(failure);
      }),
      { numRuns: RUNS, ...(process.env.CLOACINA_SEED ? { seed: Number(process.env.CLOACINA_SEED) } : {}) },
    );
  });
});
