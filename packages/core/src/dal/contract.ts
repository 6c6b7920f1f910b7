/**
 * The DAL contract (spec 02) shared by dal-postgres, dal-sqlite and dal-unified.
 *
 * General rules for every method (02 §1): async; ids validated (ValidationError) and
 * returned lowercase; a single-row get/read of a missing row throws NotFoundError while
 * find* returns null; updates of a missing id throw NotFoundError; guarded transitions
 * return false and change nothing; fenced executor writes throw ClaimLostError; deletes
 * are idempotent; every list has a total order ending in id; a method that throws
 * anything but DatabaseError has written nothing; every transition writes its
 * execution event in the same transaction.
 */
import type { JsonObject } from '../json.js';
import type {
  ContextRecord,
  CronExecution,
  CronSchedule,
  ExecutionEvent,
  PackageManifest,
  PipelineExecution,
  RecoveryEvent,
  TaskExecution,
  TaskExecutionMetadata,
  Uuid,
  WorkflowPackage,
} from '../models/records.js';
import type { ExecutionEventType, PipelineStatus, RecoveryType, StorageType, TaskStatus } from '../models/vocabulary.js';
import type * as T from './types.js';

export interface ContextDal {
  /** Empty object → null, nothing written. Otherwise inserts and returns the id. */
  create(value: JsonObject): Promise<Uuid | null>;
  /** NotFoundError('Context', id). */
  read(id: Uuid): Promise<JsonObject>;
  find(id: Uuid): Promise<JsonObject | null>;
  /** Sets value (an empty object is stored as is) and updated_at. */
  update(id: Uuid, value: JsonObject): Promise<void>;
  /** ConstraintError kind foreign_key while referenced. */
  delete(id: Uuid): Promise<boolean>;
  /** Order: created_at DESC, id DESC. */
  list(limit: number, offset: number): Promise<ContextRecord[]>;
  /** Deletes unreferenced contexts created before the cutoff; returns the count. */
  deleteUnreferenced(createdBefore: Date): Promise<number>;
}

export interface PipelineExecutionDal {
  /** One transaction (P1, T1): context, pipeline, tasks in the given order, pipeline_created. */
  createWithTasks(input: T.NewPipelineWithTasks): Promise<T.CreatedPipeline>;
  /** P2; writes pipeline_created with task_count 0. */
  create(input: T.NewPipelineExecution): Promise<PipelineExecution>;
  getById(id: Uuid): Promise<PipelineExecution>;
  findById(id: Uuid): Promise<PipelineExecution | null>;
  /** Pending or Running. Order: id ASC. */
  getActiveExecutions(): Promise<PipelineExecution[]>;
  /** P8, administrative and unconditional. */
  updateStatus(id: Uuid, status: PipelineStatus): Promise<void>;
  /** P5 (guarded). */
  markCompleted(id: Uuid): Promise<boolean>;
  /** P6 (guarded): also skips the run's NotStarted/Ready tasks. */
  markFailed(id: Uuid, reason: string): Promise<boolean>;
  /** P7 (guarded): skips NotStarted/Ready tasks, revokes Running ones. */
  cancel(id: Uuid): Promise<boolean>;
  /** One transaction (P4). */
  finalize(id: Uuid, finalContext: JsonObject): Promise<T.FinalizeResult>;
  /** pipeline_version of the row with the greatest (started_at, id) for the name. */
  getLastVersion(pipelineName: string): Promise<string | null>;
  incrementRecoveryAttempts(id: Uuid): Promise<void>;
  updateFinalContext(id: Uuid, contextId: Uuid | null): Promise<void>;
  /** Order: started_at DESC, id DESC. */
  listRecent(limit: number): Promise<PipelineExecution[]>;
  /** Cascades to tasks, metadata, recovery/execution events and the cron audit row. */
  delete(id: Uuid): Promise<boolean>;
}

