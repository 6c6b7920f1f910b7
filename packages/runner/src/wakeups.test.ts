import { describe, expect, it } from 'vitest';
import { EXECUTION_EVENT_TYPES, type ExecutionEventType } from '@cloacina/core';
import { routeSignal } from './wakeups.js';

function route(type: ExecutionEventType) {
  const calls: string[] = [];
  routeSignal(
    { type, pipelineExecutionId: 'p', taskExecutionId: null, schema: null },
    {
      scheduler: { requestPass: (id) => void calls.push(`pass:${id}`) },
      executor: { requestTick: () => void calls.push('tick'), abortRun: (id) => void calls.push(`abort:${id}`) },
      watch: { check: (id) => void calls.push(`check:${id}`) },
    },
  );
  return calls;
}

describe('routeSignal (03 §10)', () => {
  it('routes every signal type to the right service', () => {
    const table = Object.fromEntries(EXECUTION_EVENT_TYPES.map((t) => [t, route(t)]));
    expect(table).toEqual({
      pipeline_created: ['pass:p', 'check:p'],
      pipeline_started: ['check:p'],
      pipeline_completed: ['check:p'],
      pipeline_failed: ['check:p'],
      pipeline_cancelled: ['abort:p', 'check:p'],
      pipeline_status_changed: ['check:p'],
      task_created: [],
      task_ready: ['tick'],
      task_skipped: ['pass:p'],
      task_claimed: [],
      task_completed: ['pass:p'],
      task_failed: ['pass:p'],
      task_retry_scheduled: ['tick'],
      task_released: ['tick'],
      task_reset: ['tick'],
      task_abandoned: ['pass:p'],
      task_retry_reset: ['tick'],
    });
  });

  it('tolerates disabled services', () => {
    expect(() => routeSignal({ type: 'task_ready', pipelineExecutionId: 'p', taskExecutionId: null, schema: null }, { scheduler: null, executor: null, watch: { check: () => undefined } })).not.toThrow();
  });
});
