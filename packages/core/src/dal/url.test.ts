import { describe, expect, it } from 'vitest';
import { detectBackend, signalChannelKey, validateSchemaName } from './url.js';
import { ConfigurationError, ValidationError } from '../errors/index.js';

describe('detectBackend (02 §2.2)', () => {
  it.each([
    ['postgres://u@h:5432/db', 'postgres'],
    ['postgresql://u@h/db', 'postgres'],
    ['POSTGRES://u@h/db', 'postgres'],
  ])('%s → PostgreSQL, URL passed through', (url, backend) => {
    const t = detectBackend(url);
    expect(t.backend).toBe(backend);
    expect(t.backend === 'postgres' && t.url).toBe(url);
  });

  it.each([
    ['sqlite::memory:', { kind: 'memory', filename: ':memory:' }],
    ['sqlite:///abs/x.db', { kind: 'file', filename: '/abs/x.db', uri: false }],
    ['sqlite://x.db', { kind: 'file', filename: 'x.db', uri: false }],
    ['file:x.db?mode=ro', { kind: 'file', filename: 'file:x.db?mode=ro', uri: true, memory: false }],
    ['file:mem1?mode=memory&cache=shared', { kind: 'file', uri: true, memory: true }],
    ['data/app.sqlite', { kind: 'file', filename: 'data/app.sqlite' }],
    ['/var/lib/app.sqlite3', { kind: 'file', filename: '/var/lib/app.sqlite3' }],
    ['./x.DB', { kind: 'file', filename: './x.DB' }],
  ])('%s → SQLite', (url, expected) => {
    expect(detectBackend(url)).toMatchObject({ backend: 'sqlite', ...expected });
  });

  it('refuses a ? in a sqlite:// URL', () => {
    expect(() => detectBackend('sqlite://x.db?mode=ro')).toThrow(ConfigurationError);
  });

  it.each(['mysql://u:p@h/db', 'x.txt', 'http://h/x.db', 'sqlite:', ''])('refuses %j with the list of accepted forms', (url) => {
    expect(() => detectBackend(url)).toThrow(ConfigurationError);
    if (url) {
      expect(() => detectBackend(url)).toThrow(
        /expected postgres:\/\/, postgresql:\/\/, sqlite:\/\/PATH, sqlite::memory:, file:… or a path ending in \.db, \.sqlite or \.sqlite3/,
      );
    }
  });

  it('masks the password of an unrecognised URL', () => {
    try {
      detectBackend('mysql://admin:hunter2@db.example/app');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain("Unrecognised database URL 'mysql://admin:****@db.example/app'");
      expect((e as Error).message).not.toContain('hunter2');
    }
  });
});

describe('validateSchemaName (01 §10)', () => {
  it.each([
    ['', 'InvalidLength'],
    ['a'.repeat(64), 'InvalidLength'],
    ['1tenant', 'InvalidStart'],
    ['-x', 'InvalidStart'],
    ['a;drop schema public', 'InvalidCharacters'],
    ['tenant-a', 'InvalidCharacters'],
    ['tenänt', 'InvalidCharacters'],
    ['public', 'ReservedName'],
    ['PUBLIC', 'ReservedName'],
    ['information_schema', 'ReservedName'],
    ['pg_catalog', 'ReservedName'],
    ['Pg_temp1', 'ReservedName'],
  ])('%j → ValidationError %s', (name, reason) => {
    try {
      validateSchemaName(name);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).reason).toBe(reason);
    }
  });

  it.each(['tenant_a', '_x', 'A1', 'a'.repeat(63)])('accepts %j unchanged', (name) => {
    expect(validateSchemaName(name)).toBe(name);
  });
});

describe('signalChannelKey', () => {
  it('is the same for every URL spelling of one PostgreSQL database and schema', () => {
    const a = signalChannelKey(detectBackend('postgres://u:p@127.0.0.1/test'), 't1');
    const b = signalChannelKey(detectBackend('postgresql://other@127.0.0.1:5432/test'), 't1');
    expect(a).toBe(b);
    expect(signalChannelKey(detectBackend('postgres://u@127.0.0.1/test'), 't2')).not.toBe(a);
  });

  it('resolves SQLite paths and keeps in-memory databases private', () => {
    expect(signalChannelKey(detectBackend('sqlite://x.db'), null)).toBe(`${process.cwd()}/x.db`);
    expect(signalChannelKey(detectBackend('file:///tmp/a%20b.db?mode=rwc'), null)).toBe('/tmp/a b.db');
    const m = detectBackend('sqlite::memory:');
    expect(signalChannelKey(m, null)).not.toBe(signalChannelKey(m, null));
  });
});
