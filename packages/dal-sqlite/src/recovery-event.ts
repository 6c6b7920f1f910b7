/** `recoveryEvent` module (02 §4.5): audit of recovery actions. */
import { assertRecoveryType, check, newRecoveryEventInput, RECOVERY_EVENTS, recoveryEventRecord, type RecoveryEventDal } from '@cloacina/core';
import type { Params } from './connection.js';
import { decode, insertNew, U } from './internal.js';
import type { Scope } from './scope.js';

const ORDER = 'ORDER BY recovered_at DESC, id DESC';

export function createRecoveryEventDal(scope: Scope): RecoveryEventDal {
  const list = async (where: string, params: Params, limit?: number) => {
    const tail = limit === undefined ? '' : ' LIMIT ?';
    const args = limit === undefined ? params : [...params, limit];
    const rows = await scope.read((q) => q.all(`SELECT * FROM recovery_events ${where} ${ORDER}${tail}`, args));
    return rows.map(decode.recoveryEvent);
  };

  return {
    async create(input) {
      const v = newRecoveryEventInput(input);
      return insertNew(scope, RECOVERY_EVENTS, (id, now) => recoveryEventRecord(id, v, now), decode.recoveryEvent);
    },

    async getByPipeline(pipelineId) {
      return list('WHERE pipeline_execution_id = ?', [U(check.id(pipelineId, 'pipelineId'))]);
    },

    async getByTask(taskExecutionId) {
      return list('WHERE task_execution_id = ?', [U(check.id(taskExecutionId, 'taskExecutionId'))]);
    },

    async getByType(type) {
      return list('WHERE recovery_type = ?', [assertRecoveryType(type)]);
    },

    async getWorkflowUnavailableEvents() {
      return list('WHERE recovery_type = ?', ['workflow_unavailable']);
    },

    async getRecent(limit) {
      return list('', [], check.limit(limit));
    },
  };
}
