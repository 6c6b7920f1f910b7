import {
  ConfigurationError,
  RunnerShutdownError,
  ValidationError,
  type Dal,
  type PipelineStatus,
  type Workflow,
  type WorkflowOptions,
} from '@cloacina/core';
import { Catalogue, toWorkflow } from './catalogue.js';
import { RunnerEvents, type RunnerEventListener, type RunnerEventName } from './events.js';
import { Executor } from './executor.js';
import { createHandle, type ExecuteOptions, type PipelineExecutionHandle } from './handle.js';
import { describeError } from './logger.js';
import { openDal } from './open-dal.js';
import { MAX_DELAY_MS, resolveRunnerConfig, type DefaultRunnerOptions, type RunnerConfig } from './options.js';
import { Recovery } from './recovery.js';
import { loadPipelineResult, loadPipelineResults, type PipelineResult } from './results.js';
import { RunWatch } from './run-watch.js';
import { Scheduler } from './scheduler.js';
import { startRun, VersionWatch, type RunInput } from './start-run.js';
import { routeSignal } from './wakeups.js';

function checkExecuteOptions(opts: unknown): ExecuteOptions {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object') throw new ValidationError('Execute options must be an object { timeoutMs?, signal? }', { field: 'options' });
  const { timeoutMs, signal } = opts as ExecuteOptions;
  if (timeoutMs !== undefined && timeoutMs !== null && (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_DELAY_MS)) {
    throw new ValidationError(`timeoutMs must be a whole number of milliseconds between 1 and ${MAX_DELAY_MS}, or null (got ${String(timeoutMs)})`, { field: 'timeoutMs' });
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new ValidationError('signal must be an AbortSignal', { field: 'signal' });
  return opts as ExecuteOptions;
}

/**
 * The entry point of Cloacina: one object that stores your workflow runs in PostgreSQL or SQLite
 * and runs them — scheduler, executor with leases, crash recovery and wake-ups (03 §1, §12).
 *
 * ```ts
 * const runner = await DefaultRunner.create({ databaseUrl: 'sqlite://app.db', workflows: [etl] });
 * const result = await runner.execute('etl', { day: '2025-01-01' });
 * await runner.shutdown();
 * ```
 */
export class DefaultRunner {
  readonly #config: RunnerConfig;
  readonly #dal: Dal;
  readonly #ownsDal: boolean;
  readonly #catalogue = new Catalogue();
  readonly #events: RunnerEvents;
  readonly #versions: VersionWatch;
  readonly #watch: RunWatch;
  #scheduler: Scheduler | null = null;
  #executor: Executor | null = null;
  #recovery: Recovery | null = null;
  #unsubscribe: (() => void) | null = null;
  #shutdown: Promise<void> | null = null;
  /** Set as soon as shutdown begins (or a start fails): new work is refused from then on. */
  #closed = false;

  private constructor(config: RunnerConfig, dal: Dal, ownsDal: boolean) {
    this.#config = config;
    this.#dal = dal;
    this.#ownsDal = ownsDal;
    this.#events = new RunnerEvents(config.logger);
    this.#versions = new VersionWatch(config.logger);
    this.#watch = new RunWatch(
      (id) => this.#dal.pipelineExecution.getById(id).then((r) => r.status),
      async () => new Map((await this.#dal.pipelineExecution.getActiveExecutions()).map((r) => [r.id, r.status])),
      config.resultPollIntervalMs,
      config.logger,
    );
  }

  /**
   * Validates the options, opens the DAL and migrates the database, registers `workflows` and
   * starts the enabled services (recovery, scheduler, executor). Anything opened is closed again
   * if a later step fails.
   */
  static async create(options: DefaultRunnerOptions): Promise<DefaultRunner> {
    const config = resolveRunnerConfig(options);
    // Workflows are built and checked before anything is opened, so a definition error costs nothing.
    const workflows = config.workflows.map(toWorkflow);
    const names = new Set<string>();
    for (const wf of workflows) {
      if (names.has(wf.name)) throw new ConfigurationError(`Workflow '${wf.name}' appears more than once in the 'workflows' option`);
      names.add(wf.name);
    }
    const { dal, owned } = await openDal(config);
    const runner = new DefaultRunner(config, dal, owned);
    try {
      await dal.migrate();
      for (const wf of workflows) runner.#catalogue.register(wf);
      await runner.#start();
      return runner;
    } catch (err) {
      await runner.#stop().catch((e: unknown) => config.logger.error(`Cleanup after a failed start failed: ${describeError(e)}`));
      throw err;
    }
  }

  /** 03 §12.1 step 4, in order: recovery (reclaim, first sweep, sweeper), scheduler, executor. */
  async #start(): Promise<void> {
    const c = this.#config;
    const base = { dal: this.#dal, events: this.#events, logger: c.logger };
    // Subscribed once, before anything can produce a signal we would need.
    this.#unsubscribe = this.#dal.signals.subscribe((s) =>
      routeSignal(s, { scheduler: this.#scheduler, executor: this.#executor, watch: this.#watch }),
    );
    this.#watch.start();
    // Extension point (03 §14): the registry reconciler starts here, before recovery.
    if (c.enableRecovery) {
      this.#recovery = new Recovery({
        ...base,
        catalogue: this.#catalogue,
        runnerId: c.runnerId,
        clock: c.clock,
        staleClaimThresholdMs: c.staleClaimThresholdMs,
        staleClaimSweepIntervalMs: c.staleClaimSweepIntervalMs,
        maxRecoveryAttempts: c.maxRecoveryAttempts,
        abandonUnknownWorkflows: c.abandonUnknownWorkflows,
      });
      await this.#recovery.reclaimOwn();
      await this.#recovery.sweep();
      this.#recovery.start();
    }
    if (c.enableScheduler) {
      this.#scheduler = new Scheduler({ ...base, pollIntervalMs: c.schedulerPollIntervalMs });
      this.#scheduler.start();
    }
    if (c.enableExecutor) {
      this.#executor = new Executor({
        ...base,
        catalogue: this.#catalogue,
        runnerId: c.runnerId,
        maxConcurrentTasks: c.maxConcurrentTasks,
        pollIntervalMs: c.executorPollIntervalMs,
        heartbeatIntervalMs: c.heartbeatIntervalMs,
        taskTimeoutMs: c.taskTimeoutMs,
        clock: c.clock,
        random: c.random,
        planner: this.#scheduler,
        onSettled: (runId, taskName, status) => this.#scheduler?.noteSettled(runId, taskName, status),
      });
      this.#executor.start();
    }
    // Extension point (03 §13): the cron scheduler and cron recovery start here, last.
    c.logger.info(`Runner ${c.runnerName ?? c.runnerId} started`, {
      runnerId: c.runnerId,
      backend: this.#dal.backend,
      dal: this.#dal.implementation,
      workflows: this.#catalogue.names(),
    });
  }

  /** This runner's lease owner id (`claimed_by`). */
  get runnerId(): string {
    return this.#config.runnerId;
  }

  /** The DAL the runner uses (for direct queries, e.g. execution events). */
  get dal(): Dal {
    return this.#dal;
  }

  // ---- catalogue (03 §3.5) -------------------------------------------------------------------

  /**
   * Adds a workflow (or replaces the one of the same name). Accepts a built `Workflow` or the
   * options of `workflow()`; an invalid definition throws core's ValidationError subclass.
   */
  registerWorkflow(wf: Workflow | WorkflowOptions): Workflow {
    this.#assertOpen();
    const built = toWorkflow(wf);
    this.#catalogue.register(built);
    // Tasks of this workflow may already be waiting in the database.
    this.#executor?.requestTick();
    return built;
  }

  /** Removes a workflow registered in code; true if it was registered. Runs in flight keep going elsewhere. */
  unregisterWorkflow(name: string): boolean {
    this.#assertOpen();
    return this.#catalogue.unregister(name);
  }

  getWorkflow(name: string): Workflow | undefined {
    return this.#catalogue.workflow(name);
  }

  /** Registered workflows, by name. */
  listWorkflows(): Workflow[] {
    return this.#catalogue.list();
  }

  // ---- running workflows (03 §11, §12.3) -----------------------------------------------------

  /**
   * Starts a run and waits for it to end. A Failed or Cancelled run resolves normally (check
   * `status`); PipelineTimeoutError (with `executionId`) means only the wait gave up.
   */
  async execute(workflowName: string, input: RunInput = {}, opts?: ExecuteOptions): Promise<PipelineResult> {
    const o = checkExecuteOptions(opts);
    this.#assertOpen();
    if (o.signal?.aborted) throw o.signal.reason;
    const { executionId } = await this.#startRun(workflowName, input);
    return this.#wait(executionId, o);
  }

  /** Starts a run and returns at once with a handle to wait on, inspect or cancel it. */
  async executeAsync(workflowName: string, input: RunInput = {}): Promise<PipelineExecutionHandle> {
    this.#assertOpen();
    const { executionId, workflow } = await this.#startRun(workflowName, input);
    return createHandle(
      {
        wait: async (id, o) => this.#wait(id, checkExecuteOptions(o)),
        getExecutionStatus: (id) => this.getExecutionStatus(id),
        getExecutionResult: (id) => this.getExecutionResult(id),
        cancelExecution: (id) => this.cancelExecution(id),
      },
      executionId,
      workflow.name,
    );
  }

  /**
   * Like `execute()`, reporting `Pending` first and then every status change it observes until
   * the run ends. A throwing callback is logged and ignored.
   */
  async executeWithCallback(
    workflowName: string,
    input: RunInput,
    onStatus: (status: PipelineStatus) => void,
    opts?: ExecuteOptions,
  ): Promise<PipelineResult> {
    if (typeof onStatus !== 'function') throw new ValidationError('onStatus must be a function', { field: 'onStatus' });
    const o = checkExecuteOptions(opts);
    this.#assertOpen();
    const { executionId } = await this.#startRun(workflowName, input);
    const report = (status: PipelineStatus) => {
      try {
        onStatus(status);
      } catch (err) {
        this.#config.logger.error(`Status callback threw (ignored): ${describeError(err)}`);
      }
    };
    report('Pending');
    let last: PipelineStatus = 'Pending';
    return this.#wait(executionId, o, (s) => {
      if (s !== last) report((last = s));
    });
  }

  /** NotFoundError if unknown. */
  async getExecutionStatus(executionId: string): Promise<PipelineStatus> {
    this.#assertOpen();
    return (await this.#dal.pipelineExecution.getById(executionId)).status;
  }

  /** Current state (does not wait); NotFoundError if unknown. */
  async getExecutionResult(executionId: string): Promise<PipelineResult> {
    this.#assertOpen();
    return loadPipelineResult(this.#dal, executionId);
  }

  /**
   * Cancels a run: waiting tasks are skipped, running attempts are revoked (their AbortSignal
   * fires). False if the run had already ended; NotFoundError if unknown.
   */
  async cancelExecution(executionId: string): Promise<boolean> {
    this.#assertOpen();
    const cancelled = await this.#dal.pipelineExecution.cancel(executionId);
    if (cancelled) {
      this.#executor?.abortRun(executionId);
      const run = await this.#dal.pipelineExecution.findById(executionId);
      this.#events.emit('pipelineCancelled', { executionId, workflowName: run?.pipelineName ?? '' });
    }
    return cancelled;
  }

  /** Most recent runs first. */
  async listExecutions(opts: { limit?: number } = {}): Promise<PipelineResult[]> {
    this.#assertOpen();
    const limit = opts.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new ValidationError(`limit must be a non-negative integer (got ${String(limit)})`, { field: 'limit' });
    return loadPipelineResults(this.#dal, await this.#dal.pipelineExecution.listRecent(limit));
  }

  /** Subscribes to a progress event; returns the unsubscribe function. */
  on<E extends RunnerEventName>(event: E, listener: RunnerEventListener<E>): () => void {
    return this.#events.on(event, listener);
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /**
   * Graceful stop (03 §8.6): stop claiming, let running attempts finish for up to
   * `shutdownTimeoutMs`, hand the rest back, stop the other services and close the DAL if the
   * runner opened it. Idempotent; afterwards every other call rejects with RunnerShutdownError.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#stop();
    return this.#shutdown;
  }

  async #stop(): Promise<void> {
    const c = this.#config;
    this.#closed = true;
    // Every step runs even if an earlier one failed, so an owned DAL is always closed.
    const step = async (what: string, fn: () => Promise<void> | void) => {
      try {
        await fn();
      } catch (err) {
        c.logger.error(`Shutdown: ${what} failed: ${describeError(err)}`, { error: err });
      }
    };
    await step('executor', () => this.#executor?.shutdown(c.shutdownTimeoutMs));
    await step('scheduler', () => this.#scheduler?.stop());
    await step('recovery', () => this.#recovery?.stop());
    await step('signals', () => this.#unsubscribe?.());
    await step('waiters', () => this.#watch.close(new RunnerShutdownError()));
    if (this.#ownsDal) await this.#dal.close();
    c.logger.info(`Runner ${c.runnerName ?? c.runnerId} stopped`);
  }

  #assertOpen(): void {
    if (this.#closed) throw new RunnerShutdownError();
  }

  async #startRun(workflowName: string, input: unknown) {
    const started = await startRun(this.#dal, this.#catalogue, this.#versions, workflowName, input);
    this.#scheduler?.adoptRun(started.executionId, started.tasks);
    // Usually the pipeline_created signal gets here first; this covers a runner whose DAL
    // delivers no local signals.
    this.#scheduler?.requestPass(started.executionId);
    return started;
  }

  async #wait(executionId: string, opts: ExecuteOptions, onChange?: (s: PipelineStatus) => void): Promise<PipelineResult> {
    this.#assertOpen();
    const timeoutMs = opts.timeoutMs === undefined ? this.#config.pipelineTimeoutMs : opts.timeoutMs;
    await this.#watch.waitForTerminal(executionId, { timeoutMs, signal: opts.signal }, onChange);
    return loadPipelineResult(this.#dal, executionId);
  }
}
