/** `recoveryEvent` module (02 §4.5): audit of recovery actions. */
import { assertRecoveryType, check, RECOVERY_EVENTS, ValidationError, type RecoveryEventDal } from '@cloacina/core';
import type { Params } from './connection.js';
import { decode, insertRows, U } from './internal.js';
import type { Scope } from './scope.js';

const ORDER = 'ORDER BY recovered_at DESC, id DESC';

export function createRecoveryEventDal(scope: Scope): RecoveryEventDal {
  const { env } = scope;
  const list = async (where: string, params: Params, limit?: number) => {
    const tail = limit === undefined ? '' : ' LIMIT ?';
    const args = limit === undefined ? params : [...params, limit];
    const rows = await scope.read((q) => q.all(`SELECT * FROM recovery_events ${where} ${ORDER}${tail}`, args));
    return rows.map(decode.recoveryEvent);
  };

  return {
    async create(input) {
      if (input === null || typeof input !== 'object') throw new ValidationError('input must be an object', { field: 'input' });
      const pipelineExecutionId = check.id(input.pipelineExecutionId, 'pipelineExecutionId');
      const taskExecutionId =
        input.taskExecutionId === undefined || input.taskExecutionId === null ? null : check.id(input.taskExecutionId, 'taskExecutionId');
      const recoveryType = assertRecoveryType(input.recoveryType);
      const details = input.details === undefined || input.details === null ? null : check.jsonObject(input.details, 'details');
      return scope.write(async (c) => {
        const now = env.now();
        const [raw] = await insertRows(c, RECOVERY_EVENTS, [
          { id: env.newId(), pipelineExecutionId, taskExecutionId, recoveryType, recoveredAt: now, details, createdAt: now, updatedAt: now },
        ]);
        return decode.recoveryEvent(raw!);
      });
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
