/** Task executions: claims, leases and retries (02 §4.3 claiming; 01 §7.2 T5, T8, T10). */
import { byId, check, claimEvents, distinct, eventData, renewalResult, retryOptions, sortIds, textList } from '@cloacina/core';
import type { ClaimResult, JsonObject, TaskExecutionDal } from '@cloacina/core';
import type { Exec } from '../executor.js';
import { decode, defaultRunner, fencedTaskUpdate, fencedTransition, ts, writeEvents } from '../shared.js';

type Claiming = Pick<
  TaskExecutionDal,
  'claimReadyTasks' | 'scheduleRetry' | 'getReadyForRetry' | 'heartbeat' | 'heartbeatMany' | 'releaseClaim' | 'findClaimsByRunner'
>;

interface ClaimedRow {
  id: string;
  pipeline_execution_id: string;
  task_name: string;
  attempt: number;
  max_attempts: number;
  task_configuration: JsonObject;
}

/**
 * The claim (02 §6): eligible task rows joined to active runs, taken in id order, limited, and
 * locked with FOR UPDATE OF t SKIP LOCKED (task rows only, so concurrent claimers pass each
 * other instead of queueing), then moved to Running in the same statement.
 */
function claimSql(filtered: boolean): string {
  return `WITH c AS (
      SELECT t.id FROM task_executions t
        JOIN pipeline_executions p ON p.id = t.pipeline_execution_id
       WHERE t.status = 'Ready'
         AND (t.retry_at IS NULL OR t.retry_at <= $2::timestamptz)
         AND p.status IN ('Pending', 'Running')${filtered ? '\n         AND p.pipeline_name = ANY($4::text[])' : ''}
       ORDER BY t.id
       LIMIT $3
         FOR UPDATE OF t SKIP LOCKED)
    UPDATE task_executions t
       SET status = 'Running', started_at = $2::timestamptz, claimed_by = $1, heartbeat_at = $2::timestamptz, updated_at = $2::timestamptz
      FROM c
     WHERE t.id = c.id
    RETURNING t.id, t.pipeline_execution_id, t.task_name, t.attempt, t.max_attempts, t.task_configuration`;
}

// P3 for the claimed tasks' runs: the pipeline rows are locked after the task rows (lock order),
// in id order, and only those still Pending move.
const START_PIPELINES_SQL = `UPDATE pipeline_executions p SET status = 'Running', updated_at = $2::timestamptz
    FROM (SELECT id FROM pipeline_executions WHERE id = ANY($1::uuid[]) AND status = 'Pending' ORDER BY id FOR UPDATE) s
   WHERE p.id = s.id AND p.status = 'Pending'
   RETURNING p.id`;

export function createTaskClaiming(e: Exec): Claiming {
  return {
    async claimReadyTasks(runnerId, limit, workflowNames) {
      const runner = check.text(runnerId, 'runnerId');
      const n = check.limit(limit);
      const names = workflowNames === undefined || workflowNames === null ? undefined : textList(workflowNames, 'workflowNames');
      if (n === 0 || (names !== undefined && names.length === 0)) return [];
      const now = e.now();
      return e.tx(async (c) => {
        const params: unknown[] = [runner, ts(now), n];
        if (names) params.push(names);
        const claimed = (await c.rows<ClaimedRow>(claimSql(names !== undefined), params)).sort(byId);
        if (claimed.length === 0) return [];
        const pipelineIds = sortIds(distinct(claimed.map((r) => r.pipeline_execution_id)));
        const started = await c.rows<{ id: string }>(START_PIPELINES_SQL, [pipelineIds, ts(now)]);
        const results = claimed.map(
          (r): ClaimResult => ({
            id: r.id,
            pipelineExecutionId: r.pipeline_execution_id,
            taskName: r.task_name,
            attempt: r.attempt,
            maxAttempts: r.max_attempts,
            taskConfiguration: r.task_configuration,
          }),
        );
        await writeEvents(c, now, claimEvents(results, started.map((p) => p.id), defaultRunner(c)));
        return results;
      });
    },

    async scheduleRetry(id, runnerId, opts) {
      const key = check.id(id);
      const runner = check.text(runnerId, 'runnerId');
      const { retryAt, error } = retryOptions(opts);
      const now = e.now();
      await fencedTransition(e, key, runner, {
        set: `status = 'Ready', attempt = attempt + 1, retry_at = $3, started_at = NULL, last_error = $4,
           claimed_by = NULL, heartbeat_at = NULL, updated_at = $5`,
        params: [ts(retryAt), error, ts(now)],
        now,
        eventType: 'task_retry_scheduled',
        eventData: (attempt) => eventData.taskRetryScheduled(attempt, retryAt, error),
      });
    },

    async getReadyForRetry() {
      const now = e.now();
      const rows = await e.rows(
        "SELECT * FROM task_executions WHERE status = 'Ready' AND (retry_at IS NULL OR retry_at <= $1::timestamptz) ORDER BY id",
        [ts(now)],
      );
      return rows.map(decode.task);
    },

    async heartbeat(id, runnerId) {
      const key = check.id(id);
      const runner = check.text(runnerId, 'runnerId');
      const now = e.now();
      // Lease renewal touches heartbeat_at only (01 §1, "Updated-at"); no event, one statement.
      await fencedTaskUpdate(e, key, runner, 'heartbeat_at = $3', [ts(now)], 'id');
    },

    async heartbeatMany(runnerId, ids) {
      const runner = check.text(runnerId, 'runnerId');
      const wanted = distinct(check.ids(ids));
      if (wanted.length === 0) return { renewed: [], lost: [] };
      const now = e.now();
      const rows = await e.rows<{ id: string }>(
        `UPDATE task_executions SET heartbeat_at = $3
          WHERE id = ANY($2::uuid[]) AND status = 'Running' AND claimed_by = $1 RETURNING id`,
        [runner, wanted, ts(now)],
      );
      return renewalResult(wanted, rows.map((r) => r.id));
    },

    async releaseClaim(id, runnerId) {
      const key = check.id(id);
      const runner = check.text(runnerId, 'runnerId');
      const now = e.now();
      await fencedTransition(e, key, runner, {
        set: "status = 'Ready', started_at = NULL, claimed_by = NULL, heartbeat_at = NULL, updated_at = $3",
        params: [ts(now)],
        now,
        eventType: 'task_released',
        eventData: (attempt) => eventData.taskReleased(attempt),
      });
    },

    async findClaimsByRunner(runnerId) {
      const runner = check.text(runnerId, 'runnerId');
      const rows = await e.rows("SELECT * FROM task_executions WHERE status = 'Running' AND claimed_by = $1 ORDER BY id", [runner]);
      return rows.map(decode.task);
    },
  };
}
