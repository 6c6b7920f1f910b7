/**
 * Hand-written comparison scenarios (02 §10.1 (a)): one per row of the state tables of 01 §7.1
 * and §7.2 and one tour per module, each run on both sides of every pair and compared step by
 * step (return values, errors, signals, ids drawn) and by final dump.
 *
 * Speed: each pair opens two migrated databases once for this file; before each scenario both
 * are emptied (all ten tables; ledger kept) and clock and ids restart (comparison-sides.ts
 * resetSide). fresh-databases.test.ts covers truly fresh, self-migrated databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METHODS } from '../support/comparison-arbitraries.js';
import { openPair, type PairSides } from '../support/comparison-property.js';
import { compareScenario, formatDifference } from '../support/comparison-runner.js';
import { comparisonPairs, resetSide } from '../support/comparison-sides.js';
import type { Step } from '../support/comparison-steps.js';
import { MODULE_SCENARIOS } from './scenarios-modules.js';
import { STATE_MACHINE_SCENARIOS } from './scenarios-state-machines.js';

const SCENARIOS: [string, Step[]][] = [...Object.entries(STATE_MACHINE_SCENARIOS), ...Object.entries(MODULE_SCENARIOS)];

function methodsOf(steps: Step[]): string[] {
  return steps.flatMap((st) => (st.method === 'transaction' ? methodsOf((st as { steps: Step[] }).steps) : [st.method]));
}

it('the hand-written scenarios call every method of the contract at least once', () => {
  const called = new Set(SCENARIOS.flatMap(([, steps]) => methodsOf(steps)));
  expect(METHODS.map(([m]) => m).filter((m) => !called.has(m))).toEqual([]);
});

const pairs = comparisonPairs();
describe.each(pairs)('$name', (pair) => {
  let sides: PairSides | undefined;
  beforeAll(async () => {
    sides = await openPair(pair);
  });
  afterAll(async () => sides?.close());

  it.each(SCENARIOS)('%s', async (_name, steps) => {
    const { a, b } = sides!;
    await Promise.all([resetSide(a), resetSide(b)]);
    const run = await compareScenario(a, b, steps, { sameBackend: pair.sameBackend });
    if (run.difference) expect.fail(formatDifference(pair.name, { a: pair.a.name, b: pair.b.name }, run.difference));
  });
});
