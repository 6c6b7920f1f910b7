// Workflow definitions shared by the child-process runners and the in-process runners of the
// fault and scale tests. Both sides must build identical definitions (same namespaces), so they
// live here, parameterised by the side-effect callback.
import { task, workflow } from '@cloacina/runner';

/** Resolves after `ms`, or rejects with the signal's reason when it is aborted first. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Never resolves; rejects when the signal is aborted (a task that stays in flight until killed). */
export function untilAborted(signal) {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

export const CRASH_WORKFLOW = 'crash_dag';

/** Task ids of the crash DAG in declaration (= topological = claim) order. */
export const CRASH_TASKS = ['start', 'fetch_a', 'fetch_b', 'fetch_c', 'merge', 'transform', 'audit', 'load'];

/**
 * Eight tasks: a root, three parallel branches, a fan-in, then a chain with a parallel side leaf.
 *
 *   start ─┬─ fetch_a ─┐
 *          ├─ fetch_b ─┼─ merge ─┬─ transform ── load
 *          └─ fetch_c ─┘         └─ audit
 *
 * Every body first calls `effect(info)` (the side-effect row), then sleeps `sleepMs`, then
 * computes its keys and appends its id to `visited` (array-union merge keeps one entry per task).
 */
export function crashWorkflow({ effect, sleepMs = 30 }) {
  const step = (id, compute) => async (ctx, info) => {
    await effect(info);
    await sleep(sleepMs, info.signal);
    compute(ctx);
    ctx.set('visited', [...(ctx.get('visited') ?? []), id]);
  };
  const start = task({ id: 'start', run: step('start', (c) => c.set('seed', c.get('n') * 10)) });
  const fetchA = task({ id: 'fetch_a', dependencies: [start], run: step('fetch_a', (c) => c.set('a', c.get('seed') + 1)) });
  const fetchB = task({ id: 'fetch_b', dependencies: [start], run: step('fetch_b', (c) => c.set('b', c.get('seed') + 2)) });
  const fetchC = task({ id: 'fetch_c', dependencies: [start], run: step('fetch_c', (c) => c.set('c', c.get('seed') + 3)) });
  const merge = task({
    id: 'merge',
    dependencies: [fetchA, fetchB, fetchC],
    run: step('merge', (c) => c.set('total', c.get('a') + c.get('b') + c.get('c'))),
  });
  const transform = task({ id: 'transform', dependencies: [merge], run: step('transform', (c) => c.set('doubled', c.get('total') * 2)) });
  const audit = task({ id: 'audit', dependencies: [merge], run: step('audit', (c) => c.set('audited', `total=${c.get('total')}`)) });
  const load = task({ id: 'load', dependencies: [transform], run: step('load', (c) => c.set('loaded', c.get('doubled') + 1)) });
  return workflow({ name: CRASH_WORKFLOW, tasks: [start, fetchA, fetchB, fetchC, merge, transform, audit, load] });
}

/** The final context a completed crash_dag run must have for input `{ n }`. */
export function crashExpectedFinal(n) {
  const seed = n * 10;
  const total = seed + 1 + (seed + 2) + (seed + 3);
  return {
    n,
    seed,
    a: seed + 1,
    b: seed + 2,
    c: seed + 3,
    total,
    doubled: total * 2,
    audited: `total=${total}`,
    loaded: total * 2 + 1,
    // Leaves audit then load (task id order), merged as an order-preserving union.
    visited: ['start', 'fetch_a', 'fetch_b', 'fetch_c', 'merge', 'audit', 'transform', 'load'],
  };
}

export const SCALE_WORKFLOW = 'scale_fanout';

/**
 * `tasks` independent tasks (`t000`, `t001`, …). Each records its side effect (a unique insert:
 * a second execution of the same attempt fails its task, which is never retried) and sleeps a
 * little so the work spreads over the runners.
 */
export function scaleWorkflow({ tasks, effect, sleepMs = 5 }) {
  const defs = Array.from({ length: tasks }, (_, i) => {
    const id = `t${String(i).padStart(3, '0')}`;
    return task({
      id,
      retry: { maxAttempts: 1 },
      run: async (ctx, info) => {
        await effect(info);
        if (sleepMs > 0) await sleep(sleepMs, info.signal);
        return { [id]: info.runnerId };
      },
    });
  });
  return workflow({ name: SCALE_WORKFLOW, tasks: defs });
}
