import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors/index.js';
import { booleanArg, minutesArg, objectArg, optionalDate, optionalId, optionalObjectArg, textList } from './args.js';
import { cronClaimInput, cronCountOptions, cronListOptions, cronScheduleUpdateInput, lostThresholdOption, newCronExecutionInput, newCronScheduleInput } from './cron-inputs.js';
import {
  eventQueryOptions,
  metadataTaskName,
  newExecutionEventInput,
  newMetadataInput,
  newPipelineInput,
  newRecoveryEventInput,
  newRunInput,
  newTaskInput,
  packageMetadataInput,
} from './inputs.js';
import { leaseGuardArg, readinessDecisions, retryOptions } from './task-inputs.js';

const P = '0190A000-0000-7000-8000-000000000001';
const p = P.toLowerCase();
const T = '0190a000-0000-7000-8000-000000000002';
const at = new Date('2025-01-01T00:00:00.000Z');

/** The ValidationError `fn` throws, for asserting its field and reason. */
function rejection(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('argument helpers', () => {
  it('accepts any non-array object as a parameter object; undefined and null options mean none', () => {
    class Input {
      a = 1;
    }
    expect(objectArg(new Input(), 'input')).toEqual({ a: 1 });
    for (const bad of [null, undefined, [], 'x', 1]) expect(rejection(() => objectArg(bad, 'input')).field).toBe('input');
    expect(optionalObjectArg(undefined, 'opts')).toEqual({});
    expect(optionalObjectArg(null, 'opts')).toEqual({});
    expect(() => optionalObjectArg(5, 'opts')).toThrow(ValidationError);
  });

  it('treats undefined and null alike for optional ids and dates', () => {
    expect(optionalId(undefined, 'x')).toBeNull();
    expect(optionalId(null, 'x')).toBeNull();
    expect(optionalId(P, 'x')).toBe(p);
    expect(optionalDate(null, 'x')).toBeNull();
    expect(() => optionalDate(new Date(Number.NaN), 'x')).toThrow(ValidationError);
  });

  it('checks booleans, minutes and text lists', () => {
    expect(booleanArg(undefined, 'f', true)).toBe(true);
    expect(rejection(() => booleanArg('yes', 'f', true)).reason).toBe('InvalidBoolean');
    expect(minutesArg(0.5, 'm')).toBe(0.5);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5']) expect(rejection(() => minutesArg(bad, 'm')).reason).toBe('InvalidNumber');
    expect(textList(['a', ''], 'names')).toEqual(['a', '']);
    expect(rejection(() => textList(['a\u0000'], 'names')).reason).toBe('InvalidCharacters');
    expect(() => textList(['a', 1], 'names')).toThrow(ValidationError);
  });
});

describe('New… inputs', () => {
  it('applies the defaults of pipelineExecution.create', () => {
    expect(newPipelineInput({ pipelineName: 'wf' })).toEqual({ pipelineName: 'wf', pipelineVersion: '1.0', status: 'Pending', contextId: null });
    expect(newPipelineInput({ pipelineName: 'wf', pipelineVersion: '2', status: 'Completed', contextId: P }).contextId).toBe(p);
    expect(() => newPipelineInput({ pipelineName: 'wf', status: 'Done' })).toThrow(ValidationError);
  });

  it('validates a whole run: at least one task, unique names, valid JSON', () => {
    const task = (taskName: string) => ({ taskName, maxAttempts: 2, triggerRules: { type: 'Always' }, taskConfiguration: {} });
    const run = { pipelineName: 'wf', pipelineVersion: '1', inputContext: { a: 1 }, tasks: [task('a'), task('b')] };
    expect(newRunInput(run)).toEqual(run);
    expect(rejection(() => newRunInput({ ...run, tasks: [] })).reason).toBe('Empty');
    expect(rejection(() => newRunInput({ ...run, tasks: [task('a'), task('a')] })).reason).toBe('DuplicateTaskName');
    expect(rejection(() => newRunInput({ ...run, tasks: [null] })).field).toBe('tasks[0]');
    expect(rejection(() => newRunInput({ ...run, tasks: [{ ...task('a'), maxAttempts: 0 }] })).field).toBe('tasks[0].maxAttempts');
    expect(() => newRunInput({ ...run, inputContext: { bad: undefined } })).toThrow(ValidationError);
  });

  it('applies the task defaults and ties claimedBy to status Running', () => {
    expect(newTaskInput({ pipelineExecutionId: P, taskName: 't' })).toEqual({
      pipelineExecutionId: p,
      taskName: 't',
      status: 'NotStarted',
      attempt: 1,
      maxAttempts: 1,
      triggerRules: { type: 'Always' },
      taskConfiguration: {},
      claimedBy: null,
    });
    expect(newTaskInput({ pipelineExecutionId: P, taskName: 't', status: 'Running', claimedBy: 'r1' }).claimedBy).toBe('r1');
    expect(rejection(() => newTaskInput({ pipelineExecutionId: P, taskName: 't', status: 'Running' })).reason).toBe('Required');
    expect(rejection(() => newTaskInput({ pipelineExecutionId: P, taskName: 't', claimedBy: 'r1' })).reason).toBe('NotAllowed');
    expect(() => newTaskInput({ pipelineExecutionId: P, taskName: 't', attempt: 1.5 })).toThrow(ValidationError);
  });

  it('normalises metadata, recovery and execution events', () => {
    expect(newMetadataInput({ taskExecutionId: T, pipelineExecutionId: P, taskName: 'x' })).toEqual({ taskExecutionId: T, pipelineExecutionId: p, taskName: 'x', contextId: null });
    expect(newRecoveryEventInput({ pipelineExecutionId: P, recoveryType: 'task_reset', details: null })).toEqual({
      pipelineExecutionId: p,
      taskExecutionId: null,
      recoveryType: 'task_reset',
      details: null,
    });
    expect(() => newRecoveryEventInput({ pipelineExecutionId: P, recoveryType: 'other' })).toThrow(ValidationError);
    const base = { pipelineExecutionId: P, eventType: 'task_ready' };
    expect(newExecutionEventInput(base, 'me').runnerId).toBe('me');
    expect(newExecutionEventInput({ ...base, runnerId: null }, 'me').runnerId).toBeNull();
    expect(newExecutionEventInput({ ...base, runnerId: 'r2', eventData: { a: 1 } }, 'me')).toMatchObject({ runnerId: 'r2', eventData: { a: 1 } });
  });

  it('renders a TaskNamespace and refuses a partial one', () => {
    expect(metadataTaskName('t')).toBe('t');
    expect(metadataTaskName({ tenantId: 'public', packageName: 'p', workflowId: 'w', taskId: 't' })).toBe('public::p::w::t');
    expect(() => metadataTaskName({ tenantId: 'public' })).toThrow(ValidationError);
    expect(() => metadataTaskName(7)).toThrow(ValidationError);
  });

  it('takes the package columns from the manifest and keeps the manifest', () => {
    const manifest = { name: 'pkg', version: '1.0.0', description: 'd', workflows: [] };
    expect(packageMetadataInput(P, manifest, 'database')).toEqual({
      registryId: p,
      packageName: 'pkg',
      version: '1.0.0',
      description: 'd',
      author: null,
      metadata: manifest,
      storageType: 'database',
    });
    expect(() => packageMetadataInput(P, { ...manifest, name: 'x'.repeat(256) }, 'database')).toThrow(ValidationError);
    expect(() => packageMetadataInput(P, { ...manifest, version: '' }, 'database')).toThrow(ValidationError);
    expect(() => packageMetadataInput(P, manifest, 'cloud')).toThrow(ValidationError);
    expect(() => packageMetadataInput('nope', manifest, 'database')).toThrow(ValidationError);
  });

  it('reads execution event query options', () => {
    expect(eventQueryOptions(undefined)).toEqual({ since: null, limit: 100, offset: 0 });
    expect(eventQueryOptions({ since: at, limit: 5, offset: 1 })).toEqual({ since: at, limit: 5, offset: 1 });
    expect(() => eventQueryOptions({ limit: -1 })).toThrow(ValidationError);
  });
});

describe('cron inputs', () => {
  const schedule = { workflowName: 'wf', cronExpression: '* * * * *', nextRunAt: at };

  it('applies the schedule defaults and checks the window order', () => {
    expect(newCronScheduleInput(schedule)).toEqual({
      ...schedule,
      timezone: 'UTC',
      enabled: true,
      catchupPolicy: 'skip',
      startDate: null,
      endDate: null,
    });
    expect(newCronScheduleInput({ ...schedule, startDate: at, endDate: at }).endDate).toBe(at);
    const later = new Date(at.getTime() + 1);
    expect(rejection(() => newCronScheduleInput({ ...schedule, startDate: later, endDate: at })).reason).toBe('InvalidWindow');
    expect(() => newCronScheduleInput({ ...schedule, catchupPolicy: 'all' })).toThrow(ValidationError);
    expect(() => newCronScheduleInput({ ...schedule, enabled: 1 })).toThrow(ValidationError);
  });

  it('leaves claimedAt to the call when absent', () => {
    expect(newCronExecutionInput({ scheduleId: P, scheduledTime: at })).toEqual({ scheduleId: p, scheduledTime: at, pipelineExecutionId: null, claimedAt: null });
    expect(newCronExecutionInput({ scheduleId: P, scheduledTime: at, claimedAt: null }).claimedAt).toBeNull();
  });

  it('validates claims, updates and options', () => {
    const claim = { expectedNextRunAt: at, now: at, lastRunAt: at, nextRunAt: at };
    expect(cronClaimInput(claim)).toEqual(claim);
    expect(() => cronClaimInput({ ...claim, now: 'now' })).toThrow(ValidationError);
    expect(cronScheduleUpdateInput({ nextRunAt: at })).toEqual({ nextRunAt: at });
    expect(cronScheduleUpdateInput({ nextRunAt: at, timezone: 'Europe/Paris' })).toEqual({ nextRunAt: at, timezone: 'Europe/Paris' });
    expect(() => cronScheduleUpdateInput({ nextRunAt: at, cronExpression: '' })).toThrow(ValidationError);
    expect(cronListOptions(undefined)).toEqual({ enabledOnly: false, limit: 100, offset: 0 });
    expect(cronCountOptions({ enabledOnly: true, limit: -1 })).toEqual({ enabledOnly: true });
    expect(() => cronListOptions({ enabledOnly: 'yes' })).toThrow(ValidationError);
    expect(lostThresholdOption(undefined)).toBe(10);
    expect(lostThresholdOption({ lostThresholdMinutes: 2.5 })).toBe(2.5);
  });
});

describe('task transition arguments', () => {
  it('validates lease guards', () => {
    expect(leaseGuardArg(undefined)).toBeUndefined();
    expect(leaseGuardArg({ claimedBy: 'r1', heartbeatBefore: null })).toEqual({ claimedBy: 'r1' });
    expect(leaseGuardArg({ claimedBy: 'r1', heartbeatBefore: at })).toEqual({ claimedBy: 'r1', heartbeatBefore: at });
    expect(rejection(() => leaseGuardArg({ claimedBy: '' })).field).toBe('guard.claimedBy');
    expect(() => leaseGuardArg('r1')).toThrow(ValidationError);
  });

  it('validates every readiness decision and keeps the first per task, in input order', () => {
    expect(
      readinessDecisions([
        { id: T, outcome: 'Skipped', reason: 'no' },
        { id: P, outcome: 'Ready' },
        { id: T, outcome: 'Ready' },
      ]),
    ).toEqual([
      { id: T, outcome: 'Skipped', reason: 'no' },
      { id: p, outcome: 'Ready' },
    ]);
    expect(rejection(() => readinessDecisions([{ id: T, outcome: 'Ready' }, { id: T, outcome: 'Maybe' }])).reason).toBe('UnknownValue');
    expect(() => readinessDecisions({})).toThrow(ValidationError);
  });

  it('reads retry options', () => {
    expect(retryOptions({ retryAt: at })).toEqual({ retryAt: at, error: null });
    expect(retryOptions({ retryAt: at, error: '' })).toEqual({ retryAt: at, error: '' });
    expect(() => retryOptions(null)).toThrow(ValidationError);
  });
});
