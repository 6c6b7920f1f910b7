/** Cron executions: audit insert-if-absent, linking, deletes (02 §4.8 crud). */
import { check, copyDate, cronExecutionRecord, DuplicateCronExecutionError, newCronExecutionInput, type CronExecutionDal } from '@cloacina/core';
import { mustExist, updateById, type Scope } from '../shared/index.js';

export type CronExecutionCrudMethods = Pick<CronExecutionDal, 'create' | 'updatePipelineExecutionId' | 'linkPipelineExecution' | 'deleteOlderThan'>;

export function cronExecutionCrud(x: Scope): CronExecutionCrudMethods {
  const { rt } = x;
  const t = rt.t.cronExecutions;
  const eid = (id: string) => t.enc('id', id);

  return {
    async create(input) {
      const v = newCronExecutionInput(input);
      return x.run(async (s) => {
        const now = rt.now();
        const record = cronExecutionRecord(rt.newId(), v, now);
        const values = t.row(record);
        // Insert-if-absent: a duplicate fire is an expected conflict, reported without a
        // database error so an enclosing transaction stays usable.
        const inserted = await s.first(
          `INSERT INTO cron_executions (${t.columnList}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})
           ON CONFLICT (schedule_id, scheduled_time) DO NOTHING RETURNING id`,
          values,
        );
        if (!inserted) throw new DuplicateCronExecutionError(v.scheduleId, copyDate(v.scheduledTime));
        return record;
      });
    },

    async updatePipelineExecutionId(id, pipelineId) {
      const key = check.id(id);
      const pid = check.id(pipelineId, 'pipelineId');
      await x.run((s) =>
        updateById(s, t, 'CronExecution', key, eid(key), 'pipeline_execution_id = $2, updated_at = $3', [
          t.enc('pipelineExecutionId', pid),
          t.enc('updatedAt', rt.now()),
        ]),
      );
    },

    async linkPipelineExecution(id, pipelineId) {
      const key = check.id(id);
      const pid = check.id(pipelineId, 'pipelineId');
      return x.run(async (s) => {
        // Compare-and-set: only an unlinked audit row is linked, so two runners never both link.
        const r = await s.exec(
          'UPDATE cron_executions SET pipeline_execution_id = $2, updated_at = $3 WHERE id = $1 AND pipeline_execution_id IS NULL',
          [eid(key), t.enc('pipelineExecutionId', pid), t.enc('updatedAt', rt.now())],
        );
        if (r.affected > 0) return true;
        await mustExist(s, t, 'CronExecution', key, eid(key));
        return false;
      });
    },

    async deleteOlderThan(cutoff) {
      check.date(cutoff, 'cutoff');
      return x.run(async (s) => (await s.exec('DELETE FROM cron_executions WHERE scheduled_time < $1', [t.enc('scheduledTime', cutoff)])).affected);
    },
  };
}
