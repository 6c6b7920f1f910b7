/** Cron schedules: time updates, enable/disable and the compare-and-set claim (02 §4.7 state). */
import { check, cronClaimInput, cronScheduleUpdateInput, type CronScheduleDal } from '@cloacina/core';
import { mustExist, updateById, type Scope } from '../shared/index.js';

export type CronStateMethods = Pick<
  CronScheduleDal,
  'updateScheduleTimes' | 'enable' | 'disable' | 'updateNextRun' | 'claimAndUpdate' | 'updateExpressionAndTimezone'
>;

export function cronScheduleState(x: Scope): CronStateMethods {
  const { rt } = x;
  const t = rt.t.cronSchedules;
  const sid = (id: string) => t.enc('id', id);
  const ts = (d: Date | null) => t.enc('updatedAt', d);

  const update = (id: string, set: string, params: (now: Date) => unknown[]) => {
    const key = check.id(id);
    return x.run((s) => updateById(s, t, 'CronSchedule', key, sid(key), set, params(rt.now())));
  };

  const setEnabled = (id: string, enabled: boolean) => update(id, 'enabled = $2, updated_at = $3', (now) => [t.enc('enabled', enabled), ts(now)]);

  return {
    async updateScheduleTimes(id, lastRunAt, nextRunAt) {
      check.date(lastRunAt, 'lastRunAt');
      check.date(nextRunAt, 'nextRunAt');
      await update(id, 'last_run_at = $2, next_run_at = $3, updated_at = $4', (now) => [ts(lastRunAt), ts(nextRunAt), ts(now)]);
    },

    async enable(id) {
      await setEnabled(id, true);
    },

    async disable(id) {
      await setEnabled(id, false);
    },

    async updateNextRun(id, nextRunAt) {
      check.date(nextRunAt, 'nextRunAt');
      await update(id, 'next_run_at = $2, updated_at = $3', (now) => [ts(nextRunAt), ts(now)]);
    },

    async claimAndUpdate(id, claim) {
      const key = check.id(id);
      const { expectedNextRunAt: expected, now: due, lastRunAt, nextRunAt } = cronClaimInput(claim);
      return x.run(async (s) => {
        // Compare-and-set in one conditional UPDATE: of concurrent claimers exactly one matches.
        const r = await s.exec(
          `UPDATE cron_schedules SET last_run_at = $2, next_run_at = $3, updated_at = $4
           WHERE id = $1 AND enabled = ${s.d.trueLiteral} AND next_run_at = $5 AND next_run_at <= $6`,
          [sid(key), ts(lastRunAt), ts(nextRunAt), ts(rt.now()), ts(expected), ts(due)],
        );
        if (r.affected === 1) return true;
        await mustExist(s, t, 'CronSchedule', key, sid(key));
        return false;
      });
    },

    async updateExpressionAndTimezone(id, u) {
      const v = cronScheduleUpdateInput(u);
      const [expr, zone, policy, nextRunAt] = [v.cronExpression ?? null, v.timezone ?? null, v.catchupPolicy ?? null, v.nextRunAt];
      await update(
        id,
        `next_run_at = $2, updated_at = $3, cron_expression = COALESCE($4, cron_expression), timezone = COALESCE($5, timezone),
           catchup_policy = COALESCE($6, catchup_policy)`,
        (now) => [ts(nextRunAt), ts(now), expr, zone, policy],
      );
    },
  };
}
