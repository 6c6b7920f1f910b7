import {
  CyclicDependencyError,
  DuplicateTaskError,
  EmptyWorkflowError,
  InvalidTriggerRuleError,
  MissingDependencyError,
} from '../errors/index.js';
import { resolveRetryPolicy, toStoredRetryPolicy, type RetryPolicy, type RetryPolicyInput, type StoredRetryPolicy } from '../retry/policy.js';
import type { TriggerCondition, TriggerRule } from '../trigger/types.js';
import { mapTaskRefs, taskRefsOf, validateTriggerRule, wrapTriggerInput } from '../trigger/validate.js';
import { validateName } from './names.js';
import { formatNamespace, isNamespace, parseNamespace } from './namespace.js';
import { validateTimeoutMs, type TaskDefinition } from './task.js';

/**
 * Graph algorithms over task namespaces. Every result is deterministic: ties are broken by
 * declaration order (the order of `nodes`). Traversals are iterative so that long chains
 * (thousands of tasks) cannot overflow the call stack.
 */
export interface TaskGraph {
  /** Node keys (namespaces) in declaration order. */
  readonly nodes: readonly string[];
  /** Direct dependencies of each node, in declaration order, without duplicates. */
  readonly deps: ReadonlyMap<string, readonly string[]>;
}

function depsOf(graph: TaskGraph, node: string): readonly string[] {
  return graph.deps.get(node) ?? [];
}

/** Direct dependents of each node, in declaration order. */
export function dependentsMap(graph: TaskGraph): Map<string, string[]> {
  const out = new Map<string, string[]>(graph.nodes.map((n) => [n, []]));
  for (const node of graph.nodes) {
    for (const dep of depsOf(graph, node)) out.get(dep)?.push(node);
  }
  return out;
}

/**
 * The first cycle found by a depth-first walk along dependency edges (start nodes and edges in
 * declaration order), as a path whose first node is repeated last; undefined when acyclic.
 * `a` depending on itself gives `[a, a]`.
 */
export function findCycle(graph: TaskGraph): string[] | undefined {
  const state = new Map<string, 'active' | 'done'>();
  for (const start of graph.nodes) {
    if (state.has(start)) continue;
    const stack: { node: string; next: number }[] = [{ node: start, next: 0 }];
    const path = [start];
    state.set(start, 'active');
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: string; next: number };
      const deps = depsOf(graph, top.node);
      if (top.next >= deps.length) {
        state.set(top.node, 'done');
        stack.pop();
        path.pop();
        continue;
      }
      const dep = deps[top.next++] as string;
      const s = state.get(dep);
      if (s === 'active') return [...path.slice(path.indexOf(dep)), dep];
      if (s === undefined) {
        state.set(dep, 'active');
        stack.push({ node: dep, next: 0 });
        path.push(dep);
      }
    }
  }
  return undefined;
}

/** Min-heap of declaration indices: among ready nodes the earliest declared goes first. */
class IndexHeap {
  readonly #items: number[] = [];
  get size(): number {
    return this.#items.length;
  }
  push(v: number): void {
    const a = this.#items;
    a.push(v);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if ((a[p] as number) <= v) break;
      a[i] = a[p] as number;
      a[p] = v;
      i = p;
    }
  }
  pop(): number {
    const a = this.#items;
    const top = a[0] as number;
    const last = a.pop() as number;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && (a[l] as number) < (a[m] as number)) m = l;
        if (r < a.length && (a[r] as number) < (a[m] as number)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as number, a[i] as number];
        i = m;
      }
    }
    return top;
  }
}

/** Kahn's algorithm; throws if the graph has a cycle (callers validate first). */
export function topologicalOrder(graph: TaskGraph): string[] {
  const index = new Map(graph.nodes.map((n, i) => [n, i]));
  const dependents = dependentsMap(graph);
  const remaining = new Map(graph.nodes.map((n) => [n, depsOf(graph, n).length]));
  const ready = new IndexHeap();
  graph.nodes.forEach((n, i) => {
    if (remaining.get(n) === 0) ready.push(i);
  });
  const out: string[] = [];
  while (ready.size > 0) {
    const node = graph.nodes[ready.pop()] as string;
    out.push(node);
    for (const d of dependents.get(node) ?? []) {
      const left = (remaining.get(d) as number) - 1;
      remaining.set(d, left);
      if (left === 0) ready.push(index.get(d) as number);
    }
  }
  if (out.length !== graph.nodes.length) throw new Error('topologicalOrder: the graph has a cycle');
  return out;
}

/** Level = length of the longest dependency chain below a node; declaration order within a level. */
export function levelsOf(graph: TaskGraph): string[][] {
  const level = new Map<string, number>();
  for (const node of topologicalOrder(graph)) {
    let l = 0;
    for (const dep of depsOf(graph, node)) l = Math.max(l, (level.get(dep) as number) + 1);
    level.set(node, l);
  }
  const levels: string[][] = [];
  for (const node of graph.nodes) {
    const l = level.get(node) as number;
    (levels[l] ??= []).push(node);
  }
  return levels;
}

/** Every node reachable from `node` through dependencies (excluding `node` unless cyclic). */
export function transitiveDependencies(graph: TaskGraph, node: string): Set<string> {
  const seen = new Set<string>();
  const queue = [...depsOf(graph, node)];
  while (queue.length > 0) {
    const n = queue.pop() as string;
    if (seen.has(n)) continue;
    seen.add(n);
    queue.push(...depsOf(graph, n));
  }
  return seen;
}

