import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Signal } from '@cloacina/core';
import { PG_URL, spec, testDb, type TestDb } from './testing/support.js';

const here = dirname(fileURLToPath(import.meta.url));
const DIST = join(here, '..', 'dist', 'index.js');

const waitFor = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for a signal');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe.each(['sqlite', 'postgres'] as const)('signals on %s', (backend) => {
  let db: TestDb;
  afterEach(async () => db?.cleanup());

  it('reach every instance on the same database once, after commit only', async () => {
    db = testDb(backend);
    const a = await db.open();
    const b = await db.open();
    await a.migrate();
    const seen: Signal[] = [];
    b.signals.subscribe((s) => seen.push(s));
    const run = await a.pipelineExecution.createWithTasks({ pipelineName: 'wf', pipelineVersion: '1', inputContext: {}, tasks: [spec('x'), spec('y')] });
    await a.taskExecution.markReadiness(run.tasks.map((t) => ({ id: t.id, outcome: 'Ready' as const })));
    await a.transaction(async (tx) => {
      await tx.taskExecution.claimReadyTasks('r', 10);
      expect(seen.map((s) => s.type)).toEqual(['pipeline_created', 'task_ready']);
    });
    await new Promise((r) => setTimeout(r, 200)); // a NOTIFY echo would arrive by now
    expect(seen.map((s) => [s.type, s.taskExecutionId])).toEqual([
      ['pipeline_created', null],
      ['task_ready', null],
      ['task_claimed', null],
      ['pipeline_started', null],
    ]);
    expect(seen.every((s) => s.pipelineExecutionId === run.pipeline.id && s.schema === (db.schema ?? null))).toBe(true);
  });
});

describe('PostgreSQL cross-process signals', () => {
  let db: TestDb;
  afterEach(async () => db?.cleanup());

  it('delivers NOTIFYs from other processes and ignores other schemas', async () => {
    db = testDb('postgres');
    const dal = await db.open();
    await dal.migrate();
    const seen: Signal[] = [];
    dal.signals.subscribe((s) => seen.push(s));
    const c = new pg.Client(PG_URL);
    await c.connect();
    const payload = (schema: string | null) =>
      JSON.stringify({ origin: 'another-process', schema, type: 'task_ready', pipeline_execution_id: '0190aaaa-0000-7000-8000-000000000001', task_execution_id: null });
    await c.query('SELECT pg_notify($1, $2)', ['cloacina_signals', payload('some_other_schema')]);
    await c.query('SELECT pg_notify($1, $2)', ['cloacina_signals', payload(db.schema!)]);
    await c.end();
    await waitFor(() => seen.length > 0);
    expect(seen).toEqual([{ type: 'task_ready', pipelineExecutionId: '0190aaaa-0000-7000-8000-000000000001', taskExecutionId: null, schema: db.schema }]);
  });

  it.skipIf(!existsSync(DIST))('a second process receives task_ready within 1 s', async () => {
    db = testDb('postgres');
    const dal = await db.open();
    await dal.migrate();
    const run = await dal.pipelineExecution.createWithTasks({ pipelineName: 'wf', pipelineVersion: '1', inputContext: {}, tasks: [spec('x')] });
    const seen: Signal[] = [];
    dal.signals.subscribe((s) => seen.push(s));
    const script = `
      const { createUnifiedDal } = await import(${JSON.stringify(DIST)});
      const dal = await createUnifiedDal({ url: process.argv[1], schema: process.argv[2], poolSize: 1, listen: false });
      await dal.taskExecution.markReady(process.argv[3]);
      await dal.close();`;
    const started = Date.now();
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script, PG_URL, db.schema!, run.tasks[0]!.id], (err) => (err ? reject(err) : resolve())),
    );
    await waitFor(() => seen.some((s) => s.type === 'task_ready'), 1000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(seen.find((s) => s.type === 'task_ready')).toMatchObject({ taskExecutionId: run.tasks[0]!.id, pipelineExecutionId: run.pipeline.id });
  });
});
