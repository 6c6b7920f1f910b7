/**
 * Schema catalogue introspection for the conformance suite (02 §9 "Catalogue"): reads the
 * tables, columns, types, nullability, defaults, CHECKs, foreign keys, unique constraints and
 * indexes of one database straight from the system catalogue and returns them as normalised,
 * sorted JSON, so two databases can be compared with a plain deep equality (and against the
 * golden files in tests/conformance/golden).
 */
import { LEDGER_TABLE, MIGRATIONS, ledgerDdl } from '@cloacina/core';
import type { RawDb } from './raw-db.js';

export interface CatalogueColumn {
  name: string;
  type: string;
  nullable: boolean;
  default: string | null;
  /** PostgreSQL: collation when it differs from the type's default; SQLite: always null. */
  collation: string | null;
  primaryKey: boolean;
}

export interface CatalogueCheck {
  /** Constraint name (PostgreSQL always; SQLite only when declared with CONSTRAINT). */
  name: string | null;
  /** Column of a column-level CHECK on SQLite; null for table-level and on PostgreSQL. */
  column: string | null;
  expression: string;
}

export interface CatalogueForeignKey {
  name: string | null;
  columns: string[];
  parentTable: string;
  parentColumns: string[];
  onDelete: string;
  onUpdate: string;
}

export interface CatalogueIndex {
  name: string;
  columns: string[];
  unique: boolean;
  /** 'index' (CREATE INDEX), 'unique' (backs a UNIQUE constraint) or 'primary'. */
  origin: 'index' | 'unique' | 'primary';
  where: string | null;
}

export interface CatalogueTable {
  columns: CatalogueColumn[];
  checks: CatalogueCheck[];
  foreignKeys: CatalogueForeignKey[];
  unique: { name: string | null; columns: string[] }[];
  indexes: CatalogueIndex[];
  /** SQLite STRICT flag; always null on PostgreSQL. */
  strict: boolean | null;
}

export type Catalogue = Record<string, CatalogueTable>;

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const byJson = <T>(a: T, b: T) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0);

export async function readCatalogue(raw: RawDb, schema: string | null): Promise<Catalogue> {
  return raw.backend === 'postgres' ? readPostgresCatalogue(raw, schema ?? 'public') : readSqliteCatalogue(raw);
}

// ---------------------------------------------------------------- PostgreSQL

const PG_FK_ACTIONS: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

