/** `taskExecutionMetadata` module (02 §4.4): "task T of run R produced context C". */
import {
  check,
  chunk,
  decodeJson,
  NotFoundError,
  TASK_EXECUTION_METADATA,
  ValidationError,
  type JsonObject,
  type NewTaskExecutionMetadata,
  type TaskExecutionMetadata,
  type TaskExecutionMetadataDal,
  type TaskNamespaceLike,
} from '@cloacina/core';
import type { Row } from './connection.js';
import { decode, distinct, encodeRows, insertRows, MAX_PARAMS, placeholders, requireChanged, TS, U } from './internal.js';
import type { Scope } from './scope.js';

function taskNameOf(task: string | TaskNamespaceLike): string {
  if (typeof task === 'string') return task;
  if (task === null || typeof task !== 'object') throw new ValidationError('task must be a name or a TaskNamespace', { field: 'task' });
  return `${task.tenantId}::${task.packageName}::${task.workflowId}::${task.taskId}`;
}

function validateNew(input: NewTaskExecutionMetadata) {
  if (input === null || typeof input !== 'object') throw new ValidationError('input must be an object', { field: 'input' });
  return {
    taskExecutionId: check.id(input.taskExecutionId, 'taskExecutionId'),
    pipelineExecutionId: check.id(input.pipelineExecutionId, 'pipelineExecutionId'),
    taskName: check.text(input.taskName, 'taskName'),
    contextId: input.contextId === undefined || input.contextId === null ? null : check.id(input.contextId, 'contextId'),
  };
}

export function createTaskExecutionMetadataDal(scope: Scope): TaskExecutionMetadataDal {
  const { env } = scope;

  /** Rows for the listed names, in the order of the (deduplicated) list; context value joined in. */
  const dependencyRows = async (pipelineId: string, taskNames: string[]): Promise<{ row: Row; value: string | null }[]> => {
    const pid = check.id(pipelineId, 'pipelineId');
    const names = distinct(check.names(taskNames, 'taskNames'));
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
    const byName = new Map(rows.map((r) => [r.task_name as string, r]));
    return names.flatMap((n) => {
      const r = byName.get(n);
      return r ? [{ row: r, value: (r.context_value as string | null) ?? null }] : [];
    });
  };

  return {
    async create(input) {
      const v = validateNew(input);
      return scope.write(async (c) => {
        const now = env.now();
        const [raw] = await insertRows(c, TASK_EXECUTION_METADATA, [{ id: env.newId(), ...v, createdAt: now, updatedAt: now }]);
        return decode.metadata(raw!);
      });
    },

    async getByPipelineAndTask(pipelineId, task) {
      const pid = check.id(pipelineId, 'pipelineId');
      const name = taskNameOf(task);
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
      const ctx = contextId === null || contextId === undefined ? null : check.id(contextId, 'contextId');
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
      const v = validateNew(input);
      return scope.write(async (c) => {
        const now = env.now();
        // The id is drawn even when the row exists (02 §1); the existing id and created_at stay.
        const { columns, rows } = encodeRows(TASK_EXECUTION_METADATA, [{ id: env.newId(), ...v, createdAt: now, updatedAt: now }]);
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
