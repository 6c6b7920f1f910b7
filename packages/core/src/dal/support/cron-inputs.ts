/**
 * Inputs of the cron modules (02 §4.7, §4.8). The DAL checks shape only: non-empty strings,
 * the catch-up vocabulary, valid dates and the window order; cron syntax and time zones are
 * the runtime's business (03 §13).
 */
import { ValidationError } from '../../errors/index.js';
import type { CronExecution, CronSchedule } from '../../models/records.js';
import { assertCatchupPolicy } from '../../models/vocabulary.js';
import type { CronClaim, CronScheduleUpdate } from '../types.js';
import { booleanArg, minutesArg, objectArg, optionalDate, optionalId, optionalObjectArg } from './args.js';
import { check } from './validate.js';

/** cronSchedule.create with its defaults: zone UTC, enabled, catch-up policy skip. */
export type NewCronScheduleFields = Omit<CronSchedule, 'id' | 'lastRunAt' | 'createdAt' | 'updatedAt'>;

export function newCronScheduleInput(input: unknown): NewCronScheduleFields {
  const i = objectArg(input, 'input');
  const workflowName = check.text(i.workflowName, 'workflowName');
  const cronExpression = check.text(i.cronExpression, 'cronExpression');
  const timezone = i.timezone === undefined ? 'UTC' : check.text(i.timezone, 'timezone');
  const enabled = booleanArg(i.enabled, 'enabled', true);
  const catchupPolicy = i.catchupPolicy === undefined ? 'skip' : assertCatchupPolicy(i.catchupPolicy, 'catchupPolicy');
  const startDate = optionalDate(i.startDate, 'startDate');
  const endDate = optionalDate(i.endDate, 'endDate');
  // Both ends are inclusive (getDueSchedules), so equal dates are a one-instant window.
  if (startDate && endDate && startDate.getTime() > endDate.getTime()) {
    throw new ValidationError('startDate must not be after endDate', { field: 'startDate', reason: 'InvalidWindow' });
  }
  const nextRunAt = check.date(i.nextRunAt, 'nextRunAt');
  return { workflowName, cronExpression, timezone, enabled, catchupPolicy, startDate, endDate, nextRunAt };
}

/** cronExecution.create; `claimedAt` null means "the call's now" (filled in by the record). */
export type NewCronExecutionFields = Omit<CronExecution, 'id' | 'claimedAt' | 'createdAt' | 'updatedAt'> & { claimedAt: Date | null };

export function newCronExecutionInput(input: unknown): NewCronExecutionFields {
  const i = objectArg(input, 'input');
  return {
    scheduleId: check.id(i.scheduleId, 'scheduleId'),
    scheduledTime: check.date(i.scheduledTime, 'scheduledTime'),
    pipelineExecutionId: optionalId(i.pipelineExecutionId, 'pipelineExecutionId'),
    claimedAt: optionalDate(i.claimedAt, 'claimedAt'),
  };
}

/** claimAndUpdate's compare-and-set values. */
export function cronClaimInput(claim: unknown): CronClaim {
  const c = objectArg(claim, 'claim');
  return {
    expectedNextRunAt: check.date(c.expectedNextRunAt, 'expectedNextRunAt'),
    now: check.date(c.now, 'now'),
    lastRunAt: check.date(c.lastRunAt, 'lastRunAt'),
    nextRunAt: check.date(c.nextRunAt, 'nextRunAt'),
  };
}

/** updateExpressionAndTimezone: nextRunAt always, the other fields only when given. */
export function cronScheduleUpdateInput(update: unknown): CronScheduleUpdate {
  const u = objectArg(update, 'update');
  const out: CronScheduleUpdate = { nextRunAt: check.date(u.nextRunAt, 'nextRunAt') };
  if (u.cronExpression !== undefined) out.cronExpression = check.text(u.cronExpression, 'cronExpression');
  if (u.timezone !== undefined) out.timezone = check.text(u.timezone, 'timezone');
  if (u.catchupPolicy !== undefined) out.catchupPolicy = assertCatchupPolicy(u.catchupPolicy, 'catchupPolicy');
  return out;
}

/** cronSchedule.count options: only enabled schedules when `enabledOnly` (default false). */
export function cronCountOptions(opts: unknown): { enabledOnly: boolean } {
  const o = optionalObjectArg(opts, 'opts');
  return { enabledOnly: booleanArg(o.enabledOnly ?? undefined, 'enabledOnly', false) };
}

/** cronSchedule.list options: as count, plus limit 100 and offset 0 by default. */
export function cronListOptions(opts: unknown): { enabledOnly: boolean; limit: number; offset: number } {
  const o = optionalObjectArg(opts, 'opts');
  return {
    enabledOnly: booleanArg(o.enabledOnly ?? undefined, 'enabledOnly', false),
    limit: o.limit === undefined ? 100 : check.limit(o.limit, 'limit'),
    offset: o.offset === undefined ? 0 : check.limit(o.offset, 'offset'),
  };
}

/** getExecutionStats' lost threshold in minutes (default 10). */
export function lostThresholdOption(opts: unknown): number {
  const o = optionalObjectArg(opts, 'opts');
  return o.lostThresholdMinutes === undefined ? 10 : minutesArg(o.lostThresholdMinutes, 'lostThresholdMinutes');
}
