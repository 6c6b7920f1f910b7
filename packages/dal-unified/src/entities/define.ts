import { EntitySchema } from 'typeorm';
import type { Backend } from '@cloacina/core';
import { columnOptions, type ColumnSpec } from './columns.js';

/** A backend-neutral entity declaration: table name and logical column types. */
export interface EntityDef {
  readonly name: string;
  readonly table: string;
  readonly columns: Readonly<Record<string, ColumnSpec>>;
}

export function defineEntity(name: string, table: string, columns: Record<string, ColumnSpec>): EntityDef {
  return { name, table, columns };
}

/** Materialises a declaration as a TypeORM EntitySchema for one backend. */
export function buildEntitySchema(def: EntityDef, backend: Backend): EntitySchema<Record<string, unknown>> {
  return new EntitySchema<Record<string, unknown>>({
    name: def.name,
    tableName: def.table,
    columns: Object.fromEntries(Object.entries(def.columns).map(([prop, c]) => [prop, columnOptions(prop, c, backend)])),
  });
}
