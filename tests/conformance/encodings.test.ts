/**
 * Encodings (01 §2, 02 §9 "Encodings"): what each implementation stores, read raw (bypassing
 * every DAL), and exact round trips of dates, JSON and bytes through the DAL.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALL_TABLES, ValidationError, type JsonObject, type Logical, type PackageManifest } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import { at, expectError, idParam, ph, T0, taskSpec } from '../support/core-areas.js';

const TS_FORM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const manifest = (name: string, version: string, extra: Partial<PackageManifest> = {}): PackageManifest => ({
  formatVersion: 1,
  name,
  version,
  entry: 'index.js',
  cloacinaVersion: '0.1.0',
  fingerprint: 'sha256:00',
  workflows: [{ name: 'wf', tasks: [{ id: 't1', dependencies: [] }] }],
  ...extra,
});

/** Writes at least one row into every table through the DAL (ids 1..13 in this order). */
async function populate(f: DalFixture): Promise<void> {
  const { dal } = f;
  await dal.context.create({ a: 1, b: [true] }); // 1
  const created = await dal.pipelineExecution.createWithTasks({
    pipelineName: 'enc',
    pipelineVersion: 'v1',
    inputContext: { x: 'ü' }, // context 2, pipeline 3, task 4, event 5
    tasks: [taskSpec('a', 2, { dependencies: [], leaf: true })],
  });
  const task = created.tasks[0]!;
  await dal.taskExecutionMetadata.create({ taskExecutionId: task.id, pipelineExecutionId: created.pipeline.id, taskName: task.taskName, contextId: idAt(1) }); // 6
  await dal.recoveryEvent.create({ pipelineExecutionId: created.pipeline.id, taskExecutionId: task.id, recoveryType: 'task_reset', details: { n: 1 } }); // 7
  await dal.cronSchedule.create({ workflowName: 'enc', cronExpression: '* * * * *', nextRunAt: at(60_000), startDate: T0, endDate: at(3_600_000) }); // 8
  await dal.cronSchedule.create({ workflowName: 'enc', cronExpression: '* * * * *', nextRunAt: at(60_000), enabled: false }); // 9
  await dal.cronExecution.create({ scheduleId: idAt(8), scheduledTime: at(60_000), pipelineExecutionId: created.pipeline.id }); // 10
  await dal.workflowRegistryStorage.storeBinary(new Uint8Array([1, 255, 0])); // 11
  await dal.workflowPackages.storePackageMetadata(idAt(11), manifest('enc-pkg', '1.0.0')); // 12
  await dal.taskExecution.markReady(task.id); // event 13
}

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  beforeEach(async () => {
    f = await openFixture(combo);
  });
  afterEach(() => f.close());

  it('raw storage form of every column of every table (01 §2)', async () => {
    await populate(f);
    const raw = await f.raw();
    const seen = new Set<Logical>();
    for (const table of ALL_TABLES) {
      const rows = await raw.query(`SELECT * FROM ${table.name}`);
      expect(rows.length, table.name).toBeGreaterThan(0);
      for (const row of rows) {
        for (const col of table.columns) {
          const v = row[col.name];
          const where = `${table.name}.${col.name} = ${String(v)}`;
          if (v === null) {
            expect(col.nullable, where).toBe(true);
            continue;
          }
          seen.add(col.type);
          if (raw.backend === 'sqlite') {
            if (col.type === 'uuid') expect(Buffer.isBuffer(v) && (v as Buffer).length === 16, where).toBe(true);
            if (col.type === 'ts') expect(typeof v === 'string' && v.length === 24 && TS_FORM.test(v), where).toBe(true);
            if (col.type === 'bool') expect(v === 0 || v === 1, where).toBe(true);
            if (col.type === 'json') expect(typeof v === 'string' && JSON.stringify(JSON.parse(v)) === v, `${where} (compact)`).toBe(true);
            if (col.type === 'bytes') expect(Buffer.isBuffer(v), where).toBe(true);
          } else {
            if (col.type === 'uuid') expect(typeof v === 'string' && UUID_FORM.test(v), where).toBe(true);
            if (col.type === 'ts') expect(v instanceof Date, where).toBe(true);
            if (col.type === 'bool') expect(typeof v, where).toBe('boolean');
            if (col.type === 'json') expect(typeof v, where).toBe('object');
            if (col.type === 'bytes') expect(Buffer.isBuffer(v), where).toBe(true);
          }
          if (col.type === 'int') expect(Number.isSafeInteger(v), where).toBe(true);
          if (col.type === 'text') expect(typeof v, where).toBe('string');
        }
      }
    }
    expect([...seen].sort()).toEqual(['bool', 'bytes', 'int', 'json', 'text', 'ts', 'uuid']);
  });

  it('exact stored values: uuid bytes, timestamp text, enabled 0/1, compact JSON text', async () => {
    await populate(f);
    const raw = await f.raw();
    const ctx = (await raw.query(`SELECT * FROM contexts WHERE id = ${ph(raw, 1)}`, [idParam(raw, idAt(1))]))[0]!;
    const enabled = await raw.query('SELECT enabled FROM cron_schedules ORDER BY id');
    const data = (await raw.query('SELECT data FROM workflow_registry'))[0]!.data as Buffer;
    expect(data.toString('hex')).toBe('01ff00');
    if (raw.backend === 'sqlite') {
      expect((ctx.id as Buffer).toString('hex')).toBe('00000000000070008000000000000001');
      expect(ctx.created_at).toBe('2025-01-01T00:00:00.000Z');
      expect(ctx.updated_at).toBe('2025-01-01T00:00:00.000Z');
      expect(ctx.value).toBe('{"a":1,"b":[true]}');
      expect(enabled.map((r) => r.enabled)).toEqual([1, 0]);
      const task = (await raw.query('SELECT task_configuration, trigger_rules FROM task_executions'))[0]!;
      expect(task.task_configuration).toBe('{"dependencies":[],"leaf":true}');
      expect(task.trigger_rules).toBe('{"type":"Always"}');
    } else {
      expect(ctx.id).toBe(idAt(1));
      expect((ctx.created_at as Date).toISOString()).toBe('2025-01-01T00:00:00.000Z');
      expect(ctx.value).toEqual({ a: 1, b: [true] });
      expect(enabled.map((r) => r.enabled)).toEqual([true, false]);
    }
  });

  it('dates round-trip to the millisecond, including the epoch and the years 0001 and 9999', async () => {
    const dates = ['1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '0001-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '2025-06-15T12:34:56.789Z'].map(
      (s) => new Date(s),
    );
    for (const d of dates) {
      const s = await f.dal.cronSchedule.create({ workflowName: 'dates', cronExpression: '0 * * * *', nextRunAt: d, startDate: d, endDate: d });
      const back = await f.dal.cronSchedule.getById(s.id);
      expect([back.nextRunAt, back.startDate, back.endDate].map((x) => x?.toISOString())).toEqual([d, d, d].map((x) => x.toISOString()));
      expect(s.nextRunAt.getTime()).toBe(d.getTime());
    }
    // Timestamps written from the DAL clock round-trip too.
    for (const d of [new Date(0), new Date('9999-12-31T23:59:59.999Z')]) {
      f.clock.set(d);
      const id = await f.dal.context.create({ at: d.toISOString() });
      const listed = (await f.dal.context.list(100, 0)).find((c) => c.id === id)!;
      expect([listed.createdAt.getTime(), listed.updatedAt.getTime()]).toEqual([d.getTime(), d.getTime()]);
    }
  });

  it('dates outside 0001-9999 or invalid are a ValidationError and write nothing', async () => {
    const raw = await f.raw();
    const before = await dumpDatabase(raw);
    for (const bad of [new Date('+010000-01-01T00:00:00.000Z'), new Date(Number.NaN)]) {
      await expectError(() => f.dal.cronSchedule.create({ workflowName: 'w', cronExpression: '* * * * *', nextRunAt: bad }), ValidationError, {}, String(bad));
    }
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('JSON with Unicode, escapes, numbers and deep nesting round-trips by structure', async () => {
    let deep: JsonObject = { leaf: ['end', null] };
    for (let i = 0; i < 40; i++) deep = { [`level_${i}`]: [deep, i] };
    const value: JsonObject = {
      emoji: '😀🚀',
      cjk: '漢字かな',
      rtl: 'שלום',
      combining: 'e\u0301',
      escapes: 'quote " backslash \\ newline \n tab \t \u0001 \u001f \u2028',
      'ключ 🔑': 'unicode key',
      '': 'empty key',
      numbers: [0, -1, 1.5, 0.1, 1e-7, 123456.789, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e300],
      flags: [true, false, null],
      empty: { obj: {}, arr: [], str: '' },
      deep,
    };
    const id = (await f.dal.context.create(value))!;
    expect(await f.dal.context.read(id)).toEqual(value);
    expect(await f.dal.context.find(id)).toEqual(value);
    const created = await f.dal.pipelineExecution.createWithTasks({
      pipelineName: 'json',
      pipelineVersion: '1',
      inputContext: {},
      tasks: [{ taskName: 't::p::w::x', maxAttempts: 1, triggerRules: { type: 'All', rules: [{ type: 'Always' }] }, taskConfiguration: value }],
    });
    const task = await f.dal.taskExecution.getById(created.tasks[0]!.id);
    expect(task.taskConfiguration).toEqual(value);
    expect(task.triggerRules).toEqual({ type: 'All', rules: [{ type: 'Always' }] });
  });

  it('bytes round-trip exactly: all 256 values, empty (never NULL), a Buffer input and 10 MB', async () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const big = new Uint8Array(randomBytes(10 * 1024 * 1024));
    const cases: [string, Uint8Array][] = [
      ['0..255', all],
      ['empty', new Uint8Array(0)],
      ['buffer', Buffer.from('cloacina\u0000\xff', 'latin1')],
      ['10 MB', big],
    ];
    const raw = await f.raw();
    for (const [label, data] of cases) {
      const id = await f.dal.workflowRegistryStorage.storeBinary(data);
      const back = await f.dal.workflowRegistryStorage.retrieveBinary(id);
      expect(back, label).toBeInstanceOf(Uint8Array);
      expect(back!.length, label).toBe(data.length);
      expect(Buffer.from(back!).equals(Buffer.from(data)), label).toBe(true);
      const stored = (await raw.query(`SELECT data FROM workflow_registry WHERE id = ${ph(raw, 1)}`, [idParam(raw, id)]))[0]!.data;
      expect(Buffer.isBuffer(stored) && (stored as Buffer).length === data.length, `${label} raw`).toBe(true);
    }
  });

  it('U+0000 anywhere in JSON is a ValidationError on both backends and writes nothing', async () => {
    const existing = (await f.dal.context.create({ keep: 1 }))!;
    const raw = await f.raw();
    const before = await dumpDatabase(raw);
    const bad: [string, () => Promise<unknown>][] = [
      ['value', () => f.dal.context.create({ a: 'x\u0000y' })],
      ['key', () => f.dal.context.create({ 'k\u0000': 1 })],
      ['nested', () => f.dal.context.create({ a: [{ b: ['\u0000'] }] })],
      ['update', () => f.dal.context.update(existing, { a: '\u0000' })],
      [
        'task configuration',
        () =>
          f.dal.pipelineExecution.createWithTasks({
            pipelineName: 'nul',
            pipelineVersion: '1',
            inputContext: { ok: true },
            tasks: [taskSpec('a', 1, { s: 'a\u0000' })],
          }),
      ],
      ['input context', () => f.dal.pipelineExecution.createWithTasks({ pipelineName: 'nul', pipelineVersion: '1', inputContext: { s: '\u0000' }, tasks: [taskSpec('a')] })],
      ['manifest', () => f.dal.workflowPackages.storePackageMetadata(idAt(500), manifest('nul', '1', { description: 'bad \u0000' }))],
    ];
    for (const [label, call] of bad) await expectError(call, ValidationError, {}, label);
    expect(await dumpDatabase(raw)).toEqual(before);
    expect(await f.dal.context.read(existing)).toEqual({ keep: 1 });
  });
});
