import {
  ClaimLostError,
  RunnerShutdownError,
  PipelineCancelledError,
  TaskNotFoundError,
  decideRetry,
  errorMessageOf,
  parseStoredRetryPolicy,
  type ClaimResult,
  type Dal,
  type JsonObject,
  type Logger,
} from '@cloacina/core';
import { runAttempt, type AttemptOutcome } from './attempt.js';
import type { Catalogue } from './catalogue.js';
import { CompletionWriter, type DependentsPlanner } from './completions.js';
import { withDbRetry } from './db-retry.js';
import type { RunnerEvents, TaskEventBase } from './events.js';
import { childLogger, describeError } from './logger.js';
import { dependenciesOf } from './readiness.js';
import { shortTaskId, workflowNameOf } from './results.js';
import { Semaphore } from './semaphore.js';
import { Ticker } from './ticker.js';

export interface ExecutorDeps {
  dal: Dal;
  catalogue: Catalogue;
  events: RunnerEvents;
  logger: Logger;
  runnerId: string;
  maxConcurrentTasks: number;
  pollIntervalMs: number;
  heartbeatIntervalMs: number;
  taskTimeoutMs: number;
  clock: () => Date;
  random: () => number;
  /** Decides dependents' readiness inside completion transactions (the scheduler, when enabled). */
  planner?: DependentsPlanner | null;
  /** Told of every task this executor moved to Completed or Failed, once the write committed. */
  onSettled?: (executionId: string, taskName: string, status: 'Completed' | 'Failed') => void;
}

interface RunningAttempt {
  readonly claim: ClaimResult;
  readonly controller: AbortController;
  done: Promise<void>;
  /** The outcome is known and being written; a lost lease no longer matters. */
  recording: boolean;
  /** Holds one of the `maxConcurrentTasks` permits: from the claim until the task code is done. */
  permit: boolean;
}

/** Permits taken for one claim, and the workflows it may claim from. */
export interface ClaimReservation {
  readonly limit: number;
  readonly names: string[];
}

/** Runs whose input context is kept (for tasks without dependencies). */
const RUN_INPUT_CACHE = 256;

/** Resolves true when `promise` settles within `ms`, false otherwise; never rejects. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => (clearTimeout(timer), resolve(true)),
      () => (clearTimeout(timer), resolve(true)),
    );
  });
}

/**
 * The executor (03 §8): claims Ready tasks up to its free permits, runs each attempt with a
 * timeout and an AbortSignal, records the outcome through the DAL's fenced writes (always with
 * this runner's id, so a runner that lost its lease can never record anything), and keeps the
 * leases of running attempts alive with one `heartbeatMany` per interval.
 */
export class Executor {
  readonly #d: ExecutorDeps;
  readonly #sem: Semaphore;
  readonly #running = new Map<string, RunningAttempt>();
  readonly #claimTicker: Ticker;
  readonly #heartbeatTicker: Ticker;
  readonly #wakeTimers = new Set<NodeJS.Timeout>();
  readonly #completions: CompletionWriter;
  /**
   * Input contexts of runs, for tasks without dependencies (their input is the run's input
   * context, which never changes after the run is created): one read per run, not per task.
   */
  readonly #runInputs = new Map<string, Promise<JsonObject>>();
  #accepting = true;
  /**
   * A claim may find Ready work: a wake-up arrived, or the last claim came back full. Only then
   * does a freed permit trigger a claim; otherwise it would claim before the next task is Ready
   * and delay the task_ready tick behind an empty round trip.
   */
  #maybeMore = true;
  #claimSoon = false;
  #servedTicks = 0;

  constructor(deps: ExecutorDeps) {
    this.#d = deps;
    this.#sem = new Semaphore(deps.maxConcurrentTasks);
    this.#completions = new CompletionWriter(deps.dal, deps.runnerId, deps.logger, deps.planner ?? null, this);
    this.#claimTicker = new Ticker('Task claim', deps.pollIntervalMs, () => this.#claim(), deps.logger);
    this.#heartbeatTicker = new Ticker('Heartbeat', deps.heartbeatIntervalMs, () => this.#heartbeat(), deps.logger);
  }

  start(): void {
    this.#claimTicker.start(true);
    this.#heartbeatTicker.start(false);
  }

