/** Cron schedules: due, list, by workflow, count (02 §4.7 queries). */
import { check, isPlainObject, ValidationError, type CronSchedule, type CronScheduleDal } from '@cloacina/core';
import { selectRows, toCount, type Scope } from '../shared/index.js';

export type CronQueryMethods = Pick<CronScheduleDal, 'getDueSchedules' | 'list' | 'findByWorkflow' | 'count'>;

function enabledOnlyOf(opts: unknown): boolean {
  if (opts === undefined) return false;
  if (!isPlainObject(opts)) throw new ValidationError('opts must be an object', { field: 'opts' });
  if (opts.enabledOnly !== undefined && typeof opts.enabledOnly !== 'boolean') {
    throw new ValidationError('enabledOnly must be a boolean', { field: 'enabledOnly', reason: 'InvalidBoolean' });
  }
  return opts.enabledOnly === true;
}

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
      const enabledOnly = enabledOnlyOf(opts);
      const limit = opts?.limit === undefined ? 100 : check.limit(opts.limit, 'limit');
      const offset = opts?.offset === undefined ? 0 : check.limit(opts.offset, 'offset');
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
      const enabledOnly = enabledOnlyOf(opts);
      return x.run(async (s) => {
        const row = await s.first(`SELECT count(*) AS n FROM cron_schedules${enabledOnly ? ` WHERE enabled = ${s.d.trueLiteral}` : ''}`);
        return toCount(row?.n);
      });
    },
  };
}
