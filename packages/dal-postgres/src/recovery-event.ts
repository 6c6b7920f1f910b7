/** `recoveryEvent` module (02 §4.5): audit of recovery actions (01 §7.4). */
import { assertRecoveryType, check, newRecoveryEventInput, RECOVERY_EVENTS, recoveryEventRecord, type RecoveryEventDal } from '@cloacina/core';
import type { Exec } from './executor.js';
import { decode, insertRows } from './shared.js';

const ORDER = 'ORDER BY recovered_at DESC, id DESC';

export function createRecoveryEventDal(e: Exec): RecoveryEventDal {
  const byType = async (type: unknown) => {
    const rows = await e.rows(`SELECT * FROM recovery_events WHERE recovery_type = $1 ${ORDER}`, [assertRecoveryType(type, 'recoveryType')]);
    return rows.map(decode.recoveryEvent);
  };

  return {
    async create(input) {
      const v = newRecoveryEventInput(input);
      const now = e.now();
      const [row] = await insertRows(e, RECOVERY_EVENTS, [recoveryEventRecord(e.newId(), v, now)]);
      return decode.recoveryEvent(row!);
    },

    async getByPipeline(pipelineId) {
      const rows = await e.rows(`SELECT * FROM recovery_events WHERE pipeline_execution_id = $1 ${ORDER}`, [check.id(pipelineId, 'pipelineId')]);
      return rows.map(decode.recoveryEvent);
    },

    async getByTask(taskExecutionId) {
      const rows = await e.rows(`SELECT * FROM recovery_events WHERE task_execution_id = $1 ${ORDER}`, [check.id(taskExecutionId, 'taskExecutionId')]);
      return rows.map(decode.recoveryEvent);
    },

    getByType: (type) => byType(type),

    getWorkflowUnavailableEvents: () => byType('workflow_unavailable'),

    async getRecent(limit) {
      const rows = await e.rows(`SELECT * FROM recovery_events ${ORDER} LIMIT $1`, [check.limit(limit)]);
      return rows.map(decode.recoveryEvent);
    },
  };
}