// ---------------------------------------------------------------------------------------------
// Build-time validation (03 §3.3): each check runs over all tasks before the next check starts,
// so the first failure in the documented order is the one thrown.

/** Everything the runtime needs about one task of a built workflow. */
export interface ResolvedTask {
  readonly id: string;
  readonly namespace: string;
  readonly definition: TaskDefinition;
  /** Direct dependencies as namespaces, declaration order, duplicates removed. */
  readonly dependencies: readonly string[];
  /** The materialised rule (explicit or default, 5.3) with names as namespaces. */
  readonly triggerRules: TriggerRule;
  readonly retryPolicy: RetryPolicy;
  readonly storedRetryPolicy: StoredRetryPolicy;
  readonly maxAttempts: number;
  readonly timeoutMs: number | undefined;
  readonly leaf: boolean;
}

/** Freezes what validation built; task definitions are frozen by `task()` already. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Short id → namespace of this workflow; a '::' reference must be a well-formed namespace. */
function resolveRef(ref: string, prefix: string): string | undefined {
  if (!ref.includes('::')) return `${prefix}::${ref}`;
  return isNamespace(ref) ? formatNamespace(parseNamespace(ref)) : undefined;
}

function defaultRule(deps: readonly string[]): TriggerRule {
  if (deps.length === 0) return { type: 'Always' };
  return { type: 'All', conditions: deps.map((d) => ({ type: 'TaskSuccess', task_name: d }) as TriggerCondition) };
}

export function validateDefinition(input: {
  name: unknown;
  tenant: unknown;
  packageName: unknown;
  tasks: readonly TaskDefinition[];
}): { tasks: ResolvedTask[]; graph: TaskGraph } {
  const entries = input.tasks;
  // 1. Names.
  const name = validateName('workflow', input.name);
  for (const e of entries) validateName('task', e.id);
  const tenant = validateName('tenant', input.tenant);
  const pkg = validateName('package', input.packageName);
  // 2. At least one task.
  if (entries.length === 0) throw new EmptyWorkflowError();
  // 3. Unique ids.
  const prefix = `${tenant}::${pkg}::${name}`;
  const nss = entries.map((e) => `${prefix}::${e.id}`);
  const seen = new Set<string>();
  for (const ns of nss) {
    if (seen.has(ns)) throw new DuplicateTaskError(ns);
    seen.add(ns);
  }
  // 4. Dependencies exist.
  const deps = new Map<string, string[]>();
  entries.forEach((e, i) => {
    const ns = nss[i] as string;
    const resolved: string[] = [];
    for (const ref of e.dependencies) {
      const depNs = resolveRef(ref, prefix);
      if (depNs === undefined || !seen.has(depNs)) throw new MissingDependencyError(ns, depNs ?? ref);
      if (!resolved.includes(depNs)) resolved.push(depNs);
    }
    deps.set(ns, resolved);
  });
  const graph: TaskGraph = { nodes: nss, deps };
  // 5. No cycle.
  const cycle = findCycle(graph);
  if (cycle !== undefined) throw new CyclicDependencyError(cycle);
  // 6. Rules well-formed (explicit ones; defaults are built well-formed).
  const rules = entries.map((e, i) => {
    const ns = nss[i] as string;
    if (e.trigger === undefined) return defaultRule(deps.get(ns) as string[]);
    const rule = validateTriggerRule(wrapTriggerInput(e.trigger), ns);
    return mapTaskRefs(rule, (ref) => {
      const resolved = resolveRef(ref, prefix);
      if (resolved === undefined) throw new InvalidTriggerRuleError(ns, `'${ref}' is not a valid task reference`);
      return resolved;
    });
  });
  // 7. Task conditions name transitive dependencies.
  entries.forEach((e, i) => {
    if (e.trigger === undefined) return;
    const ns = nss[i] as string;
    const refs = taskRefsOf(rules[i] as TriggerRule);
    if (refs.length === 0) return;
    const reachable = transitiveDependencies(graph, ns);
    const bad = refs.find((r) => !reachable.has(r));
    if (bad !== undefined) throw new InvalidTriggerRuleError(ns, `'${bad}' is not a (transitive) dependency`);
  });
  // 8. Retry policies.
  const policies = entries.map((e, i) => resolveRetryPolicy(e.retry as RetryPolicyInput | undefined, nss[i] as string));
  // 9. Timeouts.
  const timeouts = entries.map((e, i) => validateTimeoutMs(e.timeoutMs, nss[i] as string));

  const dependents = dependentsMap(graph);
  const tasks = entries.map((e, i): ResolvedTask => {
    const ns = nss[i] as string;
    const policy = policies[i] as RetryPolicy;
    return deepFreeze({
      id: e.id,
      namespace: ns,
      definition: e,
      dependencies: deps.get(ns) as string[],
      triggerRules: rules[i] as TriggerRule,
      retryPolicy: policy,
      storedRetryPolicy: toStoredRetryPolicy(policy),
      maxAttempts: policy.maxAttempts,
      timeoutMs: timeouts[i],
      leaf: (dependents.get(ns) as string[]).length === 0,
    });
  });
  return { tasks, graph };
}
