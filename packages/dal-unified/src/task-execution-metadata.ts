/** 02 §4.4 — task execution metadata ("task T of run R produced context C"). */
import {
  check,
  distinct,
  inListOrder,
  metadataRecord,
  metadataTaskName,
  newMetadataInput,
  NotFoundError,
  optionalId,
  textList,
  type JsonObject,
  type TaskExecutionMetadataDal,
} from '@cloacina/core';
import { forChunks, insertNew, selectRows, type Scope, type Session } from './shared/index.js';

export function taskExecutionMetadataDal(x: Scope): TaskExecutionMetadataDal {
  const { rt } = x;
  const t = rt.t.metadata;
  const enc = (prop: string, v: unknown) => t.enc(prop, v);

  /** Rows of the run whose task_name is listed, in the order of `names` (first occurrence). */
  const dependencyRows = async (s: Session, pipelineId: string, names: string[], withContext: boolean) => {
    const select = withContext
      ? `SELECT ${t.prefixed('m')}, c.value AS context_value FROM task_execution_metadata m LEFT JOIN contexts c ON c.id = m.context_id`
      : `SELECT ${t.prefixed('m')} FROM task_execution_metadata m`;
    const rows = await forChunks(s, 'm.task_name', 2, names, 'text', (inSql, params) =>
      s.rows(`${select} WHERE m.pipeline_execution_id = $1 AND ${inSql}`, [enc('pipelineExecutionId', pipelineId), ...params]),
    );
    return inListOrder(names, rows, (r) => String(r.task_name));
  };

  const dependencyNames = (pipelineId: string, taskNames: string[]) => ({
    key: check.id(pipelineId, 'pipelineId'),
    names: distinct(textList(taskNames, 'taskNames')),
  });

  return {
    async create(input) {
      const v = newMetadataInput(input);
      return insertNew(x, t, (id, now) => metadataRecord(id, v, now));
    },

    async getByPipelineAndTask(pipelineId, task) {
      const key = check.id(pipelineId, 'pipelineId');
      const name = metadataTaskName(task);
      const [found] = await x.run((s) =>
        selectRows(s, t, 'WHERE pipeline_execution_id = $1 AND task_name = $2', [enc('pipelineExecutionId', key), name]),
      );
      if (!found) throw new NotFoundError('TaskExecutionMetadata', `${key}/${name}`);
      return found;
    },

    async getByTaskExecution(taskExecutionId) {
      const key = check.id(taskExecutionId, 'taskExecutionId');
      const [found] = await x.run((s) => selectRows(s, t, 'WHERE task_execution_id = $1', [enc('taskExecutionId', key)]));
      if (!found) throw new NotFoundError('TaskExecutionMetadata', key);
      return found;
    },

    async updateContextId(taskExecutionId, contextId) {
      const key = check.id(taskExecutionId, 'taskExecutionId');
      const ctx = optionalId(contextId, 'contextId');
      await x.run(async (s) => {
        const r = await s.exec('UPDATE task_execution_metadata SET context_id = $2, updated_at = $3 WHERE task_execution_id = $1', [
          enc('taskExecutionId', key),
          enc('contextId', ctx),
          enc('updatedAt', rt.now()),
        ]);
        if (r.affected === 0) throw new NotFoundError('TaskExecutionMetadata', key);
      });
    },

    async upsertTaskExecutionMetadata(input) {
      const v = newMetadataInput(input);
      return x.run(async (s) => {
        const now = rt.now();
        const values = t.row(metadataRecord(rt.newId(), v, now));
        const row = await s.first(
          `INSERT INTO task_execution_metadata (${t.columnList}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})
           ON CONFLICT (task_execution_id) DO UPDATE SET context_id = excluded.context_id, updated_at = excluded.updated_at
           RETURNING ${t.columnList}`,
          values,
        );
        return t.decode(row!);
      });
    },

    async getDependencyMetadata(pipelineId, taskNames) {
      const { key, names } = dependencyNames(pipelineId, taskNames);
      if (names.length === 0) {
        x.guard();
        return [];
      }
      const rows = await x.run((s) => dependencyRows(s, key, names, false));
      return rows.map((r) => t.decode(r));
    },

    async getDependencyMetadataWithContexts(pipelineId, taskNames) {
      const { key, names } = dependencyNames(pipelineId, taskNames);
      if (names.length === 0) {
        x.guard();
        return [];
      }
      const rows = await x.run((s) => dependencyRows(s, key, names, true));
      return rows.map((r) => ({
        metadata: t.decode(r),
        context: r.context_value === null || r.context_value === undefined ? null : rt.p.jsonOf<JsonObject>(r.context_value),
      }));
    },
  };
}
