/** `cronSchedule` module (02 §4.7). Shape checks only; cron syntax is the runtime's business. */
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
  type CronSchedule,
  type CronScheduleDal,
} from '@cloacina/core';
import { decode, guardMiss, insertNew, requireChanged, TS, U } from './internal.js';
import type { Scope } from './scope.js';

export function createCronScheduleDal(scope: Scope): CronScheduleDal {
  const { env } = scope;

  const findById = async (rawId: string): Promise<CronSchedule | null> => {
    const id = check.id(rawId);
    const row = await scope.read((q) => q.get('SELECT * FROM cron_schedules WHERE id = ?', [U(id)]));
    return row ? decode.cronSchedule(row) : null;
  };

  /** One unconditional UPDATE of a schedule by id; NotFoundError if it matched nothing. */
  const update = async (id: string, set: string, params: unknown[]): Promise<void> => {
    await scope.write(async (c) => {
      const { changes } = await c.run(`UPDATE cron_schedules SET ${set}, updated_at = ? WHERE id = ?`, [...params, TS(env.now()), U(id)]);
      requireChanged(changes, 'CronSchedule', id);
    });
  };

  return {
    async create(input) {
      const v = newCronScheduleInput(input);
      return insertNew(scope, CRON_SCHEDULES, (id, now) => cronScheduleRecord(id, v, now), decode.cronSchedule);
    },

    findById,

    getById: mustFind('CronSchedule', findById),

    async delete(rawId) {
      const id = check.id(rawId);
      return scope.write(async (c) => (await c.run('DELETE FROM cron_schedules WHERE id = ?', [U(id)])).changes > 0);
    },

    async getDueSchedules(now) {
      const at = TS(check.date(now, 'now'));
      const rows = await scope.read((q) =>
        q.all(
          `SELECT * FROM cron_schedules
            WHERE enabled = 1 AND next_run_at <= ?
              AND (start_date IS NULL OR start_date <= ?) AND (end_date IS NULL OR end_date >= ?)
            ORDER BY next_run_at, id`,
          [at, at, at],
        ),
      );
      return rows.map(decode.cronSchedule);
    },

    async list(opts) {
      const { enabledOnly, limit, offset } = cronListOptions(opts);
      const rows = await scope.read((q) =>
        q.all(
          `SELECT * FROM cron_schedules${enabledOnly ? ' WHERE enabled = 1' : ''} ORDER BY workflow_name, id LIMIT ? OFFSET ?`,
          [limit, offset],
        ),
      );
      return rows.map(decode.cronSchedule);
    },

    async findByWorkflow(workflowName) {
      const name = check.text(workflowName, 'workflowName', { min: 0 });
      const rows = await scope.read((q) =>
        q.all('SELECT * FROM cron_schedules WHERE workflow_name = ? ORDER BY created_at DESC, id DESC', [name]),
      );
      return rows.map(decode.cronSchedule);
    },

    async count(opts) {
      const { enabledOnly } = cronCountOptions(opts);
      const row = await scope.read((q) =>
        q.get<{ n: number }>(`SELECT count(*) AS n FROM cron_schedules${enabledOnly ? ' WHERE enabled = 1' : ''}`),
      );
      return Number(row?.n ?? 0);
    },

    async updateScheduleTimes(rawId, lastRunAt, nextRunAt) {
      const id = check.id(rawId);
      const last = TS(check.date(lastRunAt, 'lastRunAt'));
      const next = TS(check.date(nextRunAt, 'nextRunAt'));
      await update(id, 'last_run_at = ?, next_run_at = ?', [last, next]);
    },

    async enable(rawId) {
      await update(check.id(rawId), 'enabled = 1', []);
    },

    async disable(rawId) {
      await update(check.id(rawId), 'enabled = 0', []);
    },

    async updateNextRun(rawId, nextRunAt) {
      const id = check.id(rawId);
      await update(id, 'next_run_at = ?', [TS(check.date(nextRunAt, 'nextRunAt'))]);
    },

    async claimAndUpdate(rawId, claim) {
      const id = check.id(rawId);
      const cc = cronClaimInput(claim);
      const [expected, at, last, next] = [TS(cc.expectedNextRunAt), TS(cc.now), TS(cc.lastRunAt), TS(cc.nextRunAt)];
      return scope.write(async (c) => {
        // Compare-and-set: of several claimers of one occurrence exactly one matches.
        const { changes } = await c.run(
          `UPDATE cron_schedules SET last_run_at = ?, next_run_at = ?, updated_at = ?
            WHERE id = ? AND enabled = 1 AND next_run_at = ? AND next_run_at <= ?`,
          [last, next, TS(env.now()), U(id), expected, at],
        );
        if (changes === 1) return true;
        return guardMiss(c, 'cron_schedules', 'CronSchedule', id);
      });
    },

    async updateExpressionAndTimezone(rawId, u) {
      const id = check.id(rawId);
      const x = cronScheduleUpdateInput(u);
      const sets = ['next_run_at = ?'];
      const params: unknown[] = [TS(x.nextRunAt)];
      const add = (column: string, value: unknown) => {
        sets.push(`${column} = ?`);
        params.push(value);
      };
      if (x.cronExpression !== undefined) add('cron_expression', x.cronExpression);
      if (x.timezone !== undefined) add('timezone', x.timezone);
      if (x.catchupPolicy !== undefined) add('catchup_policy', x.catchupPolicy);
      await update(id, sets.join(', '), params);
    },
  };
}
