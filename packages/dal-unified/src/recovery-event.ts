/** 02 §4.5 — recovery events (audit of recovery actions, 01 §7.4). */
import {
  assertRecoveryType,
  check,
  newRecoveryEventInput,
  recoveryEventRecord,
  type RecoveryEvent,
  type RecoveryEventDal,
  type RecoveryType,
} from '@cloacina/core';
import { insertNew, type Scope } from './shared/index.js';
import type { SelectQueryBuilder } from 'typeorm';

type Qb = SelectQueryBuilder<Record<string, unknown>>;

export function recoveryEventDal(x: Scope): RecoveryEventDal {
  const { rt } = x;
  const t = rt.t.recoveryEvents;

  /** Every getter: order recovered_at DESC, id DESC. */
  const list = (where: (qb: Qb) => Qb) =>
    x.run((s) => s.many<RecoveryEvent>(t.entity, (qb) => where(qb).orderBy('t.recoveredAt', 'DESC').addOrderBy('t.id', 'DESC')));

  const byType = (type: RecoveryType) => list((qb) => qb.where('t.recoveryType = :type', { type }));

  return {
    async create(input) {
      const v = newRecoveryEventInput(input);
      return insertNew(x, t, (id, now) => recoveryEventRecord(id, v, now));
    },

    async getByPipeline(pipelineId) {
      const key = check.id(pipelineId, 'pipelineId');
      return list((qb) => qb.where('t.pipelineExecutionId = :id', { id: t.enc('pipelineExecutionId', key) }));
    },

    async getByTask(taskExecutionId) {
      const key = check.id(taskExecutionId, 'taskExecutionId');
      return list((qb) => qb.where('t.taskExecutionId = :id', { id: t.enc('taskExecutionId', key) }));
    },

    async getByType(type) {
      return byType(assertRecoveryType(type, 'type'));
    },

    async getWorkflowUnavailableEvents() {
      return byType('workflow_unavailable');
    },

    async getRecent(limit) {
      check.limit(limit, 'limit');
      if (limit === 0) {
        x.guard();
        return [];
      }
      return x.run((s) =>
        s.many<RecoveryEvent>(t.entity, (qb) => qb.orderBy('t.recoveredAt', 'DESC').addOrderBy('t.id', 'DESC').limit(limit)),
      );
    },
  };
}
