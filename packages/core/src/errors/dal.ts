import { CloacinaError, maskUrlPasswords } from './base.js';

export type NotFoundEntity =
  | 'Context'
  | 'PipelineExecution'
  | 'TaskExecution'
  | 'TaskExecutionMetadata'
  | 'CronSchedule'
  | 'CronExecution';

export class NotFoundError extends CloacinaError {
  readonly entity: NotFoundEntity;
  readonly id: string;
  constructor(entity: NotFoundEntity, id: string) {
    super('NOT_FOUND', `${entity} not found: ${id}`);
    this.entity = entity;
    this.id = id;
  }
}

export class ClaimLostError extends CloacinaError {
  readonly taskExecutionId: string;
  readonly runnerId: string;
  readonly currentStatus: string;
  readonly currentOwner: string | null;
  constructor(taskExecutionId: string, runnerId: string, currentStatus: string, currentOwner: string | null) {
    super(
      'CLAIM_LOST',
      `Claim lost on task execution ${taskExecutionId}: held by ${currentOwner ?? 'nobody'}, status ${currentStatus}`,
    );
    this.taskExecutionId = taskExecutionId;
    this.runnerId = runnerId;
    this.currentStatus = currentStatus;
    this.currentOwner = currentOwner;
  }
}

export type ValidationReason =
  | 'InvalidLength'
  | 'InvalidStart'
  | 'InvalidCharacters'
  | 'ReservedName'
  | (string & {});

export class ValidationError extends CloacinaError {
  readonly field: string | undefined;
  readonly reason: ValidationReason | undefined;
  constructor(message: string, opts: { field?: string; reason?: ValidationReason; code?: string; cause?: unknown } = {}) {
    super(opts.code ?? 'VALIDATION', message, { cause: opts.cause });
    this.field = opts.field;
    this.reason = opts.reason;
  }
}

export class ConfigurationError extends CloacinaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIGURATION', maskUrlPasswords(message), options);
  }
}

export type Backend = 'postgres' | 'sqlite';

export class DatabaseError extends CloacinaError {
  readonly backend: Backend;
  readonly dbCode: string;
  readonly transient: boolean;
  constructor(
    message: string,
    opts: { backend: Backend; dbCode: string; transient?: boolean; cause?: unknown; code?: string },
  ) {
    super(opts.code ?? 'DATABASE', maskUrlPasswords(message), { cause: opts.cause });
    this.backend = opts.backend;
    this.dbCode = opts.dbCode;
    this.transient = opts.transient ?? false;
  }
}

export type ConstraintKind = 'unique' | 'foreign_key' | 'check' | 'not_null';

export class ConstraintError extends DatabaseError {
  readonly kind: ConstraintKind;
  readonly constraint: string | undefined;
  constructor(kind: ConstraintKind, opts: { backend: Backend; dbCode: string; constraint?: string; cause?: unknown }) {
    super(`${kind} constraint violated (${opts.constraint ?? 'unknown'})`, { ...opts, code: 'CONSTRAINT' });
    this.kind = kind;
    this.constraint = opts.constraint;
  }
}

export class PackageExistsError extends CloacinaError {
  readonly packageName: string;
  readonly version: string;
  constructor(packageName: string, version: string) {
    super('PACKAGE_EXISTS', `Package already exists: ${packageName} v${version}`);
    this.packageName = packageName;
    this.version = version;
  }
}

export class DuplicateCronExecutionError extends CloacinaError {
  readonly scheduleId: string;
  readonly scheduledTime: Date;
  constructor(scheduleId: string, scheduledTime: Date) {
    super(
      'DUPLICATE_CRON_EXECUTION',
      `Cron execution already recorded for schedule ${scheduleId} at ${scheduledTime.toISOString()}`,
    );
    this.scheduleId = scheduleId;
    this.scheduledTime = scheduledTime;
  }
}
