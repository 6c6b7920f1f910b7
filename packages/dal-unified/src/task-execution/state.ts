/** Task executions: state transitions T2, T3, T6, T7, T12, T13 (02 §4.3 state, 01 §7.2). */
import {
  check,
  chunk,
  DAL_TEXTS,
  eventData,
  NotFoundError,
  readinessDecisions,
  requireAllFound,
  sortIds,
  TASK_SOURCES,
  type PendingEvent,
  type TaskExecutionDal,
  type TxState,
} from '@cloacina/core';
import { ev, fencedUpdate, forChunks, guardedUpdate, leaseGuard, writeEvents, type Scope, type Session } from '../shared/index.js';

export type StateMethods = Pick<
  TaskExecutionDal,
  'markReady' | 'markSkipped' | 'markReadiness' | 'markCompleted' | 'markFailed' | 'markAbandoned' | 'resetRetryState'
>;

const inList = (statuses: readonly string[]) => `(${statuses.map((s) => `'${s}'`).join(', ')})`;
const LEASE_CLEARED = 'claimed_by = NULL, heartbeat_at = NULL';

/** Core's validated decisions (first per task) split by outcome; `order` is input order. */
function splitDecisions(decisions: unknown): { ready: string[]; skipped: Map<string, string>; order: string[] } {
  const valid = readinessDecisions(decisions);
  const skipped = new Map<string, string>();
  for (const d of valid) if (d.outcome === 'Skipped') skipped.set(d.id, d.reason);
  return { ready: valid.filter((d) => d.outcome === 'Ready').map((d) => d.id), skipped, order: valid.map((d) => d.id) };
}

