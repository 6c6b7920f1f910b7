import { randomUUID } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import { ConfigurationError, maskUrlPasswords, ValidationError } from '../errors/index.js';

export type BackendTarget =
  | { backend: 'postgres'; url: string; masked: string }
  | { backend: 'sqlite'; kind: 'memory'; filename: ':memory:'; uri: false; masked: string }
  | { backend: 'sqlite'; kind: 'file'; filename: string; uri: boolean; memory: boolean; masked: string };

const EXPECTED =
  'expected postgres://, postgresql://, sqlite://PATH, sqlite::memory:, file:… or a path ending in .db, .sqlite or .sqlite3';

/** Decides the backend from a connection URL (02 §2.2). Throws only ConfigurationError. */
export function detectBackend(url: unknown): BackendTarget {
  if (typeof url !== 'string' || url.length === 0) throw new ConfigurationError('Database URL is required');
  const masked = maskUrlPasswords(url);
  const unrecognised = () => new ConfigurationError(`Unrecognised database URL '${masked}': ${EXPECTED}`);
  const lower = url.toLowerCase();
  if (lower.startsWith('postgres://') || lower.startsWith('postgresql://')) return { backend: 'postgres', url, masked };
  if (url === 'sqlite::memory:') return { backend: 'sqlite', kind: 'memory', filename: ':memory:', uri: false, masked };
  if (lower.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length);
    if (path.includes('?')) throw new ConfigurationError(`Unrecognised database URL '${masked}': a '?' is not allowed in sqlite:// URLs`);
    if (path.length === 0) throw unrecognised();
    return { backend: 'sqlite', kind: 'file', filename: path, uri: false, memory: false, masked };
  }
  if (lower.startsWith('file:')) {
    const memory = /[?&]mode=memory(&|$)/.test(url) || url.startsWith('file::memory:');
    return { backend: 'sqlite', kind: 'file', filename: url, uri: true, memory, masked };
  }
  if (/\.(db|sqlite|sqlite3)$/i.test(url) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    return { backend: 'sqlite', kind: 'file', filename: url, uri: false, memory: false, masked };
  }
  throw unrecognised();
}

/** True for targets that live only in memory (pool size must be 1, no WAL). */
export function isMemoryTarget(t: BackendTarget): boolean {
  return t.backend === 'sqlite' && (t.kind === 'memory' || t.memory);
}

export const SQLITE_SCHEMA_MESSAGE =
  'Schema isolation is only supported with PostgreSQL. For SQLite multi-tenancy, use separate database files instead.';

const RESERVED = new Set(['public', 'information_schema']);

/** Tenant schema / role name rules of 01 §10; ValidationError with a `reason`. */
export function validateSchemaName(name: unknown, field = 'schema'): string {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name, 'utf8') > 63) {
    throw new ValidationError(`Invalid ${field} name ${JSON.stringify(name)}: must be 1-63 bytes long`, { field, reason: 'InvalidLength' });
  }
  if (!/^[A-Za-z_]/.test(name)) {
    throw new ValidationError(`Invalid ${field} name '${name}': must start with an ASCII letter or '_'`, { field, reason: 'InvalidStart' });
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new ValidationError(`Invalid ${field} name '${name}': only ASCII letters, digits and '_' are allowed`, {
      field,
      reason: 'InvalidCharacters',
    });
  }
  const lower = name.toLowerCase();
  if (RESERVED.has(lower) || lower.startsWith('pg_')) {
    throw new ValidationError(`Invalid ${field} name '${name}': '${name}' is reserved`, { field, reason: 'ReservedName' });
  }
  return name;
}

/** Double-quotes an identifier for PostgreSQL (names are validated first; this is defence in depth). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Key under which DAL instances of one process share local signals (02 §2.5): the same
 * PostgreSQL database and schema, or the same resolved SQLite file, whatever the implementation.
 * An in-memory SQLite database is private, so it gets a key of its own.
 */
export function signalChannelKey(target: BackendTarget, schema: string | null): string {
  if (target.backend === 'postgres') {
    const u = new URL(target.url);
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
    return `postgres://${u.hostname || 'localhost'}:${u.port || '5432'}/${database}#${schema ?? 'public'}`;
  }
  if (isMemoryTarget(target)) return `sqlite-memory:${randomUUID()}`;
  return resolvePath(target.uri ? sqliteUriPath(target.filename) : target.filename);
}

/** The file path of a SQLite `file:` URI: no query or fragment, no authority, percent-decoded. */
export function sqliteUriPath(uri: string): string {
  let rest = uri.slice('file:'.length).replace(/[?#].*$/s, '');
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}
