import { createHash } from 'node:crypto';
import { canonicalJson, type JsonValue } from '../json.js';
import type { StoredRetryPolicy } from '../retry/policy.js';
import type { TriggerRule } from '../trigger/types.js';
import { compareNamespaces } from './namespace.js';

/** What the content hash covers (03 §3.6). */
export interface VersionInput {
  name: string;
  tenant: string;
  description: string | undefined;
  tags: Readonly<Record<string, string>>;
  tasks: readonly {
    id: string;
    namespace: string;
    /** Namespaces, declaration order. */
    dependencies: readonly string[];
    run: (...args: never[]) => unknown;
    triggerRules: TriggerRule;
    retryPolicy: StoredRetryPolicy;
    timeoutMs: number | undefined;
  }[];
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** SHA-256 hex of the function's source text: any edit to the code changes the version. */
export function codeFingerprint(run: (...args: never[]) => unknown): string {
  return sha256Hex(Function.prototype.toString.call(run));
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** First 16 hex digits of SHA-256 over canonical JSON of `{ topology, tasks, config }`. */
export function computeWorkflowVersion(input: VersionInput): string {
  const tasks = [...input.tasks].sort((a, b) => compareNamespaces(a.namespace, b.namespace));
  const topology = tasks.map((t) => [t.namespace, [...t.dependencies].sort(compareNamespaces)]);
  const taskParts = tasks.map((t) => [
    t.id,
    [...t.dependencies],
    codeFingerprint(t.run),
    t.triggerRules as unknown as JsonValue,
    t.retryPolicy as unknown as JsonValue,
    t.timeoutMs ?? null,
  ]);
  const tags = Object.entries(input.tags)
    .sort(([a], [b]) => byCodeUnit(a, b))
    .map(([k, v]) => [k, v]);
  const config = [input.name, input.tenant, input.description ?? null, tags];
  const doc = { topology, tasks: taskParts, config } as unknown as JsonValue;
  return sha256Hex(canonicalJson(doc)).slice(0, 16);
}
