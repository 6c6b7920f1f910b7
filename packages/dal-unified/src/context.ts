/** 02 §4.1 — contexts. */
import { check, NotFoundError, type ContextDal, type ContextRecord, type JsonObject } from '@cloacina/core';
import { deleteById, updateById, type Scope } from './shared/index.js';

export function contextDal(x: Scope): ContextDal {
  const { rt } = x;
  const t = rt.t.contexts;

  const find = (id: string) =>
    x.run(async (s) => {
      const row = await s.first('SELECT value FROM contexts WHERE id = $1', [rt.p.uuid(id)]);
      return row ? (t.dec('value', row.value) as JsonObject) : null;
    });

  return {
    async create(value) {
      check.jsonObject(value, 'value');
      if (Object.keys(value).length === 0) {
        x.guard();
        return null;
      }
      return x.run(async (s) => {
        const now = rt.now();
        const id = rt.newId();
        await s.exec('INSERT INTO contexts (id, value, created_at, updated_at) VALUES ($1, $2, $3, $3)', [
          t.enc('id', id),
          t.enc('value', value),
          t.enc('createdAt', now),
        ]);
        return id;
      });
    },

    async read(id) {
      const key = check.id(id);
      const value = await find(key);
      if (value === null) throw new NotFoundError('Context', key);
      return value;
    },

    async find(id) {
      return find(check.id(id));
    },

    async update(id, value) {
      const key = check.id(id);
      check.jsonObject(value, 'value');
      await x.run(async (s) => {
        const now = rt.now();
        await updateById(s, t, 'Context', key, t.enc('id', key), 'value = $2, updated_at = $3', [t.enc('value', value), t.enc('updatedAt', now)]);
      });
    },

    async delete(id) {
      const key = check.id(id);
      return x.run((s) => deleteById(s, t, t.enc('id', key)));
    },

    async list(limit, offset) {
      check.limit(limit, 'limit');
      check.limit(offset, 'offset');
      if (limit === 0) {
        x.guard();
        return [];
      }
      return x.run((s) =>
        s.many<ContextRecord>(t.entity, (qb) =>
          qb.orderBy('t.createdAt', 'DESC').addOrderBy('t.id', 'DESC').limit(limit).offset(offset),
        ),
      );
    },

    async deleteUnreferenced(createdBefore) {
      check.date(createdBefore, 'createdBefore');
      return x.run(async (s) => {
        const r = await s.exec(
          `DELETE FROM contexts WHERE created_at < $1
             AND NOT EXISTS (SELECT 1 FROM pipeline_executions p WHERE p.context_id = contexts.id)
             AND NOT EXISTS (SELECT 1 FROM pipeline_executions p WHERE p.final_context_id = contexts.id)
             AND NOT EXISTS (SELECT 1 FROM task_execution_metadata m WHERE m.context_id = contexts.id)`,
          [t.enc('createdAt', createdBefore)],
        );
        return r.affected;
      });
    },
  };
}
