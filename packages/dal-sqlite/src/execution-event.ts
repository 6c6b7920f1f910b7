/** `executionEvent` module (02 §4.6): the append-only log of state changes. */
import {
  assertExecutionEventType,
  check,
  eventQueryOptions,
  EXECUTION_EVENTS,
  executionEventRecords,
  newExecutionEventInput,
  type ExecutionEventDal,
} from '@cloacina/core';
import type { Params } from './connection.js';
import { decode, insertRows, TS, U } from './internal.js';
import type { Scope } from './scope.js';

export function createExecutionEventDal(scope: Scope): ExecutionEventDal {
  const { env } = scope;
  const list = async (sql: string, params: Params) => (await scope.read((q) => q.all(sql, params))).map(decode.executionEvent);

  return {
    async create(input) {
      const event = newExecutionEventInput(input, env.runnerId);
      return scope.write(async (c) => {
        const now = env.now();
        const [raw] = await insertRows(c, EXECUTION_EVENTS, executionEventRecords([event], now, env.newId));
        // A manual event wakes subscribers like any transition's event.
        c.signal(event.eventType, event.pipelineExecutionId, event.taskExecutionId);
        return decode.executionEvent(raw!);
      });
    },

    async getByPipeline(pipelineId) {
      const pid = check.id(pipelineId, 'pipelineId');
      return list('SELECT * FROM execution_events WHERE pipeline_execution_id = ? ORDER BY created_at, id', [U(pid)]);
    },

    async getByTask(taskExecutionId) {
      const tid = check.id(taskExecutionId, 'taskExecutionId');
      return list('SELECT * FROM execution_events WHERE task_execution_id = ? ORDER BY created_at, id', [U(tid)]);
    },

    async getByType(type, opts) {
      const eventType = assertExecutionEventType(type);
      const o = eventQueryOptions(opts);
      const since = o.since === null ? null : TS(o.since);
      const { limit, offset } = o;
      return list(
        `SELECT * FROM execution_events WHERE event_type = ?${since !== null ? ' AND created_at >= ?' : ''}
          ORDER BY created_at, id LIMIT ? OFFSET ?`,
        since !== null ? [eventType, since, limit, offset] : [eventType, limit, offset],
      );
    },

    async getRecent(limit) {
      check.limit(limit);
      return list('SELECT * FROM execution_events ORDER BY created_at DESC, id DESC LIMIT ?', [limit]);
    },

    async deleteOlderThan(cutoff) {
      const before = TS(check.date(cutoff, 'cutoff'));
      return scope.write(async (c) => (await c.run('DELETE FROM execution_events WHERE created_at < ?', [before])).changes);
    },
  };
}
