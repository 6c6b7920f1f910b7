/** `recoveryEvent` module (02 §4.5): audit of recovery actions (01 §7.4). */
import { assertRecoveryType, check, RECOVERY_EVENTS, ValidationError, type RecoveryEventDal } from '@cloacina/core';
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
      if (input === null || typeof input !== 'object') throw new ValidationError('input must be an object', { field: 'input' });
      const pipelineExecutionId = check.id(input.pipelineExecutionId, 'pipelineExecutionId');
      const taskExecutionId = input.taskExecutionId === undefined || input.taskExecutionId === null ? null : check.id(input.taskExecutionId, 'taskExecutionId');
      const recoveryType = assertRecoveryType(input.recoveryType, 'recoveryType');
      const details = input.details === undefined || input.details === null ? null : check.jsonObject(input.details, 'details');
      const now = e.now();
      const [row] = await insertRows(e, RECOVERY_EVENTS, [
        { id: e.newId(), pipelineExecutionId, taskExecutionId, recoveryType, recoveredAt: now, details, createdAt: now, updatedAt: now },
      ]);
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
