import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createSqliteDal } from '../index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const worker = path.join(here, 'fixtures', 'worker.mjs');
// Child processes run the built packages (the workspace test command builds first).
const built = existsSync(path.join(here, '../../dist/index.js')) && existsSync(path.join(here, '../../../core/dist/index.js'));

describe.skipIf(!built)('several processes on one file', () => {
  it('claim every task exactly once and commit every transaction without SQLITE_BUSY', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cloacina-sqlite-mp-'));
    const file = path.join(dir, 'shared.db');
    const dal = await createSqliteDal({ url: `sqlite://${file}` });
    try {
      await dal.migrate();
      const counter = await dal.pipelineExecution.create({ pipelineName: 'counter' });
      const { tasks } = await dal.pipelineExecution.createWithTasks({
        pipelineName: 'fan',
        pipelineVersion: 'v1',
        inputContext: {},
        tasks: Array.from({ length: 200 }, (_, i) => ({ taskName: `t${i}`, maxAttempts: 1, triggerRules: {}, taskConfiguration: {} })),
      });
      await dal.taskExecution.markReadiness(tasks.map((t) => ({ id: t.id, outcome: 'Ready' as const })));

      const run = promisify(execFile);
      const outputs = await Promise.all(
        Array.from({ length: 4 }, (_, i) => run(process.execPath, [worker, file, `runner-${i}`, counter.id, '13'], { timeout: 60_000 })),
      );
      const results = outputs.map((o) => JSON.parse(o.stdout) as { claimed: string[]; errors: string[] });
      expect(results.flatMap((r) => r.errors)).toEqual([]);
      const claimed = results.flatMap((r) => r.claimed);
      expect(claimed).toHaveLength(200);
      expect(new Set(claimed).size).toBe(200);
      expect((await dal.pipelineExecution.getById(counter.id)).recoveryAttempts).toBe(52);
      expect(await dal.taskExecution.checkPipelineCompletion(tasks[0]!.pipelineExecutionId)).toBe(true);
    } finally {
      await dal.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
