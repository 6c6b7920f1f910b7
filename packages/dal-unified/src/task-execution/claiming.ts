/** Task executions: claims, leases and retries (02 §4.3 claiming; T5, T8, T10, P3). */
import { byId, check, claimEvents, distinct, eventData, renewalResult, retryOptions, sortIds, textList } from '@cloacina/core';
import type { ClaimResult, JsonObject, TaskExecutionDal } from '@cloacina/core';
import { ev, fencedUpdate, forChunks, selectRows, writeEvents, type Scope } from '../shared/index.js';

export type ClaimingMethods = Pick<
  TaskExecutionDal,
  'claimReadyTasks' | 'scheduleRetry' | 'getReadyForRetry' | 'heartbeat' | 'heartbeatMany' | 'releaseClaim' | 'findClaimsByRunner'
>;

const LEASE_CLEARED = 'claimed_by = NULL, heartbeat_at = NULL';

export function taskClaiming(x: Scope): ClaimingMethods {
  const { rt } = x;
  const t = rt.t.tasks;
  const tid = (id: string) => t.enc('id', id);
  const ts = (d: Date) => t.enc('updatedAt', d);

  return {
    async claimReadyTasks(runnerId, limit, workflowNames) {
      const runner = check.text(runnerId, 'runnerId');
      check.limit(limit, 'limit');
      const names = workflowNames === undefined || workflowNames === null ? null : distinct(textList(workflowNames, 'workflowNames'));
      if (limit === 0 || (names !== null && names.length === 0)) {
        x.guard();
        return [];
      }
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        const filter = names ? s.d.inList('p.pipeline_name', 4, names, 'text') : null;
        const params = [ts(now), limit, runner, ...(filter?.params ?? [])];
        // Where the dialect can, the claim and P3 go as one statement (one round trip fewer).
        const combined = s.d.claimStartSql ? await s.rows(s.d.claimStartSql(filter?.sql ?? ''), params) : null;
        const claimed = combined ? combined.filter((r) => r.kind === 't') : await s.rows(s.d.claimSql(filter?.sql ?? ''), params);
        if (claimed.length === 0) return [];
        const results: ClaimResult[] = claimed.map((r) => ({
          id: rt.p.uuidOf(r.id),
          pipelineExecutionId: rt.p.uuidOf(r.pipeline_execution_id),
          taskName: String(r.task_name),
          attempt: Number(r.attempt),
          maxAttempts: Number(r.max_attempts),
          taskConfiguration: rt.p.jsonOf<JsonObject>(r.task_configuration),
        }));
        results.sort(byId);
        // P3 in the same transaction; the task rows are already locked, so lock order holds. A
        // claim that reports each run's status (SQLite) updates only the runs still Pending.
        const pending = claimed.some((r) => 'pipeline_status' in r) ? claimed.filter((r) => r.pipeline_status === 'Pending') : claimed;
        const pipelineIds = sortIds(distinct(pending.map((r) => rt.p.uuidOf(r.pipeline_execution_id))));
        const started = combined
          ? combined.filter((r) => r.kind === 'p')
          : pipelineIds.length === 0
            ? []
            : await forChunks(s, 'id', 2, pipelineIds.map((id) => rt.t.pipelines.enc('id', id)), 'uuid', (inSql, params) =>
              s.rows(`UPDATE pipeline_executions SET status = 'Running', updated_at = $1 WHERE status = 'Pending' AND ${inSql} RETURNING id`, [
                ts(now),
                ...params,
              ]),
            );
        // A claim is not fenced (01 §7.2), so its events carry the DAL's configured runner id.
        await writeEvents(s, rt, tx, now, claimEvents(results, started.map((r) => rt.p.uuidOf(r.id)), rt.runnerId));
        return results;
      });
    },

    async scheduleRetry(id, runnerId, opts) {
      const key = check.id(id);
      const runner = check.text(runnerId, 'runnerId');
      const { retryAt, error } = retryOptions(opts);
      await x.atomic(async (s, tx) => {
        const now = rt.now();
        const row = await fencedUpdate(
          s,
          rt,
          key,
          runner,
          `status = 'Ready', attempt = attempt + 1, retry_at = $3, started_at = NULL, last_error = $4, updated_at = $5, ${LEASE_CLEARED}`,
          [t.enc('retryAt', retryAt), error, ts(now)],
          'pipeline_execution_id, attempt',
        );
        await writeEvents(s, rt, tx, now, [
          ev('task_retry_scheduled', rt.p.uuidOf(row.pipeline_execution_id), key, eventData.taskRetryScheduled(Number(row.attempt), retryAt, error), runner),
        ]);
      });
    },

    async getReadyForRetry() {
      return x.run((s) => selectRows(s, t, "WHERE status = 'Ready' AND (retry_at IS NULL OR retry_at <= $1) ORDER BY id", [ts(rt.now())]));
    },

    async heartbeat(id, runnerId) {
      const key = check.id(id);
      const runner = check.text(runnerId, 'runnerId');
      // Lease renewal touches heartbeat_at only (no event, updated_at untouched).
      await x.run((s) => fencedUpdate(s, rt, key, runner, 'heartbeat_at = $3', [ts(rt.now())], 'id'));
    },

    async heartbeatMany(runnerId, ids) {
      const runner = check.text(runnerId, 'runnerId');
      const wanted = distinct(check.ids(ids, 'ids'));
      if (wanted.length === 0) {
        x.guard();
        return { renewed: [], lost: [] };
      }
      const rows = await x.run((s) => {
        const now = ts(rt.now());
        return forChunks(s, 'id', 3, wanted.map(tid), 'uuid', (inSql, params) =>
          s.rows(`UPDATE task_executions SET heartbeat_at = $1 WHERE status = 'Running' AND claimed_by = $2 AND ${inSql} RETURNING id`, [
            now,
            runner,
            ...params,
          ]),
        );
      });
      return renewalResult(wanted, rows.map((r) => rt.p.uuidOf(r.id)));
    },

    async releaseClaim(id, runnerId) {
      const key = check.id(id);
      const runner = check.text(runnerId, 'runnerId');
      await x.atomic(async (s, tx) => {
        const now = rt.now();
        const row = await fencedUpdate(s, rt, key, runner, `status = 'Ready', started_at = NULL, updated_at = $3, ${LEASE_CLEARED}`, [ts(now)], 'pipeline_execution_id, attempt');
        await writeEvents(s, rt, tx, now, [ev('task_released', rt.p.uuidOf(row.pipeline_execution_id), key, eventData.taskReleased(Number(row.attempt)), runner)]);
      });
    },

    async findClaimsByRunner(runnerId) {
      const runner = check.text(runnerId, 'runnerId');
      return x.run((s) => selectRows(s, t, "WHERE status = 'Running' AND claimed_by = $1 ORDER BY id", [runner]));
    },
  };
}
