import { describe, expect, it } from 'vitest';
import { assertLedgerNotNewer, MIGRATIONS, migrationAction, migrationLockKey, ALL_TABLES } from './index.js';
import { ConfigurationError } from '../errors/index.js';

describe('migrations as data (01 §8)', () => {
  it('lists versions 1..5 with the spec names, the same on both backends', () => {
    expect(MIGRATIONS.map((m) => [m.version, m.name])).toEqual([
      [1, 'create_contexts'],
      [2, 'create_execution_tables'],
      [3, 'create_execution_events'],
      [4, 'create_cron_tables'],
      [5, 'create_workflow_registry_tables'],
    ]);
    for (const m of MIGRATIONS) expect(m.statements.postgres.length).toBe(m.statements.sqlite.length);
  });

  it('creates all ten tables, each exactly once', () => {
    const created = MIGRATIONS.flatMap((m) => m.statements.sqlite)
      .map((s) => /^CREATE TABLE (\w+)/.exec(s)?.[1])
      .filter(Boolean);
    expect(created.sort()).toEqual(ALL_TABLES.map((t) => t.name).sort());
  });

  it('declares every SQLite table STRICT and every PostgreSQL text column with the C collation', () => {
    for (const s of MIGRATIONS.flatMap((m) => m.statements.sqlite).filter((s) => s.startsWith('CREATE TABLE'))) {
      expect(s.endsWith(') STRICT')).toBe(true);
    }
    const pg = MIGRATIONS.flatMap((m) => m.statements.postgres).join('\n');
    expect(pg).not.toMatch(/ text(?! COLLATE "C")/);
  });

  it('skips recorded versions, applies missing ones and refuses a renamed one', () => {
    const m1 = MIGRATIONS[0]!;
    expect(migrationAction(m1, [])).toBe('apply');
    expect(migrationAction(m1, [{ version: 1, name: 'create_contexts' }])).toBe('skip');
    expect(() => migrationAction(m1, [{ version: 1, name: 'renamed' }])).toThrow(
      "migration 1 is 'renamed' in the database but 'create_contexts' in this library",
    );
  });

  it('refuses a ledger from a newer library', () => {
    expect(() => assertLedgerNotNewer([{ version: 6, name: 'future' }])).toThrow(ConfigurationError);
    expect(() => assertLedgerNotNewer([{ version: 6, name: 'future' }])).toThrow(
      'database schema version 6 is newer than this library supports (5)',
    );
    expect(() => assertLedgerNotNewer([{ version: 5, name: 'create_workflow_registry_tables' }])).not.toThrow();
  });

  it('derives a stable signed 64-bit advisory lock key per schema', () => {
    const k = migrationLockKey(null);
    expect(k).toBe(migrationLockKey('public'));
    expect(k).not.toBe(migrationLockKey('tenant_a'));
    const n = BigInt(k);
    expect(n >= -(2n ** 63n) && n < 2n ** 63n).toBe(true);
  });
});
