/** 02 §4.6 — execution events (append-only log; transitions write their own, 01 §7.3). */
import {
  assertExecutionEventType,
  check,
  cloneJson,
  isPlainObject,
  ValidationError,
  type ExecutionEvent,
  type ExecutionEventDal,
} from '@cloacina/core';
import type { SelectQueryBuilder } from 'typeorm';
import { at, type Scope } from './shared/index.js';

type Qb = SelectQueryBuilder<Record<string, unknown>>;

export function executionEventDal(x: Scope): ExecutionEventDal {
  const { rt } = x;
  const t = rt.t.executionEvents;

  /** History order: created_at ASC, id ASC. */
  const history = (where: (qb: Qb) => Qb) =>
    x.run((s) => s.many<ExecutionEvent>(t.entity, (qb) => where(qb).orderBy('t.createdAt', 'ASC').addOrderBy('t.id', 'ASC')));

  return {
    async create(input) {
      if (!isPlainObject(input)) throw new ValidationError('input must be an object', { field: 'input' });
      const pipelineExecutionId = check.id(input.pipelineExecutionId, 'pipelineExecutionId');
      const taskExecutionId =
        input.taskExecutionId === undefined || input.taskExecutionId === null ? null : check.id(input.taskExecutionId, 'taskExecutionId');
      const eventType = assertExecutionEventType(input.eventType, 'eventType');
      const eventData = input.eventData === undefined || input.eventData === null ? null : check.jsonObject(input.eventData, 'eventData');
      // Omitted → the DAL's configured runner id; an explicit null stays null.
      const runnerId = input.runnerId === undefined ? rt.runnerId : input.runnerId === null ? null : check.text(input.runnerId, 'runnerId');
      // A transaction of its own: the row and its signal commit together, like every event.
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        const id = rt.newId();
        const record: ExecutionEvent = {
          id,
          pipelineExecutionId,
          taskExecutionId,
          eventType,
          eventData: eventData === null ? null : cloneJson(eventData),
          runnerId,
          createdAt: at(now),
        };
        // writeEvents draws its own id; insert directly to keep the id returned above.
        tx.signals.add(eventType, pipelineExecutionId, taskExecutionId);
        await s.exec(`INSERT INTO execution_events (${t.columnList}) VALUES (${t.columns.map((_, i) => `$${i + 1}`).join(', ')})`, t.row(record));
        return record;
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
      if (opts !== undefined && !isPlainObject(opts)) throw new ValidationError('opts must be an object', { field: 'opts' });
      const since = opts?.since === undefined ? null : check.date(opts.since, 'since');
      const limit = opts?.limit === undefined ? 100 : check.limit(opts.limit, 'limit');
      const offset = opts?.offset === undefined ? 0 : check.limit(opts.offset, 'offset');
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
