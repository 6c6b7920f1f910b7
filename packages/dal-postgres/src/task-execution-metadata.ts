/** `taskExecutionMetadata` module (02 §4.4): "task T of run R produced context C". */
import {
  check,
  NotFoundError,
  ValidationError,
  type JsonObject,
  type NewTaskExecutionMetadata,
  type TaskExecutionMetadata,
  type TaskExecutionMetadataDal,
  type TaskNamespaceLike,
} from '@cloacina/core';
import type { Exec, Row } from './executor.js';
import { decode, textList, ts } from './shared.js';

function checkInput(input: unknown): Required<NewTaskExecutionMetadata> {
  if (input === null || typeof input !== 'object') throw new ValidationError('input must be an object', { field: 'input' });
  const i = input as Record<string, unknown>;
  return {
    taskExecutionId: check.id(i.taskExecutionId, 'taskExecutionId'),
    pipelineExecutionId: check.id(i.pipelineExecutionId, 'pipelineExecutionId'),
    taskName: check.text(i.taskName, 'taskName'),
    contextId: i.contextId === undefined || i.contextId === null ? null : check.id(i.contextId, 'contextId'),
  };
}

/** A TaskNamespace is rendered `tenant::package::workflow::task`. */
function taskNameOf(task: unknown): string {
  if (typeof task === 'string') return check.text(task, 'task', { min: 0 });
  if (task !== null && typeof task === 'object') {
    const t = task as Partial<TaskNamespaceLike>;
    const parts = [t.tenantId, t.packageName, t.workflowId, t.taskId].map((p, n) => check.text(p, `task[${n}]`, { min: 0 }));
    return parts.join('::');
  }
  throw new ValidationError('task must be a task name or a TaskNamespace', { field: 'task' });
}

/** Rows for the listed names in the order of the list (first occurrence wins). */
function inNameOrder<T>(names: string[], rows: T[], nameOf: (r: T) => string): T[] {
  const byName = new Map(rows.map((r) => [nameOf(r), r]));
  const out: T[] = [];
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) continue;
    seen.add(n);
    const r = byName.get(n);
    if (r) out.push(r);
  }
  return out;
}

const METADATA_COLUMNS = 'm.id, m.task_execution_id, m.pipeline_execution_id, m.task_name, m.context_id, m.created_at, m.updated_at';

export function createTaskExecutionMetadataDal(e: Exec): TaskExecutionMetadataDal {
  const insert = async (input: unknown, upsert: boolean): Promise<TaskExecutionMetadata> => {
    const v = checkInput(input);
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
      const name = taskNameOf(task);
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
      const ctx = contextId === null || contextId === undefined ? null : check.id(contextId, 'contextId');
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
      return inNameOrder(names, rows.map(decode.metadata), (m) => m.taskName);
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
      return inNameOrder(names, items, (i) => i.metadata.taskName);
    },
  };
}
