import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Dal } from '@cloacina/core';
import { BACKENDS, spec, testDb, type TestDb } from './testing/support.js';

const here = dirname(fileURLToPath(import.meta.url));
const DIST = join(here, '..', 'dist', 'index.js');
const CORE_DIST = join(here, '..', 'node_modules', '@cloacina', 'core', 'dist', 'index.js');

describe('SQLite concurrency', () => {
  let db: TestDb;
  afterEach(async () => db?.cleanup());

  it('runs 50 concurrent transactions on one file, all successful', async () => {
    db = testDb('sqlite');
    const dal = await db.open();
    await dal.migrate();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        dal.transaction(async (tx) => {
          const p = await tx.pipelineExecution.create({ pipelineName: `wf-${i}` });
          await new Promise((r) => setTimeout(r, 1));
          await tx.pipelineExecution.updateStatus(p.id, 'Running');
          return p.id;
        }),
      ),
    );
    expect(new Set(results).size).toBe(50);
    const active = await dal.pipelineExecution.getActiveExecutions();
    expect(active.every((p) => p.status === 'Running')).toBe(true);
    expect(active).toHaveLength(50);
  });

  it("never lets a rollback take another flow's write with it", async () => {
    db = testDb('sqlite');
    const dal = await db.open();
    await dal.migrate();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const failing = dal
      .transaction(async (tx) => {
        await tx.pipelineExecution.create({ pipelineName: 'rolled-back' });
        await gate;
        throw new Error('rollback');
      })
      .catch(() => 'rolled back');
    const other = dal.pipelineExecution.create({ pipelineName: 'independent' });
    setTimeout(release, 20);
    expect(await failing).toBe('rolled back');
    await other;
    expect((await dal.pipelineExecution.getActiveExecutions()).map((p) => p.pipelineName)).toEqual(['independent']);
  });

  it('serialises transactions of several DAL instances (connections) on one file', async () => {
    db = testDb('sqlite');
    const dals: Dal[] = [await db.open(), await db.open(), await db.open()];
    await dals[0]!.migrate();
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        dals[i % 3]!.transaction(async (tx) => {
          await tx.context.create({ i });
          await tx.pipelineExecution.create({ pipelineName: `wf-${i}` });
        }),
      ),
    );
    expect(await dals[1]!.pipelineExecution.getActiveExecutions()).toHaveLength(60);
  });

  const built = existsSync(DIST) && existsSync(CORE_DIST);
  it.skipIf(!built)('runs transactions and claims from several processes on one file without SQLITE_BUSY', async () => {
    db = testDb('sqlite');
    const dal = await db.open();
    await dal.migrate();
    const run = await dal.pipelineExecution.createWithTasks({
      pipelineName: 'wf',
      pipelineVersion: '1',
      inputContext: {},
      tasks: Array.from({ length: 120 }, (_, i) => spec(`t${i}`)),
    });
    await dal.taskExecution.markReadiness(run.tasks.map((t) => ({ id: t.id, outcome: 'Ready' as const })));
    const script = `
      const { createUnifiedDal } = await import(${JSON.stringify(DIST)});
      const dal = await createUnifiedDal({ url: process.argv[1] });
      const claimed = [];
      for (let i = 0; i < 20; i++) {
        await dal.transaction(async (tx) => { await tx.context.create({ worker: process.pid, i }); });
        for (const c of await dal.taskExecution.claimReadyTasks('w' + process.pid, 2)) {
          claimed.push(c.id);
          await dal.taskExecution.completeWithOutput(c.id, 'w' + process.pid, { by: process.pid });
        }
      }
      await dal.close();
      console.log(JSON.stringify(claimed));`;
    const exec = promisify(execFile);
    const outputs = await Promise.all(
      [1, 2, 3, 4].map(() => exec(process.execPath, ['--input-type=module', '-e', script, db.url], { timeout: 60_000 })),
    );
    const claimed = outputs.flatMap((o) => JSON.parse(o.stdout.trim().split('\n').pop()!) as string[]);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(Number((await db.raw('SELECT count(*) AS n FROM contexts'))[0]!.n)).toBe(4 * 20 + claimed.length);
  }, 90_000);
});

describe.each(BACKENDS)('concurrent claimers on %s', (backend) => {
  let db: TestDb;
  afterEach(async () => db?.cleanup());

  it('claims every Ready task exactly once across instances', async () => {
    db = testDb(backend);
    const a = await db.open({ poolSize: backend === 'postgres' ? 4 : 1 });
    const b = await db.open({ poolSize: backend === 'postgres' ? 4 : 1 });
    await a.migrate();
    const run = await a.pipelineExecution.createWithTasks({
      pipelineName: 'wf',
      pipelineVersion: '1',
      inputContext: {},
      tasks: Array.from({ length: 200 }, (_, i) => spec(`t${i}`)),
    });
    await a.taskExecution.markReadiness(run.tasks.map((t) => ({ id: t.id, outcome: 'Ready' as const })));
    const claimers = Array.from({ length: 8 }, (_, i) => async () => {
      const mine: string[] = [];
      const dal = i % 2 === 0 ? a : b;
      for (;;) {
        const got = await dal.taskExecution.claimReadyTasks(`r${i}`, 7);
        if (got.length === 0) return mine;
        mine.push(...got.map((c) => c.id));
      }
    });
    const all = (await Promise.all(claimers.map((c) => c()))).flat();
    expect(all).toHaveLength(200);
    expect(new Set(all).size).toBe(200);
    const started = (await a.executionEvent.getByPipeline(run.pipeline.id)).filter((e) => e.eventType === 'pipeline_started');
    expect(started).toHaveLength(1);
  });
});
