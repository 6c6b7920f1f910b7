/** 02 §4.6 — execution events (append-only log; transitions write their own, 01 §7.3). */
import {
  assertExecutionEventType,
  check,
  cloneJson,
  eventQueryOptions,
  executionEventRecords,
  newExecutionEventInput,
  type ExecutionEvent,
  type ExecutionEventDal,
} from '@cloacina/core';
import type { SelectQueryBuilder } from 'typeorm';
import type { Scope } from './shared/index.js';

type Qb = SelectQueryBuilder<Record<string, unknown>>;

export function executionEventDal(x: Scope): ExecutionEventDal {
  const { rt } = x;
  const t = rt.t.executionEvents;

  /** History order: created_at ASC, id ASC. */
  const history = (where: (qb: Qb) => Qb) =>
    x.run((s) => s.many<ExecutionEvent>(t.entity, (qb) => where(qb).orderBy('t.createdAt', 'ASC').addOrderBy('t.id', 'ASC')));

  return {
    async create(input) {
      const event = newExecutionEventInput(input, rt.runnerId);
      // The record is returned to the caller, so it must not share the caller's JSON.
      if (event.eventData !== null) event.eventData = cloneJson(event.eventData);
      // A transaction of its own: the row and its signal commit together, like every event.
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        const [record] = executionEventRecords([event], now, () => rt.newId());
        // writeEvents does not return its records; insert directly to return this one.
        tx.signals.add(event.eventType, event.pipelineExecutionId, event.taskExecutionId);
        await s.exec(`INSERT INTO execution_events (${t.columnList}) VALUES (${t.columns.map((_, i) => `$${i + 1}`).join(', ')})`, t.row(record));
        return record!;
      });
    },

    async getByPipeline(pipelineId) {
      const key = check.id(pipelineId, 'pipelineId');
      return history((qb) => qb.where('t.pipelineExecutionId = :id', { id: t.enc('pipelineExecutionId', key) }));
    },

    async getByTask(taskExecutionId) {
      const key = check.id(taskExecutionId, 'taskExecutionId');
      return history((qb) => qb.where('t.taskExecutionId = :id', { id: t.enc('taskExecutionId', key) }));
    },

    async getByType(type, opts) {
      const eventType = assertExecutionEventType(type, 'type');
      const { since, limit, offset } = eventQueryOptions(opts);
      if (limit === 0) {
        x.guard();
        return [];
      }
      return history((qb) => {
        qb.where('t.eventType = :eventType', { eventType });
        if (since) qb.andWhere('t.createdAt >= :since', { since: t.enc('createdAt', since) });
        return qb.limit(limit).offset(offset);
      });
    },

    async getRecent(limit) {
      check.limit(limit, 'limit');
      if (limit === 0) {
        x.guard();
        return [];
      }
      return x.run((s) => s.many<ExecutionEvent>(t.entity, (qb) => qb.orderBy('t.createdAt', 'DESC').addOrderBy('t.id', 'DESC').limit(limit)));
    },

    async deleteOlderThan(cutoff) {
      check.date(cutoff, 'cutoff');
      return x.run(async (s) => (await s.exec('DELETE FROM execution_events WHERE created_at < $1', [t.enc('createdAt', cutoff)])).affected);
    },
  };
}
