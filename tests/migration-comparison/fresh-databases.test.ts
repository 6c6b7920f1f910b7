/**
 * Comparison on truly fresh databases (02 §10.1 "Fresh databases"): every run opens a new
 * schema/file per side, migrated by that side's own DAL; after the scenario a read probe calls
 * every read method for every id produced (02 §10.3 step 2 reused as an epilogue), then the
 * dumps are compared. Also the schema catalogues of the two sides (02 §10.2 "Catalogue").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalogue } from '../support/catalogue.js';
import { scenario } from '../support/comparison-arbitraries.js';
import { assertComparison, fcParams, LONG, openPair, type PairSides } from '../support/comparison-property.js';
import { readProbe } from '../support/comparison-probe.js';
import { comparisonPairs } from '../support/comparison-sides.js';

const pairs = comparisonPairs();
if (pairs.length === 0) it.skip('no comparison pair selected (CLOACINA_DALS)', () => undefined);

describe.each(pairs.filter((p) => p.sameBackend))('$name: catalogue', (pair) => {
  let sides: PairSides | undefined;
  beforeAll(async () => {
    sides = await openPair(pair);
  });
  afterAll(async () => sides?.close());

  it('both sides migrate to the identical schema catalogue', async () => {
    const { a, b } = sides!;
    const [ca, cb] = await Promise.all([readCatalogue(a.raw, a.db.schema ?? null), readCatalogue(b.raw, b.db.schema ?? null)]);
    for (const table of Object.keys({ ...ca, ...cb }).sort()) expect({ table, ...cb[table] }).toEqual({ table, ...ca[table] });
  });
});

describe.each(pairs)('$name: fresh databases', (pair) => {
  const runs = LONG ? 40 : 6;
  it(`${runs} random scenarios on newly migrated databases, then a full read probe`, { timeout: 600_000 }, async () => {
    await assertComparison({ pair, source: { kind: 'fresh' }, options: { epilogue: readProbe } }, scenario({ maxLength: 30 }), fcParams(runs));
  });
});