export interface TaskExecutionDal {
  // crud
  create(input: T.NewTaskExecution): Promise<TaskExecution>;
  getById(id: Uuid): Promise<TaskExecution>;
  findById(id: Uuid): Promise<TaskExecution | null>;
  /** Order: id ASC. */
  getAllTasksForPipeline(pipelineId: Uuid): Promise<TaskExecution[]>;
  // queries
  /** Status NotStarted. Order id ASC. */
  getPendingTasks(pipelineId: Uuid): Promise<TaskExecution[]>;
  /** Order pipeline_execution_id ASC, id ASC. Empty input → [] without a query. */
  getPendingTasksBatch(pipelineIds: Uuid[]): Promise<TaskExecution[]>;
  /** Order pipeline_execution_id ASC, id ASC. Empty input → []. */
  getTasksForPipelines(pipelineIds: Uuid[]): Promise<TaskExecution[]>;
  /** NotFoundError('PipelineExecution', id) if the run is missing. */
  checkPipelineCompletion(pipelineId: Uuid): Promise<boolean>;
  /** NotFoundError('TaskExecution', '<pipelineId>/<taskName>'). */
  getTaskStatus(pipelineId: Uuid, taskName: string): Promise<TaskStatus>;
  getTaskStatusesBatch(pipelineId: Uuid, taskNames: string[]): Promise<Record<string, TaskStatus>>;
  // state
  markReady(id: Uuid): Promise<boolean>;
  markSkipped(id: Uuid, reason: string): Promise<boolean>;
  /** One transaction; returns the ids actually changed, each list id ASC. */
  markReadiness(decisions: T.ReadinessDecision[]): Promise<{ ready: Uuid[]; skipped: Uuid[] }>;
  markCompleted(id: Uuid, runnerId: string): Promise<void>;
  markFailed(id: Uuid, runnerId: string, message: string): Promise<void>;
  markAbandoned(id: Uuid, reason: string, guard?: T.LeaseGuard): Promise<boolean>;
  resetRetryState(id: Uuid): Promise<boolean>;
  // context
  buildInputContext(pipelineId: Uuid, dependencyNames: string[]): Promise<JsonObject>;
  /** One transaction (T6): fenced status change, output context, metadata upsert, event. */
  completeWithOutput(id: Uuid, runnerId: string, output: JsonObject): Promise<{ contextId: Uuid | null }>;
  /**
   * The executor's group commit: T6 for many attempts of one runner in one transaction. Each
   * item is fenced on its own (a lost claim or a missing row is reported in its outcome and
   * writes nothing for it; the others still complete). Items are processed in task id order
   * (contexts, then metadata rows, then events, each in that order); outcomes come back in
   * input order. Empty input → [] without a query; a repeated id → ValidationError.
   */
  completeManyWithOutput(runnerId: string, items: T.CompletionItem[]): Promise<T.CompletionOutcome[]>;
  // claiming
  /** One statement (T5, P3); results id ASC; limit 0 → [] without a query. */
  claimReadyTasks(runnerId: string, limit: number, workflowNames?: string[]): Promise<T.ClaimResult[]>;
  scheduleRetry(id: Uuid, runnerId: string, opts: { retryAt: Date; error?: string }): Promise<void>;
  /** Ready and (retry_at NULL or ≤ now). Order id ASC. */
  getReadyForRetry(): Promise<TaskExecution[]>;
  heartbeat(id: Uuid, runnerId: string): Promise<void>;
  heartbeatMany(runnerId: string, ids: Uuid[]): Promise<{ renewed: Uuid[]; lost: Uuid[] }>;
  releaseClaim(id: Uuid, runnerId: string): Promise<void>;
  /** Running with claimed_by = runnerId. Order id ASC. */
  findClaimsByRunner(runnerId: string): Promise<TaskExecution[]>;
  // recovery
  /** Every Running task. Order id ASC. */
  getOrphanedTasks(): Promise<TaskExecution[]>;
  /** Running with heartbeat_at < staleBefore. Order heartbeat_at ASC, id ASC. */
  findStaleClaims(staleBefore: Date, limit?: number): Promise<TaskExecution[]>;
  resetTaskForRecovery(id: Uuid, guard?: T.LeaseGuard): Promise<boolean>;
  checkPipelineFailure(pipelineId: Uuid): Promise<boolean>;
  getRetryStats(pipelineId: Uuid): Promise<T.RetryStats>;
  /** Failed with attempt ≥ max_attempts. Order id ASC. */
  getExhaustedRetryTasks(pipelineId: Uuid): Promise<TaskExecution[]>;
}

