import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Dal } from '@cloacina/core';
import { createPostgresDal } from './index.js';
import { raw, TEST_URL, useCleanups } from './testing/pg-test.js';

const URL = TEST_URL;
const cleanups = useCleanups();

function freshSchema(): string {
  const schema = `dp_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  cleanups.push(() => raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).then(() => undefined));
  return schema;
}

async function open(schema: string, runnerId?: string): Promise<Dal> {
  const dal = await createPostgresDal({ url: URL, schema, poolSize: 2, listen: false, runnerId });
  cleanups.push(() => dal.close());
  return dal;
}

describe('concurrency', () => {
  it('lets several DALs migrate the same fresh schema at once', async () => {
    const schema = freshSchema();
    const dals = await Promise.all([open(schema), open(schema), open(schema), open(schema)]);
    const reports = await Promise.all(dals.map((d) => d.migrate()));
    expect(reports.flatMap((r) => r.applied.map((a) => a.version)).sort()).toEqual([1, 2, 3, 4, 5]);
    const ledger = await raw<{ version: number }>(`SELECT version FROM "${schema}".cloacina_migrations ORDER BY version`);
    expect(ledger.map((r) => r.version)).toEqual([1, 2, 3, 4, 5]);
  });

  it('hands each of 200 ready tasks to exactly one of several claimers', async () => {
    const schema = freshSchema();
    const setup = await open(schema);
    await setup.migrate();
    const taskIds: string[] = [];
    for (let p = 0; p < 4; p++) {
      const { tasks } = await setup.pipelineExecution.createWithTasks({
        pipelineName: `wf${p}`,
        pipelineVersion: '1',
        inputContext: {},
        tasks: Array.from({ length: 50 }, (_, i) => ({ taskName: `t${i}`, maxAttempts: 1, triggerRules: { type: 'Always' }, taskConfiguration: {} })),
      });
      const ids = tasks.map((t) => t.id);
      taskIds.push(...ids);
      await setup.taskExecution.markReadiness(ids.map((id) => ({ id, outcome: 'Ready' as const })));
    }
    const claimers = await Promise.all(Array.from({ length: 6 }, (_, i) => open(schema, `r${i}`)));
    const claimed = await Promise.all(
      claimers.map(async (dal, i) => {
        const mine: string[] = [];
        for (;;) {
          const batch = await dal.taskExecution.claimReadyTasks(`r${i}`, 7);
          if (batch.length === 0) break;
          expect(batch.map((b) => b.id)).toEqual([...batch.map((b) => b.id)].sort());
          mine.push(...batch.map((b) => b.id));
        }
        return mine;
      }),
    );
    const all = claimed.flat();
    expect(all).toHaveLength(200);
    expect(new Set(all).size).toBe(200);
    expect(new Set(all)).toEqual(new Set(taskIds));
    const started = await raw<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".execution_events WHERE event_type = 'pipeline_started'`,
    );
    expect(started[0]!.n).toBe(4);
    const claimedEvents = await raw<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".execution_events WHERE event_type = 'task_claimed'`);
    expect(claimedEvents[0]!.n).toBe(200);
  });

  it('runs concurrent run-wide writes without deadlocks', async () => {
    const schema = freshSchema();
    const a = await open(schema);
    const b = await open(schema);
    await a.migrate();
    const runs = await Promise.all(
      Array.from({ length: 5 }, (_, p) =>
        a.pipelineExecution.createWithTasks({
          pipelineName: `w${p}`,
          pipelineVersion: '1',
          inputContext: {},
          tasks: Array.from({ length: 10 }, (_, i) => ({ taskName: `t${i}`, maxAttempts: 1, triggerRules: {}, taskConfiguration: {} })),
        }),
      ),
    );
    for (const r of runs) await a.taskExecution.markReadiness(r.tasks.map((t) => ({ id: t.id, outcome: 'Ready' as const })));
    // Claims (task rows, then pipeline rows) race cancellations and failures (same order).
    const results = await Promise.all([
      a.taskExecution.claimReadyTasks('x', 50),
      b.taskExecution.claimReadyTasks('y', 50),
      ...runs.map((r, i) => (i % 2 === 0 ? b.pipelineExecution.cancel(r.pipeline.id) : a.pipelineExecution.markFailed(r.pipeline.id, 'stop'))),
    ]);
    expect(results).toHaveLength(7);
    const open_ = await raw<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".pipeline_executions WHERE status IN ('Pending', 'Running')`);
    expect(open_[0]!.n).toBe(0);
  });
});
