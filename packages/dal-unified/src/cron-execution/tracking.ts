/** Cron executions: lost-fire detection and statistics (02 §4.8 tracking). */
import { check, cronExecutionStats, lostThresholdOption, minutesArg, type CronExecutionDal } from '@cloacina/core';
import { selectRows, toCount, type Scope } from '../shared/index.js';

export type CronExecutionTrackingMethods = Pick<CronExecutionDal, 'findLostExecutions' | 'countBySchedule' | 'executionExists' | 'getExecutionStats'>;

const MINUTE_MS = 60_000;

export function cronExecutionTracking(x: Scope): CronExecutionTrackingMethods {
  const { rt } = x;
  const t = rt.t.cronExecutions;
  const ts = (d: Date) => t.enc('claimedAt', d);

  return {
    async findLostExecutions(olderThanMinutes) {
      const n = minutesArg(olderThanMinutes, 'olderThanMinutes');
      return x.run((s) => {
        const cutoff = new Date(rt.now().getTime() - n * MINUTE_MS);
        return selectRows(s, t, 'WHERE pipeline_execution_id IS NULL AND claimed_at < $1 ORDER BY scheduled_time, id', [ts(cutoff)]);
      });
    },

    async countBySchedule(scheduleId) {
      const key = check.id(scheduleId, 'scheduleId');
      return x.run(async (s) => toCount((await s.first('SELECT count(*) AS n FROM cron_executions WHERE schedule_id = $1', [t.enc('scheduleId', key)]))?.n));
    },

    async executionExists(scheduleId, scheduledTime) {
      const key = check.id(scheduleId, 'scheduleId');
      check.date(scheduledTime, 'scheduledTime');
      return x.run(
        async (s) =>
          (await s.first('SELECT 1 AS hit FROM cron_executions WHERE schedule_id = $1 AND scheduled_time = $2 LIMIT 1', [
            t.enc('scheduleId', key),
            t.enc('scheduledTime', scheduledTime),
          ])) !== undefined,
      );
    },

    async getExecutionStats(since, opts) {
      check.date(since, 'since');
      const threshold = lostThresholdOption(opts);
      return x.run(async (s) => {
        const lostBefore = new Date(rt.now().getTime() - threshold * MINUTE_MS);
        // One statement, so the three counts come from one consistent snapshot.
        const row = await s.first(
          `SELECT count(*) AS total,
             SUM(CASE WHEN pipeline_execution_id IS NOT NULL THEN 1 ELSE 0 END) AS successful,
             SUM(CASE WHEN pipeline_execution_id IS NULL AND claimed_at < $2 THEN 1 ELSE 0 END) AS lost
           FROM cron_executions WHERE claimed_at >= $1`,
          [ts(since), ts(lostBefore)],
        );
        return cronExecutionStats(toCount(row?.total), toCount(row?.successful), toCount(row?.lost));
      });
    },
  };
}
