import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import type { DataSource, EntitySchema } from 'typeorm';
import type {
  ContextRecord,
  CronExecution,
  CronSchedule,
  ExecutionEvent,
  PipelineExecution,
  RecoveryEvent,
  TaskExecution,
  TaskExecutionMetadata,
  WorkflowPackage,
  WorkflowRegistryEntry,
} from '@cloacina/core';
import type { EntityKey, EntitySchemas } from '../entities/index.js';
import type { Raw } from './session.js';

interface Column {
  db: string;
  prop: string;
  meta: ColumnMetadata;
}

/**
 * One table as the raw-SQL paths see it, derived from the TypeORM entity metadata: values are
 * encoded and decoded with the driver's own conversion plus the entity's column transformer,
 * exactly as TypeORM does for the query builder, so both paths store identical values.
 */
export class TableIO<R> {
  readonly name: string;
  /** Column names in entity order, comma separated (for INSERT and SELECT lists). */
  readonly columnList: string;
  readonly columns: readonly Column[];
  private readonly byProp = new Map<string, Column>();

  constructor(
    private readonly ds: DataSource,
    readonly entity: EntitySchema<Record<string, unknown>>,
  ) {
    const meta = ds.getMetadata(entity);
    this.name = meta.tableName;
    this.columns = meta.columns.map((c) => ({ db: c.databaseName, prop: c.propertyName, meta: c }));
    for (const c of this.columns) this.byProp.set(c.prop, c);
    this.columnList = this.columns.map((c) => c.db).join(', ');
  }

  /** "alias.col, alias.col2, …" for joins. */
  prefixed(alias: string): string {
    return this.columns.map((c) => `${alias}.${c.db}`).join(', ');
  }

  /** Encodes one domain value of property `prop` as a statement parameter. */
  enc(prop: string, value: unknown): unknown {
    const c = this.byProp.get(prop);
    if (!c) throw new Error(`unknown column ${this.name}.${prop}`);
    return this.ds.driver.preparePersistentValue(value, c.meta);
  }

  /** Decodes one raw value of property `prop`. */
  dec(prop: string, raw: unknown): unknown {
    const c = this.byProp.get(prop);
    if (!c) throw new Error(`unknown column ${this.name}.${prop}`);
    return this.ds.driver.prepareHydratedValue(raw, c.meta);
  }

  /** Encodes a full record as the ordered parameter list of an INSERT (missing fields → NULL). */
  row(record: object): unknown[] {
    const r = record as Readonly<Record<string, unknown>>;
    return this.columns.map((c) => this.ds.driver.preparePersistentValue(r[c.prop] ?? null, c.meta));
  }

  /** Decodes a raw row (keyed by column name) into a plain record; absent columns are left out. */
  decode(raw: Raw): R {
    const out: Record<string, unknown> = {};
    for (const c of this.columns) {
      if (c.db in raw) out[c.prop] = this.ds.driver.prepareHydratedValue(raw[c.db], c.meta);
    }
    return out as R;
  }
}

export interface Tables {
  contexts: TableIO<ContextRecord>;
  pipelines: TableIO<PipelineExecution>;
  tasks: TableIO<TaskExecution>;
  metadata: TableIO<TaskExecutionMetadata>;
  recoveryEvents: TableIO<RecoveryEvent>;
  executionEvents: TableIO<ExecutionEvent>;
  cronSchedules: TableIO<CronSchedule>;
  cronExecutions: TableIO<CronExecution>;
  registry: TableIO<WorkflowRegistryEntry>;
  packages: TableIO<WorkflowPackage>;
}

export function buildTables(ds: DataSource, entities: EntitySchemas): Tables {
  const out = {} as Record<EntityKey, TableIO<unknown>>;
  for (const key of Object.keys(entities) as EntityKey[]) out[key] = new TableIO(ds, entities[key]);
  return out as unknown as Tables;
}

/**
 * Parameter encoders and value decoders by logical type, taken from representative entity
 * columns (so they are the entity transformers, not a second conversion path).
 */
export interface Params {
  uuid(v: string | null): unknown;
  ts(v: Date | null): unknown;
  json(v: unknown): unknown;
  bool(v: boolean): unknown;
  uuidOf(raw: unknown): string;
  tsOf(raw: unknown): Date;
  jsonOf<T = unknown>(raw: unknown): T;
}

export function buildParams(t: Tables): Params {
  return {
    uuid: (v) => t.contexts.enc('id', v),
    ts: (v) => t.contexts.enc('createdAt', v),
    json: (v) => t.contexts.enc('value', v),
    bool: (v) => t.cronSchedules.enc('enabled', v),
    uuidOf: (raw) => t.contexts.dec('id', raw) as string,
    tsOf: (raw) => t.contexts.dec('createdAt', raw) as Date,
    jsonOf: <T>(raw: unknown) => t.contexts.dec('value', raw) as T,
  };
}

/** Counts come back as numbers (SQLite) or bigint strings (PostgreSQL). */
export function toCount(raw: unknown): number {
  return raw === null || raw === undefined ? 0 : Number(raw);
}
