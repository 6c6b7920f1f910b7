import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, ConstraintError, DatabaseError } from '@cloacina/core';
import { Connection } from '../connection.js';
import { mapSqliteError } from '../errors.js';

describe('connection pragmas', () => {
  it('sets busy_timeout, WAL, foreign_keys and synchronous before anything else', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cloacina-sqlite-'));
    const conn = await Connection.open({
      filename: path.join(dir, 'p.db'),
      uri: false,
      memory: false,
      busyTimeoutMs: 4321,
      synchronous: 'EXTRA',
      readOnly: false,
    });
    try {
      expect(await conn.get('PRAGMA busy_timeout')).toEqual({ timeout: 4321 });
      expect(await conn.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
      expect(await conn.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 });
      expect(await conn.get('PRAGMA synchronous')).toEqual({ synchronous: 3 });
    } finally {
      await conn.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('skips WAL for in-memory databases', async () => {
    const conn = await Connection.open({ filename: ':memory:', uri: false, memory: true, busyTimeoutMs: 10, synchronous: 'NORMAL', readOnly: false });
    try {
      expect(await conn.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'memory' });
      expect(await conn.get('PRAGMA synchronous')).toEqual({ synchronous: 1 });
    } finally {
      await conn.close();
    }
  });

  it('fails fast with DatabaseError when the file cannot be opened', async () => {
    const err = await Connection.open({
      filename: '/nonexistent-dir/x/y.db',
      uri: false,
      memory: false,
      busyTimeoutMs: 10,
      synchronous: 'NORMAL',
      readOnly: false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err).toMatchObject({ dbCode: 'SQLITE_CANTOPEN' });
    expect(err).not.toBeInstanceOf(ConfigurationError);
  });
});

describe('driver error mapping', () => {
  const driver = (code: string, message: string) => Object.assign(new Error(`${code}: ${message}`), { code });

  it('maps constraint kinds and names', () => {
    const cases: [string, string, string | undefined][] = [
      ['UNIQUE constraint failed: task_executions.pipeline_execution_id, task_executions.task_name', 'unique', 'task_executions_pipeline_task_key'],
      ['UNIQUE constraint failed: contexts.id', 'unique', 'contexts_pkey'],
      ['FOREIGN KEY constraint failed', 'foreign_key', undefined],
      ['CHECK constraint failed: task_executions_lease_check', 'check', 'task_executions_lease_check'],
      ['NOT NULL constraint failed: contexts.value', 'not_null', 'contexts.value'],
    ];
    for (const [message, kind, constraint] of cases) {
      const mapped = mapSqliteError(driver('SQLITE_CONSTRAINT', message));
      expect(mapped).toBeInstanceOf(ConstraintError);
      expect(mapped).toMatchObject({ kind, constraint, backend: 'sqlite', dbCode: 'SQLITE_CONSTRAINT' });
    }
  });

  it('marks busy and locked as transient', () => {
    expect(mapSqliteError(driver('SQLITE_BUSY', 'database is locked'))).toMatchObject({ transient: true, dbCode: 'SQLITE_BUSY' });
    expect(mapSqliteError(driver('SQLITE_LOCKED', 'database table is locked'))).toMatchObject({ transient: true });
    expect(mapSqliteError(driver('SQLITE_ERROR', 'no such table: x'))).toMatchObject({ transient: false, dbCode: 'SQLITE_ERROR' });
  });
});
