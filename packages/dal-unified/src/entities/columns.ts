/**
 * Column building blocks of the entity set. An entity declares each column by its logical
 * type (01 §2) only; the concrete TypeORM column type and the value transformer are chosen
 * per backend when the DataSource is built, so one entity set serves both databases.
 *
 * The transformers are thin wrappers around core's codecs — the only code allowed to convert
 * between domain values and stored values — so this DAL writes exactly what the legacy DALs write.
 */
import type { ColumnType, EntitySchemaColumnOptions, ValueTransformer } from 'typeorm';
import {
  assertJsonValue,
  decodeValue,
  encodeBool,
  encodeJson,
  encodeTimestamp,
  parseUuid,
  toBuffer,
  toBytes,
  uuidToBytes,
  ValidationError,
  type Backend,
  type Logical,
} from '@cloacina/core';

export interface ColumnSpec {
  logical: Logical;
  nullable?: boolean;
  primary?: boolean;
}

const spec = (logical: Logical) => (opts: { nullable?: boolean; primary?: boolean } = {}): ColumnSpec => ({ logical, ...opts });

/** Column declarations by logical type: `col.uuid({ primary: true })`, `col.ts({ nullable: true })`. */
export const col = {
  uuid: spec('uuid'),
  ts: spec('ts'),
  bool: spec('bool'),
  json: spec('json'),
  bytes: spec('bytes'),
  int: spec('int'),
  text: spec('text'),
} as const;

/*
 * Storage types per backend. On PostgreSQL 'timestamptz' (not 'timestamp with time zone') and
 * 'integer' are used on purpose: TypeORM leaves those values to the transformer instead of
 * re-converting them, so the fixed ISO text of core's codec reaches the server unchanged.
 * 'jsonb' is stringified by TypeORM itself, so the PostgreSQL JSON transformer only validates.
 */
const COLUMN_TYPES: Record<Backend, Record<Logical, ColumnType>> = {
  postgres: { uuid: 'uuid', ts: 'timestamptz', bool: 'boolean', json: 'jsonb', bytes: 'bytea', int: 'integer', text: 'text' },
  sqlite: { uuid: 'blob', ts: 'text', bool: 'integer', json: 'text', bytes: 'blob', int: 'integer', text: 'text' },
};

function toStorage(logical: Logical, backend: Backend, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (logical) {
    case 'uuid':
      return backend === 'sqlite' ? uuidToBytes(value as string) : parseUuid(value);
    case 'ts':
      return encodeTimestamp(value as Date);
    case 'bool':
      if (typeof value !== 'boolean') throw new ValidationError('expected a boolean', { reason: 'InvalidBoolean' });
      return backend === 'sqlite' ? encodeBool(value) : value;
    case 'json':
      if (backend === 'sqlite') return encodeJson(value);
      assertJsonValue(value);
      return value;
    case 'bytes':
      return toBuffer(toBytes(value));
    default:
      return value;
  }
}

const transformerCache = new Map<string, ValueTransformer>();

/** The value transformer of one logical type on one backend (core codecs in both directions). */
export function transformer(logical: Logical, backend: Backend): ValueTransformer {
  const key = `${backend}:${logical}`;
  let t = transformerCache.get(key);
  if (!t) {
    t = {
      to: (value: unknown) => toStorage(logical, backend, value),
      from: (raw: unknown) => (raw === null || raw === undefined ? null : decodeValue(logical, backend, raw)),
    };
    transformerCache.set(key, t);
  }
  return t;
}

/** snake_case column name of a camelCase property (01 §1: the mapping is mechanical). */
export function columnName(property: string): string {
  return property.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The TypeORM column options of one declared column on one backend. */
export function columnOptions(property: string, c: ColumnSpec, backend: Backend): EntitySchemaColumnOptions {
  return {
    name: columnName(property),
    type: COLUMN_TYPES[backend][c.logical],
    primary: c.primary === true,
    nullable: c.nullable === true,
    transformer: transformer(c.logical, backend),
  };
}
