/**
 * The root object (02 §3): module objects bound to a scope, transactions (a transaction-bound
 * object of the same shape per transaction), signals, migrate, close and pool statistics.
 */
import {
  assertOutsideOwnTransaction,
  checkFirst,
  ConfigurationError,
  wrapMethods,
  type ContextDal,
  type CronExecutionDal,
  type CronScheduleDal,
  type Dal,
  type ExecutionEventDal,
  type MigrationReport,
  type PipelineExecutionDal,
  type PoolStats,
  type RecoveryEventDal,
  type SignalBus,
  type TaskExecutionDal,
  type TaskExecutionMetadataDal,
  type WorkflowPackagesDal,
  type WorkflowRegistryStorageDal,
} from '@cloacina/core';
import { contextDal } from './context.js';
import { cronExecutionDal } from './cron-execution/index.js';
import { cronScheduleDal } from './cron-schedule/index.js';
import { runMigrations } from './data-source.js';
import { executionEventDal } from './execution-event.js';
import { pipelineExecutionDal } from './pipeline-execution.js';
import { recoveryEventDal } from './recovery-event.js';
import type { Runtime, Scope } from './shared/index.js';
import { taskExecutionDal } from './task-execution/index.js';
import { taskExecutionMetadataDal } from './task-execution-metadata.js';
import { workflowPackagesDal } from './workflow-packages.js';
import { workflowRegistryStorageDal } from './workflow-registry-storage.js';

/** What only the root object owns: shutting down. */
export interface Lifecycle {
  stopSignals: () => Promise<void>;
  closing: Promise<void> | null;
}

interface Modules {
  context?: ContextDal;
  pipelineExecution?: PipelineExecutionDal;
  taskExecution?: TaskExecutionDal;
  taskExecutionMetadata?: TaskExecutionMetadataDal;
  recoveryEvent?: RecoveryEventDal;
  executionEvent?: ExecutionEventDal;
  cronSchedule?: CronScheduleDal;
  cronExecution?: CronExecutionDal;
  workflowPackages?: WorkflowPackagesDal;
  workflowRegistryStorage?: WorkflowRegistryStorageDal;
}

/**
 * Wraps every async method of a module so that the scope's guard runs before argument
 * validation: a call on a finished or aborted transaction, on a closed DAL, or on the root DAL
 * inside its own transaction fails the same way whatever its arguments (as the legacy DALs do).
 */
function guardFirst<M extends object>(module: M, scope: Scope): M {
  return wrapMethods(module, checkFirst(() => scope.guard()));
}

/**
 * One class for the root DAL and every transaction-bound DAL; only the scope differs. Module
 * objects are built on first use (a transaction usually touches one or two modules), and the
 * methods are closures, so they may be called detached from their object.
 */
export class UnifiedDal implements Dal {
  readonly backend: 'postgres' | 'sqlite';
  readonly implementation = 'dal-unified' as const;
  readonly schema: string | null;
  readonly signals: SignalBus;
  private readonly rt: Runtime;
  private readonly m: Modules = {};

  constructor(
    private readonly scope: Scope,
    private readonly life: Lifecycle | null,
  ) {
    this.rt = scope.rt;
    this.backend = this.rt.backend;
    this.schema = this.rt.schema;
    this.signals = this.rt.bus;
  }

  get context(): ContextDal {
    return (this.m.context ??= guardFirst(contextDal(this.scope), this.scope));
  }
  get pipelineExecution(): PipelineExecutionDal {
    return (this.m.pipelineExecution ??= guardFirst(pipelineExecutionDal(this.scope), this.scope));
  }
  get taskExecution(): TaskExecutionDal {
    return (this.m.taskExecution ??= guardFirst(taskExecutionDal(this.scope), this.scope));
  }
  get taskExecutionMetadata(): TaskExecutionMetadataDal {
    return (this.m.taskExecutionMetadata ??= guardFirst(taskExecutionMetadataDal(this.scope), this.scope));
  }
  get recoveryEvent(): RecoveryEventDal {
    return (this.m.recoveryEvent ??= guardFirst(recoveryEventDal(this.scope), this.scope));
  }
  get executionEvent(): ExecutionEventDal {
    return (this.m.executionEvent ??= guardFirst(executionEventDal(this.scope), this.scope));
  }
  get cronSchedule(): CronScheduleDal {
    return (this.m.cronSchedule ??= guardFirst(cronScheduleDal(this.scope), this.scope));
  }
  get cronExecution(): CronExecutionDal {
    return (this.m.cronExecution ??= guardFirst(cronExecutionDal(this.scope), this.scope));
  }
  get workflowPackages(): WorkflowPackagesDal {
    return (this.m.workflowPackages ??= guardFirst(workflowPackagesDal(this.scope), this.scope));
  }
  get workflowRegistryStorage(): WorkflowRegistryStorageDal {
    return (this.m.workflowRegistryStorage ??= guardFirst(workflowRegistryStorageDal(this.scope), this.scope));
  }

  /** Root: BEGIN (IMMEDIATE on SQLite) … COMMIT. Transaction-bound: a savepoint. */
  transaction = <R>(fn: (tx: Dal) => Promise<R>): Promise<R> => {
    if (typeof fn !== 'function') return Promise.reject(new ConfigurationError('transaction() needs a callback'));
    return this.scope.transaction((inner) => fn(new UnifiedDal(inner, null)));
  };

  migrate = async (): Promise<MigrationReport> => {
    if (!this.life) throw new ConfigurationError('migrate() cannot run inside a transaction; call it on the root DAL');
    return runMigrations(this.scope);
  };

  close = async (): Promise<void> => {
    const life = this.life;
    if (!life) throw new ConfigurationError('close() cannot be called on a transaction-bound DAL');
    // Waiting for in-flight calls from inside one of them would never finish.
    assertOutsideOwnTransaction(this.rt.token);
    if (!life.closing) {
      this.rt.closed = true;
      life.closing = (async () => {
        await this.rt.drained();
        await life.stopSignals().catch(() => undefined);
        await this.rt.d.beforeDestroy?.();
        if (this.rt.ds.isInitialized) await this.rt.ds.destroy();
      })();
    }
    return life.closing;
  };

  poolStats = (): PoolStats => this.rt.d.poolStats(this.rt.closed && !this.rt.ds.isInitialized ? null : this.rt.ds);
}