export interface TaskExecutionMetadataDal {
  create(input: T.NewTaskExecutionMetadata): Promise<TaskExecutionMetadata>;
  getByPipelineAndTask(pipelineId: Uuid, task: string | T.TaskNamespaceLike): Promise<TaskExecutionMetadata>;
  getByTaskExecution(taskExecutionId: Uuid): Promise<TaskExecutionMetadata>;
  updateContextId(taskExecutionId: Uuid, contextId: Uuid | null): Promise<void>;
  upsertTaskExecutionMetadata(input: T.NewTaskExecutionMetadata): Promise<TaskExecutionMetadata>;
  /** In the order of taskNames (duplicates ignored after the first). */
  getDependencyMetadata(pipelineId: Uuid, taskNames: string[]): Promise<TaskExecutionMetadata[]>;
  getDependencyMetadataWithContexts(pipelineId: Uuid, taskNames: string[]): Promise<T.MetadataWithContext[]>;
}

export interface RecoveryEventDal {
  create(input: T.NewRecoveryEvent): Promise<RecoveryEvent>;
  /** All getters: order recovered_at DESC, id DESC. */
  getByPipeline(pipelineId: Uuid): Promise<RecoveryEvent[]>;
  getByTask(taskExecutionId: Uuid): Promise<RecoveryEvent[]>;
  getByType(type: RecoveryType): Promise<RecoveryEvent[]>;
  getWorkflowUnavailableEvents(): Promise<RecoveryEvent[]>;
  getRecent(limit: number): Promise<RecoveryEvent[]>;
}

export interface ExecutionEventDal {
  create(input: T.NewExecutionEvent): Promise<ExecutionEvent>;
  /** Order created_at ASC, id ASC. */
  getByPipeline(pipelineId: Uuid): Promise<ExecutionEvent[]>;
  getByTask(taskExecutionId: Uuid): Promise<ExecutionEvent[]>;
  getByType(type: ExecutionEventType, opts?: { since?: Date; limit?: number; offset?: number }): Promise<ExecutionEvent[]>;
  /** Order created_at DESC, id DESC. */
  getRecent(limit: number): Promise<ExecutionEvent[]>;
  deleteOlderThan(cutoff: Date): Promise<number>;
}

export interface CronScheduleDal {
  create(input: T.NewCronSchedule): Promise<CronSchedule>;
  getById(id: Uuid): Promise<CronSchedule>;
  findById(id: Uuid): Promise<CronSchedule | null>;
  delete(id: Uuid): Promise<boolean>;
  /** Order next_run_at ASC, id ASC. */
  getDueSchedules(now: Date): Promise<CronSchedule[]>;
  /** Order workflow_name ASC, id ASC. */
  list(opts?: { enabledOnly?: boolean; limit?: number; offset?: number }): Promise<CronSchedule[]>;
  /** Order created_at DESC, id DESC. */
  findByWorkflow(workflowName: string): Promise<CronSchedule[]>;
  count(opts?: { enabledOnly?: boolean }): Promise<number>;
  updateScheduleTimes(id: Uuid, lastRunAt: Date, nextRunAt: Date): Promise<void>;
  enable(id: Uuid): Promise<void>;
  disable(id: Uuid): Promise<void>;
  updateNextRun(id: Uuid, nextRunAt: Date): Promise<void>;
  /** Compare-and-set; true iff exactly one row changed. */
  claimAndUpdate(id: Uuid, claim: T.CronClaim): Promise<boolean>;
  updateExpressionAndTimezone(id: Uuid, update: T.CronScheduleUpdate): Promise<void>;
}

