import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigurationError,
  detectBackend,
  isMemoryTarget,
  newId,
  SQLITE_SCHEMA_MESSAGE,
  validateSchemaName,
  type Dal,
  type Logger,
  type SqliteSynchronous,
  type Workflow,
  type WorkflowOptions,
} from '@cloacina/core';
import { consoleLogger } from './logger.js';

/** Options of `DefaultRunner.create()` (03 §12.2). Only `databaseUrl` is required. */
export interface DefaultRunnerOptions {
  /** `postgres://…`, `sqlite://path`, `sqlite::memory:`, `file:…` or a `.db` path. Optional only when `dal` is an instance. */
  databaseUrl?: string;
  /** PostgreSQL tenant schema, created by `migrate()` if missing. */
  schema?: string;
  /** `'unified'` (default), `'legacy'` (the per-backend DAL), or an open `Dal` the runner uses but never closes. */
  dal?: 'unified' | 'legacy' | Dal;
  /** Lease owner id. Give each process a stable id to get immediate reclaim after a crash. */
  runnerId?: string;
  /** Free-form label used in logs. */
  runnerName?: string;
  /** Workflows registered at start: built `Workflow`s or the options `workflow()` takes. */
  workflows?: readonly (Workflow | WorkflowOptions)[];
  maxConcurrentTasks?: number;
  executorPollIntervalMs?: number;
  schedulerPollIntervalMs?: number;
  taskTimeoutMs?: number;
  /** Default wait limit of `execute()`; `null` waits forever. */
  pipelineTimeoutMs?: number | null;
  resultPollIntervalMs?: number;
  dbPoolSize?: number;
  enableScheduler?: boolean;
  enableExecutor?: boolean;
  enableRecovery?: boolean;
  heartbeatIntervalMs?: number;
  staleClaimSweepIntervalMs?: number;
  staleClaimThresholdMs?: number;
  maxRecoveryAttempts?: number;
  abandonUnknownWorkflows?: boolean;
  shutdownTimeoutMs?: number;
  // Cron (03 §13): validated now, used by the cron service.
  enableCronScheduling?: boolean;
  cronPollIntervalMs?: number;
  cronMaxCatchupExecutions?: number;
  cronMaxAcceptableDelayMs?: number;
  cronEnableRecovery?: boolean;
  cronRecoveryIntervalMs?: number;
  cronLostThresholdMinutes?: number;
  cronMaxRecoveryAgeMs?: number;
  cronMaxRecoveryAttempts?: number;
  // Package registry (03 §14): validated now, used by the registry reconciler.
  enableRegistryReconciler?: boolean;
  registryReconcileIntervalMs?: number;
  registryEnableStartupReconciliation?: boolean;
  registryStorageBackend?: 'database' | 'filesystem';
  registryStoragePath?: string;
  registryExtractPath?: string;
  maxPackageBytes?: number;
  sqlite?: { busyTimeoutMs?: number; synchronous?: SqliteSynchronous };
  /** PostgreSQL LISTEN/NOTIFY for cross-process wake-ups. */
  listenNotify?: boolean;
  logger?: Logger;
  /** Time source (tests). */
  clock?: () => Date;
  /** Uniform [0, 1) source for retry jitter (tests). */
  random?: () => number;
}

type Defaults = Omit<
  DefaultRunnerOptions,
  'databaseUrl' | 'schema' | 'runnerId' | 'runnerName' | 'registryStoragePath' | 'dbPoolSize' | 'logger' | 'clock' | 'random' | 'dal'
>;

