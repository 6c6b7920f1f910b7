import { describe, expect, it } from 'vitest';
import {
  ClaimLostError,
  Context,
  PipelineCancelledError,
  TaskExecutionError,
  TaskTimeoutError,
  task,
  type TaskRunFn,
} from '@cloacina/core';
import { outputOf, runAttempt } from './attempt.js';
import { consoleLogger } from './logger.js';

const info = {
  taskId: 't',
  namespace: 'public::embedded::w::t',
  workflowName: 'w',
  pipelineExecutionId: 'p',
  taskExecutionId: 'te',
  attempt: 1,
  maxAttempts: 3,
  runnerId: 'r',
  logger: consoleLogger('silent'),
};
const attempt = (run: TaskRunFn, input = {}, timeoutMs = 1000, controller = new AbortController()) =>
  runAttempt(task({ id: 't', run }), input, info, timeoutMs, controller);

describe('outputOf (03 §3.1 output rule)', () => {
  it('takes a Context, a plain object, or the mutated input', () => {
    const input = new Context({ a: 1 });
    input.set('b', 2);
    expect(outputOf(undefined, input)).toEqual({ a: 1, b: 2 });
    expect(outputOf(new Context({ c: 3 }), input)).toEqual({ c: 3 });
    expect(outputOf({ d: [4] }, input)).toEqual({ d: [4] });
  });

  it('fails the attempt for anything else', () => {
    for (const v of [42, 'text', null, [1], new Map()]) {
      expect(() => outputOf(v, new Context())).toThrow(TaskExecutionError);
      expect(() => outputOf(v, new Context())).toThrow('Task execution failed: Task returned a value that is not a Context or JSON object');
    }
    expect(() => outputOf({ f: () => 1 }, new Context())).toThrow(/^Task execution failed: Task returned an object that is not valid JSON: /);
  });
});

describe('runAttempt', () => {
  it('passes the input and run info, and returns the output', async () => {
    const out = await attempt((ctx, i) => ({ ...ctx.toJSON(), seen: [i.taskId, i.attempt, i.maxAttempts, i.workflowName] }), { x: 1 });
    expect(out).toEqual({ kind: 'succeeded', output: { x: 1, seen: ['t', 1, 3, 'w'] } });
  });

  it('reports thrown values, including synchronous throws and non-errors', async () => {
    const err = new Error('nope');
    expect(await attempt(() => { throw err; })).toEqual({ kind: 'failed', error: err });
    expect(await attempt(async () => Promise.reject('plain string'))).toEqual({ kind: 'failed', error: 'plain string' });
  });

  it('times out at once with TaskTimeoutError, aborting the signal', async () => {
    let seen: AbortSignal | undefined;
    const out = await attempt((_c, i) => {
      seen = i.signal;
      return new Promise(() => {}); // never settles
    }, {}, 20);
    expect(out.kind).toBe('failed');
    const error = (out as { error: unknown }).error;
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect((error as Error).message).toBe("Task execution timeout: 'public::embedded::w::t' exceeded 20 ms");
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
  });

  it('is interrupted by a lost claim or a cancellation, even before it starts', async () => {
    const c = new AbortController();
    const running = attempt(() => new Promise(() => {}), {}, 10_000, c);
    const reason = new PipelineCancelledError('p');
    c.abort(reason);
    expect(await running).toEqual({ kind: 'interrupted', reason });

    const early = new AbortController();
    const lost = new ClaimLostError('te', 'r', 'Ready', null);
    early.abort(lost);
    let ran = false;
    expect(await attempt(() => void (ran = true), {}, 1000, early)).toEqual({ kind: 'interrupted', reason: lost });
    expect(ran).toBe(false);
  });
});
