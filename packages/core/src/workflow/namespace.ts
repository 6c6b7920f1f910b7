import { InvalidNamespaceError } from '../errors/index.js';

/** The four parts of a task's identity; formatted `tenant::package::workflow::task`. */
export interface TaskNamespace {
  readonly tenantId: string;
  readonly packageName: string;
  readonly workflowId: string;
  readonly taskId: string;
}

export const NAMESPACE_SEPARATOR = '::';

function partsOf(ns: TaskNamespace): string[] {
  return [ns.tenantId, ns.packageName, ns.workflowId, ns.taskId];
}

/**
 * Joins the parts. A part that is empty or contains '::' could not be parsed back, so it is
 * refused with the same error parsing would give.
 */
export function formatNamespace(ns: TaskNamespace): string {
  const parts = partsOf(ns);
  const text = parts.join(NAMESPACE_SEPARATOR);
  if (parts.some((p) => typeof p !== 'string' || p.length === 0 || p.includes(NAMESPACE_SEPARATOR))) {
    throw new InvalidNamespaceError(text);
  }
  return text;
}

/** Requires exactly four non-empty parts, else InvalidNamespaceError. */
export function parseNamespace(text: string): TaskNamespace {
  if (typeof text !== 'string') throw new InvalidNamespaceError(String(text));
  const parts = text.split(NAMESPACE_SEPARATOR);
  if (parts.length !== 4 || parts.some((p) => p.length === 0)) throw new InvalidNamespaceError(text);
  const [tenantId, packageName, workflowId, taskId] = parts as [string, string, string, string];
  return { tenantId, packageName, workflowId, taskId };
}

export function isNamespace(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  const parts = text.split(NAMESPACE_SEPARATOR);
  return parts.length === 4 && parts.every((p) => p.length > 0);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Orders namespaces part by part (tenant, package, workflow, task; code-unit order within a
 * part). Comparing whole strings would differ, since '::' sorts between other characters.
 */
export function compareNamespaces(a: string | TaskNamespace, b: string | TaskNamespace): number {
  const pa = partsOf(typeof a === 'string' ? parseNamespace(a) : a);
  const pb = partsOf(typeof b === 'string' ? parseNamespace(b) : b);
  for (let i = 0; i < 4; i++) {
    const c = compareStrings(pa[i] as string, pb[i] as string);
    if (c !== 0) return c;
  }
  return 0;
}
