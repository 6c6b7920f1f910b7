import {
  Context,
  ValidationError,
  WorkflowNotFoundError,
  assertJsonObject,
  isPlainObject,
  type Dal,
  type JsonObject,
  type TaskExecution,
  type Logger,
  type Workflow,
} from '@cloacina/core';
import type { Catalogue } from './catalogue.js';
import { describeError } from './logger.js';

/** What `execute*` accept as input: a Context or a plain JSON object. */
export type RunInput = Context | JsonObject;

export interface StartedRun {
  executionId: string;
  workflow: Workflow;
  /** The task rows as created (all NotStarted). */
  tasks: TaskExecution[];
}

/** Validates the input up front so a bad value is reported before anything is written. */
export function normalizeInput(input: unknown): JsonObject {
  if (input === undefined) return {};
  if (input instanceof Context) return input.toJSON();
  if (!isPlainObject(input)) {
    throw new ValidationError('Workflow input must be a JSON object or a Context', { field: 'input', reason: 'NotAnObject' });
  }
  assertJsonObject(input, 'input');
  return input;
}

/**
 * Logs (info) when a workflow's content-hash version differs from the previous run's (03 §3.6).
 * The database is asked once per workflow name; afterwards the version this runner last started
 * is remembered, which keeps `getLastVersion` off the hot path.
 */
export class VersionWatch {
  readonly #seen = new Map<string, string>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  async check(dal: Dal, wf: Workflow): Promise<void> {
    let previous = this.#seen.get(wf.name);
    if (previous === undefined) {
      try {
        previous = (await dal.pipelineExecution.getLastVersion(wf.name)) ?? undefined;
      } catch (err) {
        this.#logger.debug(`Could not read the last version of '${wf.name}': ${describeError(err)}`);
      }
    }
    if (previous !== undefined && previous !== wf.version) {
      this.#logger.info(`Workflow '${wf.name}' changed: version ${previous} -> ${wf.version}`, { workflow: wf.name, previous, version: wf.version });
    }
    this.#seen.set(wf.name, wf.version);
  }
}

/**
 * 03 §7.1: look the workflow up at the moment of use, validate the input, and create the run
 * with all its task rows in one `createWithTasks` transaction. Nothing is written on failure.
 */
export async function startRun(
  dal: Dal,
  catalogue: Catalogue,
  versions: VersionWatch,
  workflowName: string,
  input: unknown,
): Promise<StartedRun> {
  if (typeof workflowName !== 'string' || workflowName.length === 0) {
    throw new ValidationError('Workflow name must be a non-empty string', { field: 'workflowName' });
  }
  const found = (await catalogue.resolveWorkflow(workflowName)) ? catalogue.workflow(workflowName) : undefined;
  if (found === undefined) throw new WorkflowNotFoundError(workflowName);
  const inputContext = normalizeInput(input);
  await versions.check(dal, found);
  const created = await dal.pipelineExecution.createWithTasks({
    pipelineName: found.name,
    pipelineVersion: found.version,
    inputContext,
    tasks: found.taskSpecs(),
  });
  return { executionId: created.pipeline.id, workflow: found, tasks: created.tasks };
}
