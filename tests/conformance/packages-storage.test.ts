/**
 * Package metadata and archive storage (02 §4.9, §4.10, §9 "Packages & storage"): exact
 * records, list order, deletes, PackageExistsError on duplicates (insert-if-absent, the id is
 * still drawn, an enclosing transaction stays usable), manifest and binary round trips, and
 * ValidationError for bad ids and fields.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PackageExistsError, ValidationError, type PackageManifest, type WorkflowPackage } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { at, countRows, expectError, isPlainRecord, T0 } from '../support/core-areas.js';

const manifest = (name: string, version: string, extra: Partial<PackageManifest> = {}): PackageManifest => ({
  formatVersion: 1,
  name,
  version,
  description: 'Extract, transform, load',
  author: 'Ada <ada@example.com>',
  entry: 'dist/index.js',
  cloacinaVersion: '0.1.0',
  fingerprint: 'sha256:abcdef',
  workflows: [
    {
      name: 'etl',
      description: 'nightly',
      tasks: [
        { id: 'extract', dependencies: [] },
        { id: 'load', dependencies: ['extract'], description: 'writes ✓' },
      ],
    },
  ],
  ...extra,
});

const record = (p: Partial<WorkflowPackage> & Pick<WorkflowPackage, 'id' | 'registryId' | 'packageName' | 'version' | 'metadata'>): WorkflowPackage => ({
  description: null,
  author: null,
  storageType: 'database',
  createdAt: T0,
  updatedAt: T0,
  ...p,
});

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  let raw: RawDb;
  beforeEach(async () => {
    f = await openFixture(combo);
    raw = await f.raw();
  });
  afterEach(() => f.close());

  it('storePackageMetadata → exact record via get by name/version and by id; registry id parsed to lowercase', async () => {
    f.clock.set(at(1000));
    const reg = await f.dal.workflowRegistryStorage.storeBinary(new Uint8Array([1, 2, 3]));
    expect(reg).toBe(idAt(1));
    const m = manifest('etl', '1.0.0');
    const id = await f.dal.workflowPackages.storePackageMetadata(reg.toUpperCase(), m);
    expect(id).toBe(idAt(2));
    const expected = record({
      id,
      registryId: reg,
      packageName: 'etl',
      version: '1.0.0',
      description: 'Extract, transform, load',
      author: 'Ada <ada@example.com>',
      metadata: m as never,
      createdAt: at(1000),
      updatedAt: at(1000),
    });
    const byName = await f.dal.workflowPackages.getPackageMetadata('etl', '1.0.0');
    expect(byName).toEqual(expected);
    expect(isPlainRecord(byName)).toBe(true);
    expect(await f.dal.workflowPackages.getPackageMetadataById(id)).toEqual(expected);
    expect(await f.dal.workflowPackages.getPackageMetadata('etl', '1.0.1')).toBeNull();
    expect(await f.dal.workflowPackages.getPackageMetadata('ETL', '1.0.0')).toBeNull();
  });

  it('optional manifest fields become NULL columns; storage type filesystem; no FK to the registry', async () => {
    const { description: _d, author: _a, ...bare } = manifest('bare', '2');
    const orphanRegistry = idAt(0x777);
    const id = await f.dal.workflowPackages.storePackageMetadata(orphanRegistry, bare as PackageManifest, 'filesystem');
    expect(await f.dal.workflowPackages.getPackageMetadataById(id)).toEqual(
      record({ id, registryId: orphanRegistry, packageName: 'bare', version: '2', metadata: bare as never, storageType: 'filesystem' }),
    );
  });

  it('the manifest round-trips structurally, Unicode and nesting included', async () => {
    const m = manifest('unicode-pkg', '0.0.1-β', {
      description: 'Ünïcödé 漢字 😀 "quoted" \\ back',
      workflows: Array.from({ length: 5 }, (_, i) => ({ name: `wf${i}`, tasks: [{ id: `t${i}`, dependencies: i ? [`t${i - 1}`] : [] }] })),
    });
    const id = await f.dal.workflowPackages.storePackageMetadata(idAt(0x700), m);
    const back = await f.dal.workflowPackages.getPackageMetadataById(id);
    expect(back!.metadata).toEqual(m);
    expect([back!.packageName, back!.version, back!.description]).toEqual([m.name, m.version, m.description]);
  });

  it('a duplicate (name, version) → PackageExistsError; nothing written but the id is drawn', async () => {
    await f.dal.workflowPackages.storePackageMetadata(idAt(0x700), manifest('dup', '1.0'));
    const before = await dumpDatabase(raw);
    const e = await expectError(() => f.dal.workflowPackages.storePackageMetadata(idAt(0x701), manifest('dup', '1.0', { description: 'other' })), PackageExistsError, {
      packageName: 'dup',
      version: '1.0',
      message: 'Package already exists: dup v1.0',
    });
    expect(e.code).toBe('PACKAGE_EXISTS');
    expect(await dumpDatabase(raw)).toEqual(before);
    // 02 §1: an insert-if-absent that ends as a no-op still draws its id (id 1 went to the first row, 2 to the refused one).
    expect(await f.dal.workflowPackages.storePackageMetadata(idAt(0x702), manifest('dup', '1.1'))).toBe(idAt(3));
    // Same name with another version, and same version with another name, are distinct packages.
    expect(await f.dal.workflowPackages.storePackageMetadata(idAt(0x703), manifest('dup2', '1.0'))).toBe(idAt(4));
  });

  it('PackageExistsError inside a transaction leaves it usable; its other writes commit', async () => {
    await f.dal.workflowPackages.storePackageMetadata(idAt(0x700), manifest('dup', '1.0'));
    const result = await f.dal.transaction(async (tx) => {
      const ctx = await tx.context.create({ before: true });
      await expectError(() => tx.workflowPackages.storePackageMetadata(idAt(0x701), manifest('dup', '1.0')), PackageExistsError, { packageName: 'dup', version: '1.0' });
      const pkg = await tx.workflowPackages.storePackageMetadata(idAt(0x702), manifest('fresh', '1.0'));
      return { ctx, pkg };
    });
    expect(await f.dal.context.read(result.ctx!)).toEqual({ before: true });
    expect((await f.dal.workflowPackages.getPackageMetadataById(result.pkg))!.packageName).toBe('fresh');
    expect(await countRows(raw, 'workflow_packages')).toBe(2);
  });

  it('listAllPackages orders by package_name, version, id; deletes by name/version and by id are exact', async () => {
    const store = (n: string, v: string) => f.dal.workflowPackages.storePackageMetadata(idAt(0x700), manifest(n, v));
    const b1 = await store('beta', '1.0');
    const a2 = await store('alpha', '2.0');
    const a1 = await store('alpha', '1.0');
    const listed = await f.dal.workflowPackages.listAllPackages();
    expect(listed.map((p) => p.id)).toEqual([a1, a2, b1]);
    for (const p of listed) expect(isPlainRecord(p)).toBe(true);
    expect(await f.dal.workflowPackages.deletePackageMetadata('alpha', '2.0')).toBe(true);
    expect(await f.dal.workflowPackages.deletePackageMetadata('alpha', '2.0')).toBe(false);
    expect(await f.dal.workflowPackages.deletePackageMetadataById(b1)).toBe(true);
    expect(await f.dal.workflowPackages.deletePackageMetadataById(b1)).toBe(false);
    expect((await f.dal.workflowPackages.listAllPackages()).map((p) => p.id)).toEqual([a1]);
    expect(await f.dal.workflowPackages.getPackageMetadataById(b1)).toBeNull();
  });

  it('missing or oversized fields and bad ids → ValidationError; nothing written', async () => {
    const reg = idAt(0x700);
    const before = await dumpDatabase(raw);
    const calls: [string, () => Promise<unknown>][] = [
      ['bad registry id', () => f.dal.workflowPackages.storePackageMetadata('not-a-uuid', manifest('x', '1'))],
      ['empty name', () => f.dal.workflowPackages.storePackageMetadata(reg, manifest('', '1'))],
      ['name of 256', () => f.dal.workflowPackages.storePackageMetadata(reg, manifest('n'.repeat(256), '1'))],
      ['missing name', () => f.dal.workflowPackages.storePackageMetadata(reg, { ...manifest('x', '1'), name: undefined } as never)],
      ['empty version', () => f.dal.workflowPackages.storePackageMetadata(reg, manifest('x', ''))],
      ['version of 101', () => f.dal.workflowPackages.storePackageMetadata(reg, manifest('x', 'v'.repeat(101)))],
      ['author of 256', () => f.dal.workflowPackages.storePackageMetadata(reg, manifest('x', '1', { author: 'a'.repeat(256) }))],
      ['getPackageMetadataById', () => f.dal.workflowPackages.getPackageMetadataById('nope')],
      ['deletePackageMetadataById', () => f.dal.workflowPackages.deletePackageMetadataById('nope')],
      ['retrieveBinary', () => f.dal.workflowRegistryStorage.retrieveBinary('1234')],
      ['deleteBinary', () => f.dal.workflowRegistryStorage.deleteBinary('')],
    ];
    for (const [label, call] of calls) await expectError(call, ValidationError, {}, label);
    expect(await dumpDatabase(raw)).toEqual(before);
    // The boundaries themselves are accepted.
    await f.dal.workflowPackages.storePackageMetadata(reg, manifest('n'.repeat(255), 'v'.repeat(100), { author: 'a'.repeat(255) }));
    expect(await countRows(raw, 'workflow_packages')).toBe(1);
  });

  it('binary storage: exact round trips (empty, all byte values, 10 MB), created_at = now, idempotent delete', async () => {
    const s = f.dal.workflowRegistryStorage;
    expect(s.storageType()).toBe('database');
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['0..255', Uint8Array.from({ length: 256 }, (_, i) => i)],
      ['10 MB', new Uint8Array(randomBytes(10 * 1024 * 1024))],
    ];
    f.clock.set(at(4242));
    for (const [label, data] of cases) {
      const id = await s.storeBinary(data);
      const back = await s.retrieveBinary(id);
      expect(back, label).not.toBeNull();
      expect(back, label).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(back!).equals(Buffer.from(data)), label).toBe(true);
    }
    const created = await raw.query('SELECT created_at FROM workflow_registry');
    for (const r of created) expect(new Date(r.created_at as string | Date).getTime()).toBe(at(4242).getTime());
    const id = await s.storeBinary(new Uint8Array([9]));
    expect([await s.deleteBinary(id), await s.deleteBinary(id), await s.retrieveBinary(id)]).toEqual([true, false, null]);
  });
});
