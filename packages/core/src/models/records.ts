import type { JsonObject } from '../json.js';
import type { CatchupPolicy, ExecutionEventType, PipelineStatus, RecoveryType, StorageType, TaskStatus } from './vocabulary.js';

/** A lowercase, hyphenated UUID string. */
export type Uuid = string;

export interface ContextRecord {
  id: Uuid;
  value: JsonObject;
  createdAt: Date;
  updatedAt: Date;
}

export interface PipelineExecution {
  id: Uuid;
  pipelineName: string;
  pipelineVersion: string;
  status: PipelineStatus;
  contextId: Uuid | null;
  finalContextId: Uuid | null;
  startedAt: Date;
  completedAt: Date | null;
  errorDetails: string | null;
  recoveryAttempts: number;
  lastRecoveryAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TaskExecution {
  id: Uuid;
  pipelineExecutionId: Uuid;
  taskName: string;
  status: TaskStatus;
  startedAt: Date | null;
  completedAt: Date | null;
  attempt: number;
  maxAttempts: number;
  errorDetails: string | null;
  triggerRules: JsonObject;
  taskConfiguration: JsonObject;
  retryAt: Date | null;
  lastError: string | null;
  recoveryAttempts: number;
  lastRecoveryAt: Date | null;
  claimedBy: string | null;
  heartbeatAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TaskExecutionMetadata {
  id: Uuid;
  taskExecutionId: Uuid;
  pipelineExecutionId: Uuid;
  taskName: string;
  contextId: Uuid | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface RecoveryEvent {
  id: Uuid;
  pipelineExecutionId: Uuid;
  taskExecutionId: Uuid | null;
  recoveryType: RecoveryType;
  recoveredAt: Date;
  details: JsonObject | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ExecutionEvent {
  id: Uuid;
  pipelineExecutionId: Uuid;
  taskExecutionId: Uuid | null;
  eventType: ExecutionEventType;
  eventData: JsonObject | null;
  runnerId: string | null;
  createdAt: Date;
}

export interface CronSchedule {
  id: Uuid;
  workflowName: string;
  cronExpression: string;
  timezone: string;
  enabled: boolean;
  catchupPolicy: CatchupPolicy;
  startDate: Date | null;
  endDate: Date | null;
  nextRunAt: Date;
  lastRunAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CronExecution {
  id: Uuid;
  scheduleId: Uuid;
  pipelineExecutionId: Uuid | null;
  scheduledTime: Date;
  claimedAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface WorkflowRegistryEntry {
  id: Uuid;
  createdAt: Date;
  data: Uint8Array;
}

export interface WorkflowPackage {
  id: Uuid;
  registryId: Uuid;
  packageName: string;
  version: string;
  description: string | null;
  author: string | null;
  metadata: JsonObject;
  storageType: StorageType;
  createdAt: Date;
  updatedAt: Date;
}

/** The package manifest of 03 §14.1, as stored in workflow_packages.metadata. */
export interface PackageManifest {
  formatVersion: number;
  name: string;
  version: string;
  description?: string;
  author?: string;
  entry: string;
  cloacinaVersion: string;
  fingerprint: string;
  workflows: Array<{
    name: string;
    description?: string;
    tasks: Array<{ id: string; dependencies: string[]; description?: string }>;
  }>;
}
