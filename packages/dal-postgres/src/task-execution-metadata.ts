/** `taskExecutionMetadata` module (02 §4.4): "task T of run R produced context C". */
import { check, inListOrder, metadataTaskName, newMetadataInput, NotFoundError, optionalId, textList } from '@cloacina/core';
import type { JsonObject, TaskExecutionMetadata, TaskExecutionMetadataDal } from '@cloacina/core';
import type { Exec, Row } from './executor.js';
import { decode, ts } from './shared.js';

const METADATA_COLUMNS = 'm.id, m.task_execution_id, m.pipeline_execution_id, m.task_name, m.context_id, m.created_at, m.updated_at';

export function createTaskExecutionMetadataDal(e: Exec): TaskExecutionMetadataDal {
  const insert = async (input: unknown, upsert: boolean): Promise<TaskExecutionMetadata> => {
    const v = newMetadataInput(input);
    const now = ts(e.now());
    const conflict = upsert ? ' ON CONFLICT (task_execution_id) DO UPDATE SET context_id = EXCLUDED.context_id, updated_at = EXCLUDED.updated_at' : '';
    const rows = await e.rows(
      `INSERT INTO task_execution_metadata (id, task_execution_id, pipeline_execution_id, task_name, context_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6)${conflict} RETURNING *`,
      [e.newId(), v.taskExecutionId, v.pipelineExecutionId, v.taskName, v.contextId, now],
    );
    return decode.metadata(rows[0]!);
  };

  return {
    create: (input) => insert(input, false),

    upsertTaskExecutionMetadata: (input) => insert(input, true),

    async getByPipelineAndTask(pipelineId, task) {
      const key = check.id(pipelineId, 'pipelineId');
      const name = metadataTaskName(task);
      const rows = await e.rows('SELECT * FROM task_execution_metadata WHERE pipeline_execution_id = $1 AND task_name = $2', [key, name]);
      if (rows.length === 0) throw new NotFoundError('TaskExecutionMetadata', `${key}/${name}`);
      return decode.metadata(rows[0]!);
    },

    async getByTaskExecution(taskExecutionId) {
      const key = check.id(taskExecutionId, 'taskExecutionId');
      const rows = await e.rows('SELECT * FROM task_execution_metadata WHERE task_execution_id = $1', [key]);
      if (rows.length === 0) throw new NotFoundError('TaskExecutionMetadata', key);
      return decode.metadata(rows[0]!);
    },

    async updateContextId(taskExecutionId, contextId) {
      const key = check.id(taskExecutionId, 'taskExecutionId');
      const ctx = optionalId(contextId, 'contextId');
      const r = await e.query('UPDATE task_execution_metadata SET context_id = $2, updated_at = $3 WHERE task_execution_id = $1', [
        key,
        ctx,
        ts(e.now()),
      ]);
      if (r.rowCount === 0) throw new NotFoundError('TaskExecutionMetadata', key);
    },

    async getDependencyMetadata(pipelineId, taskNames) {
      const key = check.id(pipelineId, 'pipelineId');
      const names = textList(taskNames, 'taskNames');
      if (names.length === 0) return [];
      const rows = await e.rows('SELECT * FROM task_execution_metadata WHERE pipeline_execution_id = $1 AND task_name = ANY($2::text[])', [key, names]);
      return inListOrder(names, rows.map(decode.metadata), (m) => m.taskName);
    },

    async getDependencyMetadataWithContexts(pipelineId, taskNames) {
      const key = check.id(pipelineId, 'pipelineId');
      const names = textList(taskNames, 'taskNames');
      if (names.length === 0) return [];
      const rows = await e.rows<Row & { context_value: JsonObject | null }>(
        `SELECT ${METADATA_COLUMNS}, c.value AS context_value
           FROM task_execution_metadata m LEFT JOIN contexts c ON c.id = m.context_id
          WHERE m.pipeline_execution_id = $1 AND m.task_name = ANY($2::text[])`,
        [key, names],
      );
      const items = rows.map((r) => ({ metadata: decode.metadata(r), context: r.context_value ?? null }));
      return inListOrder(names, items, (i) => i.metadata.taskName);
    },
  };
}
