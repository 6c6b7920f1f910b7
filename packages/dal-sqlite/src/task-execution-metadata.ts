/** `taskExecutionMetadata` module (02 §4.4): "task T of run R produced context C". */
import {
  check,
  chunk,
  decodeJson,
  distinct,
  inListOrder,
  metadataRecord,
  metadataTaskName,
  newMetadataInput,
  NotFoundError,
  optionalId,
  TASK_EXECUTION_METADATA,
  textList,
  type JsonObject,
  type TaskExecutionMetadata,
  type TaskExecutionMetadataDal,
} from '@cloacina/core';
import type { Row } from './connection.js';
import { decode, encodeRows, insertNew, MAX_PARAMS, placeholders, requireChanged, TS, U } from './internal.js';
import type { Scope } from './scope.js';

export function createTaskExecutionMetadataDal(scope: Scope): TaskExecutionMetadataDal {
  const { env } = scope;

  /** Rows for the listed names, in the order of the (deduplicated) list; context value joined in. */
  const dependencyRows = async (pipelineId: string, taskNames: string[]): Promise<{ row: Row; value: string | null }[]> => {
    const pid = check.id(pipelineId, 'pipelineId');
    const names = distinct(textList(taskNames, 'taskNames'));
    if (names.length === 0) return [];
    const rows = await scope.read(async (q) => {
      const all: Row[] = [];
      for (const part of chunk(names, MAX_PARAMS - 1)) {
        all.push(
          ...(await q.all(
            `SELECT m.*, c.value AS context_value
               FROM task_execution_metadata m LEFT JOIN contexts c ON c.id = m.context_id
              WHERE m.pipeline_execution_id = ? AND m.task_name IN (${placeholders(part.length)})`,
            [U(pid), ...part],
          )),
        );
      }
      return all;
    });
    return inListOrder(names, rows, (r) => r.task_name as string).map((r) => ({ row: r, value: (r.context_value as string | null) ?? null }));
  };

  return {
    async create(input) {
      const v = newMetadataInput(input);
      return insertNew(scope, TASK_EXECUTION_METADATA, (id, now) => metadataRecord(id, v, now), decode.metadata);
    },

    async getByPipelineAndTask(pipelineId, task) {
      const pid = check.id(pipelineId, 'pipelineId');
      const name = metadataTaskName(task);
      const row = await scope.read((q) =>
        q.get('SELECT * FROM task_execution_metadata WHERE pipeline_execution_id = ? AND task_name = ?', [U(pid), name]),
      );
      if (!row) throw new NotFoundError('TaskExecutionMetadata', `${pid}/${name}`);
      return decode.metadata(row);
    },

    async getByTaskExecution(taskExecutionId) {
      const tid = check.id(taskExecutionId, 'taskExecutionId');
      const row = await scope.read((q) => q.get('SELECT * FROM task_execution_metadata WHERE task_execution_id = ?', [U(tid)]));
      if (!row) throw new NotFoundError('TaskExecutionMetadata', tid);
      return decode.metadata(row);
    },

    async updateContextId(taskExecutionId, contextId) {
      const tid = check.id(taskExecutionId, 'taskExecutionId');
      const ctx = optionalId(contextId, 'contextId');
      await scope.write(async (c) => {
        const { changes } = await c.run('UPDATE task_execution_metadata SET context_id = ?, updated_at = ? WHERE task_execution_id = ?', [
          ctx === null ? null : U(ctx),
          TS(env.now()),
          U(tid),
        ]);
        requireChanged(changes, 'TaskExecutionMetadata', tid);
      });
    },

    async upsertTaskExecutionMetadata(input) {
      const v = newMetadataInput(input);
      return scope.write(async (c) => {
        const now = env.now();
        // The id is drawn even when the row exists (02 §1); the existing id and created_at stay.
        const { columns, rows } = encodeRows(TASK_EXECUTION_METADATA, [metadataRecord(env.newId(), v, now)]);
        const out = await c.all(
          `INSERT INTO task_execution_metadata (${columns.join(', ')}) VALUES (${placeholders(columns.length)})
           ON CONFLICT (task_execution_id) DO UPDATE SET context_id = excluded.context_id, updated_at = excluded.updated_at
           RETURNING *`,
          rows[0],
        );
        return decode.metadata(out[0]!);
      });
    },

    async getDependencyMetadata(pipelineId, taskNames): Promise<TaskExecutionMetadata[]> {
      return (await dependencyRows(pipelineId, taskNames)).map((r) => decode.metadata(r.row));
    },

    async getDependencyMetadataWithContexts(pipelineId, taskNames) {
      return (await dependencyRows(pipelineId, taskNames)).map((r) => ({
        metadata: decode.metadata(r.row),
        context: r.value === null ? null : (decodeJson(r.value) as JsonObject),
      }));
    },
  };
}
