import { describe, expect, it } from 'vitest';
import { DatabaseError, type ClaimResult } from '@cloacina/core';
import { CompletionWriter } from './completions.js';
import { consoleLogger } from './logger.js';
import { createMemoryDal, transientDbError, type MemoryDal } from './testing/memory-dal.js';

/** `n` tasks of one run, claimed by r1. */
async function claimed(dal: MemoryDal, n: number): Promise<ClaimResult[]> {
  const tasks = Array.from({ length: n }, (_, i) => ({ taskName: `public::default::w::t${i}`, maxAttempts: 1, triggerRules: { type: 'Always' }, taskConfiguration: {} }));
  const run = await dal.pipelineExecution.createWithTasks({ pipelineName: 'w', pipelineVersion: '1', inputContext: {}, tasks });
  await dal.taskExecution.markReadiness(run.tasks.map((t) => ({ id: t.id, outcome: 'Ready' as const })));
  return dal.taskExecution.claimReadyTasks('r1', n);
}

/** Counts the batch calls and their sizes. */
function countBatches(dal: MemoryDal): number[] {
  const sizes: number[] = [];
  const original = dal.taskExecution.completeManyWithOutput.bind(dal.taskExecution);
  dal.taskExecution.completeManyWithOutput = (runnerId, items) => {
    sizes.push(items.length);
    return original(runnerId, items);
  };
  return sizes;
}

const status = (dal: MemoryDal, id: string) => dal.state.tasks.get(id)?.status;

describe('CompletionWriter (group commit of completions)', () => {
  it('writes a lone completion at once and the completions that arrive meanwhile as one batch', async () => {
    const dal = createMemoryDal();
    const claims = await claimed(dal, 5);
    const sizes = countBatches(dal);
    const writer = new CompletionWriter(dal, 'r1', consoleLogger('silent'));
    const first = writer.complete(claims[0]!, { n: 0 });
    await Promise.resolve();
    await Promise.resolve();
    const rest = claims.slice(1).map((c, i) => writer.complete(c, { n: i + 1 }));
    expect(await Promise.all([first, ...rest])).toEqual([true, true, true, true, true]);
    expect(sizes).toEqual([1, 4]);
    expect(claims.map((c) => status(dal, c.id))).toEqual(['Completed', 'Completed', 'Completed', 'Completed', 'Completed']);
  });

  it('reports a lost claim as not written and completes the others of its batch', async () => {
    const dal = createMemoryDal();
    const claims = await claimed(dal, 3);
    await dal.taskExecution.releaseClaim(claims[1]!.id, 'r1');
    const writer = new CompletionWriter(dal, 'r1', consoleLogger('silent'));
    expect(await Promise.all(claims.map((c) => writer.complete(c, {})))).toEqual([true, false, true]);
    expect(claims.map((c) => status(dal, c.id))).toEqual(['Completed', 'Ready', 'Completed']);
  });

  it('writes a batch one by one after a non-transient failure, so one bad item costs only itself', async () => {
    const dal = createMemoryDal();
    const claims = await claimed(dal, 3);
    dal.failNext('taskExecution.completeManyWithOutput', new DatabaseError('boom', { backend: 'sqlite', dbCode: 'X' }), 2);
    const sizes = countBatches(dal);
    const writer = new CompletionWriter(dal, 'r1', consoleLogger('silent'));
    const results = await Promise.all(claims.map((c) => writer.complete(c, {})));
    // The batch fails, the first single write fails too; the other two complete.
    expect(sizes).toEqual([3, 1, 1, 1]);
    expect(results).toEqual([false, true, true]);
  });

  it('gives up on the whole batch when the database stays unavailable (the leases lapse, recovery re-runs)', async () => {
    const dal = createMemoryDal();
    const claims = await claimed(dal, 3);
    dal.failNext('taskExecution.completeManyWithOutput', transientDbError(), 10);
    const sizes = countBatches(dal);
    const writer = new CompletionWriter(dal, 'r1', consoleLogger('silent'));
    expect(await Promise.all(claims.map((c) => writer.complete(c, {})))).toEqual([false, false, false]);
    // Three retries of the batch (03 §8.4), no pointless one-by-one writes.
    expect(sizes).toEqual([3, 3, 3, 3]);
    expect(claims.map((c) => status(dal, c.id))).toEqual(['Running', 'Running', 'Running']);
  });
});
