/** `context` module (02 §4.1): JSON objects passed between tasks. */
import { check, CONTEXTS, mustFind, nonEmptyContextRecord, NotFoundError, type ContextDal, type JsonObject } from '@cloacina/core';
import type { Exec } from './executor.js';
import { decode, insertRows, ts } from './shared.js';

/** Inserts a context row when the value is non-empty (shared by the hot paths); null otherwise. */
export async function storeContext(e: Exec, value: JsonObject, now: Date): Promise<string | null> {
  const record = nonEmptyContextRecord(value, now, () => e.newId());
  if (record) await insertRows(e, CONTEXTS, [record], false);
  return record?.id ?? null;
}

export function createContextDal(e: Exec): ContextDal {
  const find = async (id: string): Promise<JsonObject | null> => {
    const rows = await e.rows<{ value: JsonObject }>('SELECT value FROM contexts WHERE id = $1', [check.id(id)]);
    return rows.length > 0 ? rows[0]!.value : null;
  };
  return {
    async create(value) {
      check.jsonObject(value, 'value');
      if (Object.keys(value).length === 0) return null;
      return storeContext(e, value, e.now());
    },

    find,

    read: mustFind('Context', find),

    async update(id, value) {
      const key = check.id(id);
      check.jsonObject(value, 'value');
      const now = e.now();
      const r = await e.query('UPDATE contexts SET value = $2, updated_at = $3 WHERE id = $1', [key, JSON.stringify(value), ts(now)]);
      if (r.rowCount === 0) throw new NotFoundError('Context', key);
    },

    async delete(id) {
      const r = await e.query('DELETE FROM contexts WHERE id = $1', [check.id(id)]);
      return r.rowCount > 0;
    },

    async list(limit, offset) {
      const rows = await e.rows('SELECT * FROM contexts ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2', [
        check.limit(limit),
        check.limit(offset, 'offset'),
      ]);
      return rows.map(decode.context);
    },

    async deleteUnreferenced(createdBefore) {
      const cutoff = ts(check.date(createdBefore, 'createdBefore'));
      const r = await e.query(
        `DELETE FROM contexts c
          WHERE c.created_at < $1
            AND NOT EXISTS (SELECT 1 FROM pipeline_executions p WHERE p.context_id = c.id)
            AND NOT EXISTS (SELECT 1 FROM pipeline_executions p WHERE p.final_context_id = c.id)
            AND NOT EXISTS (SELECT 1 FROM task_execution_metadata m WHERE m.context_id = c.id)`,
        [cutoff],
      );
      return r.rowCount;
    },
  };
}
