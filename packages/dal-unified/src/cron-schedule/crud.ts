/** Cron schedules: create, getById, findById, delete (02 §4.7 crud). */
import { check, cronScheduleRecord, newCronScheduleInput, type CronScheduleDal } from '@cloacina/core';
import { deleteById, findById, getById, insertNew, type Scope } from '../shared/index.js';

export type CronCrudMethods = Pick<CronScheduleDal, 'create' | 'getById' | 'findById' | 'delete'>;

export function cronScheduleCrud(x: Scope): CronCrudMethods {
  const { rt } = x;
  const t = rt.t.cronSchedules;
  const sid = (id: string) => t.enc('id', id);

  return {
    async create(input) {
      const v = newCronScheduleInput(input);
      return insertNew(x, t, (id, now) => cronScheduleRecord(id, v, now));
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
