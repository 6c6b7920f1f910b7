/** `executionEvent` module (02 §4.6): the append-only log of state changes. */
import { assertExecutionEventType, check, eventQueryOptions, newExecutionEventInput, type ExecutionEventDal } from '@cloacina/core';
import type { Exec } from './executor.js';
import { decode, ts, writeEvents } from './shared.js';

const HISTORY = 'ORDER BY created_at, id';

export function createExecutionEventDal(e: Exec): ExecutionEventDal {
  return {
    async create(input) {
      const event = newExecutionEventInput(input, e.rt.runnerId);
      const now = e.now();
      // Through writeEvents so a hand-written event wakes subscribers like any other.
      return e.tx(async (c) => {
        const [row] = await writeEvents(c, now, [event], true);
        return decode.executionEvent(row!);
      });
    },

    async getByPipeline(pipelineId) {
      const rows = await e.rows(`SELECT * FROM execution_events WHERE pipeline_execution_id = $1 ${HISTORY}`, [check.id(pipelineId, 'pipelineId')]);
      return rows.map(decode.executionEvent);
    },

    async getByTask(taskExecutionId) {
      const rows = await e.rows(`SELECT * FROM execution_events WHERE task_execution_id = $1 ${HISTORY}`, [check.id(taskExecutionId, 'taskExecutionId')]);
      return rows.map(decode.executionEvent);
    },

    async getByType(type, opts) {
      const eventType = assertExecutionEventType(type, 'eventType');
      const o = eventQueryOptions(opts);
      const params: unknown[] = [eventType, o.limit, o.offset];
      let since = '';
      if (o.since !== null) {
        params.push(ts(o.since));
        since = ' AND created_at >= $4::timestamptz';
      }
      const rows = await e.rows(`SELECT * FROM execution_events WHERE event_type = $1${since} ${HISTORY} LIMIT $2 OFFSET $3`, params);
      return rows.map(decode.executionEvent);
    },

    async getRecent(limit) {
      const rows = await e.rows('SELECT * FROM execution_events ORDER BY created_at DESC, id DESC LIMIT $1', [check.limit(limit)]);
      return rows.map(decode.executionEvent);
    },

    async deleteOlderThan(cutoff) {
      const r = await e.query('DELETE FROM execution_events WHERE created_at < $1::timestamptz', [ts(check.date(cutoff, 'cutoff'))]);
      return r.rowCount;
    },
  };
}