export interface CronExecutionDal {
  /** Insert-if-absent; DuplicateCronExecutionError on (schedule, scheduled_time). */
  create(input: T.NewCronExecution): Promise<CronExecution>;
  updatePipelineExecutionId(id: Uuid, pipelineId: Uuid): Promise<void>;
  /** Links only while pipeline_execution_id is NULL; true iff it linked. */
  linkPipelineExecution(id: Uuid, pipelineId: Uuid): Promise<boolean>;
  deleteOlderThan(cutoff: Date): Promise<number>;
  getById(id: Uuid): Promise<CronExecution>;
  findById(id: Uuid): Promise<CronExecution | null>;
  /** Order scheduled_time DESC, id DESC. */
  getByScheduleId(scheduleId: Uuid, limit: number, offset: number): Promise<CronExecution[]>;
  getByPipelineExecutionId(pipelineId: Uuid): Promise<CronExecution | null>;
  getByTimeRange(start: Date, end: Date, limit: number, offset: number): Promise<CronExecution[]>;
  getLatestBySchedule(scheduleId: Uuid): Promise<CronExecution | null>;
  /** Unlinked and claimed_at < now − N minutes. Order scheduled_time ASC, id ASC. */
  findLostExecutions(olderThanMinutes: number): Promise<CronExecution[]>;
  countBySchedule(scheduleId: Uuid): Promise<number>;
  executionExists(scheduleId: Uuid, scheduledTime: Date): Promise<boolean>;
  getExecutionStats(since: Date, opts?: { lostThresholdMinutes?: number }): Promise<T.CronExecutionStats>;
}

export interface WorkflowPackagesDal {
  /** Insert-if-absent on (name, version); PackageExistsError otherwise. */
  storePackageMetadata(registryId: string, manifest: PackageManifest, storageType?: StorageType): Promise<Uuid>;
  getPackageMetadata(name: string, version: string): Promise<WorkflowPackage | null>;
  getPackageMetadataById(id: string): Promise<WorkflowPackage | null>;
  /** Order package_name ASC, version ASC, id ASC (byte-wise). */
  listAllPackages(): Promise<WorkflowPackage[]>;
  deletePackageMetadata(name: string, version: string): Promise<boolean>;
  deletePackageMetadataById(id: string): Promise<boolean>;
}

/** Archive storage, implemented by the DAL (database) and by registry (filesystem). */
export interface RegistryStorage {
  storeBinary(data: Uint8Array): Promise<Uuid>;
  retrieveBinary(id: string): Promise<Uint8Array | null>;
  deleteBinary(id: string): Promise<boolean>;
  storageType(): StorageType;
}

export interface WorkflowRegistryStorageDal extends RegistryStorage {
  storageType(): 'database';
}

export type DalImplementation = 'dal-postgres' | 'dal-sqlite' | 'dal-unified';

export interface Dal {
  readonly backend: 'postgres' | 'sqlite';
  readonly implementation: DalImplementation;
  readonly schema: string | null;

  readonly context: ContextDal;
  readonly pipelineExecution: PipelineExecutionDal;
  readonly taskExecution: TaskExecutionDal;
  readonly taskExecutionMetadata: TaskExecutionMetadataDal;
  readonly recoveryEvent: RecoveryEventDal;
  readonly executionEvent: ExecutionEventDal;
  readonly cronSchedule: CronScheduleDal;
  readonly cronExecution: CronExecutionDal;
  readonly workflowPackages: WorkflowPackagesDal;
  readonly workflowRegistryStorage: WorkflowRegistryStorageDal;
  readonly signals: T.SignalBus;

  /**
   * Runs fn in a transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ COMMITTED).
   * tx.transaction nests with a savepoint. After a DatabaseError the transaction is
   * aborted (TX_ABORTED) and rolled back even if fn resolves. Calling the root DAL
   * inside fn rejects with ConfigurationError.
   */
  transaction<R>(fn: (tx: Dal) => Promise<R>): Promise<R>;
  migrate(): Promise<T.MigrationReport>;
  /** Idempotent; later calls reject with ConfigurationError ("DAL is closed"). */
  close(): Promise<void>;
  poolStats(): T.PoolStats;
}

export type DalFactory = (options: T.DalOptions) => Promise<Dal>;
