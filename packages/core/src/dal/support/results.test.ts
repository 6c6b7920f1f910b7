import { describe, expect, it } from 'vitest';
import { ConfigurationError, NotFoundError, ValidationError } from '../../errors/index.js';
import { CONTEXTS } from '../../schema/tables.js';
import { checkFirst, drawId, readClock, wrapMethods } from './entry.js';
import {
  byId,
  byPipelineThenId,
  cronExecutionStats,
  distinct,
  finalization,
  finalizeRefusal,
  inListOrder,
  mustFind,
  renewalResult,
  requireAllFound,
  sortIds,
  taskStatusMap,
} from './results.js';
import { recordDecoders, recordEncoder } from './row-codecs.js';

const A = '0190a000-0000-7000-8000-00000000000a';
const B = '0190a000-0000-7000-8000-00000000000b';

describe('result shaping', () => {
  it('sorts ids byte-wise and keeps first occurrences', () => {
    expect(sortIds(new Set([B, A]))).toEqual([A, B]);
    expect([{ id: B }, { id: A }].sort(byId)).toEqual([{ id: A }, { id: B }]);
    const rows = [
      { pipelineExecutionId: B, id: A },
      { pipelineExecutionId: A, id: B },
      { pipelineExecutionId: A, id: A },
    ];
    expect(rows.sort(byPipelineThenId).map((r) => [r.pipelineExecutionId, r.id])).toEqual([
      [A, A],
      [A, B],
      [B, A],
    ]);
    expect(distinct(['b', 'a', 'b'])).toEqual(['b', 'a']);
  });

  it('returns rows in the order of the listed names, each name once', () => {
    const rows = [{ n: 'a' }, { n: 'c' }];
    expect(inListOrder(['c', 'b', 'a', 'c'], rows, (r) => r.n)).toEqual([{ n: 'c' }, { n: 'a' }]);
  });

  it('builds the status map with "__proto__" as an ordinary key', () => {
    const map = taskStatusMap([
      { taskName: '__proto__', status: 'Ready' },
      { taskName: 'a', status: 'Completed' },
    ]);
    expect(Object.keys(map)).toEqual(['__proto__', 'a']);
    expect(map.__proto__).toBe('Ready');
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
  });

  it('answers heartbeatMany and refuses the first unknown id', () => {
    expect(renewalResult([B, A], [B])).toEqual({ renewed: [B], lost: [A] });
    expect(() => requireAllFound('TaskExecution', [A, B], [A])).toThrow(new NotFoundError('TaskExecution', B));
    expect(() => requireAllFound('TaskExecution', [A], [A])).not.toThrow();
  });

  it('computes cron statistics with a zero rate for no executions', () => {
    expect(cronExecutionStats(0, 0, 0).successRate).toBe(0);
    expect(cronExecutionStats(4, 1, 2)).toEqual({ totalExecutions: 4, successfulExecutions: 1, lostExecutions: 2, successRate: 25 });
  });

  it('decides finalize: refusals first, then the status, summary and event', () => {
    expect(finalizeRefusal('Completed', 3)).toEqual({ outcome: 'already_terminal', status: 'Completed' });
    expect(finalizeRefusal('Running', 2)).toEqual({ outcome: 'not_finished', remaining: 2 });
    expect(finalizeRefusal('Pending', 0)).toBeNull();
    expect(finalization({ completed: 2, failed: 0, skipped: 1 }, null)).toEqual({
      status: 'Completed',
      errorDetails: null,
      eventType: 'pipeline_completed',
      eventData: { completed: 2, failed: 0, skipped: 1, context_id: null },
    });
    const failed = finalization({ completed: 1, failed: 2, skipped: 1 }, A);
    expect(failed).toMatchObject({ status: 'Failed', eventType: 'pipeline_failed', errorDetails: '2 task(s) failed, 1 completed, 1 skipped' });
    expect(failed.eventData).toEqual({ completed: 1, failed: 2, skipped: 1, context_id: A, reason: failed.errorDetails });
  });

  it('builds a getter from a finder that throws NotFoundError with the normalised id', async () => {
    const get = mustFind('Context', async (id) => (id === A ? { id } : null));
    await expect(get(A)).resolves.toEqual({ id: A });
    await expect(get(B.toUpperCase())).rejects.toThrow(new NotFoundError('Context', B));
  });
});

describe('row codecs', () => {
  it('round-trips a record through the cached encoder and the decoder of each backend', () => {
    const record = { id: A, value: { a: 1 }, createdAt: new Date(0), updatedAt: new Date(1) };
    for (const backend of ['postgres', 'sqlite'] as const) {
      const encode = recordEncoder(backend);
      const { columns, values } = encode(CONTEXTS, record);
      expect(columns).toEqual(['id', 'value', 'created_at', 'updated_at']);
      expect(recordDecoders(backend).context(Object.fromEntries(columns.map((c, i) => [c, values[i]])))).toEqual(record);
    }
  });
});

describe('call entry', () => {
  it('guards async methods only, before their own checks', async () => {
    const calls: string[] = [];
    const mod = { run: async (x: number) => x * 2, storageType: () => 'database' as const };
    let open = true;
    const guarded = wrapMethods(mod, checkFirst(() => {
      calls.push('guard');
      if (!open) throw new ConfigurationError('DAL is closed');
    }));
    await expect(guarded.run(2)).resolves.toBe(4);
    expect(guarded.storageType()).toBe('database');
    open = false;
    await expect(guarded.run(2)).rejects.toThrow('DAL is closed');
    expect(calls).toEqual(['guard', 'guard']);
  });

  it('copies a valid clock reading and refuses garbage clocks and ids', () => {
    const d = new Date(5);
    const read = readClock(() => d);
    expect(read).toEqual(d);
    expect(read).not.toBe(d);
    expect(() => readClock(() => new Date(Number.NaN))).toThrow(ValidationError);
    expect(drawId(() => A.toUpperCase())).toBe(A);
    expect(() => drawId(() => 'nope')).toThrow(ValidationError);
  });
});