async function readPostgresCatalogue(raw: RawDb, schema: string): Promise<Catalogue> {
  const tables = await raw.query(
    `SELECT c.oid::int AS oid, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
    [schema],
  );
  const out: Catalogue = {};
  for (const t of tables) {
    const oid = Number(t.oid);
    const cols = await raw.query(
      `SELECT a.attnum, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
              pg_get_expr(d.adbin, d.adrelid) AS dflt,
              CASE WHEN a.attcollation <> ty.typcollation THEN co.collname ELSE NULL END AS collation
         FROM pg_attribute a
         JOIN pg_type ty ON ty.oid = a.atttypid
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         LEFT JOIN pg_collation co ON co.oid = a.attcollation
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [oid],
    );
    const attName = new Map(cols.map((c) => [Number(c.attnum), String(c.name)]));
    const cons = await raw.query(
      `SELECT conname AS name, contype AS type, conkey AS cols, confkey AS pcols, confrelid::regclass::text AS parent,
              confdeltype AS ondelete, confupdtype AS onupdate, pg_get_constraintdef(oid, true) AS def
         FROM pg_constraint WHERE conrelid = $1 ORDER BY conname`,
      [oid],
    );
    const names = (nums: unknown) => (nums as number[] | null ?? []).map((n) => attName.get(Number(n)) ?? `#${n}`);
    const pk = cons.find((c) => c.type === 'p');
    const pkCols = new Set(pk ? names(pk.cols) : []);
    const foreignKeys: CatalogueForeignKey[] = [];
    for (const c of cons.filter((x) => x.type === 'f')) {
      const parent = String(c.parent).replace(/^.*\./, '').replace(/"/g, '');
      const parentCols = await raw.query(
        `SELECT attnum, attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0`,
        [String(c.parent)],
      );
      const pmap = new Map(parentCols.map((p) => [Number(p.attnum), String(p.attname)]));
      foreignKeys.push({
        name: String(c.name),
        columns: names(c.cols),
        parentTable: parent,
        parentColumns: (c.pcols as number[]).map((n) => pmap.get(Number(n)) ?? `#${n}`),
        onDelete: PG_FK_ACTIONS[String(c.ondelete)] ?? String(c.ondelete),
        onUpdate: PG_FK_ACTIONS[String(c.onupdate)] ?? String(c.onupdate),
      });
    }
    const idx = await raw.query(
      `SELECT i.relname AS name, ix.indisunique AS uniq, ix.indisprimary AS prim, ix.indkey::int2[] AS keys,
              pg_get_expr(ix.indpred, ix.indrelid) AS pred,
              EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid AND k.contype = 'u') AS backs_unique
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid WHERE ix.indrelid = $1 ORDER BY i.relname`,
      [oid],
    );
    out[String(t.name)] = {
      columns: cols.map((c) => ({
        name: String(c.name),
        type: String(c.type),
        nullable: !c.notnull,
        default: c.dflt === null ? null : squash(String(c.dflt)),
        collation: c.collation === null ? null : String(c.collation),
        primaryKey: pkCols.has(String(c.name)),
      })),
      checks: cons
        .filter((c) => c.type === 'c')
        .map((c) => ({ name: String(c.name), column: null, expression: squash(String(c.def)) }))
        .sort(byJson),
      foreignKeys: foreignKeys.sort(byJson),
      unique: cons
        .filter((c) => c.type === 'u')
        .map((c) => ({ name: String(c.name) as string | null, columns: names(c.cols) }))
        .sort(byJson),
      indexes: idx
        .map((i) => ({
          name: String(i.name),
          columns: (i.keys as number[]).map((n) => (Number(n) === 0 ? '<expr>' : attName.get(Number(n)) ?? `#${n}`)),
          unique: Boolean(i.uniq),
          origin: (i.prim ? 'primary' : i.backs_unique ? 'unique' : 'index') as CatalogueIndex['origin'],
          where: i.pred === null ? null : squash(String(i.pred)),
        }))
        .sort(byJson),
      strict: null,
    };
  }
  return out;
}

// ---------------------------------------------------------------- SQLite

/** Splits the body of a CREATE TABLE into its top-level comma-separated items. */
function splitTopLevel(body: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = '';
  for (const ch of body) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      items.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) items.push(cur.trim());
  return items;
}

/** Every `CHECK (…)` expression in one item, with balanced parentheses and quotes. */
function checksIn(item: string): string[] {
  const found: string[] = [];
  const re = /\bCHECK\s*\(/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(item))) {
    let depth = 1;
    let quote: string | null = null;
    let i = m.index + m[0].length;
    const start = i;
    for (; i < item.length && depth > 0; i++) {
      const ch = item[i]!;
      if (quote) {
        if (ch === quote) quote = null;
      } else if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '(') depth++;
      else if (ch === ')') depth--;
    }
    found.push(squash(item.slice(start, i - 1)));
    re.lastIndex = i;
  }
  return found;
}