  /** Claim as soon as possible (a task became Ready, or a permit freed up). */
  requestTick(): void {
    if (this.#servedTicks > 0) {
      this.#servedTicks--;
      return;
    }
    this.#maybeMore = true;
    if (this.#accepting) this.#claimTicker.trigger();
  }

  /** Number of attempts running now. */
  get activeCount(): number {
    return this.#running.size;
  }

  /** A cancelled run: abort its running attempts at once with PipelineCancelledError (03 §8.5). */
  abortRun(executionId: string): void {
    for (const entry of this.#running.values()) {
      if (entry.claim.pipelineExecutionId === executionId && !entry.controller.signal.aborted) {
        entry.controller.abort(new PipelineCancelledError(executionId));
      }
    }
  }

  /**
   * 03 §8.6: stop claiming; give running attempts up to `timeoutMs` to finish; abort the rest with
   * RunnerShutdownError, which hands each task back (`releaseClaim`: Ready again, attempt not
   * consumed). Heartbeats continue meanwhile, so the leases stay valid while we wait.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.#accepting = false;
    for (const timer of this.#wakeTimers) clearTimeout(timer);
    this.#wakeTimers.clear();
    await this.#claimTicker.stop();
    const all = () => Promise.allSettled([...this.#running.values()].map((e) => e.done));
    if (this.#running.size > 0 && !(await settlesWithin(all(), timeoutMs))) {
      this.#d.logger.warn(`Shutdown: ${this.#running.size} task attempt(s) still running after ${timeoutMs} ms; releasing them`);
      for (const entry of this.#running.values()) entry.controller.abort(new RunnerShutdownError());
      await all();
    }
    await this.#heartbeatTicker.stop();
  }

  async #claim(): Promise<void> {
    const { dal, runnerId } = this.#d;
    while (this.#accepting) {
      const reserved = this.reserveClaim();
      if (reserved === null) return;
      this.#maybeMore = false;
      let claims: ClaimResult[] = [];
      try {
        claims = await dal.taskExecution.claimReadyTasks(runnerId, reserved.limit, reserved.names);
      } finally {
        await this.takeClaims(reserved, claims);
      }
      if (claims.length < reserved.limit) return;
      this.#maybeMore = true;
    }
  }

  /**
   * Takes the permits for one claim: as many as are free, bounded also by attempts whose outcome
   * is still being written (they run no task code and hold no permit, but a claim must not
   * outrun a slow database). Null when nothing may be claimed now. The claim's caller hands
   * them to `takeClaims`, whatever happened.
   */
  reserveClaim(): ClaimReservation | null {
    if (!this.#accepting) return null;
    const free = Math.min(this.#sem.available, this.#d.maxConcurrentTasks * 2 - this.#running.size);
    // Claims are filtered by the catalogue, so work is routed to runners that can do it (03 §9).
    const names = this.#d.catalogue.names();
    if (free <= 0 || names.length === 0) return null;
    for (let i = 0; i < free; i++) this.#sem.tryAcquire();
    return { limit: free, names };
  }

  /** Runs what a reserved claim got (committed) and gives back the permits it did not use. */
  async takeClaims(reserved: ClaimReservation, claims: readonly ClaimResult[]): Promise<void> {
    const { dal, runnerId } = this.#d;
    for (let i = claims.length; i < reserved.limit; i++) this.#sem.release();
    for (const claim of claims) {
      if (this.#accepting) {
        this.#launch(claim);
        continue;
      }
      // Shutdown began while the claim was in flight: hand the task straight back.
      this.#sem.release();
      await this.#write(claim, 'release claim', () => dal.taskExecution.releaseClaim(claim.id, runnerId));
    }
  }

  /**
   * The next `n` claim wake-ups are already served: a completion transaction claimed the tasks
   * its own readiness decisions made Ready (negative `n` takes that back after a rollback).
   */
  expectServedTicks(n: number): void {
    this.#servedTicks = Math.max(0, this.#servedTicks + n);
  }

  #launch(claim: ClaimResult): void {
    const entry: RunningAttempt = { claim, controller: new AbortController(), done: Promise.resolve(), recording: false, permit: true };
    this.#running.set(claim.id, entry);
    entry.done = this.#attempt(entry)
      .catch(async (err: unknown) => {
        this.#d.logger.error(`Task attempt ${claim.taskName} failed unexpectedly: ${describeError(err)}`, { error: err });
        // No outcome was decided: give the task back rather than leaving it to the stale sweep.
        if (!entry.recording) await this.#write(claim, 'release claim', () => this.#d.dal.taskExecution.releaseClaim(claim.id, this.#d.runnerId));
      })
      .finally(() => {
        this.#running.delete(claim.id);
        this.#releasePermit(entry);
      });
  }

  /** The task code is done (or never ran): the permit goes back and may claim the next task. */
  #releasePermit(entry: RunningAttempt): void {
    if (!entry.permit) return;
    entry.permit = false;
    this.#sem.release();
    if (!this.#maybeMore || !this.#accepting || this.#claimSoon) return;
    // After the current I/O callbacks: the permits of attempts finishing together are claimed
    // with one statement instead of one claim per permit.
    this.#claimSoon = true;
    setImmediate(() => {
      this.#claimSoon = false;
      if (this.#accepting) this.#claimTicker.trigger();
    });
  }

  async #attempt(entry: RunningAttempt): Promise<void> {
    const { dal, runnerId, catalogue, events, logger } = this.#d;
    const { claim, controller } = entry;
    const ns = claim.taskName;
    const base: TaskEventBase = {
      executionId: claim.pipelineExecutionId,
      workflowName: workflowNameOf(ns),
      taskName: ns,
      taskId: shortTaskId(ns),
      taskExecutionId: claim.id,
      attempt: claim.attempt,
    };
    const found = await catalogue.resolveTask(ns);
    if (found === undefined) {
      const message = new TaskNotFoundError(ns, true).message;
      if (await this.#write(claim, 'mark failed', () => dal.taskExecution.markFailed(claim.id, runnerId, message))) {
        events.emit('taskFailed', { ...base, error: message });
      }
      return;
    }
    let input: JsonObject;
    try {
      input = await this.#inputOf(claim);
    } catch (err) {
      // The attempt never started: give the task back rather than waiting for the lease to lapse.
      logger.error(`Could not build the input of ${ns}: ${describeError(err)}`, { error: err });
      await this.#write(claim, 'release claim', () => dal.taskExecution.releaseClaim(claim.id, runnerId));
      return;
    }
    const configured = claim.taskConfiguration['timeout_ms'];
    const timeoutMs = typeof configured === 'number' && configured > 0 ? configured : (found.definition.timeoutMs ?? this.#d.taskTimeoutMs);
    events.emit('taskStarted', { ...base, maxAttempts: claim.maxAttempts });
    const startedAt = Date.now();
    const info = {
      taskId: base.taskId,
      namespace: ns,
      workflowName: found.workflow.name,
      pipelineExecutionId: claim.pipelineExecutionId,
      taskExecutionId: claim.id,
      attempt: claim.attempt,
      maxAttempts: claim.maxAttempts,
      runnerId,
      logger: childLogger(logger, { task: ns, executionId: claim.pipelineExecutionId, attempt: claim.attempt }),
    };
    const outcome = await runAttempt(found.definition, input, info, timeoutMs, controller);
    entry.recording = true;
    this.#releasePermit(entry);
    await this.#record(claim, outcome, base, Date.now() - startedAt);
  }

  /** 03 §8.4 and §4.3: success, retry or failure; interrupted attempts are discarded. */
  async #record(claim: ClaimResult, outcome: AttemptOutcome, base: TaskEventBase, durationMs: number): Promise<void> {
    const { dal, runnerId, events, logger } = this.#d;
    if (outcome.kind === 'succeeded') {
      if (await this.#completions.complete(claim, outcome.output)) {
        this.#d.onSettled?.(claim.pipelineExecutionId, claim.taskName, 'Completed');
        events.emit('taskCompleted', { ...base, durationMs });
      }
      return;
    }
    if (outcome.kind === 'interrupted') {
      if (outcome.reason instanceof RunnerShutdownError) {
        await this.#write(claim, 'release claim', () => dal.taskExecution.releaseClaim(claim.id, runnerId));
      } else {
        logger.info(`Attempt ${claim.attempt} of ${claim.taskName} discarded: ${outcome.reason.message}`);
      }
      return;
    }
    const message = errorMessageOf(outcome.error);
    let decision: ReturnType<typeof decideRetry> = { retry: false };
    try {
      // The stored policy, so a run keeps the policy it was created with (03 §4.1).
      const policy = parseStoredRetryPolicy(claim.taskConfiguration['retry_policy'], claim.taskName);
      decision = decideRetry(policy, claim.attempt, claim.maxAttempts, outcome.error, this.#d.clock(), this.#d.random);
    } catch (err) {
      logger.error(`Unreadable retry policy of ${claim.taskName}; not retrying: ${describeError(err)}`);
    }
    if (decision.retry) {
      const { retryAt, delayMs } = decision;
      if (await this.#write(claim, 'schedule retry', () => dal.taskExecution.scheduleRetry(claim.id, runnerId, { retryAt, error: message }))) {
        events.emit('taskRetrying', { ...base, error: message, retryAt, delayMs, nextAttempt: claim.attempt + 1 });
        this.#wakeAt(delayMs);
      }
    } else if (await this.#write(claim, 'mark failed', () => dal.taskExecution.markFailed(claim.id, runnerId, message))) {
      this.#d.onSettled?.(claim.pipelineExecutionId, claim.taskName, 'Failed');
      events.emit('taskFailed', { ...base, error: message });
    }
  }

  /** 03 §8.2 step 2; the run's input context is read once per run for tasks without dependencies. */
  async #inputOf(claim: ClaimResult): Promise<JsonObject> {
    const { dal, logger } = this.#d;
    const dependencies = dependenciesOf(claim);
    const runId = claim.pipelineExecutionId;
    if (dependencies.length > 0) return withDbRetry('Build input context', () => dal.taskExecution.buildInputContext(runId, dependencies), logger);
    let input = this.#runInputs.get(runId);
    if (input === undefined) {
      // The promise is kept, so the tasks of one claim that share a run share one read.
      input = withDbRetry('Build input context', () => dal.taskExecution.buildInputContext(runId, []), logger);
      // Oldest first out: a bounded cache, sized for many concurrent runs.
      if (this.#runInputs.size >= RUN_INPUT_CACHE) this.#runInputs.delete(this.#runInputs.keys().next().value as string);
      this.#runInputs.set(runId, input);
      input.catch(() => this.#runInputs.delete(runId));
    }
    // The attempt's Context copies it, so the cached object is never handed out for mutation.
    return input;
  }

  /**
   * A fenced write with the transient-error retries of 03 §8.4. False when it did not happen:
   * the claim was lost (another runner owns the task now — by design, nothing is recorded) or
   * the database stayed unavailable (the lease lapses and recovery re-runs the attempt).
   */
  async #write(claim: ClaimResult, what: string, write: () => Promise<unknown>): Promise<boolean> {
    try {
      await withDbRetry(`${what} ${claim.taskName}`, write, this.#d.logger);
      return true;
    } catch (err) {
      if (err instanceof ClaimLostError) {
        this.#d.logger.info(`Result of ${claim.taskName} attempt ${claim.attempt} discarded: ${err.message}`);
      } else {
        this.#d.logger.error(`Could not ${what} ${claim.taskName}: ${describeError(err)}`, { error: err });
      }
      return false;
    }
  }

  /**
   * The task becomes claimable at `retryAt`; a tick then picks it up without waiting for the
   * next poll (which may be far away when the poll interval is long).
   */
  #wakeAt(delayMs: number): void {
    const timer = setTimeout(() => {
      this.#wakeTimers.delete(timer);
      this.requestTick();
    }, delayMs + 1);
    timer.unref();
    this.#wakeTimers.add(timer);
  }

  /** 03 §8.5: one statement renews every lease; a lost one aborts its attempt. */
  async #heartbeat(): Promise<void> {
    const { dal, runnerId, logger } = this.#d;
    const ids = [...this.#running.keys()];
    if (ids.length === 0) return;
    const { lost } = await dal.taskExecution.heartbeatMany(runnerId, ids);
    for (const id of lost) {
      const entry = this.#running.get(id);
      if (entry === undefined || entry.recording || entry.controller.signal.aborted) continue;
      const row = await dal.taskExecution.findById(id).catch(() => null);
      const error = new ClaimLostError(id, runnerId, row?.status ?? 'unknown', row?.claimedBy ?? null);
      logger.warn(`Lease lost on ${entry.claim.taskName}; aborting the attempt: ${error.message}`);
      entry.controller.abort(error);
    }
  }
}
