/**
 * Test double: the subset of the DAL contract (02) the runner uses, in memory. It follows the
 * contract's state machines (01 §7): guards, fences (ClaimLostError), execution events and
 * signals published after the (simulated) transaction. Not a database: transactions snapshot
 * and restore the maps. Used by the runner's unit tests only (excluded from the build).
 */
import {
  ClaimLostError,
  DatabaseError,
  NotFoundError,
  SignalBuffer,
  completionItems,
  completionOutcomes,
  foldContexts,
  newId,
  type ClaimResult,
  type CompletionItem,
  type Dal,
  type ExecutionEvent,
  type ExecutionEventType,
  type FenceMissRow,
  type JsonObject,
  type LeaseGuard,
  type PipelineExecution,
  type ReadinessDecision,
  type RecoveryEvent,
  type Signal,
  type TaskExecution,
} from '@cloacina/core';

const TERMINAL_TASK = ['Completed', 'Failed', 'Skipped'];
const ACTIVE_RUN = ['Pending', 'Running'];
const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

interface State {
  contexts: Map<string, JsonObject>;
  runs: Map<string, PipelineExecution>;
  tasks: Map<string, TaskExecution>;
  outputs: Map<string, { taskName: string; pipelineId: string; contextId: string | null }>;
  events: ExecutionEvent[];
  recovery: RecoveryEvent[];
}

export interface MemoryDal extends Dal {
  /** Raw state, for assertions. */
  readonly state: State;
  /** Makes the next call of `method` (e.g. 'taskExecution.completeWithOutput') throw `error` `times` times. */
  failNext(method: string, error: unknown, times?: number): void;
  closed: boolean;
}

export function transientDbError(): DatabaseError {
  return new DatabaseError('connection reset', { backend: 'sqlite', dbCode: 'SQLITE_BUSY', transient: true });
}

