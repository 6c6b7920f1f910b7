/** Cron schedules: due, list, by workflow, count (02 §4.7 queries). */
import { check, cronCountOptions, cronListOptions, type CronSchedule, type CronScheduleDal } from '@cloacina/core';
import { selectRows, toCount, type Scope } from '../shared/index.js';

export type CronQueryMethods = Pick<CronScheduleDal, 'getDueSchedules' | 'list' | 'findByWorkflow' | 'count'>;

export function cronScheduleQueries(x: Scope): CronQueryMethods {
  const { rt } = x;
  const t = rt.t.cronSchedules;

  return {
    async getDueSchedules(now) {
      check.date(now, 'now');
      return x.run((s) =>
        selectRows(
          s,
          t,
          `WHERE enabled = ${s.d.trueLiteral} AND next_run_at <= $1 AND (start_date IS NULL OR start_date <= $1)
             AND (end_date IS NULL OR end_date >= $1) ORDER BY next_run_at, id`,
          [t.enc('nextRunAt', now)],
        ),
      );
    },

    async list(opts) {
      const { enabledOnly, limit, offset } = cronListOptions(opts);
      if (limit === 0) {
        x.guard();
        return [];
      }
      return x.run((s) =>
        s.many<CronSchedule>(t.entity, (qb) => {
          if (enabledOnly) qb.where('t.enabled = :enabled', { enabled: t.enc('enabled', true) });
          return qb.orderBy('t.workflowName', 'ASC').addOrderBy('t.id', 'ASC').limit(limit).offset(offset);
        }),
      );
    },

    async findByWorkflow(workflowName) {
      const name = check.text(workflowName, 'workflowName', { min: 0 });
      return x.run((s) => selectRows(s, t, 'WHERE workflow_name = $1 ORDER BY created_at DESC, id DESC', [name]));
    },

    async count(opts) {
      const { enabledOnly } = cronCountOptions(opts);
      return x.run(async (s) => {
        const row = await s.first(`SELECT count(*) AS n FROM cron_schedules${enabledOnly ? ` WHERE enabled = ${s.d.trueLiteral}` : ''}`);
        return toCount(row?.n);
      });
    },
  };
}
