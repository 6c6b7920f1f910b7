import {
  ValidationError,
  Workflow,
  WorkflowConflictError,
  workflow as buildWorkflow,
  type TaskDefinition,
  type WorkflowOptions,
} from '@cloacina/core';

/** Where a catalogue entry came from (03 §3.5): user code, or a registry package. */
export type WorkflowSource =
  | { readonly kind: 'embedded' }
  | { readonly kind: 'package'; readonly packageId: string; readonly packageName: string; readonly version: string };

export const EMBEDDED: WorkflowSource = Object.freeze({ kind: 'embedded' });

export interface CatalogueEntry {
  readonly workflow: Workflow;
  readonly source: WorkflowSource;
}

export interface CatalogueTask {
  readonly workflow: Workflow;
  readonly definition: TaskDefinition;
}

function describeSource(source: WorkflowSource): string {
  return source.kind === 'embedded' ? 'embedded code' : `package ${source.packageName} v${source.version}`;
}

function sameOrigin(a: WorkflowSource, b: WorkflowSource): boolean {
  return a.kind === 'embedded' ? b.kind === 'embedded' : b.kind === 'package' && a.packageId === b.packageId;
}

/**
 * Accepts a built `Workflow` or the options `workflow()` takes, so a definition problem (a cycle,
 * a missing dependency …) surfaces at registration with core's exact message.
 */
export function toWorkflow(input: Workflow | WorkflowOptions): Workflow {
  if (input instanceof Workflow) return input;
  if (input === null || typeof input !== 'object') {
    throw new ValidationError('registerWorkflow() needs a workflow (built with workflow()) or workflow options', { field: 'workflow' });
  }
  return buildWorkflow(input);
}

/**
 * One runner's workflows (03 §3.5): name → workflow, namespace → task. Never global, so two
 * runners in one process (two tenants, say) are independent. Lookups happen at the moment of
 * use, so a workflow registered after start is claimable at once.
 */
export class Catalogue {
  readonly #byName = new Map<string, CatalogueEntry>();
  readonly #byNamespace = new Map<string, CatalogueTask>();
  /**
   * Extension point for the package registry: called once when a lookup misses, so a package
   * registered by another process can be loaded before the runner gives up (03 §8.2, §9).
   */
  refresh: (() => Promise<void>) | null = null;

  /** Adds or replaces; a name owned by another source is a WorkflowConflictError. */
  register(wf: Workflow, source: WorkflowSource = EMBEDDED): void {
    const existing = this.#byName.get(wf.name);
    if (existing !== undefined && !sameOrigin(existing.source, source)) {
      throw new WorkflowConflictError(wf.name, describeSource(existing.source));
    }
    if (existing !== undefined) this.#dropTasks(existing.workflow);
    this.#byName.set(wf.name, Object.freeze({ workflow: wf, source }));
    for (const ns of wf.namespaces()) this.#byNamespace.set(ns, Object.freeze({ workflow: wf, definition: wf.getTask(ns) }));
  }

  /** Removes the entry if it comes from `source` (embedded by default); true if removed. */
  unregister(name: string, source: WorkflowSource = EMBEDDED): boolean {
    const existing = this.#byName.get(name);
    if (existing === undefined || !sameOrigin(existing.source, source)) return false;
    this.#byName.delete(name);
    this.#dropTasks(existing.workflow);
    return true;
  }

  get(name: string): CatalogueEntry | undefined {
    return this.#byName.get(name);
  }

  workflow(name: string): Workflow | undefined {
    return this.#byName.get(name)?.workflow;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Workflow names, sorted (the claim filter and error messages use them). */
  names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  list(): Workflow[] {
    return this.names().map((n) => (this.#byName.get(n) as CatalogueEntry).workflow);
  }

  task(namespace: string): CatalogueTask | undefined {
    return this.#byNamespace.get(namespace);
  }

  /** `task()`, refreshing once through the registry hook on a miss. */
  async resolveTask(namespace: string): Promise<CatalogueTask | undefined> {
    const found = this.#byNamespace.get(namespace);
    if (found !== undefined || this.refresh === null) return found;
    await this.refresh();
    return this.#byNamespace.get(namespace);
  }

  /** `has()`, refreshing once through the registry hook on a miss. */
  async resolveWorkflow(name: string): Promise<boolean> {
    if (this.#byName.has(name) || this.refresh === null) return this.#byName.has(name);
    await this.refresh();
    return this.#byName.has(name);
  }

  #dropTasks(wf: Workflow): void {
    for (const ns of wf.namespaces()) if (this.#byNamespace.get(ns)?.workflow === wf) this.#byNamespace.delete(ns);
  }
}
