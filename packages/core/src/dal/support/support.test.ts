import { describe, expect, it } from 'vitest';
import { FifoLock } from './fifo-lock.js';
import { SignalBuffer, signalHub } from './signals.js';
import { orderEvents, eventData } from './events.js';
import { check, chunk, compareBytes } from './validate.js';
import { TxState, assertOutsideOwnTransaction, runInTransactionScope } from './transaction-state.js';
import { ConfigurationError, DatabaseError, ValidationError } from '../../errors/index.js';

describe('FifoLock', () => {
  it('grants the lock in arrival order and counts waiters', async () => {
    const lock = new FifoLock();
    const order: number[] = [];
    const release = await lock.acquire();
    const waiters = [1, 2, 3].map((i) => lock.run(async () => void order.push(i)));
    expect(lock.waiting).toBe(3);
    release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    expect(lock.isLocked).toBe(false);
  });

  it('times out a waiter with the given error and keeps the queue consistent', async () => {
    const lock = new FifoLock();
    const release = await lock.acquire();
    await expect(lock.acquire(20, () => new Error('POOL_TIMEOUT'))).rejects.toThrow('POOL_TIMEOUT');
    expect(lock.waiting).toBe(0);
    release();
    expect(lock.isLocked).toBe(false);
  });
});

describe('signals', () => {
  it('coalesces one type per pipeline, nulling the task id when several tasks are concerned', () => {
    const b = new SignalBuffer('s1');
    b.add('task_ready', 'p1', 't1');
    b.add('task_ready', 'p1', 't2');
    b.add('task_claimed', 'p1', 't3');
    b.add('task_claimed', 'p1', 't3');
    b.add('pipeline_started', 'p1', null);
    expect(b.drain()).toEqual([
      { type: 'task_ready', pipelineExecutionId: 'p1', taskExecutionId: null, schema: 's1' },
      { type: 'task_claimed', pipelineExecutionId: 'p1', taskExecutionId: 't3', schema: 's1' },
      { type: 'pipeline_started', pipelineExecutionId: 'p1', taskExecutionId: null, schema: 's1' },
    ]);
    expect(b.size).toBe(0);
  });

  it('delivers published signals to every subscriber of the key only, and survives a throwing listener', () => {
    const got: string[] = [];
    const off1 = signalHub.bus('k1').subscribe(() => {
      throw new Error('listener bug');
    });
    const off2 = signalHub.bus('k1').subscribe((s) => got.push(`a:${s.type}`));
    const off3 = signalHub.bus('k2').subscribe((s) => got.push(`b:${s.type}`));
    signalHub.publish('k1', [{ type: 'task_ready', pipelineExecutionId: 'p', taskExecutionId: null, schema: null }]);
    off1();
    off2();
    off3();
    signalHub.publish('k1', [{ type: 'task_ready', pipelineExecutionId: 'p', taskExecutionId: null, schema: null }]);
    expect(got).toEqual(['a:task_ready']);
  });
});

describe('event helpers', () => {
  it('orders task events by task id, then pipeline events by pipeline id', () => {
    const e = (p: string, t: string | null) => ({ pipelineExecutionId: p, taskExecutionId: t, eventType: 'task_ready' as const, eventData: null, runnerId: null });
    expect(orderEvents([e('p2', null), e('p1', 't2'), e('p1', null), e('p1', 't1')]).map((x) => x.taskExecutionId ?? x.pipelineExecutionId)).toEqual([
      't1',
      't2',
      'p1',
      'p2',
    ]);
  });

  it('builds snake_case event data', () => {
    expect(eventData.taskRetryScheduled(2, new Date('2025-01-01T00:00:01.000Z'), 'boom')).toEqual({
      attempt: 2,
      retry_at: '2025-01-01T00:00:01.000Z',
      error: 'boom',
    });
    expect(eventData.pipelineFinalized({ completed: 2, failed: 1, skipped: 0, contextId: null, reason: 'r' })).toEqual({
      completed: 2,
      failed: 1,
      skipped: 0,
      context_id: null,
      reason: 'r',
    });
  });
});

describe('argument checks', () => {
  it('rejects negative, fractional and unsafe limits', () => {
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, '3', null]) expect(() => check.limit(bad)).toThrow(ValidationError);
    expect(check.limit(0)).toBe(0);
  });

  it('chunks lists and compares byte-wise', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(compareBytes('B', 'a')).toBeLessThan(0);
    expect(compareBytes('a', 'a')).toBe(0);
  });
});

describe('TxState and transaction scope', () => {
  it('aborts after a database error only, and refuses use after the end', () => {
    const tx = new TxState('sqlite', null);
    tx.noteError(new ValidationError('typed'));
    expect(() => tx.ensureUsable()).not.toThrow();
    tx.noteError(new DatabaseError('boom', { backend: 'sqlite', dbCode: 'SQLITE_ERROR' }));
    expect(() => tx.ensureUsable()).toThrow(expect.objectContaining({ dbCode: 'TX_ABORTED' }));
    tx.finished = true;
    expect(() => tx.ensureUsable()).toThrow(new ConfigurationError('transaction already finished'));
  });

  it('detects a root call made inside its own transaction callback, even after awaits', async () => {
    const root = {};
    const other = {};
    await runInTransactionScope(root, async () => {
      await new Promise((r) => setTimeout(r, 1));
      expect(() => assertOutsideOwnTransaction(root)).toThrow('use the transaction-bound DAL inside transaction()');
      expect(() => assertOutsideOwnTransaction(other)).not.toThrow();
    });
    expect(() => assertOutsideOwnTransaction(root)).not.toThrow();
  });
});
