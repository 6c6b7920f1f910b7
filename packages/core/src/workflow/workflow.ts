import { EmptyWorkflowError, TaskNotFoundError, ValidationError } from '../errors/index.js';
import { cloneJson, isPlainObject, type JsonObject, type JsonValue } from '../json.js';
import type { StoredRetryPolicy } from '../retry/policy.js';
import { mapTaskRefs } from '../trigger/validate.js';
import { dependentsMap, levelsOf, topologicalOrder, transitiveDependencies, validateDefinition, type ResolvedTask, type TaskGraph } from './dag.js';
import { parseNamespace } from './namespace.js';
import { isTaskDefinition, task, type TaskDefinition, type TaskOptions } from './task.js';
import { computeWorkflowVersion } from './version.js';

export interface WorkflowOptions {
  name: string;
  description?: string;
  tasks: readonly (TaskDefinition | TaskOptions)[];
  tags?: Readonly<Record<string, string>>;
  tenant?: string;
  package?: string;
}

/** The resolved, frozen view of one task (namespaces, materialised rule, policy). */
export type WorkflowTaskInfo = ResolvedTask;

/** `task_executions.task_configuration` (01 §6.2). */
export type TaskConfiguration = {
  dependencies: string[];
  retry_policy: StoredRetryPolicy;
  timeout_ms?: number;
  leaf: boolean;
};

/** What the scheduler writes for one task row when a run starts (03 §7.1). */
export type TaskSpec = {
  taskName: string;
  maxAttempts: number;
  triggerRules: JsonObject;
  taskConfiguration: TaskConfiguration;
};

const OPTION_KEYS = ['name', 'description', 'tasks', 'tags', 'tenant', 'package'];
const BUILD = Symbol('Workflow.build');

interface WorkflowParts {
  name: string;
  description: string | undefined;
  tenant: string;
  packageName: string;
  tags: Readonly<Record<string, string>>;
  tasks: readonly TaskDefinition[];
  resolved: readonly ResolvedTask[];
  graph: TaskGraph;
}

/** An immutable, validated workflow (03 §3.2). Built with `workflow()`. */
export class Workflow {
  readonly name: string;
  readonly description: string | undefined;
  readonly tenant: string;
  readonly packageName: string;
  readonly version: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly tasks: readonly TaskDefinition[];
  readonly #byNs: ReadonlyMap<string, ResolvedTask>;
  readonly #graph: TaskGraph;
  readonly #dependents: ReadonlyMap<string, readonly string[]>;
  readonly #topo: readonly string[];
  readonly #levels: readonly (readonly string[])[];

  /** @internal Use `workflow()`. */
  constructor(token: typeof BUILD, parts: WorkflowParts) {
    if (token !== BUILD) throw new TypeError('Use workflow() to build a Workflow');
    this.name = parts.name;
    this.description = parts.description;
    this.tenant = parts.tenant;
    this.packageName = parts.packageName;
    this.tags = parts.tags;
    this.tasks = Object.freeze([...parts.tasks]);
    this.#byNs = new Map(parts.resolved.map((t) => [t.namespace, t]));
    this.#graph = parts.graph;
    this.#dependents = dependentsMap(parts.graph);
    this.#topo = Object.freeze(topologicalOrder(parts.graph));
    this.#levels = Object.freeze(levelsOf(parts.graph).map((l) => Object.freeze(l)));
    this.version = computeWorkflowVersion({
      name: parts.name,
      tenant: parts.tenant,
      description: parts.description,
      tags: parts.tags,
      tasks: parts.resolved.map((t) => ({
        id: t.id,
        namespace: t.namespace,
        dependencies: t.dependencies,
        run: t.definition.run,
        triggerRules: t.triggerRules,
        retryPolicy: t.storedRetryPolicy,
        timeoutMs: t.timeoutMs,
      })),
    });
    Object.freeze(this);
  }

