/**
 * `cronSchedule` module (02 §4.7). The DAL checks shape only (non-empty strings, vocabulary,
 * window order); cron syntax and zones are the runtime's business (03 §13).
 */
import {
  check,
  CRON_SCHEDULES,
  cronClaimInput,
  cronCountOptions,
  cronListOptions,
  cronScheduleRecord,
  cronScheduleUpdateInput,
  mustFind,
  newCronScheduleInput,
  NotFoundError,
  type CronScheduleDal,
} from '@cloacina/core';
import type { Exec } from './executor.js';
import { decode, existsOrThrow, insertRows, num, ts } from './shared.js';

export function createCronScheduleDal(e: Exec): CronScheduleDal {
  const findById = async (id: string) => {
    const rows = await e.rows('SELECT * FROM cron_schedules WHERE id = $1', [check.id(id)]);
    return rows.length > 0 ? decode.cronSchedule(rows[0]!) : null;
  };

  /** Unconditional single-row update; NotFoundError when the id is unknown. */
  const update = async (id: string, set: string, params: unknown[]) => {
    const key = check.id(id);
    const r = await e.query(`UPDATE cron_schedules SET ${set} WHERE id = $1`, [key, ...params]);
    if (r.rowCount === 0) throw new NotFoundError('CronSchedule', key);
  };

  return {
    async create(input) {
      const v = newCronScheduleInput(input);
      const now = e.now();
      const [row] = await insertRows(e, CRON_SCHEDULES, [cronScheduleRecord(e.newId(), v, now)]);
      return decode.cronSchedule(row!);
    },

    findById,

    getById: mustFind('CronSchedule', findById),

    async delete(id) {
      const r = await e.query('DELETE FROM cron_schedules WHERE id = $1', [check.id(id)]);
      return r.rowCount > 0;
    },

    async getDueSchedules(now) {
      const at = ts(check.date(now, 'now'));
      const rows = await e.rows(
        `SELECT * FROM cron_schedules
          WHERE enabled AND next_run_at <= $1::timestamptz
            AND (start_date IS NULL OR start_date <= $1::timestamptz)
            AND (end_date IS NULL OR end_date >= $1::timestamptz)
          ORDER BY next_run_at, id`,
        [at],
      );
      return rows.map(decode.cronSchedule);
    },

    async list(opts) {
      const { enabledOnly, limit, offset } = cronListOptions(opts);
      const rows = await e.rows(
        `SELECT * FROM cron_schedules${enabledOnly ? ' WHERE enabled' : ''} ORDER BY workflow_name, id LIMIT $1 OFFSET $2`,
        [limit, offset],
      );
      return rows.map(decode.cronSchedule);
    },

    async findByWorkflow(workflowName) {
      const name = check.text(workflowName, 'workflowName', { min: 0 });
      const rows = await e.rows('SELECT * FROM cron_schedules WHERE workflow_name = $1 ORDER BY created_at DESC, id DESC', [name]);
      return rows.map(decode.cronSchedule);
    },

    async count(opts) {
      const { enabledOnly } = cronCountOptions(opts);
      const rows = await e.rows<{ n: string }>(`SELECT count(*) AS n FROM cron_schedules${enabledOnly ? ' WHERE enabled' : ''}`);
      return num(rows[0]!.n);
    },

    async updateScheduleTimes(id, lastRunAt, nextRunAt) {
      const last = ts(check.date(lastRunAt, 'lastRunAt'));
      const next = ts(check.date(nextRunAt, 'nextRunAt'));
      await update(id, 'last_run_at = $2, next_run_at = $3, updated_at = $4', [last, next, ts(e.now())]);
    },

    async enable(id) {
      await update(id, 'enabled = true, updated_at = $2', [ts(e.now())]);
    },

    async disable(id) {
      await update(id, 'enabled = false, updated_at = $2', [ts(e.now())]);
    },

    async updateNextRun(id, nextRunAt) {
      const next = ts(check.date(nextRunAt, 'nextRunAt'));
      await update(id, 'next_run_at = $2, updated_at = $3', [next, ts(e.now())]);
    },

    async claimAndUpdate(id, claim) {
      const key = check.id(id);
      const c = cronClaimInput(claim);
      const params = [key, ts(c.expectedNextRunAt), ts(c.now), ts(c.lastRunAt), ts(c.nextRunAt), ts(e.now())];
      // Compare-and-set: of concurrent claimers of one occurrence exactly one matches.
      const r = await e.query(
        `UPDATE cron_schedules SET last_run_at = $4, next_run_at = $5, updated_at = $6
          WHERE id = $1 AND enabled AND next_run_at = $2::timestamptz AND next_run_at <= $3::timestamptz`,
        params,
      );
      if (r.rowCount === 1) return true;
      return existsOrThrow(e, 'cron_schedules', 'CronSchedule', key);
    },

    async updateExpressionAndTimezone(id, u) {
      const x = cronScheduleUpdateInput(u);
      const params: unknown[] = [ts(x.nextRunAt), ts(e.now())];
      const sets = ['next_run_at = $2', 'updated_at = $3'];
      const add = (column: string, value: unknown) => {
        params.push(value);
        sets.push(`${column} = $${params.length + 1}`);
      };
      if (x.cronExpression !== undefined) add('cron_expression', x.cronExpression);
      if (x.timezone !== undefined) add('timezone', x.timezone);
      if (x.catchupPolicy !== undefined) add('catchup_policy', x.catchupPolicy);
      await update(id, sets.join(', '), params);
    },
  };
}
