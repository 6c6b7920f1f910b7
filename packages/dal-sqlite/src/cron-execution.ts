/** `cronExecution` module (02 §4.8): one audit row per cron fire. */
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
  type CronExecution,
  type CronExecutionDal,
} from '@cloacina/core';
import type { Params } from './connection.js';
import { decode, guardMiss, insertIfAbsent, requireChanged, TS, U } from './internal.js';
import type { Scope } from './scope.js';

export function createCronExecutionDal(scope: Scope): CronExecutionDal {
  const { env } = scope;
  const list = async (sql: string, params: Params) => (await scope.read((q) => q.all(sql, params))).map(decode.cronExecution);

  const findById = async (rawId: string): Promise<CronExecution | null> => {
    const id = check.id(rawId);
    const row = await scope.read((q) => q.get('SELECT * FROM cron_executions WHERE id = ?', [U(id)]));
    return row ? decode.cronExecution(row) : null;
  };

  return {
    async create(input) {
      const v = newCronExecutionInput(input);
      return scope.write(async (c) => {
        const now = env.now();
        const record = cronExecutionRecord(env.newId(), v, now);
        // Insert-if-absent: a duplicate fire is a typed error that writes nothing and leaves
        // an enclosing transaction usable (no database error is raised).
        const raw = await insertIfAbsent(c, CRON_EXECUTIONS, record, ['schedule_id', 'scheduled_time']);
        if (!raw) throw new DuplicateCronExecutionError(v.scheduleId, record.scheduledTime);
        return decode.cronExecution(raw);
      });
    },

    async updatePipelineExecutionId(rawId, pipelineId) {
      const id = check.id(rawId);
      const pid = check.id(pipelineId, 'pipelineId');
      await scope.write(async (c) => {
        const { changes } = await c.run('UPDATE cron_executions SET pipeline_execution_id = ?, updated_at = ? WHERE id = ?', [
          U(pid),
          TS(env.now()),
          U(id),
        ]);
        requireChanged(changes, 'CronExecution', id);
      });
    },

    async linkPipelineExecution(rawId, pipelineId) {
      const id = check.id(rawId);
      const pid = check.id(pipelineId, 'pipelineId');
      return scope.write(async (c) => {
        const { changes } = await c.run(
          'UPDATE cron_executions SET pipeline_execution_id = ?, updated_at = ? WHERE id = ? AND pipeline_execution_id IS NULL',
          [U(pid), TS(env.now()), U(id)],
        );
        if (changes === 1) return true;
        return guardMiss(c, 'cron_executions', 'CronExecution', id);
      });
    },

    async deleteOlderThan(cutoff) {
      const before = TS(check.date(cutoff, 'cutoff'));
      return scope.write(async (c) => (await c.run('DELETE FROM cron_executions WHERE scheduled_time < ?', [before])).changes);
    },

    findById,

    getById: mustFind('CronExecution', findById),

    async getByScheduleId(scheduleId, limit, offset) {
      const sid = check.id(scheduleId, 'scheduleId');
      check.limit(limit);
      check.limit(offset, 'offset');
      return list('SELECT * FROM cron_executions WHERE schedule_id = ? ORDER BY scheduled_time DESC, id DESC LIMIT ? OFFSET ?', [
        U(sid),
        limit,
        offset,
      ]);
    },

    async getByPipelineExecutionId(pipelineId) {
      const pid = check.id(pipelineId, 'pipelineId');
      const rows = await list('SELECT * FROM cron_executions WHERE pipeline_execution_id = ? ORDER BY id LIMIT 1', [U(pid)]);
      return rows[0] ?? null;
    },

    async getByTimeRange(start, end, limit, offset) {
      const from = TS(check.date(start, 'start'));
      const to = TS(check.date(end, 'end'));
      check.limit(limit);
      check.limit(offset, 'offset');
      return list(
        'SELECT * FROM cron_executions WHERE scheduled_time >= ? AND scheduled_time < ? ORDER BY scheduled_time DESC, id DESC LIMIT ? OFFSET ?',
        [from, to, limit, offset],
      );
    },

    async getLatestBySchedule(scheduleId) {
      const sid = check.id(scheduleId, 'scheduleId');
      const rows = await list('SELECT * FROM cron_executions WHERE schedule_id = ? ORDER BY scheduled_time DESC, id DESC LIMIT 1', [U(sid)]);
      return rows[0] ?? null;
    },

    async findLostExecutions(olderThanMinutes) {
      const n = minutesArg(olderThanMinutes, 'olderThanMinutes');
      const cutoff = TS(new Date(env.now().getTime() - n * 60_000));
      return list(
        'SELECT * FROM cron_executions WHERE pipeline_execution_id IS NULL AND claimed_at < ? ORDER BY scheduled_time, id',
        [cutoff],
      );
    },

    async countBySchedule(scheduleId) {
      const sid = check.id(scheduleId, 'scheduleId');
      const row = await scope.read((q) => q.get<{ n: number }>('SELECT count(*) AS n FROM cron_executions WHERE schedule_id = ?', [U(sid)]));
      return Number(row?.n ?? 0);
    },

    async executionExists(scheduleId, scheduledTime) {
      const sid = check.id(scheduleId, 'scheduleId');
      const at = TS(check.date(scheduledTime, 'scheduledTime'));
      const row = await scope.read((q) =>
        q.get('SELECT 1 AS x FROM cron_executions WHERE schedule_id = ? AND scheduled_time = ?', [U(sid), at]),
      );
      return row !== undefined;
    },

    async getExecutionStats(since, opts) {
      const from = TS(check.date(since, 'since'));
      const threshold = lostThresholdOption(opts);
      const lostBefore = TS(new Date(env.now().getTime() - threshold * 60_000));
      // One statement, so the three counts come from one snapshot.
      const row = await scope.read((q) =>
        q.get<{ total: number; ok: number | null; lost: number | null }>(
          `SELECT count(*) AS total,
                  sum(CASE WHEN pipeline_execution_id IS NOT NULL THEN 1 ELSE 0 END) AS ok,
                  sum(CASE WHEN pipeline_execution_id IS NULL AND claimed_at < ? THEN 1 ELSE 0 END) AS lost
             FROM cron_executions WHERE claimed_at >= ?`,
          [lostBefore, from],
        ),
      );
      return cronExecutionStats(Number(row?.total ?? 0), Number(row?.ok ?? 0), Number(row?.lost ?? 0));
    },
  };
}