  /** Task id or namespace → namespace of a task of this workflow, else TaskNotFoundError. */
  #resolve(idOrNs: string): ResolvedTask {
    const ns = typeof idOrNs === 'string' && idOrNs.includes('::') ? idOrNs : this.#prefix() + String(idOrNs);
    const found = this.#byNs.get(ns);
    if (found === undefined) throw new TaskNotFoundError(ns);
    return found;
  }

  #prefix(): string {
    return `${this.tenant}::${this.packageName}::${this.name}::`;
  }

  namespaceOf(taskId: string): string {
    return this.#resolve(taskId).namespace;
  }

  /** Namespaces of all tasks, declaration order. */
  namespaces(): string[] {
    return [...this.#graph.nodes];
  }

  getTask(idOrNamespace: string): TaskDefinition {
    return this.#resolve(idOrNamespace).definition;
  }

  /** Resolved dependencies, materialised rule, retry policy, max attempts, timeout, leaf flag. */
  taskInfo(idOrNamespace: string): WorkflowTaskInfo {
    return this.#resolve(idOrNamespace);
  }

  dependenciesOf(idOrNamespace: string): string[] {
    return [...this.#resolve(idOrNamespace).dependencies];
  }

  dependentsOf(idOrNamespace: string): string[] {
    return [...(this.#dependents.get(this.#resolve(idOrNamespace).namespace) ?? [])];
  }

  roots(): string[] {
    return this.#graph.nodes.filter((ns) => this.#byNs.get(ns)?.dependencies.length === 0);
  }

  leaves(): string[] {
    return this.#graph.nodes.filter((ns) => this.#byNs.get(ns)?.leaf === true);
  }

  topologicalSort(): string[] {
    return [...this.#topo];
  }

  executionLevels(): string[][] {
    return this.#levels.map((l) => [...l]);
  }

  /** True iff neither task reaches the other through dependencies; false for the same task. */
  canRunParallel(a: string, b: string): boolean {
    const na = this.#resolve(a).namespace;
    const nb = this.#resolve(b).namespace;
    if (na === nb) return false;
    return !transitiveDependencies(this.#graph, na).has(nb) && !transitiveDependencies(this.#graph, nb).has(na);
  }

  /**
   * A new workflow `<name>-subgraph` holding the requested tasks and their transitive
   * dependencies. References are rewritten to short ids because the workflow name — and so
   * every namespace — changes.
   */
  subgraph(taskIds: readonly string[]): Workflow {
    if (taskIds.length === 0) throw new EmptyWorkflowError();
    const keep = new Set<string>();
    for (const id of taskIds) {
      const ns = this.#resolve(id).namespace;
      keep.add(ns);
      for (const dep of transitiveDependencies(this.#graph, ns)) keep.add(dep);
    }
    const idOf = (ns: string): string => parseNamespace(ns).taskId;
    const tasks = this.#graph.nodes
      .filter((ns) => keep.has(ns))
      .map((ns) => {
        const info = this.#byNs.get(ns) as ResolvedTask;
        const def = info.definition;
        const opts: TaskOptions = { ...def, dependencies: info.dependencies.map(idOf) };
        if (def.trigger !== undefined) opts.trigger = mapTaskRefs(info.triggerRules, idOf);
        return task(opts);
      });
    return workflow({
      name: `${this.name}-subgraph`,
      description: this.description,
      tags: this.tags,
      tenant: this.tenant,
      package: this.packageName,
      tasks,
    });
  }

  /** Row specs for `createWithTasks`, in `topologicalSort()` order; fresh copies every call. */
  taskSpecs(): TaskSpec[] {
    return this.#topo.map((ns) => {
      const t = this.#byNs.get(ns) as ResolvedTask;
      const taskConfiguration: TaskConfiguration = {
        dependencies: [...t.dependencies],
        retry_policy: cloneJson(t.storedRetryPolicy as unknown as JsonValue) as unknown as StoredRetryPolicy,
        leaf: t.leaf,
      };
      if (t.timeoutMs !== undefined) taskConfiguration.timeout_ms = t.timeoutMs;
      return {
        taskName: ns,
        maxAttempts: t.maxAttempts,
        triggerRules: cloneJson(t.triggerRules as unknown as JsonObject),
        taskConfiguration,
      };
    });
  }
}

function checkTags(tags: unknown): Readonly<Record<string, string>> {
  if (tags === undefined) return Object.freeze({});
  if (!isPlainObject(tags)) throw new ValidationError('Workflow tags must be an object of strings', { field: 'tags' });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    if (typeof v !== 'string') throw new ValidationError(`Workflow tag '${k}' must be a string`, { field: 'tags' });
    Object.defineProperty(out, k, { value: v, enumerable: true });
  }
  return Object.freeze(out);
}

/** Definitions from `task()` are used as they are; plain option objects go through `task()`. */
function asDefinition(entry: unknown, index: number): TaskDefinition {
  if (entry === null || typeof entry !== 'object') {
    throw new ValidationError(`Workflow task ${index + 1} is not a task definition`, { field: 'tasks' });
  }
  return isTaskDefinition(entry) ? entry : task(entry as TaskOptions);
}

/** Resolves, validates (03 §3.3, first failure thrown) and versions a workflow. */
export function workflow(options: WorkflowOptions): Workflow {
  if (!isPlainObject(options)) throw new ValidationError('workflow() needs an options object', { field: 'workflow' });
  const unknown = Object.keys(options).find((k) => !OPTION_KEYS.includes(k));
  if (unknown !== undefined) {
    throw new ValidationError(`workflow(): unknown option '${unknown}'`, { field: unknown, reason: 'UnknownOption' });
  }
  if (!Array.isArray(options.tasks)) throw new ValidationError('Workflow tasks must be an array', { field: 'tasks' });
  if (options.description !== undefined && typeof options.description !== 'string') {
    throw new ValidationError('Workflow description must be a string', { field: 'description' });
  }
  const tags = checkTags(options.tags);
  const tasks = options.tasks.map(asDefinition);
  const tenant = options.tenant ?? 'public';
  const packageName = options.package ?? 'embedded';
  const { tasks: resolved, graph } = validateDefinition({ name: options.name, tenant, packageName, tasks });
  return new Workflow(BUILD, {
    name: options.name,
    description: options.description,
    tenant,
    packageName,
    tags,
    tasks,
    resolved,
    graph,
  });
}
