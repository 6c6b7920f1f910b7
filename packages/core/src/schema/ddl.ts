import type { ColumnDef, Logical, TableDef } from './tables.js';

export type SqlBackend = 'postgres' | 'sqlite';

const PG_TYPES: Record<Logical, string> = {
  uuid: 'uuid',
  ts: 'timestamptz',
  bool: 'boolean',
  json: 'jsonb',
  bytes: 'bytea',
  int: 'integer',
  text: 'text COLLATE "C"',
};
const SQLITE_TYPES: Record<Logical, string> = {
  uuid: 'BLOB',
  ts: 'TEXT',
  bool: 'INTEGER',
  json: 'TEXT',
  bytes: 'BLOB',
  int: 'INTEGER',
  text: 'TEXT',
};

// Storage-form CHECKs that STRICT alone cannot express (01 §2).
const SQLITE_TYPE_CHECKS: Partial<Record<Logical, string>> = {
  uuid: 'length($) = 16',
  ts: "length($) = 24 AND $ GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'",
  bool: '$ IN (0, 1)',
  json: 'json_valid($)',
};

function renderDefault(col: ColumnDef, backend: SqlBackend): string {
  const v = col.default;
  if (v === undefined) return '';
  if (typeof v === 'boolean') return ` DEFAULT ${backend === 'postgres' ? String(v) : v ? '1' : '0'}`;
  if (typeof v === 'number') return ` DEFAULT ${v}`;
  const lit = `'${v.replace(/'/g, "''")}'`;
  return ` DEFAULT ${backend === 'postgres' && col.type === 'json' ? `${lit}::jsonb` : lit}`;
}

function renderColumn(col: ColumnDef, backend: SqlBackend, isPk: boolean): string {
  const type = backend === 'postgres' ? PG_TYPES[col.type] : SQLITE_TYPES[col.type];
  const checks: string[] = [];
  if (backend === 'sqlite' && SQLITE_TYPE_CHECKS[col.type]) checks.push(SQLITE_TYPE_CHECKS[col.type]!);
  if (col.check) checks.push(col.check);
  const checkSql = checks.map((c) => ` CHECK (${c.replace(/\$/g, col.name)})`).join('');
  return `  ${col.name} ${type}${col.nullable ? '' : ' NOT NULL'}${renderDefault(col, backend)}${isPk ? ' PRIMARY KEY' : ''}${checkSql}`;
}

/** CREATE TABLE plus its CREATE INDEX statements for one backend. */
export function tableDdl(t: TableDef, backend: SqlBackend): string[] {
  const lines = t.columns.map((c) => renderColumn(c, backend, c.name === 'id'));
  for (const u of t.unique ?? []) lines.push(`  CONSTRAINT ${u.name} UNIQUE (${u.columns.join(', ')})`);
  for (const fk of t.foreignKeys ?? []) {
    const onDelete = fk.onDelete === 'CASCADE' ? ' ON DELETE CASCADE' : '';
    lines.push(`  CONSTRAINT ${fk.name} FOREIGN KEY (${fk.column}) REFERENCES ${fk.parent} (id)${onDelete}`);
  }
  for (const c of t.checks ?? []) {
    const sql = typeof c.sql === 'string' ? c.sql : c.sql[backend];
    lines.push(`  CONSTRAINT ${c.name} CHECK (${sql})`);
  }
  const strict = backend === 'sqlite' ? ' STRICT' : '';
  const stmts = [`CREATE TABLE ${t.name} (\n${lines.join(',\n')}\n)${strict}`];
  for (const ix of t.indexes ?? []) {
    const where = ix.where ? ` WHERE ${ix.where[backend]}` : '';
    stmts.push(`CREATE INDEX ${ix.name} ON ${t.name} (${ix.columns.join(', ')})${where}`);
  }
  return stmts;
}
