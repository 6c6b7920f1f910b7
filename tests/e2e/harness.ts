/**
 * End-to-end harness: runners on a fresh database per test, for every backend × DAL kind
 * (sqlite+unified, sqlite+legacy, postgres+unified, postgres+legacy). CLOACINA_E2E_COMBOS narrows
 * the list while developing, e.g. CLOACINA_E2E_COMBOS=sqlite+unified,postgres+legacy.
 */
import { consoleLogger, DefaultRunner, type DefaultRunnerOptions, type PipelineResult } from '@cloacina/runner';
import type { Dal, ExecutionEvent } from '@cloacina/core';
import { dropSchema, postgresUrl, tempSqliteFile, uniqueSchemaName } from '../support/databases.js';

export type Backend = 'postgres' | 'sqlite';
export type DalKind = 'unified' | 'legacy';

export interface Combo {
  name: string;
  backend: Backend;
  dal: DalKind;
}

const ALL: Combo[] = [
  { name: 'sqlite+unified', backend: 'sqlite', dal: 'unified' },
  { name: 'sqlite+legacy', backend: 'sqlite', dal: 'legacy' },
  { name: 'postgres+unified', backend: 'postgres', dal: 'unified' },
  { name: 'postgres+legacy', backend: 'postgres', dal: 'legacy' },
];

export function combos(): Combo[] {
  const filter = process.env.CLOACINA_E2E_COMBOS?.split(',').map((s) => s.trim()).filter(Boolean);
  return filter && filter.length > 0 ? ALL.filter((c) => filter.includes(c.name)) : ALL;
}

/** One database location shared by the runners of one test. */
export class TestEnv {
  readonly backend: Backend;
  readonly url: string;
  readonly schema: string | undefined;
  readonly #cleanup: () => Promise<void>;
  readonly #runners: DefaultRunner[] = [];

  constructor(backend: Backend) {
    this.backend = backend;
    if (backend === 'postgres') {
      const schema = uniqueSchemaName('e2e');
      this.url = postgresUrl();
      this.schema = schema;
      this.#cleanup = () => dropSchema(schema);
    } else {
      const file = tempSqliteFile('e2e.db');
      this.url = file.url;
      this.schema = undefined;
      this.#cleanup = async () => file.cleanup();
    }
  }

  /** A runner on this database; always shut down by `cleanup()`. */
  async runner(dal: DalKind, options: Partial<DefaultRunnerOptions> = {}): Promise<DefaultRunner> {
    const runner = await DefaultRunner.create({
      databaseUrl: this.url,
      dal,
      ...(this.schema !== undefined ? { schema: this.schema } : {}),
      dbPoolSize: this.backend === 'postgres' ? 3 : 1,
      logger: consoleLogger(process.env.CLOACINA_E2E_LOG === '1' ? 'debug' : 'silent'),
      ...options,
    });
    this.#runners.push(runner);
    return runner;
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.#runners.splice(0).map((r) => r.shutdown()));
    await this.#cleanup();
  }
}

/**
 * Execution event types of a run, per task (short id) in history order; `run` for pipeline events.
 * History order is id order (01 §11, invariant 8). `getByPipeline` sorts by created_at first,
 * which dal-postgres currently stamps before it acquires a connection, so a call that waited for
 * one can carry an older timestamp than an event committed meanwhile (see the runner report).
 */
export async function eventTypesByTask(dal: Dal, result: PipelineResult): Promise<Record<string, string[]>> {
  const events: ExecutionEvent[] = [...(await dal.executionEvent.getByPipeline(result.executionId))].sort((a, b) => (a.id < b.id ? -1 : 1));
  const names = new Map(result.taskResults.map((t) => [t.taskExecutionId, t.taskId]));
  const out: Record<string, string[]> = {};
  for (const e of events) {
    const key = e.taskExecutionId === null ? 'run' : (names.get(e.taskExecutionId) ?? e.taskExecutionId);
    (out[key] ??= []).push(e.eventType);
  }
  return out;
}

/** `[taskId, status, attemptCount]` of every task, in task order. */
export function taskSummary(result: PipelineResult): [string, string, number][] {
  return result.taskResults.map((t) => [t.taskId, t.status, t.attemptCount]);
}

/** Resolves when `predicate` holds (polling), or fails after `ms`. For waits on background work only. */
export async function eventually(predicate: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `Promise.withResolvers()` for Node 20. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