/** The `DefaultRunnerConfig` table of 03 §12.2. */
export const RUNNER_DEFAULTS = Object.freeze({
  workflows: [],
  maxConcurrentTasks: 4,
  executorPollIntervalMs: 100,
  schedulerPollIntervalMs: 100,
  taskTimeoutMs: 300_000,
  pipelineTimeoutMs: 3_600_000,
  resultPollIntervalMs: 500,
  enableScheduler: true,
  enableExecutor: true,
  enableRecovery: true,
  heartbeatIntervalMs: 10_000,
  staleClaimSweepIntervalMs: 30_000,
  staleClaimThresholdMs: 60_000,
  maxRecoveryAttempts: 3,
  abandonUnknownWorkflows: false,
  shutdownTimeoutMs: 30_000,
  enableCronScheduling: true,
  cronPollIntervalMs: 30_000,
  cronMaxCatchupExecutions: 100,
  cronMaxAcceptableDelayMs: 300_000,
  cronEnableRecovery: true,
  cronRecoveryIntervalMs: 300_000,
  cronLostThresholdMinutes: 10,
  cronMaxRecoveryAgeMs: 86_400_000,
  cronMaxRecoveryAttempts: 3,
  enableRegistryReconciler: true,
  registryReconcileIntervalMs: 60_000,
  registryEnableStartupReconciliation: true,
  registryStorageBackend: 'database',
  registryExtractPath: join(tmpdir(), 'cloacina_packages'),
  maxPackageBytes: 100 * 1024 * 1024,
  sqlite: { busyTimeoutMs: 30_000, synchronous: 'NORMAL' },
  listenNotify: true,
} satisfies Required<Defaults>);

type Required2<T> = { readonly [K in keyof T]-?: Exclude<T[K], undefined> };

/** Every option resolved to its final value. */
export interface RunnerConfig
  extends Required2<Omit<DefaultRunnerOptions, 'databaseUrl' | 'schema' | 'runnerName' | 'registryStoragePath' | 'dal' | 'pipelineTimeoutMs' | 'sqlite'>> {
  readonly databaseUrl: string | undefined;
  readonly backend: 'postgres' | 'sqlite';
  readonly schema: string | undefined;
  readonly dal: 'unified' | 'legacy' | Dal;
  readonly runnerName: string | undefined;
  readonly registryStoragePath: string | undefined;
  readonly pipelineTimeoutMs: number | null;
  readonly sqlite: { readonly busyTimeoutMs: number; readonly synchronous: SqliteSynchronous };
}

/** setTimeout's upper bound; a longer interval would silently fire at once. */
export const MAX_DELAY_MS = 2_147_483_647;

const MS_OPTIONS = [
  'executorPollIntervalMs',
  'schedulerPollIntervalMs',
  'taskTimeoutMs',
  'resultPollIntervalMs',
  'heartbeatIntervalMs',
  'staleClaimSweepIntervalMs',
  'staleClaimThresholdMs',
  'shutdownTimeoutMs',
  'cronPollIntervalMs',
  'cronMaxAcceptableDelayMs',
  'cronRecoveryIntervalMs',
  'cronMaxRecoveryAgeMs',
  'registryReconcileIntervalMs',
] as const;
const COUNT_OPTIONS = ['maxConcurrentTasks', 'cronMaxCatchupExecutions', 'cronLostThresholdMinutes', 'cronMaxRecoveryAttempts', 'maxPackageBytes'] as const;
const BOOLEAN_OPTIONS = [
  'enableScheduler',
  'enableExecutor',
  'enableRecovery',
  'abandonUnknownWorkflows',
  'enableCronScheduling',
  'cronEnableRecovery',
  'enableRegistryReconciler',
  'registryEnableStartupReconciliation',
  'listenNotify',
] as const;
const OTHER_OPTIONS = [
  'databaseUrl', 'schema', 'dal', 'runnerId', 'runnerName', 'workflows', 'pipelineTimeoutMs', 'dbPoolSize', 'maxRecoveryAttempts',
  'registryStorageBackend', 'registryStoragePath', 'registryExtractPath', 'sqlite', 'logger', 'clock', 'random',
] as const;
export const KNOWN_OPTIONS: readonly string[] = [...OTHER_OPTIONS, ...MS_OPTIONS, ...COUNT_OPTIONS, ...BOOLEAN_OPTIONS];
const SYNCHRONOUS_MODES: readonly SqliteSynchronous[] = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function invalid(name: string, expected: string, value: unknown): ConfigurationError {
  return new ConfigurationError(`Invalid runner option '${name}': expected ${expected}, got ${show(value)}`);
}

function integerIn(name: string, value: unknown, min: number, max: number, expected: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw invalid(name, expected, value);
  return value;
}

const milliseconds = (name: string, value: unknown) =>
  integerIn(name, value, 1, MAX_DELAY_MS, `a whole number of milliseconds between 1 and ${MAX_DELAY_MS}`);
const positiveCount = (name: string, value: unknown) => integerIn(name, value, 1, Number.MAX_SAFE_INTEGER, 'a positive integer');

