/**
 * The root DAL object: construction, transactions, signals, migrations, lifecycle and pool
 * statistics. Modules are built once per scope: once for the root, and once per transaction
 * level for its transaction-bound DAL.
 */
import {
  assertLedgerNotNewer,
  assertOutsideOwnTransaction,
  checkFirst,
  ConfigurationError,
  drawId,
  readClock,
  signalChannelKey,
  signalHub,
  wrapMethods,
  type Dal,
  type DalOptions,
  type Signal,
} from '@cloacina/core';
import { createContextDal } from './context.js';
import { createCronExecutionDal } from './cron-execution.js';
import { createCronScheduleDal } from './cron-schedule.js';
import { createExecutionEventDal } from './execution-event.js';
import { readLedger, runMigrations } from './migrate.js';
import { resolveOptions } from './options.js';
import { createPipelineExecutionDal } from './pipeline-execution/index.js';
import { Pool } from './pool.js';
import { createRecoveryEventDal } from './recovery-event.js';
import { RootScope, type Env, type RootHost, type Scope } from './scope.js';
import { nestedTransaction, rootTransaction, TxScope, type TxLevel } from './transaction.js';
import { createTaskExecutionMetadataDal } from './task-execution-metadata.js';
import { createTaskExecutionDal } from './task-execution/index.js';
import { createWorkflowPackagesDal } from './workflow-packages.js';
import { createWorkflowRegistryStorageDal } from './workflow-registry-storage.js';

/**
 * The modules of one scope, each method guarded by the scope's entry check (closed DAL, root
 * call inside its own transaction, finished or aborted transaction) before its arguments.
 */
function modules(scope: Scope, check: () => void) {
  const guard = checkFirst(check);
  return {
    context: wrapMethods(createContextDal(scope), guard),
    pipelineExecution: wrapMethods(createPipelineExecutionDal(scope), guard),
    taskExecution: wrapMethods(createTaskExecutionDal(scope), guard),
    taskExecutionMetadata: wrapMethods(createTaskExecutionMetadataDal(scope), guard),
    recoveryEvent: wrapMethods(createRecoveryEventDal(scope), guard),
    executionEvent: wrapMethods(createExecutionEventDal(scope), guard),
    cronSchedule: wrapMethods(createCronScheduleDal(scope), guard),
    cronExecution: wrapMethods(createCronExecutionDal(scope), guard),
    workflowPackages: wrapMethods(createWorkflowPackagesDal(scope), guard),
    workflowRegistryStorage: wrapMethods(createWorkflowRegistryStorageDal(scope), guard),
  };
}

/**
 * Opens a SQLite database with the legacy hand-written-SQL DAL. Validates the options, opens
 * the writer connection (failing fast), applies the pragmas and refuses a database whose
 * ledger is newer than this library. It does not migrate: call `migrate()`.
 */
export async function createSqliteDal(options: DalOptions): Promise<Dal> {
  const cfg = resolveOptions(options);
  const key = signalChannelKey(cfg.target, null);
  const pool = await Pool.open(cfg.spec, cfg.poolSize, cfg.acquireTimeoutMs, key);
  try {
    assertLedgerNotNewer(await readLedger(pool.writer));
  } catch (err) {
    await pool.close().catch(() => undefined);
    throw err;
  }
  cfg.logger?.debug('dal-sqlite opened', { url: cfg.target.masked, poolSize: cfg.poolSize });

  const env: Env = {
    // One clock reading per call; a clock returning garbage must not reach the database.
    now: () => readClock(cfg.clock),
    newId: () => drawId(cfg.idGenerator),
    runnerId: cfg.runnerId,
  };

  const identity = {};
  let closed = false;
  let closing: Promise<void> | null = null;
  let refused: ConfigurationError | null = null;
  const bus = signalHub.bus(key);

  const host: RootHost = {
    pool,
    identity,
    enter() {
      if (closed) throw new ConfigurationError('DAL is closed');
      assertOutsideOwnTransaction(identity);
      if (refused) throw refused;
    },
    publish(signals: Signal[]) {
      signalHub.publish(key, signals);
    },
  };

  const common = {
    backend: 'sqlite' as const,
    implementation: 'dal-sqlite' as const,
    schema: null,
    signals: bus,
    poolStats: () => pool.stats(),
  };

  const makeTxDal = (level: TxLevel): Dal => ({
    ...common,
    ...modules(new TxScope(env, level), () => level.ensureUsable()),
    transaction: (fn) => nestedTransaction(level, identity, makeTxDal, fn),
    migrate: () => Promise.reject(new ConfigurationError('migrate() cannot run inside a transaction; call it on the root DAL')),
    close: () => Promise.reject(new ConfigurationError('close() cannot be called on a transaction-bound DAL')),
  });

  const root: Dal = {
    ...common,
    ...modules(new RootScope(env, host), () => host.enter()),
    transaction: (fn) => rootTransaction(host, makeTxDal, fn),
    async migrate() {
      host.enter();
      try {
        return await runMigrations((fn) => pool.withWriter(fn), (fn) => pool.withWrite(fn), env.now);
      } catch (err) {
        // A newer schema version is refused for every later call too (01 §8.3).
        if (err instanceof ConfigurationError && /is newer than this library/.test(err.message)) refused = err;
        throw err;
      }
    },
    async close() {
      assertOutsideOwnTransaction(identity);
      if (!closing) {
        closed = true;
        closing = pool.close();
      }
      return closing;
    },
  };
  return root;
}
