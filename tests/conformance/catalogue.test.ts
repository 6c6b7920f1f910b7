/**
 * Catalogue conformance (02 §9 "Catalogue", 01 §4, §8.3): the schema every implementation
 * creates through migrate() must equal one golden catalogue per backend, shared by all
 * implementations. The golden files are generated from core's migration DDL applied without any
 * DAL (`UPDATE_GOLDEN=1 vitest run conformance/catalogue.test.ts`) and were checked by hand
 * against 01 §4; review the diff of any regeneration the same way.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { applyCoreDdl, EXPECTED_TABLES, readCatalogue, type Catalogue, type CatalogueTable } from '../support/catalogue.js';
import { freshDatabase, selectedCombos, type BackendName, type TestDatabase } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { withPgClient } from '../support/databases.js';
import type { RawDb } from '../support/raw-db.js';

const GOLDEN_DIR = new URL('./golden/', import.meta.url);
const goldenFile = (b: BackendName) => new URL(`${b}.json`, GOLDEN_DIR);
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const readGolden = (b: BackendName): Catalogue => JSON.parse(readFileSync(goldenFile(b), 'utf8')) as Catalogue;

const backends = [...new Set(selectedCombos().map((c) => c.backend))];

describe.each(backends)('reference DDL (%s)', (backend) => {
  let db: TestDatabase | undefined;
  let raw: RawDb | undefined;
  afterEach(async () => {
    await raw?.close();
    await db?.cleanup();
  });

  it("core's migration DDL, applied without a DAL, yields the golden catalogue", async () => {
    db = freshDatabase(backend);
    if (db.schema) await withPgClient(null, (c) => c.query(`CREATE SCHEMA "${db!.schema}"`));
    raw = await db.raw();
    await applyCoreDdl(raw);
    const catalogue = await readCatalogue(raw, db.schema ?? null);
    if (UPDATE) {
      mkdirSync(GOLDEN_DIR, { recursive: true });
      writeFileSync(goldenFile(backend), `${JSON.stringify(catalogue, null, 2)}\n`);
    }
    expect(Object.keys(catalogue).sort()).toEqual(EXPECTED_TABLES);
    expect(catalogue).toEqual(readGolden(backend));
  });
});

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it('migrate() creates exactly the golden catalogue', async () => {
    f = await openFixture(combo);
    const raw = await f.raw();
    const catalogue = await readCatalogue(raw, f.db.schema ?? null);
    expect(Object.keys(catalogue).sort()).toEqual(EXPECTED_TABLES);
    // Table by table first, so a failure names the table that differs.
    const golden = readGolden(combo.backend);
    for (const table of EXPECTED_TABLES) expect({ table, ...catalogue[table] }).toEqual({ table, ...golden[table] });
    expect(catalogue).toEqual(golden);
  });

  it('a second migrate() (and one by every other implementation of the backend) leaves the catalogue unchanged', async () => {
    f = await openFixture(combo);
    const raw = await f.raw();
    const before = await readCatalogue(raw, f.db.schema ?? null);
    await f.dal.migrate();
    for (const other of selectedCombos().filter((c) => c.backend === combo.backend && c !== combo)) {
      await (await f.open(other)).migrate();
    }
    expect(await readCatalogue(raw, f.db.schema ?? null)).toEqual(before);
  });
});

// --------------------------------------------------------------------------------------------
// The two golden files must describe the same logical schema (01 §4 lists one column set per
// table for both backends); only the physical spellings of types, defaults and predicates differ.

/** Reduces a DDL default to a backend-neutral value: casts, quotes and bool spellings removed. */
function neutralDefault(d: string | null): string | null {
  if (d === null) return null;
  let v = d.replace(/::[a-z ]+$/i, '');
  if (v === 'true') v = '1';
  if (v === 'false') v = '0';
  const quoted = /^'(.*)'$/s.exec(v);
  if (quoted) v = quoted[1]!.replace(/''/g, "'");
  try {
    return JSON.stringify(JSON.parse(v));
  } catch {
    return v;
  }
}

function logical(t: CatalogueTable) {
  return {
    columns: t.columns.map((c) => ({ name: c.name, nullable: c.nullable, primaryKey: c.primaryKey, default: neutralDefault(c.default) })),
    // 01 §5: "RESTRICT" = PostgreSQL NO ACTION = SQLite default (NO ACTION).
    foreignKeys: t.foreignKeys.map((fk) => ({ ...fk, onDelete: fk.onDelete === 'RESTRICT' ? 'NO ACTION' : fk.onDelete })),
    unique: t.unique,
    indexes: t.indexes
      .filter((i) => i.origin === 'index')
      .map((i) => ({ name: i.name, columns: i.columns, unique: i.unique, partial: i.where !== null })),
    namedChecks: t.checks.filter((c) => c.name !== null && c.column === null).map((c) => c.name),
  };
}

describe('golden catalogues', () => {
  it('PostgreSQL and SQLite describe the same tables, columns, keys, constraints and indexes', () => {
    const pg = readGolden('postgres');
    const sqlite = readGolden('sqlite');
    expect(Object.keys(pg).sort()).toEqual(Object.keys(sqlite).sort());
    for (const table of Object.keys(pg)) {
      const p = logical(pg[table]!);
      const s = logical(sqlite[table]!);
      // PostgreSQL also names its column-level CHECKs; SQLite's named ones must be among them.
      expect({ table, ...s, namedChecks: [] }).toEqual({ table, ...p, namedChecks: [] });
      for (const name of s.namedChecks) expect(p.namedChecks, `${table}: ${name}`).toContain(name);
    }
  });

  it.each(['postgres', 'sqlite'] as const)('%s: every foreign-key column leads some index (01 §5)', (backend) => {
    for (const [table, t] of Object.entries(readGolden(backend))) {
      for (const fk of t.foreignKeys) {
        const covered = t.indexes.some((i) => fk.columns.every((c, n) => i.columns[n] === c));
        expect(covered, `${table}(${fk.columns.join(', ')})`).toBe(true);
      }
    }
  });

  it('every PostgreSQL text column uses the "C" collation and every SQLite table is STRICT (01 §1)', () => {
    for (const [table, t] of Object.entries(readGolden('postgres'))) {
      for (const c of t.columns.filter((x) => x.type === 'text')) expect(`${table}.${c.name}:${c.collation}`).toBe(`${table}.${c.name}:C`);
    }
    for (const [table, t] of Object.entries(readGolden('sqlite'))) expect(`${table}:${t.strict}`).toBe(`${table}:true`);
  });
});