/** Levenshtein distance, to suggest the option a typo meant. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

function unknownOption(name: string, candidates: readonly string[] = KNOWN_OPTIONS, prefix = ''): ConfigurationError {
  const best = candidates.map((k) => ({ k, d: distance(name.toLowerCase(), k.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
  const hint = best !== undefined && best.d <= 3 ? ` (did you mean '${prefix}${best.k}'?)` : '';
  return new ConfigurationError(`Unknown runner option '${prefix}${name}'${hint}`);
}

export function isDalInstance(value: unknown): value is Dal {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<Dal>;
  return typeof v.transaction === 'function' && typeof v.migrate === 'function' && typeof v.taskExecution === 'object' && typeof v.signals === 'object';
}

function isLogger(value: unknown): value is Logger {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return ['debug', 'info', 'warn', 'error'].every((k) => typeof v[k] === 'function');
}

function resolveSqlite(value: unknown): RunnerConfig['sqlite'] {
  const defaults = RUNNER_DEFAULTS.sqlite;
  if (value === undefined) return defaults as RunnerConfig['sqlite'];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('sqlite', 'an object { busyTimeoutMs?, synchronous? }', value);
  const v = value as Record<string, unknown>;
  const extra = Object.keys(v).find((k) => k !== 'busyTimeoutMs' && k !== 'synchronous');
  if (extra !== undefined) throw unknownOption(extra, ['busyTimeoutMs', 'synchronous'], 'sqlite.');
  const busyTimeoutMs =
    v.busyTimeoutMs === undefined ? defaults.busyTimeoutMs : integerIn('sqlite.busyTimeoutMs', v.busyTimeoutMs, 0, MAX_DELAY_MS, 'a non-negative whole number of milliseconds');
  const synchronous = v.synchronous === undefined ? defaults.synchronous : v.synchronous;
  if (!SYNCHRONOUS_MODES.includes(synchronous as SqliteSynchronous)) throw invalid('sqlite.synchronous', `one of ${SYNCHRONOUS_MODES.join(', ')}`, synchronous);
  return { busyTimeoutMs, synchronous: synchronous as SqliteSynchronous };
}

/**
 * Validates every option and fills in the defaults (03 §12.1 step 1). Nothing is opened here,
 * so a mistake is reported before any connection is made. Problems with a value are
 * `ConfigurationError`s naming the option; an invalid schema name is core's `ValidationError`
 * (with its `reason`), as for every other entry point that takes a schema.
 */
