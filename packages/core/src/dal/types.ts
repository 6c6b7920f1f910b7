import type { JsonObject } from '../json.js';
import type { CatchupPolicy, ExecutionEventType, PipelineStatus, RecoveryType, TaskStatus } from '../models/vocabulary.js';
import type { PipelineExecution, TaskExecution, TaskExecutionMetadata, Uuid } from '../models/records.js';
import type { ClaimLostError, NotFoundError } from '../errors/index.js';

export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

export type SqliteSynchronous = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

/** Options every DAL factory accepts (02 §2.1). */
export interface DalOptions {
  url: string;
  /** PostgreSQL tenant schema (01 §10); a ConfigurationError with SQLite. */
  schema?: string;
  /** PostgreSQL default 10; SQLite default 1 (in-memory: always 1). */
  poolSize?: number;
  /** Default 30 000; then DatabaseError code POOL_TIMEOUT. */
  acquireTimeoutMs?: number;
  /** runner_id written on events by non-fenced methods. */
  runnerId?: string;
  clock?: () => Date;
  idGenerator?: () => string;
  sqlite?: { busyTimeoutMs?: number; synchronous?: SqliteSynchronous };
  /** PostgreSQL LISTEN for cross-process signals, default true. */
  listen?: boolean;
  logger?: Logger;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface MigrationReport {
  applied: { version: number; name: string }[];
  current: number;
}

export interface Signal {
  type: ExecutionEventType;
  pipelineExecutionId: Uuid;
  /** null when the coalesced events concern more than one task, or none. */
  taskExecutionId: Uuid | null;
  schema: string | null;
}

export interface SignalBus {
  /** Delivers signals after their transaction commits; returns an unsubscribe function. */
  subscribe(listener: (s: Signal) => void): () => void;
}

export interface NewPipelineExecution {
  pipelineName: string;
  pipelineVersion?: string;
  status?: PipelineStatus;
  contextId?: Uuid | null;
}

export interface NewTaskSpec {
  taskName: string;
  maxAttempts: number;
  triggerRules: JsonObject;
  taskConfiguration: JsonObject;
}

export interface NewPipelineWithTasks {
  pipelineName: string;
  pipelineVersion: string;
  inputContext: JsonObject;
  tasks: NewTaskSpec[];
}

export interface CreatedPipeline {
  pipeline: PipelineExecution;
  tasks: TaskExecution[];
  contextId: Uuid | null;
}

export type FinalizeResult =
  | { outcome: 'finalized'; status: 'Completed' | 'Failed'; errorDetails: string | null; contextId: Uuid | null }
  | { outcome: 'already_terminal'; status: PipelineStatus }
  | { outcome: 'not_finished'; remaining: number };

export interface NewTaskExecution {
  pipelineExecutionId: Uuid;
  taskName: string;
  status?: TaskStatus;
  attempt?: number;
  maxAttempts?: number;
  triggerRules?: JsonObject;
  taskConfiguration?: JsonObject;
  /** Required iff status is Running. */
  claimedBy?: string;
}

export interface ClaimResult {
  id: Uuid;
  pipelineExecutionId: Uuid;
  taskName: string;
  attempt: number;
  maxAttempts: number;
  taskConfiguration: JsonObject;
}

/** One finished attempt handed to `completeManyWithOutput`. */
export interface CompletionItem {
  id: Uuid;
  output: JsonObject;
}

/**
 * What `completeManyWithOutput` did with one item: completed (with the id of the stored output
 * context, null when the output was empty), or not written because the fence refused it
 * (`ClaimLostError`) or the row does not exist (`NotFoundError`).
 */
export type CompletionOutcome =
  | { id: Uuid; ok: true; contextId: Uuid | null }
  | { id: Uuid; ok: false; error: ClaimLostError | NotFoundError };

export type ReadinessDecision = { id: Uuid; outcome: 'Ready' } | { id: Uuid; outcome: 'Skipped'; reason: string };

export interface LeaseGuard {
  claimedBy: string;
  heartbeatBefore?: Date;
}

export interface RetryStats {
  tasksWithRetries: number;
  totalRetries: number;
  maxAttemptsUsed: number;
  tasksExhaustedRetries: number;
}

export interface TaskNamespaceLike {
  tenantId: string;
  packageName: string;
  workflowId: string;
  taskId: string;
}

export interface NewTaskExecutionMetadata {
  taskExecutionId: Uuid;
  pipelineExecutionId: Uuid;
  taskName: string;
  contextId?: Uuid | null;
}

export interface MetadataWithContext {
  metadata: TaskExecutionMetadata;
  context: JsonObject | null;
}

export interface NewRecoveryEvent {
  pipelineExecutionId: Uuid;
  taskExecutionId?: Uuid | null;
  recoveryType: RecoveryType;
  details?: JsonObject | null;
}

export interface NewExecutionEvent {
  pipelineExecutionId: Uuid;
  taskExecutionId?: Uuid | null;
  eventType: ExecutionEventType;
  eventData?: JsonObject | null;
  runnerId?: string | null;
}

export interface NewCronSchedule {
  workflowName: string;
  cronExpression: string;
  timezone?: string;
  enabled?: boolean;
  catchupPolicy?: CatchupPolicy;
  startDate?: Date | null;
  endDate?: Date | null;
  nextRunAt: Date;
}

export interface CronClaim {
  expectedNextRunAt: Date;
  now: Date;
  lastRunAt: Date;
  nextRunAt: Date;
}

export interface CronScheduleUpdate {
  cronExpression?: string;
  timezone?: string;
  catchupPolicy?: CatchupPolicy;
  nextRunAt: Date;
}

export interface NewCronExecution {
  scheduleId: Uuid;
  scheduledTime: Date;
  pipelineExecutionId?: Uuid | null;
  claimedAt?: Date;
}

export interface CronExecutionStats {
  totalExecutions: number;
  successfulExecutions: number;
  lostExecutions: number;
  successRate: number;
}

export interface TenantCredentials {
  schema: string;
  username: string;
  password: string;
  connectionString: string;
}

/** PostgreSQL tenant provisioning (02 §2.7, 03 §15). */
export interface TenantAdmin {
  createTenant(schema: string, username: string, password?: string): Promise<TenantCredentials>;
  removeTenant(schema: string, username: string): Promise<{ schemaDropped: boolean; roleDropped: boolean }>;
  close(): Promise<void>;
}
