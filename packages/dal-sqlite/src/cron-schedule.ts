/** `cronSchedule` module (02 §4.7). Shape checks only; cron syntax is the runtime's business. */
import {
  assertCatchupPolicy,
  check,
  CRON_SCHEDULES,
  NotFoundError,
  ValidationError,
  type CronSchedule,
  type CronScheduleDal,
} from '@cloacina/core';
import { decode, guardMiss, insertRows, requireChanged, TS, U } from './internal.js';
import type { Scope } from './scope.js';

function optionalDate(v: Date | null | undefined, field: string): Date | null {
  return v === undefined || v === null ? null : check.date(v, field);
}

function checkEnabled(v: unknown): boolean {
  if (v === undefined) return true;
  if (typeof v !== 'boolean') throw new ValidationError('enabled must be a boolean', { field: 'enabled' });
  return v;
}

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
      if (input === null || typeof input !== 'object') throw new ValidationError('input must be an object', { field: 'input' });
      const workflowName = check.text(input.workflowName, 'workflowName');
      const cronExpression = check.text(input.cronExpression, 'cronExpression');
      const timezone = input.timezone === undefined ? 'UTC' : check.text(input.timezone, 'timezone');
      const enabled = checkEnabled(input.enabled);
      const catchupPolicy = input.catchupPolicy === undefined ? 'skip' : assertCatchupPolicy(input.catchupPolicy);
      const startDate = optionalDate(input.startDate, 'startDate');
      const endDate = optionalDate(input.endDate, 'endDate');
      if (startDate && endDate && startDate.getTime() > endDate.getTime()) {
        throw new ValidationError('startDate must not be after endDate', { field: 'startDate', reason: 'InvalidRange' });
      }
      const nextRunAt = check.date(input.nextRunAt, 'nextRunAt');
      return scope.write(async (c) => {
        const now = env.now();
        const [raw] = await insertRows(c, CRON_SCHEDULES, [
          {
            id: env.newId(),
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
        return decode.cronSchedule(raw!);
      });
    },

    async getById(rawId) {
      const found = await findById(rawId);
      if (!found) throw new NotFoundError('CronSchedule', check.id(rawId));
      return found;
    },

    findById,

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
      const o = opts ?? {};
      const enabledOnly = o.enabledOnly === true;
      const limit = o.limit === undefined ? 100 : check.limit(o.limit);
      const offset = o.offset === undefined ? 0 : check.limit(o.offset, 'offset');
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
      const enabledOnly = opts?.enabledOnly === true;
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
      if (claim === null || typeof claim !== 'object') throw new ValidationError('claim must be an object', { field: 'claim' });
      const expected = TS(check.date(claim.expectedNextRunAt, 'expectedNextRunAt'));
      const at = TS(check.date(claim.now, 'now'));
      const last = TS(check.date(claim.lastRunAt, 'lastRunAt'));
      const next = TS(check.date(claim.nextRunAt, 'nextRunAt'));
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
      if (u === null || typeof u !== 'object') throw new ValidationError('update must be an object', { field: 'update' });
      const sets = ['next_run_at = ?'];
      const params: unknown[] = [TS(check.date(u.nextRunAt, 'nextRunAt'))];
      if (u.cronExpression !== undefined) {
        sets.push('cron_expression = ?');
        params.push(check.text(u.cronExpression, 'cronExpression'));
      }
      if (u.timezone !== undefined) {
        sets.push('timezone = ?');
        params.push(check.text(u.timezone, 'timezone'));
      }
      if (u.catchupPolicy !== undefined) {
        sets.push('catchup_policy = ?');
        params.push(assertCatchupPolicy(u.catchupPolicy));
      }
      await update(id, sets.join(', '), params);
    },
  };
}