export function createMemoryDal(opts: { clock?: () => Date; runnerId?: string } = {}): MemoryDal {
  const clock = opts.clock ?? (() => new Date());
  let state: State = { contexts: new Map(), runs: new Map(), tasks: new Map(), outputs: new Map(), events: [], recovery: [] };
  const listeners = new Set<(s: Signal) => void>();
  let buffer: SignalBuffer | null = null;
  const faults = new Map<string, { error: unknown; times: number }>();

  const publish = (signals: Signal[]) => queueMicrotask(() => signals.forEach((s) => listeners.forEach((l) => l(s))));
  const event = (type: ExecutionEventType, pipelineExecutionId: string, taskExecutionId: string | null, eventData: JsonObject | null, runnerId?: string | null) => {
    state.events.push({ id: newId(), pipelineExecutionId, taskExecutionId, eventType: type, eventData, runnerId: runnerId ?? opts.runnerId ?? null, createdAt: clock() });
    if (buffer !== null) buffer.add(type, pipelineExecutionId, taskExecutionId);
    else publish([{ type, pipelineExecutionId, taskExecutionId, schema: null }]);
  };
  const run = (id: string) => {
    const r = state.runs.get(id);
    if (r === undefined) throw new NotFoundError('PipelineExecution', id);
    return r;
  };
  const task = (id: string) => {
    const t = state.tasks.get(id);
    if (t === undefined) throw new NotFoundError('TaskExecution', id);
    return t;
  };
  const fenced = (id: string, runnerId: string) => {
    const t = task(id);
    if (t.status !== 'Running' || t.claimedBy !== runnerId) throw new ClaimLostError(id, runnerId, t.status, t.claimedBy);
    return t;
  };
  const guardOk = (t: TaskExecution, g?: LeaseGuard) =>
    g === undefined || (t.claimedBy === g.claimedBy && (g.heartbeatBefore === undefined || (t.heartbeatAt !== null && t.heartbeatAt < g.heartbeatBefore)));
  const tasksOf = (pid: string) => [...state.tasks.values()].filter((t) => t.pipelineExecutionId === pid).sort(byId);
  const storeContext = (value: JsonObject) => {
    if (Object.keys(value).length === 0) return null;
    const id = newId();
    state.contexts.set(id, structuredClone(value));
    return id;
  };
  const set = (t: TaskExecution, patch: Partial<TaskExecution>) => Object.assign(t, patch, { updatedAt: clock() });
  const outputOf = (pid: string, name: string) => {
    for (const o of state.outputs.values()) if (o.pipelineId === pid && o.taskName === name) return o.contextId === null ? null : (state.contexts.get(o.contextId) ?? null);
    return undefined;
  };
  const skipRun = (pid: string, reason: string, revoke: boolean) => {
    let skipped = 0;
    let revoked = 0;
    for (const t of tasksOf(pid)) {
      if (t.status === 'NotStarted' || t.status === 'Ready') {
        set(t, { status: 'Skipped', errorDetails: reason, completedAt: clock() });
        event('task_skipped', pid, t.id, { reason });
        skipped++;
      } else if (revoke && t.status === 'Running') {
        const msg = 'CANCELLED: Pipeline cancelled';
        set(t, { status: 'Failed', errorDetails: msg, lastError: msg, completedAt: clock(), claimedBy: null, heartbeatAt: null });
        event('task_failed', pid, t.id, { attempt: t.attempt, error: msg });
        revoked++;
      }
    }
    return { skipped, revoked };
  };

  const api = {
    context: {
      find: async (id: string) => state.contexts.get(id) ?? null,
      read: async (id: string) => {
        const c = state.contexts.get(id);
        if (c === undefined) throw new NotFoundError('Context', id);
        return c;
      },
    },
    pipelineExecution: {
      createWithTasks: async (input: { pipelineName: string; pipelineVersion: string; inputContext: JsonObject; tasks: { taskName: string; maxAttempts: number; triggerRules: JsonObject; taskConfiguration: JsonObject }[] }) =>
        dal.transaction(async () => {
          const now = clock();
          const contextId = storeContext(input.inputContext);
          const p: PipelineExecution = { id: newId(), pipelineName: input.pipelineName, pipelineVersion: input.pipelineVersion, status: 'Pending', contextId, finalContextId: null, startedAt: now, completedAt: null, errorDetails: null, recoveryAttempts: 0, lastRecoveryAt: null, createdAt: now, updatedAt: now };
          state.runs.set(p.id, p);
          const tasks = input.tasks.map((s) => {
            const t: TaskExecution = { id: newId(), pipelineExecutionId: p.id, taskName: s.taskName, status: 'NotStarted', startedAt: null, completedAt: null, attempt: 1, maxAttempts: s.maxAttempts, errorDetails: null, triggerRules: structuredClone(s.triggerRules), taskConfiguration: structuredClone(s.taskConfiguration), retryAt: null, lastError: null, recoveryAttempts: 0, lastRecoveryAt: null, claimedBy: null, heartbeatAt: null, createdAt: now, updatedAt: now };
            state.tasks.set(t.id, t);
            return t;
          });
          event('pipeline_created', p.id, null, { pipeline_name: p.pipelineName, pipeline_version: p.pipelineVersion, task_count: tasks.length });
          return { pipeline: { ...p }, tasks: tasks.map((t) => ({ ...t })), contextId };
        }),
      getById: async (id: string) => ({ ...run(id) }),
      findById: async (id: string) => (state.runs.has(id) ? { ...run(id) } : null),
      getActiveExecutions: async () => [...state.runs.values()].filter((r) => ACTIVE_RUN.includes(r.status)).sort(byId).map((r) => ({ ...r })),
      getLastVersion: async (name: string) => [...state.runs.values()].filter((r) => r.pipelineName === name).sort(byId).pop()?.pipelineVersion ?? null,
      listRecent: async (limit: number) => [...state.runs.values()].sort(byId).reverse().slice(0, limit).map((r) => ({ ...r })),
      incrementRecoveryAttempts: async (id: string) => void Object.assign(run(id), { recoveryAttempts: run(id).recoveryAttempts + 1, lastRecoveryAt: clock() }),
      markFailed: async (id: string, reason: string) =>
        dal.transaction(async () => {
          const r = run(id);
          if (!ACTIVE_RUN.includes(r.status)) return false;
          skipRun(id, `Pipeline failed: ${reason}`, false);
          Object.assign(r, { status: 'Failed', errorDetails: reason, completedAt: clock() });
          event('pipeline_failed', id, null, { reason });
          return true;
        }),
      cancel: async (id: string) =>
        dal.transaction(async () => {
          const r = run(id);
          if (!ACTIVE_RUN.includes(r.status)) return false;
          const { skipped, revoked } = skipRun(id, 'Pipeline cancelled', true);
          Object.assign(r, { status: 'Cancelled', completedAt: clock() });
          event('pipeline_cancelled', id, null, { skipped_tasks: skipped, revoked_tasks: revoked });
          return true;
        }),
      finalize: async (id: string, finalContext: JsonObject) =>
        dal.transaction(async () => {
          const r = run(id);
          if (!ACTIVE_RUN.includes(r.status)) return { outcome: 'already_terminal' as const, status: r.status };
          const tasks = tasksOf(id);
          const remaining = tasks.filter((t) => !TERMINAL_TASK.includes(t.status)).length;
          if (remaining > 0) return { outcome: 'not_finished' as const, remaining };
          const count = (s: string) => tasks.filter((t) => t.status === s).length;
          const [c, f, s] = [count('Completed'), count('Failed'), count('Skipped')];
          const contextId = storeContext(finalContext);
          const status = f > 0 ? ('Failed' as const) : ('Completed' as const);
          const errorDetails = f > 0 ? `${f} task(s) failed, ${c} completed, ${s} skipped` : null;
          Object.assign(r, { status, errorDetails, finalContextId: contextId, completedAt: clock() });
          const data: JsonObject = { completed: c, failed: f, skipped: s, context_id: contextId };
          if (errorDetails !== null) data.reason = errorDetails;
          event(status === 'Failed' ? 'pipeline_failed' : 'pipeline_completed', id, null, data);
          return { outcome: 'finalized' as const, status, errorDetails, contextId };
        }),
    },
    taskExecution: {
      getById: async (id: string) => ({ ...task(id) }),
      findById: async (id: string) => (state.tasks.has(id) ? { ...task(id) } : null),
      getAllTasksForPipeline: async (pid: string) => tasksOf(pid).map((t) => ({ ...t })),
      getTasksForPipelines: async (ids: string[]) => ids.slice().sort().flatMap((pid) => tasksOf(pid).map((t) => ({ ...t }))),
      getTaskStatusesBatch: async (pid: string, names: string[]) =>
        Object.fromEntries(tasksOf(pid).filter((t) => names.includes(t.taskName)).map((t) => [t.taskName, t.status])),
      checkPipelineCompletion: async (pid: string) => (run(pid), tasksOf(pid).every((t) => TERMINAL_TASK.includes(t.status))),
      markReadiness: async (decisions: ReadinessDecision[]) =>
        dal.transaction(async () => {
          decisions.forEach((d) => task(d.id));
          const ready: string[] = [];
          const skipped: string[] = [];
          for (const d of decisions) {
            const t = task(d.id);
            if (t.status !== 'NotStarted') continue;
            if (d.outcome === 'Ready') {
              set(t, { status: 'Ready' });
              event('task_ready', t.pipelineExecutionId, t.id, null);
              ready.push(t.id);
            } else {
              set(t, { status: 'Skipped', errorDetails: d.reason, completedAt: clock() });
              event('task_skipped', t.pipelineExecutionId, t.id, { reason: d.reason });
              skipped.push(t.id);
            }
          }
          return { ready: ready.sort(), skipped: skipped.sort() };
        }),
      buildInputContext: async (pid: string, deps: string[]) => {
        const r = run(pid);
        if (deps.length === 0) return r.contextId === null ? {} : structuredClone(state.contexts.get(r.contextId) ?? {});
        return foldContexts(deps.map((d) => outputOf(pid, d)));
      },
      completeWithOutput: async (id: string, runnerId: string, output: JsonObject) =>
        dal.transaction(async () => {
          const t = fenced(id, runnerId);
          set(t, { status: 'Completed', completedAt: clock(), claimedBy: null, heartbeatAt: null, retryAt: null });
          const contextId = storeContext(output);
          state.outputs.set(id, { taskName: t.taskName, pipelineId: t.pipelineExecutionId, contextId });
          event('task_completed', t.pipelineExecutionId, id, { attempt: t.attempt, context_id: contextId }, runnerId);
          return { contextId };
        }),
      // Like the DALs: validated first, fenced per item, contexts then events in task id order.
      completeManyWithOutput: async (runnerId: string, items: CompletionItem[]) => {
        const { sorted, order } = completionItems(items);
        if (sorted.length === 0) return [];
        return dal.transaction(async () => {
          const missed = new Map<string, FenceMissRow>();
          const written = sorted.filter(({ id }) => {
            const t = state.tasks.get(id);
            if (t !== undefined && (t.status !== 'Running' || t.claimedBy !== runnerId)) missed.set(id, { status: t.status, claimedBy: t.claimedBy });
            return t !== undefined && !missed.has(id);
          });
          const contextIds = new Map(written.map((i) => [i.id, storeContext(i.output)]));
          const now = clock();
          for (const { id } of written) {
            const t = task(id);
            set(t, { status: 'Completed', completedAt: now, claimedBy: null, heartbeatAt: null, retryAt: null });
            state.outputs.set(id, { taskName: t.taskName, pipelineId: t.pipelineExecutionId, contextId: contextIds.get(id) ?? null });
            event('task_completed', t.pipelineExecutionId, id, { attempt: t.attempt, context_id: contextIds.get(id) ?? null }, runnerId);
          }
          return completionOutcomes(order, runnerId, contextIds, missed);
        });
      },
      claimReadyTasks: async (runnerId: string, limit: number, names?: string[]) =>
        dal.transaction(async () => {
          const now = clock();
          const eligible = [...state.tasks.values()]
            .filter((t) => {
              const r = state.runs.get(t.pipelineExecutionId) as PipelineExecution;
              return t.status === 'Ready' && (t.retryAt === null || t.retryAt <= now) && ACTIVE_RUN.includes(r.status) && (names === undefined || names.includes(r.pipelineName));
            })
            .sort(byId)
            .slice(0, limit);
          const out: ClaimResult[] = [];
          for (const t of eligible) {
            set(t, { status: 'Running', startedAt: now, claimedBy: runnerId, heartbeatAt: now });
            event('task_claimed', t.pipelineExecutionId, t.id, { attempt: t.attempt }, runnerId);
            const r = state.runs.get(t.pipelineExecutionId) as PipelineExecution;
            if (r.status === 'Pending') {
              Object.assign(r, { status: 'Running', updatedAt: now });
              event('pipeline_started', r.id, null, null, runnerId);
            }
            out.push({ id: t.id, pipelineExecutionId: t.pipelineExecutionId, taskName: t.taskName, attempt: t.attempt, maxAttempts: t.maxAttempts, taskConfiguration: structuredClone(t.taskConfiguration) });
          }
          return out;
        }),
      scheduleRetry: async (id: string, runnerId: string, o: { retryAt: Date; error?: string }) =>
        dal.transaction(async () => {
          const t = fenced(id, runnerId);
          set(t, { status: 'Ready', attempt: t.attempt + 1, retryAt: o.retryAt, startedAt: null, lastError: o.error ?? null, claimedBy: null, heartbeatAt: null });
          event('task_retry_scheduled', t.pipelineExecutionId, id, { attempt: t.attempt, retry_at: o.retryAt.toISOString(), error: o.error ?? null }, runnerId);
        }),
      markFailed: async (id: string, runnerId: string, message: string) =>
        dal.transaction(async () => {
          const t = fenced(id, runnerId);
          set(t, { status: 'Failed', completedAt: clock(), lastError: message, errorDetails: message, claimedBy: null, heartbeatAt: null });
          event('task_failed', t.pipelineExecutionId, id, { attempt: t.attempt, error: message }, runnerId);
        }),
      releaseClaim: async (id: string, runnerId: string) =>
        dal.transaction(async () => {
          const t = fenced(id, runnerId);
          set(t, { status: 'Ready', startedAt: null, claimedBy: null, heartbeatAt: null });
          event('task_released', t.pipelineExecutionId, id, { attempt: t.attempt }, runnerId);
        }),
      heartbeatMany: async (runnerId: string, ids: string[]) => {
        const renewed: string[] = [];
        const lost: string[] = [];
        for (const id of ids) {
          const t = state.tasks.get(id);
          if (t !== undefined && t.status === 'Running' && t.claimedBy === runnerId) {
            t.heartbeatAt = clock();
            renewed.push(id);
          } else lost.push(id);
        }
        return { renewed: renewed.sort(), lost: lost.sort() };
      },
      findClaimsByRunner: async (runnerId: string) => [...state.tasks.values()].filter((t) => t.status === 'Running' && t.claimedBy === runnerId).sort(byId).map((t) => ({ ...t })),
      findStaleClaims: async (before: Date) =>
        [...state.tasks.values()].filter((t) => t.status === 'Running' && t.heartbeatAt !== null && t.heartbeatAt < before).sort(byId).map((t) => ({ ...t })),
      resetTaskForRecovery: async (id: string, guard?: LeaseGuard) =>
        dal.transaction(async () => {
          const t = task(id);
          if (t.status !== 'Running' || !guardOk(t, guard)) return false;
          const previous = t.claimedBy;
          set(t, { status: 'Ready', startedAt: null, claimedBy: null, heartbeatAt: null, recoveryAttempts: t.recoveryAttempts + 1, lastRecoveryAt: clock() });
          event('task_reset', t.pipelineExecutionId, id, { recovery_attempts: t.recoveryAttempts, previous_runner: previous });
          return true;
        }),
      markAbandoned: async (id: string, reason: string, guard?: LeaseGuard) =>
        dal.transaction(async () => {
          const t = task(id);
          if (TERMINAL_TASK.includes(t.status) || (guard !== undefined && (t.status !== 'Running' || !guardOk(t, guard)))) return false;
          set(t, { status: 'Failed', errorDetails: `ABANDONED: ${reason}`, completedAt: clock(), claimedBy: null, heartbeatAt: null });
          event('task_abandoned', t.pipelineExecutionId, id, { reason });
          return true;
        }),
    },
    taskExecutionMetadata: {
      getDependencyMetadataWithContexts: async (pid: string, names: string[]) =>
        [...new Set(names)].flatMap((n) => {
          const entry = [...state.outputs.entries()].find(([, o]) => o.pipelineId === pid && o.taskName === n);
          if (entry === undefined) return [];
          const [taskExecutionId, o] = entry;
          const metadata = { id: taskExecutionId, taskExecutionId, pipelineExecutionId: pid, taskName: n, contextId: o.contextId, createdAt: clock(), updatedAt: clock() };
          return [{ metadata, context: o.contextId === null ? null : (state.contexts.get(o.contextId) ?? null) }];
        }),
    },
    recoveryEvent: {
      create: async (input: { pipelineExecutionId: string; taskExecutionId?: string | null; recoveryType: RecoveryEvent['recoveryType']; details?: JsonObject | null }) => {
        const now = clock();
        const e: RecoveryEvent = { id: newId(), pipelineExecutionId: input.pipelineExecutionId, taskExecutionId: input.taskExecutionId ?? null, recoveryType: input.recoveryType, recoveredAt: now, details: input.details ?? null, createdAt: now, updatedAt: now };
        state.recovery.push(e);
        return e;
      },
      getByPipeline: async (pid: string) => state.recovery.filter((e) => e.pipelineExecutionId === pid).reverse(),
    },
    executionEvent: {
      getByPipeline: async (pid: string) => state.events.filter((e) => e.pipelineExecutionId === pid),
    },
    signals: {
      subscribe: (l: (s: Signal) => void) => {
        listeners.add(l);
        return () => void listeners.delete(l);
      },
    },
    async transaction<T>(fn: (tx: Dal) => Promise<T>): Promise<T> {
      if (buffer !== null) return fn(dal); // joined: the outer call owns commit/rollback
      const snapshot = structuredClone(state);
      buffer = new SignalBuffer(null);
      try {
        const out = await fn(dal);
        publish(buffer.drain());
        return out;
      } catch (err) {
        state = snapshot;
        dal.state = state;
        throw err;
      } finally {
        buffer = null;
      }
    },
    migrate: async () => ({ applied: [], current: 5 }),
    close: async () => void (dal.closed = true),
    poolStats: () => ({ total: 1, idle: 1, waiting: 0, max: 1 }),
    backend: 'sqlite' as const,
    implementation: 'dal-unified' as const,
    schema: null,
    closed: false,
    state,
    failNext(method: string, error: unknown, times = 1) {
      faults.set(method, { error, times });
    },
  };
  const dal = api as unknown as MemoryDal & { state: State };
  // Fault injection: wrap every module method so failNext() can make it throw.
  for (const mod of ['context', 'pipelineExecution', 'taskExecution', 'taskExecutionMetadata', 'recoveryEvent', 'executionEvent'] as const) {
    const m = api[mod] as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const [name, fn] of Object.entries(m)) {
      m[name] = async (...args: unknown[]) => {
        const fault = faults.get(`${mod}.${name}`);
        if (fault !== undefined && fault.times > 0) {
          fault.times--;
          throw fault.error;
        }
        return fn(...args);
      };
    }
  }
  return dal;
}
