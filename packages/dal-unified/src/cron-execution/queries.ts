/** Cron executions: lookups and time-ordered lists (02 §4.8 queries). */
import { check, type CronExecutionDal } from '@cloacina/core';
import { findById, getById, selectRows, type Scope } from '../shared/index.js';

export type CronExecutionQueryMethods = Pick<
  CronExecutionDal,
  'getById' | 'findById' | 'getByScheduleId' | 'getByPipelineExecutionId' | 'getByTimeRange' | 'getLatestBySchedule'
>;

export function cronExecutionQueries(x: Scope): CronExecutionQueryMethods {
  const { rt } = x;
  const t = rt.t.cronExecutions;
  const eid = (id: string) => t.enc('id', id);
  const newestFirst = 'ORDER BY scheduled_time DESC, id DESC';

  return {
    async getById(id) {
      const key = check.id(id);
      return x.run((s) => getById(s, t, 'CronExecution', key, eid(key)));
    },

    async findById(id) {
      const key = check.id(id);
      return x.run((s) => findById(s, t, eid(key)));
    },

    async getByScheduleId(scheduleId, limit, offset) {
      const key = check.id(scheduleId, 'scheduleId');
      check.limit(limit, 'limit');
      check.limit(offset, 'offset');
      return x.run((s) => selectRows(s, t, `WHERE schedule_id = $1 ${newestFirst} LIMIT $2 OFFSET $3`, [t.enc('scheduleId', key), limit, offset]));
    },

    async getByPipelineExecutionId(pipelineId) {
      const key = check.id(pipelineId, 'pipelineId');
      const rows = await x.run((s) => selectRows(s, t, 'WHERE pipeline_execution_id = $1 ORDER BY id LIMIT 1', [t.enc('pipelineExecutionId', key)]));
      return rows[0] ?? null;
    },

    async getByTimeRange(start, end, limit, offset) {
      check.date(start, 'start');
      check.date(end, 'end');
      check.limit(limit, 'limit');
      check.limit(offset, 'offset');
      return x.run((s) =>
        selectRows(s, t, `WHERE scheduled_time >= $1 AND scheduled_time < $2 ${newestFirst} LIMIT $3 OFFSET $4`, [
          t.enc('scheduledTime', start),
          t.enc('scheduledTime', end),
          limit,
          offset,
        ]),
      );
    },

    async getLatestBySchedule(scheduleId) {
      const key = check.id(scheduleId, 'scheduleId');
      const rows = await x.run((s) => selectRows(s, t, `WHERE schedule_id = $1 ${newestFirst} LIMIT 1`, [t.enc('scheduleId', key)]));
      return rows[0] ?? null;
    },
  };
}
