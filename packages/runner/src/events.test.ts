import { describe, expect, it } from 'vitest';
import { ValidationError } from '@cloacina/core';
import { RunnerEvents } from './events.js';
import { consoleLogger } from './logger.js';

describe('RunnerEvents', () => {
  it('delivers typed payloads and unsubscribes', () => {
    const events = new RunnerEvents(consoleLogger('silent'));
    const seen: string[] = [];
    const off = events.on('pipelineCancelled', (p) => seen.push(p.executionId));
    expect(events.has('pipelineCancelled')).toBe(true);
    events.emit('pipelineCancelled', { executionId: 'a', workflowName: 'w' });
    off();
    events.emit('pipelineCancelled', { executionId: 'b', workflowName: 'w' });
    expect(seen).toEqual(['a']);
    expect(events.has('pipelineCancelled')).toBe(false);
  });

  it('logs and ignores a listener that throws or rejects; other listeners still run', async () => {
    const errors: string[] = [];
    const events = new RunnerEvents({ ...consoleLogger('silent'), error: (m: string) => void errors.push(m) });
    const seen: string[] = [];
    events.on('pipelineCompleted', () => {
      throw new Error('listener bug');
    });
    events.on('pipelineCompleted', async () => {
      throw new Error('async bug');
    });
    events.on('pipelineCompleted', (p) => seen.push(p.workflowName));
    expect(() => events.emit('pipelineCompleted', { executionId: 'x', workflowName: 'w' })).not.toThrow();
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(['w']);
    expect(errors).toEqual([
      "A 'pipelineCompleted' listener threw (ignored): Error: listener bug",
      "A 'pipelineCompleted' listener threw (ignored): Error: async bug",
    ]);
  });

  it('rejects unknown event names', () => {
    const events = new RunnerEvents(consoleLogger('silent'));
    expect(() => events.on('taskDone' as 'taskCompleted', () => {})).toThrow(ValidationError);
    expect(() => events.on('taskDone' as 'taskCompleted', () => {})).toThrow(
      "Unknown runner event 'taskDone'; expected one of taskStarted, taskCompleted, taskRetrying, taskFailed, taskSkipped, pipelineCompleted, pipelineFailed, pipelineCancelled",
    );
  });
});
