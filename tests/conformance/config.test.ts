/**
 * URL detection and factory configuration (02 §2.1, §2.2, §2.3, 01 §10, 02 §9 "URL & config"):
 * every row of the detection table, factories opening each accepted URL form, the spec's
 * messages, schema-name rules with their reasons, and no password in any error.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, DatabaseError, detectBackend, isMemoryTarget, validateSchemaName, ValidationError, type Dal } from '@cloacina/core';
import { selectedCombos, type DalCombo } from '../support/dal-combos.js';
import { dropSchema, postgresUrl, tempDir, uniqueSchemaName } from '../support/databases.js';
import { errorTexts, expectError } from '../support/core-areas.js';

const EXPECTED =
  'expected postgres://, postgresql://, sqlite://PATH, sqlite::memory:, file:… or a path ending in .db, .sqlite or .sqlite3';
const unrecognised = (url: string) => `Unrecognised database URL '${url}': ${EXPECTED}`;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The spec message for a URL whose password must be masked (the mask itself is not specified). */
const maskedMessage = (before: string, after: string) => new RegExp(`^${escape(`Unrecognised database URL '${before}`)}[^']*${escape(`${after}': ${EXPECTED}`)}$`);
const SQLITE_SCHEMA = 'Schema isolation is only supported with PostgreSQL. For SQLite multi-tenancy, use separate database files instead.';

describe('core detectBackend (02 §2.2)', () => {
  it.each([
    ['postgres://postgres@127.0.0.1:5432/test'],
    ['postgresql://user:pw@db.example.com/app?sslmode=disable'],
  ])('%s → PostgreSQL', (url) => {
    expect(detectBackend(url).backend).toBe('postgres');
  });

  it('sqlite::memory: → a private in-memory SQLite database', () => {
    const t = detectBackend('sqlite::memory:');
    expect(t.backend).toBe('sqlite');
    expect(isMemoryTarget(t)).toBe(true);
  });

  it.each([
    ['sqlite:///abs/x.db', '/abs/x.db'],
    ['sqlite://x.db', 'x.db'],
    ['sqlite://rel/dir/data.sqlite', 'rel/dir/data.sqlite'],
  ])('%s → SQLite file %s (PATH verbatim)', (url, path) => {
    const t = detectBackend(url);
    expect(t).toMatchObject({ backend: 'sqlite', filename: path });
    expect(isMemoryTarget(t)).toBe(false);
  });

  it('a ? in a sqlite:// URL is a ConfigurationError', () => {
    expect(() => detectBackend('sqlite://x.db?mode=ro')).toThrow(ConfigurationError);
  });

  it.each([
    ['file:data.db?mode=ro', false],
    ['file:///tmp/x.db', false],
    ['file:memdb1?mode=memory&cache=shared', true],
  ])('%s → SQLite URI filename (memory: %s)', (url, memory) => {
    const t = detectBackend(url);
    expect(t).toMatchObject({ backend: 'sqlite', filename: url, uri: true });
    expect(isMemoryTarget(t)).toBe(memory);
  });

  it.each([['/var/lib/app/data.db'], ['data.sqlite'], ['./nested/dir/x.sqlite3'], ['C.DB']])('plain path %s → that SQLite file', (path) => {
    expect(detectBackend(path)).toMatchObject({ backend: 'sqlite', filename: path });
  });

  it.each([['mysql://localhost/db'], ['data.txt'], ['x.db.bak'], ['redis://cache:6379'], ['sqlite:'], ['postgres:/missing-slash']])(
    '%s → ConfigurationError with the spec message',
    (url) => {
      let err: unknown;
      try {
        detectBackend(url);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as ConfigurationError).code).toBe('CONFIGURATION');
      expect((err as Error).message).toBe(unrecognised(url));
    },
  );

  it('an empty URL is a ConfigurationError', () => {
    // Decision: the empty string is "anything else"; only the class is asserted (a clearer message is fine).
    expect(() => detectBackend('')).toThrow(ConfigurationError);
  });

  it('the password of an unrecognised URL is masked in the message', () => {
    let err: unknown;
    try {
      detectBackend('mysql://admin:s3cr3t-pw@db.example.com:3306/app');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(errorTexts(err)).not.toContain('s3cr3t-pw');
    expect((err as Error).message).toMatch(maskedMessage('mysql://admin:', '@db.example.com:3306/app'));
  });

  it('never throws anything but ConfigurationError, and never echoes a password (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          detectBackend(s);
        } catch (e) {
          return e instanceof ConfigurationError;
        }
        return true;
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{2,8}$/), fc.stringMatching(/^[A-Za-z0-9]{8,16}$/), (scheme, pw) => {
        fc.pre(!['postgres', 'postgresql', 'sqlite', 'file'].includes(scheme));
        try {
          detectBackend(`${scheme}://user:${pw}@host:1/db`);
          return false;
        } catch (e) {
          return e instanceof ConfigurationError && !errorTexts(e).includes(pw);
        }
      }),
    );
  });
});

