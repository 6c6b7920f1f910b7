/** `context` module (02 §4.1). */
import { check, CONTEXTS, decodeJson, mustFind, nonEmptyContextRecord, type ContextDal, type JsonObject } from '@cloacina/core';
import type { Queries } from './connection.js';
import { decode, insertRows, J, requireChanged, TS, U } from './internal.js';
import type { Scope } from './scope.js';

/** Inserts a context row unless the value is empty; returns its id (or null). Draws the id. */
export async function insertContext(q: Queries, id: () => string, now: Date, value: JsonObject): Promise<string | null> {
  const record = nonEmptyContextRecord(value, now, id);
  if (record) await insertRows(q, CONTEXTS, [record]);
  return record?.id ?? null;
}

export function createContextDal(scope: Scope): ContextDal {
  const { env } = scope;

  const find = async (rawId: string): Promise<JsonObject | null> => {
    const id = check.id(rawId);
    const row = await scope.read((q) => q.get<{ value: string }>('SELECT value FROM contexts WHERE id = ?', [U(id)]));
    return row ? (decodeJson(row.value) as JsonObject) : null;
  };

  return {
    async create(value) {
      check.jsonObject(value, 'value');
      if (Object.keys(value).length === 0) return null;
      return scope.write((c) => insertContext(c, env.newId, env.now(), value));
    },

    find,

    read: mustFind('Context', find),

    async update(rawId, value) {
      const id = check.id(rawId);
      check.jsonObject(value, 'value');
      const encoded = J(value);
      await scope.write(async (c) => {
        const { changes } = await c.run('UPDATE contexts SET value = ?, updated_at = ? WHERE id = ?', [encoded, TS(env.now()), U(id)]);
        requireChanged(changes, 'Context', id);
      });
    },

    async delete(rawId) {
      const id = check.id(rawId);
      return scope.write(async (c) => (await c.run('DELETE FROM contexts WHERE id = ?', [U(id)])).changes > 0);
    },

    async list(limit, offset) {
      check.limit(limit);
      check.limit(offset, 'offset');
      const rows = await scope.read((q) =>
        q.all('SELECT * FROM contexts ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?', [limit, offset]),
      );
      return rows.map(decode.context);
    },

    async deleteUnreferenced(createdBefore) {
      const cutoff = TS(check.date(createdBefore, 'createdBefore'));
      return scope.write(async (c) => {
        const { changes } = await c.run(
          `DELETE FROM contexts
            WHERE created_at < ?
              AND NOT EXISTS (SELECT 1 FROM pipeline_executions p WHERE p.context_id = contexts.id)
              AND NOT EXISTS (SELECT 1 FROM pipeline_executions p WHERE p.final_context_id = contexts.id)
              AND NOT EXISTS (SELECT 1 FROM task_execution_metadata m WHERE m.context_id = contexts.id)`,
          [cutoff],
        );
        return changes;
      });
    },
  };
}
