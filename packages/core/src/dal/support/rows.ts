import { bytesToUuid, uuidToBytes } from '../../codecs/uuid.js';
import { decodeTimestamp, encodeTimestamp } from '../../codecs/timestamp.js';
import { decodeBool, decodeJson, encodeBool, encodeJson, toBuffer } from '../../codecs/scalars.js';
import { DatabaseError } from '../../errors/index.js';
import type { Logical, TableDef } from '../../schema/tables.js';
import type { SqlBackend } from '../../schema/ddl.js';

/** snake_case → camelCase, the only mapping between columns and record fields (01 §1). */
export function camelCase(column: string): string {
  return column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Domain value → the driver parameter for one backend (null stays null). */
export function encodeValue(type: Logical, backend: SqlBackend, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'uuid':
      return backend === 'sqlite' ? uuidToBytes(value as string) : (value as string);
    case 'ts':
      // Both backends get the fixed ISO form; PostgreSQL parses it as an absolute instant.
      return encodeTimestamp(value as Date);
    case 'bool':
      return backend === 'sqlite' ? encodeBool(value as boolean) : value;
    case 'json':
      return encodeJson(value);
    case 'bytes':
      return toBuffer(value as Uint8Array);
    default:
      return value;
  }
}

/** Driver value → domain value for one backend. */
export function decodeValue(type: Logical, backend: SqlBackend, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  switch (type) {
    case 'uuid':
      return backend === 'sqlite' ? bytesToUuid(raw as Uint8Array) : String(raw).toLowerCase();
    case 'ts':
      if (backend === 'sqlite') return decodeTimestamp(raw);
      return raw instanceof Date ? new Date(raw.getTime()) : new Date(String(raw));
    case 'bool':
      return backend === 'sqlite' ? decodeBool(raw) : Boolean(raw);
    case 'json':
      return typeof raw === 'string' ? decodeJson(raw, backend) : raw;
    case 'bytes': {
      const b = raw as Uint8Array;
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    }
    case 'int': {
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw new DatabaseError(`stored integer is not safe: ${String(raw)}`, { backend, dbCode: 'CORRUPT_VALUE' });
      return n;
    }
    default:
      return raw;
  }
}

/**
 * Builds a decoder from raw snake_case rows to plain camelCase records for one table.
 * Columns missing from the raw row are left out, so partial selects work too.
 */
export function rowDecoder<R>(table: TableDef, backend: SqlBackend): (raw: Record<string, unknown>) => R {
  const cols = table.columns.map((c) => ({ name: c.name, field: camelCase(c.name), type: c.type }));
  return (raw) => {
    const out: Record<string, unknown> = {};
    for (const c of cols) {
      if (c.name in raw) out[c.field] = decodeValue(c.type, backend, raw[c.name]);
    }
    return out as R;
  };
}

/** Encodes a camelCase record (or partial) to the ordered column list and parameter values. */
export function rowEncoder(table: TableDef, backend: SqlBackend) {
  const cols = table.columns.map((c) => ({ name: c.name, field: camelCase(c.name), type: c.type }));
  return (record: Record<string, unknown>): { columns: string[]; values: unknown[] } => {
    const columns: string[] = [];
    const values: unknown[] = [];
    for (const c of cols) {
      if (c.field in record) {
        columns.push(c.name);
        values.push(encodeValue(c.type, backend, record[c.field]));
      }
    }
    return { columns, values };
  };
}