describe('schema-name rules (01 §10) via core validateSchemaName', () => {
  // Decision: when several rules fail, the first in the spec's table order wins (length, start, characters, reserved).
  const cases: [string, string][] = [
    ['', 'InvalidLength'],
    ['a'.repeat(64), 'InvalidLength'],
    ['1tenant', 'InvalidStart'],
    ['9', 'InvalidStart'],
    ['ätenant', 'InvalidStart'],
    ['a;drop schema public', 'InvalidCharacters'],
    ['tenant-a', 'InvalidCharacters'],
    ['tenant a', 'InvalidCharacters'],
    ['tenant"a', 'InvalidCharacters'],
    ['tenant.a', 'InvalidCharacters'],
    ['tenantä', 'InvalidCharacters'],
    ['public', 'ReservedName'],
    ['PUBLIC', 'ReservedName'],
    ['Information_Schema', 'ReservedName'],
    ['pg_catalog', 'ReservedName'],
    ['pg_toast', 'ReservedName'],
    ['pg_temp_3', 'ReservedName'],
    ['PG_anything', 'ReservedName'],
  ];
  it.each(cases)('%j → ValidationError %s', (name, reason) => {
    let err: unknown;
    try {
      validateSchemaName(name);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ code: 'VALIDATION', reason });
  });

  it.each([['a'.repeat(63)], ['_'], ['Tenant_01'], ['pg'], ['pgx_tenant'], ['_public'], ['publicity']])('%j is valid', (name) => {
    expect(validateSchemaName(name)).toBe(name);
  });
});

// ------------------------------------------------------------------ factories

const combos = selectedCombos();
const withScheme = (scheme: string) => postgresUrl().replace(/^[a-z]+:/, `${scheme}:`);