const unquote = (s: string) => s.replace(/^["`[]|["`\]]$/g, '');

async function readSqliteCatalogue(raw: RawDb): Promise<Catalogue> {
  const tables = await raw.query(
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  const strictRows = await raw.query("SELECT name, strict FROM pragma_table_list WHERE schema = 'main'");
  const strict = new Map(strictRows.map((r) => [String(r.name), Number(r.strict) === 1]));
  const indexSql = new Map(
    (await raw.query("SELECT name, sql FROM sqlite_master WHERE type = 'index'")).map((r) => [String(r.name), r.sql as string | null]),
  );
  const out: Catalogue = {};
  for (const t of tables) {
    const name = String(t.name);
    const sql = String(t.sql);
    const body = sql.slice(sql.indexOf('(') + 1, sql.lastIndexOf(')'));
    const items = splitTopLevel(body);
    const checks: CatalogueCheck[] = [];
    const namedConstraints = new Map<string, string>(); // normalised definition → name
    for (const item of items) {
      const named = /^CONSTRAINT\s+("[^"]+"|\S+)\s+(.*)$/is.exec(item);
      const isTableConstraint = named || /^(CHECK|UNIQUE|PRIMARY\s+KEY|FOREIGN\s+KEY)\b/i.test(item);
      if (isTableConstraint) {
        const cname = named ? unquote(named[1]!) : null;
        const def = named ? named[2]! : item;
        if (cname) namedConstraints.set(squash(def).toUpperCase(), cname);
        for (const e of checksIn(def)) checks.push({ name: cname, column: null, expression: e });
      } else {
        const column = unquote(item.split(/\s+/)[0]!);
        for (const e of checksIn(item)) checks.push({ name: null, column, expression: e });
      }
    }
    const nameFor = (prefix: RegExp) => {
      for (const [def, n] of namedConstraints) if (prefix.test(def)) return n;
      return null;
    };
    const cols = await raw.query(`SELECT * FROM pragma_table_xinfo(?)`, [name]);
    const fkRows = await raw.query(`SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq`, [name]);
    const fks = new Map<number, CatalogueForeignKey>();
    for (const r of fkRows) {
      const id = Number(r.id);
      const fk = fks.get(id) ?? {
        name: null,
        columns: [],
        parentTable: String(r.table),
        parentColumns: [],
        onDelete: String(r.on_delete),
        onUpdate: String(r.on_update),
      };
      fk.columns.push(String(r.from));
      fk.parentColumns.push(String(r.to));
      fks.set(id, fk);
    }
    for (const fk of fks.values()) {
      const cols = fk.columns.join(', ').toUpperCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      fk.name = nameFor(new RegExp(`^FOREIGN KEY \\(${cols}\\)`));
    }
    const indexes: CatalogueIndex[] = [];
    const unique: { name: string | null; columns: string[] }[] = [];
    for (const ix of await raw.query(`SELECT * FROM pragma_index_list(?)`, [name])) {
      const ixName = String(ix.name);
      const info = await raw.query(`SELECT * FROM pragma_index_info(?) ORDER BY seqno`, [ixName]);
      const columns = info.map((c) => (c.name === null ? '<expr>' : String(c.name)));
      const origin = ix.origin === 'pk' ? 'primary' : ix.origin === 'u' ? 'unique' : 'index';
      const ixSql = indexSql.get(ixName);
      const where = ixSql && /\bWHERE\b/i.test(ixSql) ? squash(ixSql.slice(ixSql.search(/\bWHERE\b/i) + 5)) : null;
      indexes.push({ name: ixName, columns, unique: Number(ix.unique) === 1, origin, where });
      if (origin === 'unique') {
        const cols = columns.join(', ').toUpperCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        unique.push({ name: nameFor(new RegExp(`^UNIQUE \\(${cols}\\)$`)), columns });
      }
    }
    out[name] = {
      columns: cols
        .filter((c) => Number(c.hidden) === 0)
        .map((c) => ({
          name: String(c.name),
          type: String(c.type),
          nullable: Number(c.notnull) === 0,
          default: c.dflt_value === null ? null : squash(String(c.dflt_value)),
          collation: null,
          primaryKey: Number(c.pk) > 0,
        })),
      checks: checks.sort(byJson),
      foreignKeys: [...fks.values()].sort(byJson),
      unique: unique.sort(byJson),
      indexes: indexes.sort(byJson),
      strict: strict.get(name) ?? false,
    };
  }
  return out;
}

// ---------------------------------------------------------------- reference schema

/**
 * Applies core's migration DDL directly (no DAL, no ledger rows): the reference the golden
 * files are generated from. On PostgreSQL the raw connection's search_path must already
 * point at an existing, empty schema.
 */
export async function applyCoreDdl(raw: RawDb): Promise<void> {
  await raw.query(ledgerDdl(raw.backend));
  for (const m of MIGRATIONS) for (const s of m.statements[raw.backend]) await raw.query(s);
}

/** The tables every migrated database must hold: the ten of 01 §3 plus the ledger. */
export const EXPECTED_TABLES = [
  'contexts',
  'pipeline_executions',
  'task_executions',
  'task_execution_metadata',
  'recovery_events',
  'execution_events',
  'cron_schedules',
  'cron_executions',
  'workflow_registry',
  'workflow_packages',
  LEDGER_TABLE,
].sort();
