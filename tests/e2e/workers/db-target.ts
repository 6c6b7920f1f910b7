/** A fresh database location per test (random PostgreSQL schema or a new SQLite file), removed afterwards. */
import { consoleLogger, type Logger } from '@cloacina/runner';
import { dropSchema, postgresUrl, tempSqliteFile, uniqueSchemaName } from '../../support/databases.js';

export type Backend = 'postgres' | 'sqlite';

export interface DbTarget {
  backend: Backend;
  url: string;
  schema: string | undefined;
  /** Options every runner on this target gets: location and a small pool (max_connections is shared). */
  runnerOptions: { databaseUrl: string; schema?: string; dbPoolSize: number };
  cleanup(): Promise<void>;
}

export function newTarget(backend: Backend, prefix: string): DbTarget {
  if (backend === 'postgres') {
    const schema = uniqueSchemaName(prefix);
    const url = postgresUrl();
    return { backend, url, schema, runnerOptions: { databaseUrl: url, schema, dbPoolSize: 3 }, cleanup: () => dropSchema(schema) };
  }
  const file = tempSqliteFile(`${prefix}.db`);
  return { backend, url: file.url, schema: undefined, runnerOptions: { databaseUrl: file.url, dbPoolSize: 1 }, cleanup: async () => file.cleanup() };
}

export interface CapturedLog {
  level: 'warn' | 'error';
  msg: string;
  meta?: Record<string, unknown>;
}

/**
 * A logger that records warn and error entries (and prints them when CLOACINA_E2E_LOG=1), so a
 * test can assert that the runner had nothing to complain about.
 */
export function capturingLogger(): { logger: Logger; entries: CapturedLog[] } {
  const entries: CapturedLog[] = [];
  const print = process.env.CLOACINA_E2E_LOG === '1' ? consoleLogger('debug') : null;
  const logger: Logger = {
    debug: (msg, meta) => print?.debug(msg, meta),
    info: (msg, meta) => print?.info(msg, meta),
    warn: (msg, meta) => {
      entries.push({ level: 'warn', msg, meta });
      print?.warn(msg, meta);
    },
    error: (msg, meta) => {
      entries.push({ level: 'error', msg, meta });
      print?.error(msg, meta);
    },
  };
  return { logger, entries };
}
