/** `cronExecution` module (02 §4.8): the audit row of every cron fire (guaranteed execution). */
import {
  check,
  CRON_EXECUTIONS,
  cronExecutionRecord,
  cronExecutionStats,
  DuplicateCronExecutionError,
  lostThresholdOption,
  minutesArg,
  mustFind,
  newCronExecutionInput,
  NotFoundError,
  type CronExecutionDal,
} from '@cloacina/core';
import type { Exec } from './executor.js';
import { decode, encodeRow, existsOrThrow, num, ts } from './shared.js';

const NEWEST_FIRST = 'ORDER BY scheduled_time DESC, id DESC';

export function createCronExecutionDal(e: Exec): CronExecutionDal {
  const findById = async (id: string) => {
    const rows = await e.rows('SELECT * FROM cron_executions WHERE id = $1', [check.id(id)]);
    return rows.length > 0 ? decode.cronExecution(rows[0]!) : null;
  };

  return {
    async create(input) {
      const v = newCronExecutionInput(input);
      const now = e.now();
      const { columns, values } = encodeRow(CRON_EXECUTIONS, cronExecutionRecord(e.newId(), v, now));
      // Insert-if-absent: a duplicate fire is a typed error, not a database error, so an
      // enclosing transaction stays usable (02 §1).
      const rows = await e.rows(
        `INSERT INTO cron_executions (${columns.join(', ')}) VALUES (${values.map((_, n) => `$${n + 1}`).join(', ')})
         ON CONFLICT ON CONSTRAINT cron_executions_schedule_time_key DO NOTHING RETURNING *`,
        values,
      );
      if (rows.length === 0) throw new DuplicateCronExecutionError(v.scheduleId, v.scheduledTime);
      return decode.cronExecution(rows[0]!);
    },

    async updatePipelineExecutionId(id, pipelineId) {
      const key = check.id(id);
      const pid = check.id(pipelineId, 'pipelineId');
      const r = await e.query('UPDATE cron_executions SET pipeline_execution_id = $2, updated_at = $3 WHERE id = $1', [key, pid, ts(e.now())]);
      if (r.rowCount === 0) throw new NotFoundError('CronExecution', key);
    },

    async linkPipelineExecution(id, pipelineId) {
      const key = check.id(id);
      const pid = check.id(pipelineId, 'pipelineId');
      const r = await e.query(
        'UPDATE cron_executions SET pipeline_execution_id = $2, updated_at = $3 WHERE id = $1 AND pipeline_execution_id IS NULL',
        [key, pid, ts(e.now())],
      );
      if (r.rowCount === 1) return true;
      return existsOrThrow(e, 'cron_executions', 'CronExecution', key);
    },

    async deleteOlderThan(cutoff) {
      const r = await e.query('DELETE FROM cron_executions WHERE scheduled_time < $1::timestamptz', [ts(check.date(cutoff, 'cutoff'))]);
      return r.rowCount;
    },

    findById,

    getById: mustFind('CronExecution', findById),

    async getByScheduleId(scheduleId, limit, offset) {
      const rows = await e.rows(`SELECT * FROM cron_executions WHERE schedule_id = $1 ${NEWEST_FIRST} LIMIT $2 OFFSET $3`, [
        check.id(scheduleId, 'scheduleId'),
        check.limit(limit),
        check.limit(offset, 'offset'),
      ]);
      return rows.map(decode.cronExecution);
    },

    async getByPipelineExecutionId(pipelineId) {
      const rows = await e.rows('SELECT * FROM cron_executions WHERE pipeline_execution_id = $1 ORDER BY id LIMIT 1', [check.id(pipelineId, 'pipelineId')]);
      return rows.length > 0 ? decode.cronExecution(rows[0]!) : null;
    },

    async getByTimeRange(start, end, limit, offset) {
      const rows = await e.rows(
        `SELECT * FROM cron_executions WHERE scheduled_time >= $1::timestamptz AND scheduled_time < $2::timestamptz
          ${NEWEST_FIRST} LIMIT $3 OFFSET $4`,
        [ts(check.date(start, 'start')), ts(check.date(end, 'end')), check.limit(limit), check.limit(offset, 'offset')],
      );
      return rows.map(decode.cronExecution);
    },

    async getLatestBySchedule(scheduleId) {
      const rows = await e.rows(`SELECT * FROM cron_executions WHERE schedule_id = $1 ${NEWEST_FIRST} LIMIT 1`, [check.id(scheduleId, 'scheduleId')]);
      return rows.length > 0 ? decode.cronExecution(rows[0]!) : null;
    },

    async findLostExecutions(olderThanMinutes) {
      const n = minutesArg(olderThanMinutes, 'olderThanMinutes');
      const cutoff = new Date(e.now().getTime() - n * 60_000);
      const rows = await e.rows(
        `SELECT * FROM cron_executions WHERE pipeline_execution_id IS NULL AND claimed_at < $1::timestamptz
          ORDER BY scheduled_time, id`,
        [ts(cutoff)],
      );
      return rows.map(decode.cronExecution);
    },

    async countBySchedule(scheduleId) {
      const rows = await e.rows<{ n: string }>('SELECT count(*) AS n FROM cron_executions WHERE schedule_id = $1', [check.id(scheduleId, 'scheduleId')]);
      return num(rows[0]!.n);
    },

    async executionExists(scheduleId, scheduledTime) {
      const rows = await e.rows<{ present: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM cron_executions WHERE schedule_id = $1 AND scheduled_time = $2::timestamptz) AS present',
        [check.id(scheduleId, 'scheduleId'), ts(check.date(scheduledTime, 'scheduledTime'))],
      );
      return rows[0]!.present;
    },

    async getExecutionStats(since, opts) {
      const from = ts(check.date(since, 'since'));
      const threshold = lostThresholdOption(opts);
      const lostBefore = ts(new Date(e.now().getTime() - threshold * 60_000));
      // One statement, so the three counts come from one snapshot.
      const rows = await e.rows<{ total: string; successful: string; lost: string }>(
        `SELECT count(*) AS total,
                count(*) FILTER (WHERE pipeline_execution_id IS NOT NULL) AS successful,
                count(*) FILTER (WHERE pipeline_execution_id IS NULL AND claimed_at < $2::timestamptz) AS lost
           FROM cron_executions WHERE claimed_at >= $1::timestamptz`,
        [from, lostBefore],
      );
      return cronExecutionStats(num(rows[0]!.total), num(rows[0]!.successful), num(rows[0]!.lost));
    },
  };
}
