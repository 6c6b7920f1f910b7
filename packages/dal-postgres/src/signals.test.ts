import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { detectBackend, PROCESS_SIGNAL_ORIGIN, signalChannelKey, type Dal, type Signal } from '@cloacina/core';
import { createPostgresDal } from './index.js';
import { listenerInternals } from './listen.js';

const URL = process.env.CLOACINA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function raw(sql: string, params: unknown[] = []): Promise<void> {
  const c = new pg.Client(URL);
  await c.connect();
  try {
    await c.query(sql, params);
  } finally {
    await c.end();
  }
}

function freshSchema(): string {
  const schema = `dp_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  cleanups.push(() => raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  return schema;
}

async function open(factory: typeof createPostgresDal, url: string, schema: string, listen: boolean): Promise<Dal> {
  const dal = await factory({ url, schema, poolSize: 2, listen });
  cleanups.push(() => dal.close());
  return dal;
}

function collect(dal: Dal): Signal[] {
  const got: Signal[] = [];
  const off = dal.signals.subscribe((s) => got.push(s));
  cleanups.push(async () => off());
  return got;
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const spec = (taskName: string) => ({ taskName, maxAttempts: 1, triggerRules: {}, taskConfiguration: {} });

describe('signals', () => {
  it('are published after the outermost commit and dropped on rollback', async () => {
    const schema = freshSchema();
    const dal = await open(createPostgresDal, URL, schema, false);
    await dal.migrate();
    const got = collect(dal);
    let seenInside = -1;
    const run = await dal.transaction(async (tx) => {
      const r = await tx.pipelineExecution.createWithTasks({ pipelineName: 'w', pipelineVersion: '1', inputContext: {}, tasks: [spec('a'), spec('b')] });
      await tx.transaction(async (tx2) => tx2.taskExecution.markReadiness(r.tasks.map((t) => ({ id: t.id, outcome: 'Ready' as const }))));
      seenInside = got.length;
      return r;
    });
    expect(seenInside).toBe(0);
    // task_ready for two tasks of one run coalesce into one signal with a null task id.
    expect(got).toEqual([
      { type: 'pipeline_created', pipelineExecutionId: run.pipeline.id, taskExecutionId: null, schema },
      { type: 'task_ready', pipelineExecutionId: run.pipeline.id, taskExecutionId: null, schema },
    ]);
    got.length = 0;
    await dal
      .transaction(async (tx) => {
        await tx.pipelineExecution.cancel(run.pipeline.id);
        throw new Error('undo');
      })
      .catch(() => undefined);
    await dal
      .transaction(async (tx) => {
        await tx.transaction(async (tx2) => {
          await tx2.pipelineExecution.markFailed(run.pipeline.id, 'x');
          throw new Error('undo savepoint');
        });
      })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([]);
    await dal.taskExecution.claimReadyTasks('r', 1);
    expect(got.map((s) => [s.type, s.taskExecutionId])).toEqual([
      ['task_claimed', run.tasks[0]!.id],
      ['pipeline_started', null],
    ]);
  });

  it('ignores other schemas and malformed payloads, and reconnects after a drop', async () => {
    const schema = freshSchema();
    const dal = await open(createPostgresDal, URL, schema, true);
    const got = collect(dal);
    const pid = '01900000-0000-7000-8000-000000000001';
    const notify = (payload: unknown) => raw("SELECT pg_notify('cloacina_signals', $1)", [JSON.stringify(payload)]);
    await notify({ origin: 'elsewhere', schema: 'other_schema', type: 'task_ready', pipeline_execution_id: pid, task_execution_id: null });
    await notify({ origin: 'elsewhere', schema, type: 'not_a_type', pipeline_execution_id: pid, task_execution_id: null });
    await notify({ origin: PROCESS_SIGNAL_ORIGIN, schema, type: 'task_ready', pipeline_execution_id: pid, task_execution_id: null });
    await notify({ origin: 'elsewhere', schema, type: 'task_ready', pipeline_execution_id: pid, task_execution_id: null });
    await until(() => got.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([{ type: 'task_ready', pipelineExecutionId: pid, taskExecutionId: null, schema }]);

    const key = signalChannelKey(detectBackend(URL), schema);
    expect(listenerInternals.isConnected(key)).toBe(true);
    listenerInternals.drop(key);
    await until(() => !listenerInternals.isConnected(key));
    await until(() => listenerInternals.isConnected(key), 5000);
    await notify({ origin: 'elsewhere', schema, type: 'task_failed', pipeline_execution_id: pid, task_execution_id: pid });
    await until(() => got.length === 2);
    expect(got[1]).toMatchObject({ type: 'task_failed', taskExecutionId: pid });
    await dal.close();
    expect(listenerInternals.isConnected(key)).toBe(false);
  });
});
