/** `pipelineExecution` module (02 §4.2): creation, reads and bookkeeping updates. */
import {
  byId,
  check,
  CONTEXTS,
  eventData,
  mustFind,
  newPipelineInput,
  newRunInput,
  newRunRecords,
  NotFoundError,
  PIPELINE_EXECUTIONS,
  pipelineRecord,
  TASK_EXECUTIONS,
  type PipelineExecutionDal,
} from '@cloacina/core';
import type { Exec } from './executor.js';
import { createPipelineTransitions } from './pipeline-transitions.js';
import { decode, defaultRunner, insertRows, ts, writeEvents } from './shared.js';

export function createPipelineExecutionDal(e: Exec): PipelineExecutionDal {
  const findById = async (id: string) => {
    const rows = await e.rows('SELECT * FROM pipeline_executions WHERE id = $1', [check.id(id)]);
    return rows.length > 0 ? decode.pipeline(rows[0]!) : null;
  };

  return {
    ...createPipelineTransitions(e),

    async createWithTasks(input) {
      // Fully validated before anything is written (02 §1, "Typed errors write nothing").
      const v = newRunInput(input);
      const now = e.now();
      return e.tx(async (c) => {
        const run = newRunRecords(v, now, () => c.newId());
        if (run.context) await insertRows(c, CONTEXTS, [run.context], false);
        const [pipelineRow] = await insertRows(c, PIPELINE_EXECUTIONS, [run.pipeline]);
        const taskRows = await insertRows(c, TASK_EXECUTIONS, run.tasks);
        await writeEvents(c, now, [
          {
            pipelineExecutionId: run.pipeline.id,
            taskExecutionId: null,
            eventType: 'pipeline_created',
            eventData: eventData.pipelineCreated(v.pipelineName, v.pipelineVersion, v.tasks.length),
            runnerId: defaultRunner(c),
          },
        ]);
        const tasks = taskRows.map(decode.task).sort(byId);
        return { pipeline: decode.pipeline(pipelineRow!), tasks, contextId: run.pipeline.contextId };
      });
    },

    async create(input) {
      const v = newPipelineInput(input);
      const now = e.now();
      return e.tx(async (c) => {
        const [row] = await insertRows(c, PIPELINE_EXECUTIONS, [pipelineRecord(c.newId(), v, now)]);
        const pipeline = decode.pipeline(row!);
        await writeEvents(c, now, [
          {
            pipelineExecutionId: pipeline.id,
            taskExecutionId: null,
            eventType: 'pipeline_created',
            eventData: eventData.pipelineCreated(v.pipelineName, v.pipelineVersion, 0),
            runnerId: defaultRunner(c),
          },
        ]);
        return pipeline;
      });
    },

    findById,

    getById: mustFind('PipelineExecution', findById),

    async getActiveExecutions() {
      const rows = await e.rows("SELECT * FROM pipeline_executions WHERE status IN ('Pending', 'Running') ORDER BY id");
      return rows.map(decode.pipeline);
    },

    async getLastVersion(pipelineName) {
      const name = check.text(pipelineName, 'pipelineName', { min: 0 });
      const rows = await e.rows<{ pipeline_version: string }>(
        'SELECT pipeline_version FROM pipeline_executions WHERE pipeline_name = $1 ORDER BY started_at DESC, id DESC LIMIT 1',
        [name],
      );
      return rows.length > 0 ? rows[0]!.pipeline_version : null;
    },

    async incrementRecoveryAttempts(id) {
      const key = check.id(id);
      const now = ts(e.now());
      const r = await e.query(
        'UPDATE pipeline_executions SET recovery_attempts = recovery_attempts + 1, last_recovery_at = $2, updated_at = $2 WHERE id = $1',
        [key, now],
      );
      if (r.rowCount === 0) throw new NotFoundError('PipelineExecution', key);
    },

    async updateFinalContext(id, contextId) {
      const key = check.id(id);
      const ctx = contextId === null || contextId === undefined ? null : check.id(contextId, 'contextId');
      const now = ts(e.now());
      const r = await e.query('UPDATE pipeline_executions SET final_context_id = $2, updated_at = $3 WHERE id = $1', [key, ctx, now]);
      if (r.rowCount === 0) throw new NotFoundError('PipelineExecution', key);
    },

    async listRecent(limit) {
      const rows = await e.rows('SELECT * FROM pipeline_executions ORDER BY started_at DESC, id DESC LIMIT $1', [check.limit(limit)]);
      return rows.map(decode.pipeline);
    },

    async delete(id) {
      const r = await e.query('DELETE FROM pipeline_executions WHERE id = $1', [check.id(id)]);
      return r.rowCount > 0;
    },
  };
}