export function taskState(x: Scope): StateMethods {
  const { rt } = x;
  const t = rt.t.tasks;
  const tid = (id: string) => t.enc('id', id);
  const ts = (d: Date) => t.enc('updatedAt', d);

  /** T2/T3/T12/T13-style guarded update of one task; false when the guard refuses. */
  const guarded = (id: string, set: string, where: string, params: unknown[], event: (pipelineId: string) => PendingEvent) =>
    x.atomic(async (s, tx) => {
      const now = rt.now();
      const row = await guardedUpdate(s, t, 'TaskExecution', id, tid(id), set, where, [ts(now), ...params], 'pipeline_execution_id');
      if (!row) return false;
      await writeEvents(s, rt, tx, now, [event(rt.p.uuidOf(row.pipeline_execution_id))]);
      return true;
    });

  /**
   * markReadiness on PostgreSQL in one statement: the existence check, and both transitions
   * gated on it (so an unknown id still writes nothing, even inside a caller's transaction),
   * then the events. Same rows, events, ids and errors as the statement-per-step path.
   */
  const readinessOnePass = async (s: Session, tx: TxState, now: Date, v: ReturnType<typeof splitDecisions>) => {
    const skipped = [...v.skipped];
    const params: unknown[] = [ts(now), v.order.map(tid), v.order.length];
    const p = (value: unknown) => `$${params.push(value)}`;
    // Only the transitions this call has rows for (an empty one would still cost planning).
    const ctes = [
      'found AS (SELECT id FROM task_executions WHERE id = ANY($2::uuid[]))',
      'gate AS (SELECT count(*) = $3::bigint AS ok FROM found)',
    ];
    const selects = ["SELECT 'f' AS kind, id, NULL AS pipeline_execution_id, NULL AS error_details FROM found"];
    if (v.ready.length > 0) {
      ctes.push(`r AS (UPDATE task_executions SET status = 'Ready', updated_at = $1
        WHERE status = 'NotStarted' AND id = ANY(${p(v.ready.map(tid))}::uuid[]) AND (SELECT ok FROM gate)
        RETURNING id, pipeline_execution_id)`);
      selects.push("SELECT 'r', id, pipeline_execution_id, NULL FROM r");
    }
    if (skipped.length > 0) {
      ctes.push(`k AS (UPDATE task_executions SET status = 'Skipped', error_details = v.reason, completed_at = $1, updated_at = $1
        FROM unnest(${p(skipped.map(([id]) => tid(id)))}::uuid[], ${p(skipped.map(([, reason]) => reason))}::text[]) AS v(id, reason)
        WHERE task_executions.id = v.id AND task_executions.status = 'NotStarted' AND (SELECT ok FROM gate)
        RETURNING task_executions.id, task_executions.pipeline_execution_id, task_executions.error_details)`);
      selects.push("SELECT 's', id, pipeline_execution_id, error_details FROM k");
    }
    const rows = await s.rows(`WITH ${ctes.join(',\n')}\n${selects.join('\nUNION ALL ')}`, params);
    // Unknown ids are refused before anything is written (first unknown in input order).
    requireAllFound('TaskExecution', v.order, rows.filter((r) => r.kind === 'f').map((r) => rt.p.uuidOf(r.id)));
    const events: PendingEvent[] = [];
    const readied: string[] = [];
    const skippedIds: string[] = [];
    for (const r of rows) {
      if (r.kind !== 'r') continue;
      const id = rt.p.uuidOf(r.id);
      readied.push(id);
      events.push(ev('task_ready', rt.p.uuidOf(r.pipeline_execution_id), id, null, rt.runnerId));
    }
    for (const r of rows) {
      if (r.kind !== 's') continue;
      const id = rt.p.uuidOf(r.id);
      skippedIds.push(id);
      events.push(ev('task_skipped', rt.p.uuidOf(r.pipeline_execution_id), id, eventData.taskSkipped(String(r.error_details)), rt.runnerId));
    }
    await writeEvents(s, rt, tx, now, events);
    return { ready: sortIds(readied), skipped: sortIds(skippedIds) };
  };

  return {
    async markReady(id) {
      const key = check.id(id);
      return guarded(key, "status = 'Ready', updated_at = $2", "status = 'NotStarted'", [], (p) => ev('task_ready', p, key, null, rt.runnerId));
    },

    async markSkipped(id, reason) {
      const key = check.id(id);
      const why = check.text(reason, 'reason', { min: 0 });
      return guarded(key, "status = 'Skipped', error_details = $3, completed_at = $2, updated_at = $2", "status = 'NotStarted'", [why], (p) =>
        ev('task_skipped', p, key, eventData.taskSkipped(why), rt.runnerId),
      );
    },

    async markReadiness(decisions) {
      const v = splitDecisions(decisions);
      if (v.order.length === 0) {
        x.guard();
        return { ready: [], skipped: [] };
      }
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        if (s.d.backend === 'postgres') return readinessOnePass(s, tx, now, v);
        // Unknown ids are refused before anything is written (first unknown in input order).
        const refuseUnknown = async () => {
          const found = await forChunks(s, 'id', 1, v.order.map(tid), 'uuid', (inSql, params) =>
            s.rows(`SELECT id FROM task_executions WHERE ${inSql}`, params),
          );
          requireAllFound('TaskExecution', v.order, found.map((r) => rt.p.uuidOf(r.id)));
        };
        // A small batch (the hot path) carries that check as a gate on its updates (an unknown id
        // makes them change nothing); it runs on its own only when fewer rows changed than were
        // decided. A large batch checks first.
        const small = v.order.length <= s.d.listChunk && v.order.length * 3 + 3 <= s.d.maxParams;
        if (!small) await refuseUnknown();
        const gate = (first: number) => {
          if (!small) return { sql: '', params: [] as unknown[] };
          const list = s.d.inList('id', first, v.order.map(tid), 'uuid');
          return { sql: ` AND (SELECT count(*) FROM task_executions WHERE ${list.sql}) = $${first + list.params.length}`, params: [...list.params, v.order.length] };
        };

        const events: PendingEvent[] = [];
        const readied = await forChunks(s, 'id', 2, v.ready.map(tid), 'uuid', (inSql, params) => {
          const g = gate(2 + params.length);
          return s.rows(`UPDATE task_executions SET status = 'Ready', updated_at = $1 WHERE status = 'NotStarted' AND ${inSql}${g.sql} RETURNING id, pipeline_execution_id`, [
            ts(now),
            ...params,
            ...g.params,
          ]);
        });
        for (const r of readied) events.push(ev('task_ready', rt.p.uuidOf(r.pipeline_execution_id), rt.p.uuidOf(r.id), null, rt.runnerId));

        const skipRows = [...v.skipped].map(([id, reason]) => [tid(id), reason] as const);
        const perStatement = Math.max(1, Math.min(s.d.listChunk, Math.floor(s.d.maxParams / 2) - 1));
        const skippedIds: string[] = [];
        for (const part of chunk(skipRows, perStatement)) {
          const values = s.d.valuesTable(2, part, ['uuid', 'text']);
          const g = gate(2 + values.params.length);
          const rows = await s.rows(
            `UPDATE task_executions SET status = 'Skipped', error_details = v.column2, completed_at = $1, updated_at = $1
             FROM ${values.sql} AS v WHERE task_executions.id = v.column1 AND task_executions.status = 'NotStarted'${g.sql}
             RETURNING id, pipeline_execution_id, error_details`,
            [ts(now), ...values.params, ...g.params],
          );
          for (const r of rows) {
            const id = rt.p.uuidOf(r.id);
            skippedIds.push(id);
            events.push(ev('task_skipped', rt.p.uuidOf(r.pipeline_execution_id), id, eventData.taskSkipped(String(r.error_details)), rt.runnerId));
          }
        }
        if (small && readied.length + skippedIds.length < v.order.length) await refuseUnknown();
        await writeEvents(s, rt, tx, now, events);
        return { ready: sortIds(readied.map((r) => rt.p.uuidOf(r.id))), skipped: sortIds(skippedIds) };
      });
    },

    async markCompleted(id, runnerId) {
      const key = check.id(id);
      const runner = check.text(runnerId, 'runnerId');
      await x.atomic(async (s, tx) => {
        const now = rt.now();
        const row = await fencedUpdate(s, rt, key, runner, `status = 'Completed', completed_at = $3, updated_at = $3, retry_at = NULL, ${LEASE_CLEARED}`, [ts(now)], 'pipeline_execution_id, attempt');
        await writeEvents(s, rt, tx, now, [ev('task_completed', rt.p.uuidOf(row.pipeline_execution_id), key, eventData.taskCompleted(Number(row.attempt), null), runner)]);
      });
    },

    async markFailed(id, runnerId, message) {
      const key = check.id(id);
      const runner = check.text(runnerId, 'runnerId');
      const msg = check.text(message, 'message', { min: 0 });
      await x.atomic(async (s, tx) => {
        const now = rt.now();
        const row = await fencedUpdate(
          s,
          rt,
          key,
          runner,
          `status = 'Failed', completed_at = $3, updated_at = $3, error_details = $4, last_error = $4, ${LEASE_CLEARED}`,
          [ts(now), msg],
          'pipeline_execution_id, attempt',
        );
        await writeEvents(s, rt, tx, now, [ev('task_failed', rt.p.uuidOf(row.pipeline_execution_id), key, eventData.taskFailed(Number(row.attempt), msg), runner)]);
      });
    },

    async markAbandoned(id, reason, guard) {
      const key = check.id(id);
      const why = check.text(reason, 'reason', { min: 0 });
      const lease = leaseGuard(rt, guard, 4);
      const where = lease ? lease.sql : `status IN ${inList(TASK_SOURCES.markAbandoned)}`;
      return guarded(
        key,
        `status = 'Failed', completed_at = $2, updated_at = $2, error_details = $3, ${LEASE_CLEARED}`,
        where,
        [DAL_TEXTS.abandoned(why), ...(lease?.params ?? [])],
        (p) => ev('task_abandoned', p, key, eventData.taskAbandoned(why), rt.runnerId),
      );
    },

    async resetRetryState(id) {
      const key = check.id(id);
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        const cur = await s.first(`SELECT status, pipeline_execution_id FROM task_executions WHERE id = $1${s.d.forUpdate()}`, [tid(key)]);
        if (!cur) throw new NotFoundError('TaskExecution', key);
        const previous = String(cur.status);
        if (!(TASK_SOURCES.resetRetryState as readonly string[]).includes(previous)) return false;
        await s.exec(
          `UPDATE task_executions SET status = 'Ready', attempt = 1, retry_at = NULL, started_at = NULL, completed_at = NULL,
             last_error = NULL, error_details = NULL, updated_at = $2 WHERE id = $1`,
          [tid(key), ts(now)],
        );
        await writeEvents(s, rt, tx, now, [ev('task_retry_reset', rt.p.uuidOf(cur.pipeline_execution_id), key, eventData.taskRetryReset(previous), rt.runnerId)]);
        return true;
      });
    },
  };
}
