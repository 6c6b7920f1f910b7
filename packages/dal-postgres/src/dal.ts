/**
 * The root DAL object and its transaction-bound twins (02 §3, §2.4, §2.6). Every public
 * method goes through a guard: on the root it refuses calls after close() and calls made
 * from inside one of the root's own transaction callbacks, and counts in-flight calls so
 * close() can wait for them; on a transaction-bound DAL it refuses use after the end
 * ("transaction already finished") and after a database error (TX_ABORTED).
 */
import {
  assertOutsideOwnTransaction,
  ConfigurationError,
  signalHub,
  ValidationError,
  wrapMethods,
  type CallWrapper,
  type Dal,
  type MigrationReport,
} from '@cloacina/core';
import { createContextDal } from './context.js';
import { createCronExecutionDal } from './cron-execution.js';
import { createCronScheduleDal } from './cron-schedule.js';
import { createExecutionEventDal } from './execution-event.js';
import { Exec, type Runtime } from './executor.js';
import type { ListenHandle } from './listen.js';
import { runMigrations } from './migrate.js';
import { createPipelineExecutionDal } from './pipeline-execution.js';
import { createRecoveryEventDal } from './recovery-event.js';
import { createTaskExecutionMetadataDal } from './task-execution-metadata.js';
import { createTaskExecutionDal } from './task-execution/index.js';
import { createWorkflowPackagesDal } from './workflow-packages.js';
import { createWorkflowRegistryStorageDal } from './workflow-registry-storage.js';

/** Lifecycle state shared by a root DAL and every transaction-bound DAL derived from it. */
interface Lifecycle {
  root: Dal | null;
  closed: boolean;
  closing: Promise<void> | null;
  inflight: number;
  idle: Array<() => void>;
  /** Set when migrate() found a newer schema: the DAL refuses every further call (01 §8.3). */
  refused: Error | null;
  listen: ListenHandle | null;
}

function attempt<R>(fn: () => Promise<R>): Promise<R> {
  try {
    return fn();
  } catch (err) {
    return Promise.reject(err);
  }
}

function rootGuard(life: Lifecycle): CallWrapper {
  return (fn) => {
    if (life.closed) return Promise.reject(new ConfigurationError('DAL is closed'));
    try {
      if (life.root) assertOutsideOwnTransaction(life.root);
    } catch (err) {
      return Promise.reject(err);
    }
    if (life.refused) return Promise.reject(life.refused);
    life.inflight++;
    return attempt(fn).finally(() => {
      life.inflight--;
      if (life.inflight === 0) for (const wake of life.idle.splice(0)) wake();
    });
  };
}

function txGuard(e: Exec): CallWrapper {
  return (fn) => {
    try {
      e.ensureUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    return attempt(fn);
  };
}

function buildDal(e: Exec, life: Lifecycle, isRoot: boolean): Dal {
  const rt = e.rt;
  const guard = isRoot ? rootGuard(life) : txGuard(e);
  const dal: Dal = {
    backend: 'postgres',
    implementation: 'dal-postgres',
    schema: rt.schema,
    context: wrapMethods(createContextDal(e), guard),
    pipelineExecution: wrapMethods(createPipelineExecutionDal(e), guard),
    taskExecution: wrapMethods(createTaskExecutionDal(e), guard),
    taskExecutionMetadata: wrapMethods(createTaskExecutionMetadataDal(e), guard),
    recoveryEvent: wrapMethods(createRecoveryEventDal(e), guard),
    executionEvent: wrapMethods(createExecutionEventDal(e), guard),
    cronSchedule: wrapMethods(createCronScheduleDal(e), guard),
    cronExecution: wrapMethods(createCronExecutionDal(e), guard),
    workflowPackages: wrapMethods(createWorkflowPackagesDal(e), guard),
    workflowRegistryStorage: wrapMethods(createWorkflowRegistryStorageDal(e), guard),
    signals: signalHub.bus(rt.signalKey),

    transaction<R>(fn: (tx: Dal) => Promise<R>): Promise<R> {
      if (typeof fn !== 'function') return Promise.reject(new ValidationError('transaction() needs a callback', { field: 'fn' }));
      return guard(() => e.userTransaction((inner) => fn(buildDal(inner, life, false)), life.root!));
    },

    migrate(): Promise<MigrationReport> {
      if (!isRoot) return Promise.reject(new ConfigurationError('migrate() cannot run inside a transaction; call it on the root DAL'));
      return guard(() =>
        runMigrations(e, rt.schema).catch((err: unknown) => {
          if (err instanceof ConfigurationError && /newer than this library/.test(err.message)) life.refused = err;
          throw err;
        }),
      );
    },

    close(): Promise<void> {
      if (!isRoot) return Promise.reject(new ConfigurationError('close() cannot be called on a transaction-bound DAL'));
      try {
        if (life.root) assertOutsideOwnTransaction(life.root);
      } catch (err) {
        return Promise.reject(err);
      }
      life.closed = true;
      life.closing ??= (async () => {
        if (life.inflight > 0) await new Promise<void>((resolve) => life.idle.push(resolve));
        await life.listen?.release();
        await rt.pool.end();
      })();
      return life.closing;
    },

    poolStats: () => rt.pool.stats(),
  };
  return dal;
}

/** Builds the root DAL over a prepared runtime (the factory has validated and connected). */
export function createRootDal(rt: Runtime, listen: ListenHandle | null): Dal {
  const life: Lifecycle = { root: null, closed: false, closing: null, inflight: 0, idle: [], refused: null, listen };
  const root = buildDal(new Exec(rt), life, true);
  life.root = root;
  return root;
}
