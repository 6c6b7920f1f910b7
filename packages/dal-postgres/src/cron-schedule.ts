/**
 * `cronSchedule` module (02 §4.7). The DAL checks shape only (non-empty strings, vocabulary,
 * window order); cron syntax and zones are the runtime's business (03 §13).
 */
import { assertCatchupPolicy, check, CRON_SCHEDULES, NotFoundError, ValidationError, type CronScheduleDal } from '@cloacina/core';
import type { Exec } from './executor.js';
import { decode, existsOrThrow, insertRows, num, ts } from './shared.js';

function objectArg(v: unknown, field: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(`${field} must be an object`, { field });
  return v as Record<string, unknown>;
}

function optionalDate(v: unknown, field: string): Date | null {
  return v === undefined || v === null ? null : check.date(v, field);
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new ValidationError(`${field} must be a boolean`, { field });
  return v;
}

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
      const i = objectArg(input, 'input');
      const workflowName = check.text(i.workflowName, 'workflowName');
      const cronExpression = check.text(i.cronExpression, 'cronExpression');
      const timezone = i.timezone === undefined ? 'UTC' : check.text(i.timezone, 'timezone');
      const enabled = i.enabled === undefined ? true : bool(i.enabled, 'enabled');
      const catchupPolicy = i.catchupPolicy === undefined ? 'skip' : assertCatchupPolicy(i.catchupPolicy, 'catchupPolicy');
      const startDate = optionalDate(i.startDate, 'startDate');
      const endDate = optionalDate(i.endDate, 'endDate');
      if (startDate && endDate && startDate.getTime() > endDate.getTime()) {
        throw new ValidationError('startDate must not be after endDate', { field: 'startDate', reason: 'InvalidWindow' });
      }
      const nextRunAt = check.date(i.nextRunAt, 'nextRunAt');
      const now = e.now();
      const [row] = await insertRows(e, CRON_SCHEDULES, [
        {
          id: e.newId(),
          workflowName,
          cronExpression,
          timezone,
          enabled,
          catchupPolicy,
          startDate,
          endDate,
          nextRunAt,
          lastRunAt: null,
          createdAt: now,
          updatedAt: now,
        },
      ]);
      return decode.cronSchedule(row!);
    },

    async getById(id) {
      const found = await findById(id);
      if (!found) throw new NotFoundError('CronSchedule', check.id(id));
      return found;
    },

    findById,

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
      const o = opts === undefined ? {} : objectArg(opts, 'opts');
      const enabledOnly = o.enabledOnly === undefined ? false : bool(o.enabledOnly, 'enabledOnly');
      const limit = o.limit === undefined ? 100 : check.limit(o.limit);
      const offset = o.offset === undefined ? 0 : check.limit(o.offset, 'offset');
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
      const o = opts === undefined ? {} : objectArg(opts, 'opts');
      const enabledOnly = o.enabledOnly === undefined ? false : bool(o.enabledOnly, 'enabledOnly');
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
      const c = objectArg(claim, 'claim');
      const params = [
        key,
        ts(check.date(c.expectedNextRunAt, 'expectedNextRunAt')),
        ts(check.date(c.now, 'now')),
        ts(check.date(c.lastRunAt, 'lastRunAt')),
        ts(check.date(c.nextRunAt, 'nextRunAt')),
        ts(e.now()),
      ];
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
      const x = objectArg(u, 'update');
      const nextRunAt = ts(check.date(x.nextRunAt, 'nextRunAt'));
      const params: unknown[] = [nextRunAt, ts(e.now())];
      const sets = ['next_run_at = $2', 'updated_at = $3'];
      const add = (column: string, value: unknown) => {
        params.push(value);
        sets.push(`${column} = $${params.length + 1}`);
      };
      if (x.cronExpression !== undefined) add('cron_expression', check.text(x.cronExpression, 'cronExpression'));
      if (x.timezone !== undefined) add('timezone', check.text(x.timezone, 'timezone'));
      if (x.catchupPolicy !== undefined) add('catchup_policy', assertCatchupPolicy(x.catchupPolicy, 'catchupPolicy'));
      await update(id, sets.join(', '), params);
    },
  };
}
