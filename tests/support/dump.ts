/** A normalised dump of every table and the ledger, comparable across DALs and backends. */
import { ALL_TABLES, rowDecoder, type TableDef } from '@cloacina/core';
import type { RawDb } from './raw-db.js';

export type Normalised = null | boolean | number | string | Normalised[] | { [k: string]: Normalised };

/** Date → epoch ms, bytes → hex, objects with sorted keys; arrays keep their order. */
export function normalise(v: unknown): Normalised {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map(normalise);
  if (typeof v === 'object') {
    const out: { [k: string]: Normalised } = {};
    for (const k of Object.keys(v as object).sort()) out[k] = normalise((v as Record<string, unknown>)[k]);
    return out;
  }
  return v as Normalised;
}

export async function dumpTable(raw: RawDb, table: TableDef): Promise<Normalised[]> {
  const rows = await raw.query(`SELECT * FROM ${table.name} ORDER BY id`);
  const decode = rowDecoder<Record<string, unknown>>(table, raw.backend);
  return rows.map((r) => normalise(decode(r)));
}

export async function dumpDatabase(raw: RawDb): Promise<Record<string, Normalised[]>> {
  const out: Record<string, Normalised[]> = {};
  for (const t of ALL_TABLES) out[t.name] = await dumpTable(raw, t);
  out.cloacina_migrations = (await raw.query('SELECT version, name FROM cloacina_migrations ORDER BY version')).map((r) =>
    normalise({ version: Number(r.version), name: r.name }),
  );
  return out;
}