export function resolveRunnerConfig(options: DefaultRunnerOptions): RunnerConfig {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigurationError('DefaultRunner.create() needs an options object, e.g. { databaseUrl: "sqlite://app.db" }');
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!KNOWN_OPTIONS.includes(key)) throw unknownOption(key);
  const pick = <K extends keyof typeof RUNNER_DEFAULTS>(k: K) => (o[k] === undefined ? RUNNER_DEFAULTS[k] : o[k]);

  // Which DAL, and so which backend.
  const dalOption = o.dal ?? 'unified';
  if (dalOption !== 'unified' && dalOption !== 'legacy' && !isDalInstance(dalOption)) {
    throw invalid('dal', "'unified', 'legacy' or a Dal instance", dalOption);
  }
  const dalInstance = isDalInstance(dalOption) ? dalOption : undefined;
  let backend: 'postgres' | 'sqlite';
  const databaseUrl = o.databaseUrl as string | undefined;
  if (dalInstance !== undefined && databaseUrl === undefined) {
    backend = dalInstance.backend;
  } else {
    const target = detectBackend(databaseUrl); // ConfigurationError: "Database URL is required" / unrecognised URL
    backend = target.backend;
    if (dalInstance !== undefined && dalInstance.backend !== backend) {
      throw new ConfigurationError(`Runner option 'dal' is a ${dalInstance.backend} DAL but databaseUrl is a ${backend} URL`);
    }
    if (o.dbPoolSize !== undefined && isMemoryTarget(target) && o.dbPoolSize !== 1) {
      throw new ConfigurationError(`An in-memory SQLite database accepts only dbPoolSize 1 (got ${show(o.dbPoolSize)})`);
    }
  }

  let schema: string | undefined;
  if (o.schema !== undefined) {
    if (backend === 'sqlite') throw new ConfigurationError(SQLITE_SCHEMA_MESSAGE);
    schema = validateSchemaName(o.schema);
    if (dalInstance !== undefined && dalInstance.schema !== schema) {
      throw new ConfigurationError(`Runner option 'schema' is '${schema}' but the given DAL uses ${dalInstance.schema === null ? 'no schema' : `'${dalInstance.schema}'`}`);
    }
  }

  const ms = Object.fromEntries(MS_OPTIONS.map((k) => [k, milliseconds(k, pick(k))])) as Record<(typeof MS_OPTIONS)[number], number>;
  const counts = Object.fromEntries(COUNT_OPTIONS.map((k) => [k, positiveCount(k, pick(k))])) as Record<(typeof COUNT_OPTIONS)[number], number>;
  const flags = Object.fromEntries(
    BOOLEAN_OPTIONS.map((k) => {
      const v = pick(k);
      if (typeof v !== 'boolean') throw invalid(k, 'true or false', v);
      return [k, v];
    }),
  ) as Record<(typeof BOOLEAN_OPTIONS)[number], boolean>;

  if (ms.heartbeatIntervalMs * 2 > ms.staleClaimThresholdMs) {
    throw new ConfigurationError(
      `heartbeatIntervalMs (${ms.heartbeatIntervalMs}) × 2 must not exceed staleClaimThresholdMs (${ms.staleClaimThresholdMs}); ` +
        'otherwise the claims of a live runner could be recovered as stale',
    );
  }
  const pipelineTimeoutMs = o.pipelineTimeoutMs === null ? null : milliseconds('pipelineTimeoutMs', pick('pipelineTimeoutMs'));
  const maxRecoveryAttempts = integerIn('maxRecoveryAttempts', pick('maxRecoveryAttempts'), 0, Number.MAX_SAFE_INTEGER, 'a non-negative integer');
  const dbPoolSize = o.dbPoolSize === undefined ? (backend === 'postgres' ? 10 : 1) : positiveCount('dbPoolSize', o.dbPoolSize);

  const runnerId = o.runnerId === undefined ? newId() : o.runnerId;
  if (typeof runnerId !== 'string' || runnerId.trim().length === 0 || runnerId.length > 255) {
    throw invalid('runnerId', 'a non-empty string of at most 255 characters', runnerId);
  }
  if (o.runnerName !== undefined && typeof o.runnerName !== 'string') throw invalid('runnerName', 'a string', o.runnerName);
  const workflows = pick('workflows');
  if (!Array.isArray(workflows)) throw invalid('workflows', 'an array of workflows', workflows);

  const storage = pick('registryStorageBackend');
  if (storage !== 'database' && storage !== 'filesystem') throw invalid('registryStorageBackend', "'database' or 'filesystem'", storage);
  const storagePath = o.registryStoragePath;
  if (storagePath !== undefined && (typeof storagePath !== 'string' || storagePath.length === 0)) {
    throw invalid('registryStoragePath', 'a directory path', storagePath);
  }
  if (storage === 'filesystem' && storagePath === undefined) {
    throw new ConfigurationError("Runner option 'registryStoragePath' is required when registryStorageBackend is 'filesystem'");
  }
  const extractPath = pick('registryExtractPath');
  if (typeof extractPath !== 'string' || extractPath.length === 0) throw invalid('registryExtractPath', 'a directory path', extractPath);

  const logger = o.logger === undefined ? consoleLogger('warn') : o.logger;
  if (!isLogger(logger)) throw invalid('logger', 'an object with debug, info, warn and error functions', logger);
  for (const k of ['clock', 'random'] as const) if (o[k] !== undefined && typeof o[k] !== 'function') throw invalid(k, 'a function', o[k]);

  return Object.freeze({
    ...ms,
    ...counts,
    ...flags,
    databaseUrl,
    backend,
    schema,
    dal: dalOption as RunnerConfig['dal'],
    runnerId,
    runnerName: o.runnerName as string | undefined,
    workflows: workflows as RunnerConfig['workflows'],
    pipelineTimeoutMs,
    maxRecoveryAttempts,
    dbPoolSize,
    registryStorageBackend: storage,
    registryStoragePath: storagePath as string | undefined,
    registryExtractPath: extractPath,
    sqlite: resolveSqlite(o.sqlite),
    logger,
    clock: (o.clock ?? (() => new Date())) as () => Date,
    random: (o.random ?? Math.random) as () => number,
  }) as RunnerConfig;
}
