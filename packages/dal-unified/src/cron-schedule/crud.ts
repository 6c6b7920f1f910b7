/** Cron schedules: create, getById, findById, delete (02 §4.7 crud). */
import {
  assertCatchupPolicy,
  check,
  isPlainObject,
  ValidationError,
  type CronSchedule,
  type CronScheduleDal,
} from '@cloacina/core';
import { at, deleteById, findById, getById, insertRows, type Scope } from '../shared/index.js';

export type CronCrudMethods = Pick<CronScheduleDal, 'create' | 'getById' | 'findById' | 'delete'>;

export function cronScheduleCrud(x: Scope): CronCrudMethods {
  const { rt } = x;
  const t = rt.t.cronSchedules;
  const sid = (id: string) => t.enc('id', id);

  return {
    async create(input) {
      if (!isPlainObject(input)) throw new ValidationError('input must be an object', { field: 'input' });
      const workflowName = check.text(input.workflowName, 'workflowName');
      const cronExpression = check.text(input.cronExpression, 'cronExpression');
      const timezone = input.timezone === undefined ? 'UTC' : check.text(input.timezone, 'timezone');
      if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
        throw new ValidationError('enabled must be a boolean', { field: 'enabled', reason: 'InvalidBoolean' });
      }
      const enabled = input.enabled ?? true;
      const catchupPolicy = input.catchupPolicy === undefined ? 'skip' : assertCatchupPolicy(input.catchupPolicy);
      const startDate = input.startDate === undefined || input.startDate === null ? null : check.date(input.startDate, 'startDate');
      const endDate = input.endDate === undefined || input.endDate === null ? null : check.date(input.endDate, 'endDate');
      if (startDate && endDate && startDate.getTime() > endDate.getTime()) {
        throw new ValidationError('startDate must not be after endDate', { field: 'endDate', reason: 'InvalidWindow' });
      }
      const nextRunAt = check.date(input.nextRunAt, 'nextRunAt');
      return x.run(async (s) => {
        const now = rt.now();
        const record: CronSchedule = {
          id: rt.newId(),
          workflowName,
          cronExpression,
          timezone,
          enabled,
          catchupPolicy,
          startDate: startDate && at(startDate),
          endDate: endDate && at(endDate),
          nextRunAt: at(nextRunAt),
          lastRunAt: null,
          createdAt: at(now),
          updatedAt: at(now),
        };
        await insertRows(s, t, [record]);
        return record;
      });
    },

    async getById(id) {
      const key = check.id(id);
      return x.run((s) => getById(s, t, 'CronSchedule', key, sid(key)));
    },

    async findById(id) {
      const key = check.id(id);
      return x.run((s) => findById(s, t, sid(key)));
    },

    async delete(id) {
      const key = check.id(id);
      return x.run((s) => deleteById(s, t, sid(key)));
    },
  };
}