describe.each(combos)('$name factory', (combo) => {
  const opened: Dal[] = [];
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const d of opened.splice(0)) await d.close().catch(() => undefined);
    for (const c of cleanups.splice(0)) await c();
  });
  const open = async (opts: Parameters<DalCombo['create']>[0]) => {
    const dal = await combo.create(opts);
    opened.push(dal);
    return dal;
  };

  it('an unrecognised URL is a ConfigurationError with the spec message and the password masked', async () => {
    const e = await expectError(() => combo.create({ url: 'mysql://user:secret@127.0.0.1/x' }), ConfigurationError, {}, 'mysql');
    expect(errorTexts(e)).not.toContain('secret');
    expect(e.message).toMatch(maskedMessage('mysql://user:', '@127.0.0.1/x'));
    await expectError(() => combo.create({ url: 'data.txt' }), ConfigurationError, { message: unrecognised('data.txt') }, 'data.txt');
  });

  if (combo.backend === 'postgres') {
    it.each([['postgres'], ['postgresql']])('opens a %s:// URL and works after migrate()', async (scheme) => {
      const schema = uniqueSchemaName('cfg');
      cleanups.push(() => dropSchema(schema));
      const dal = await open({ url: withScheme(scheme), schema, poolSize: 2 });
      expect([dal.backend, dal.implementation, dal.schema]).toEqual(['postgres', combo.implementation, schema]);
      await dal.migrate();
      const id = (await dal.context.create({ scheme }))!;
      expect(await dal.context.read(id)).toEqual({ scheme });
    });

    it.each([
      ['', 'InvalidLength'],
      ['1abc', 'InvalidStart'],
      ['a;drop schema public', 'InvalidCharacters'],
      ['public', 'ReservedName'],
      ['pg_catalog', 'ReservedName'],
    ])('schema %j → ValidationError %s before any connection is made', async (schema, reason) => {
      // Port 1 refuses connections: reaching the server first would give a DatabaseError instead.
      await expectError(() => combo.create({ url: 'postgres://user:secret@127.0.0.1:1/x', schema }), ValidationError, { reason }, schema);
    });

    it('an unreachable server fails fast with a DatabaseError that never shows the password', async () => {
      const e = await expectError(() => combo.create({ url: 'postgres://user:secret@127.0.0.1:1/x', poolSize: 1 }), DatabaseError, { backend: 'postgres' });
      expect(errorTexts(e)).not.toContain('secret');
    });

    it('a missing database is a DatabaseError (3D000) without the password', async () => {
      const url = postgresUrl().replace(/\/\/([^@/]*)@/, '//postgres:secret@').replace(/\/[^/?]*(\?|$)/, '/cloacina_no_such_db$1');
      const e = await expectError(() => combo.create({ url, poolSize: 1 }), DatabaseError, { backend: 'postgres', dbCode: '3D000' });
      expect(errorTexts(e)).not.toContain('secret');
    });
  }

  if (combo.backend === 'sqlite') {
    it('opens sqlite://ABSOLUTE, plain .db/.sqlite/.sqlite3 paths and file: URIs, creating the file', async () => {
      const dir = tempDir('cloacina-cfg-');
      cleanups.push(dir.cleanup);
      const targets: [string, string][] = [
        [`sqlite://${join(dir.dir, 'a.db')}`, join(dir.dir, 'a.db')],
        [join(dir.dir, 'b.sqlite'), join(dir.dir, 'b.sqlite')],
        [join(dir.dir, 'c.sqlite3'), join(dir.dir, 'c.sqlite3')],
        [`file:${join(dir.dir, 'd.db')}`, join(dir.dir, 'd.db')],
      ];
      for (const [url, file] of targets) {
        const dal = await open({ url });
        expect([dal.backend, dal.implementation, dal.schema]).toEqual(['sqlite', combo.implementation, null]);
        await dal.migrate();
        const id = (await dal.context.create({ url }))!;
        expect(await dal.context.read(id)).toEqual({ url });
        expect(existsSync(file), file).toBe(true);
      }
    });

    it('sqlite::memory: opens a private database; a pool larger than 1 is a ConfigurationError', async () => {
      const a = await open({ url: 'sqlite::memory:' });
      const b = await open({ url: 'sqlite::memory:' });
      await a.migrate();
      await b.migrate();
      const id = (await a.context.create({ only: 'a' }))!;
      expect(await a.context.read(id)).toEqual({ only: 'a' });
      expect(await b.context.find(id)).toBeNull();
      await expectError(() => combo.create({ url: 'sqlite::memory:', poolSize: 2 }), ConfigurationError, {}, 'memory pool 2');
      await expectError(() => combo.create({ url: 'file:cfgmem?mode=memory&cache=shared', poolSize: 2 }), ConfigurationError, {}, 'file memory pool 2');
    });

    it('a schema with SQLite is a ConfigurationError with the spec message', async () => {
      const dir = tempDir('cloacina-cfg-');
      cleanups.push(dir.cleanup);
      for (const url of [`sqlite://${join(dir.dir, 'x.db')}`, 'sqlite::memory:']) {
        await expectError(() => combo.create({ url, schema: 'tenant_a' }), ConfigurationError, { message: SQLITE_SCHEMA }, url);
      }
    });

    it('a file that cannot be opened fails fast with a DatabaseError', async () => {
      // The parent "directory" is a regular file, so neither opening nor creating directories can succeed.
      const dir = tempDir('cloacina-cfg-');
      cleanups.push(dir.cleanup);
      const blocker = join(dir.dir, 'not-a-dir');
      writeFileSync(blocker, 'x');
      await expectError(() => combo.create({ url: `sqlite://${join(blocker, 'x.db')}` }), DatabaseError, { backend: 'sqlite' });
    });
  }

  if (combo.implementation === 'dal-sqlite') {
    it('dal-sqlite given a PostgreSQL URL is a ConfigurationError without the password', async () => {
      for (const url of ['postgres://user:secret@127.0.0.1:5432/test', 'postgresql://user:secret@127.0.0.1:5432/test']) {
        const e = await expectError(() => combo.create({ url }), ConfigurationError, { message: 'dal-sqlite cannot open a PostgreSQL URL' }, url);
        expect(errorTexts(e)).not.toContain('secret');
      }
    });
  }

  if (combo.implementation === 'dal-postgres') {
    it('dal-postgres given a SQLite URL is a ConfigurationError', async () => {
      // Decision: 02 §2.1 quotes only the dal-sqlite text; the mirror text is required here.
      for (const url of ['sqlite::memory:', 'sqlite:///tmp/x.db', '/tmp/x.sqlite', 'file:x.db']) {
        await expectError(() => combo.create({ url }), ConfigurationError, { message: 'dal-postgres cannot open a SQLite URL' }, url);
      }
    });
  }
});
