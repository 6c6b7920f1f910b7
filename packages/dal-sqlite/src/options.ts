/** Option validation for createSqliteDal (02 §2.1) and the signal key of a database. */
import {
  ConfigurationError,
  detectBackend,
  isMemoryTarget,
  newId,
  SQLITE_SCHEMA_MESSAGE,
  type BackendTarget,
  type DalOptions,
  type Logger,
  type SqliteSynchronous,
} from '@cloacina/core';
import type { OpenSpec } from './connection.js';

const SYNCHRONOUS: readonly SqliteSynchronous[] = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];
const DEFAULT_TIMEOUT_MS = 30_000;

export interface ResolvedOptions {
  target: Extract<BackendTarget, { backend: 'sqlite' }>;
  spec: OpenSpec;
  poolSize: number;
  acquireTimeoutMs: number;
  runnerId: string | null;
  clock: () => Date;
  idGenerator: () => string;
  logger: Logger | undefined;
}

function nonNegative(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new ConfigurationError(`${name} must be a non-negative number of milliseconds; got ${String(v)}`);
  }
  return v;
}

export function resolveOptions(options: DalOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('createSqliteDal needs an options object');
  const target = detectBackend(options.url);
  if (target.backend !== 'sqlite') throw new ConfigurationError('dal-sqlite cannot open a PostgreSQL URL');
  if (options.schema !== undefined && options.schema !== null) throw new ConfigurationError(SQLITE_SCHEMA_MESSAGE);
  const memory = isMemoryTarget(target);

  const poolSize = options.poolSize ?? 1;
  if (typeof poolSize !== 'number' || !Number.isSafeInteger(poolSize) || poolSize < 1) {
    throw new ConfigurationError(`poolSize must be an integer >= 1; got ${String(options.poolSize)}`);
  }
  if (memory && poolSize > 1) {
    throw new ConfigurationError(`an in-memory SQLite database has exactly one connection; poolSize ${poolSize} is not possible`);
  }
  const acquireTimeoutMs = nonNegative(options.acquireTimeoutMs, 'acquireTimeoutMs', DEFAULT_TIMEOUT_MS);
  const busyTimeoutMs = Math.trunc(nonNegative(options.sqlite?.busyTimeoutMs, 'sqlite.busyTimeoutMs', DEFAULT_TIMEOUT_MS));
  if (busyTimeoutMs > 2_147_483_647) throw new ConfigurationError('sqlite.busyTimeoutMs is too large');
  const synchronous = options.sqlite?.synchronous ?? 'NORMAL';
  if (!SYNCHRONOUS.includes(synchronous)) {
    throw new ConfigurationError(`sqlite.synchronous must be one of ${SYNCHRONOUS.join(', ')}; got ${String(synchronous)}`);
  }
  const runnerId = options.runnerId ?? null;
  if (runnerId !== null && (typeof runnerId !== 'string' || runnerId.length === 0)) {
    throw new ConfigurationError('runnerId must be a non-empty string');
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') throw new ConfigurationError('clock must be a function');
  if (options.idGenerator !== undefined && typeof options.idGenerator !== 'function') {
    throw new ConfigurationError('idGenerator must be a function');
  }

  return {
    target,
    spec: { filename: target.filename, uri: target.uri, memory, busyTimeoutMs, synchronous, readOnly: false },
    poolSize,
    acquireTimeoutMs,
    runnerId,
    clock: options.clock ?? (() => new Date()),
    idGenerator: options.idGenerator ?? newId,
    logger: options.logger,
  };
}
