/** `executionEvent` module (02 §4.6): the append-only log of state changes. */
import { assertExecutionEventType, check, EXECUTION_EVENTS, ValidationError, type ExecutionEventDal } from '@cloacina/core';
import type { Params } from './connection.js';
import { decode, insertRows, TS, U } from './internal.js';
import type { Scope } from './scope.js';

export function createExecutionEventDal(scope: Scope): ExecutionEventDal {
  const { env } = scope;
  const list = async (sql: string, params: Params) => (await scope.read((q) => q.all(sql, params))).map(decode.executionEvent);

  return {
    async create(input) {
      if (input === null || typeof input !== 'object') throw new ValidationError('input must be an object', { field: 'input' });
      const pipelineExecutionId = check.id(input.pipelineExecutionId, 'pipelineExecutionId');
      const taskExecutionId =
        input.taskExecutionId === undefined || input.taskExecutionId === null ? null : check.id(input.taskExecutionId, 'taskExecutionId');
      const eventType = assertExecutionEventType(input.eventType);
      const eventData = input.eventData === undefined || input.eventData === null ? null : check.jsonObject(input.eventData, 'eventData');
      // Omitted → the DAL's runnerId; an explicit null → no runner.
      const runnerId = input.runnerId === undefined ? env.runnerId : input.runnerId === null ? null : check.text(input.runnerId, 'runnerId');
      return scope.write(async (c) => {
        const now = env.now();
        const [raw] = await insertRows(c, EXECUTION_EVENTS, [
          { id: env.newId(), pipelineExecutionId, taskExecutionId, eventType, eventData, runnerId, createdAt: now },
        ]);
        // A manual event wakes subscribers like any transition's event.
        c.signal(eventType, pipelineExecutionId, taskExecutionId);
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
      const o = opts ?? {};
      const since = o.since === undefined || o.since === null ? null : TS(check.date(o.since, 'since'));
      const limit = o.limit === undefined ? 100 : check.limit(o.limit);
      const offset = o.offset === undefined ? 0 : check.limit(o.offset, 'offset');
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
