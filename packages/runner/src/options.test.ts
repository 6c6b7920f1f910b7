import { describe, expect, it } from 'vitest';
import { ConfigurationError, ValidationError } from '@cloacina/core';
import { resolveRunnerConfig, RUNNER_DEFAULTS, type DefaultRunnerOptions } from './options.js';
import { createMemoryDal } from './testing/memory-dal.js';

const SQLITE = 'sqlite:///tmp/cloacina-options-test.db';
const resolve = (o: Record<string, unknown>) => resolveRunnerConfig(o as DefaultRunnerOptions);
const configError = (o: Record<string, unknown>, message: string) => {
  expect(() => resolve(o)).toThrow(ConfigurationError);
  expect(() => resolve(o)).toThrow(message);
};

describe('resolveRunnerConfig', () => {
  it('fills in every default of the DefaultRunnerConfig table', () => {
    const c = resolve({ databaseUrl: SQLITE });
    expect(c).toMatchObject({
      maxConcurrentTasks: 4,
      executorPollIntervalMs: 100,
      schedulerPollIntervalMs: 100,
      taskTimeoutMs: 300_000,
      pipelineTimeoutMs: 3_600_000,
      resultPollIntervalMs: 500,
      dbPoolSize: 1,
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
      maxPackageBytes: 104_857_600,
      sqlite: { busyTimeoutMs: 30_000, synchronous: 'NORMAL' },
      listenNotify: true,
      dal: 'unified',
      backend: 'sqlite',
      schema: undefined,
    });
    expect(c.registryExtractPath).toMatch(/cloacina_packages$/);
    expect(c.runnerId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(c.clock()).toBeInstanceOf(Date);
    expect(typeof c.logger.warn).toBe('function');
    expect(RUNNER_DEFAULTS.maxConcurrentTasks).toBe(4);
  });

  it('uses a pool of 10 for PostgreSQL and accepts a valid schema', () => {
    const c = resolve({ databaseUrl: 'postgres://u:secret@localhost/db', schema: 'tenant_a' });
    expect(c).toMatchObject({ backend: 'postgres', dbPoolSize: 10, schema: 'tenant_a' });
  });

  it('gives each runner a fresh id unless one is given', () => {
    expect(resolve({ databaseUrl: SQLITE }).runnerId).not.toBe(resolve({ databaseUrl: SQLITE }).runnerId);
    expect(resolve({ databaseUrl: SQLITE, runnerId: 'host-1/worker' }).runnerId).toBe('host-1/worker');
  });

  it('requires a database URL', () => {
    configError({}, 'Database URL is required');
    configError({ databaseUrl: '' }, 'Database URL is required');
  });

  it('rejects an unrecognised URL, masking its password', () => {
    expect(() => resolve({ databaseUrl: 'mysql://root:hunter2@db/app' })).toThrow(
      "Unrecognised database URL 'mysql://root:****@db/app': expected postgres://, postgresql://, sqlite://PATH, sqlite::memory:, file:… or a path ending in .db, .sqlite or .sqlite3",
    );
  });

  it('refuses a schema with SQLite', () => {
    configError(
      { databaseUrl: SQLITE, schema: 'tenant_a' },
      'Schema isolation is only supported with PostgreSQL. For SQLite multi-tenancy, use separate database files instead.',
    );
  });

  it('validates the schema name with its reason', () => {
    for (const [schema, reason] of [
      ['public', 'ReservedName'],
      ['pg_x', 'ReservedName'],
      ['1abc', 'InvalidStart'],
      ['a-b', 'InvalidCharacters'],
      ['', 'InvalidLength'],
    ]) {
      try {
        resolve({ databaseUrl: 'postgres://localhost/db', schema });
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as ValidationError).reason).toBe(reason);
      }
    }
  });

  it('names unknown options and suggests the intended one', () => {
    configError({ databaseUrl: SQLITE, maxConcurentTasks: 2 }, "Unknown runner option 'maxConcurentTasks' (did you mean 'maxConcurrentTasks'?)");
    configError({ databaseUrl: SQLITE, frobnicate: true }, "Unknown runner option 'frobnicate'");
    configError({ databaseUrl: SQLITE, sqlite: { busyTimeout: 5 } }, "Unknown runner option 'sqlite.busyTimeout' (did you mean 'sqlite.busyTimeoutMs'?)");
  });

  it('requires positive whole-millisecond intervals', () => {
    configError(
      { databaseUrl: SQLITE, executorPollIntervalMs: 0 },
      "Invalid runner option 'executorPollIntervalMs': expected a whole number of milliseconds between 1 and 2147483647, got 0",
    );
    configError(
      { databaseUrl: SQLITE, heartbeatIntervalMs: 1.5 },
      "Invalid runner option 'heartbeatIntervalMs': expected a whole number of milliseconds between 1 and 2147483647, got 1.5",
    );
    configError(
      { databaseUrl: SQLITE, taskTimeoutMs: '10s' },
      `Invalid runner option 'taskTimeoutMs': expected a whole number of milliseconds between 1 and 2147483647, got "10s"`,
    );
    configError(
      { databaseUrl: SQLITE, cronPollIntervalMs: 2 ** 31 },
      "Invalid runner option 'cronPollIntervalMs': expected a whole number of milliseconds between 1 and 2147483647, got 2147483648",
    );
  });

  it('requires positive counts and booleans', () => {
    configError({ databaseUrl: SQLITE, maxConcurrentTasks: 0 }, "Invalid runner option 'maxConcurrentTasks': expected a positive integer, got 0");
    configError({ databaseUrl: SQLITE, dbPoolSize: -1 }, "Invalid runner option 'dbPoolSize': expected a positive integer, got -1");
    configError({ databaseUrl: SQLITE, maxRecoveryAttempts: -1 }, "Invalid runner option 'maxRecoveryAttempts': expected a non-negative integer, got -1");
    configError({ databaseUrl: SQLITE, enableExecutor: 'no' }, `Invalid runner option 'enableExecutor': expected true or false, got "no"`);
    expect(resolve({ databaseUrl: SQLITE, maxRecoveryAttempts: 0 }).maxRecoveryAttempts).toBe(0);
  });

  it('keeps heartbeats well inside the stale threshold', () => {
    configError(
      { databaseUrl: SQLITE, heartbeatIntervalMs: 10_000, staleClaimThresholdMs: 15_000 },
      'heartbeatIntervalMs (10000) × 2 must not exceed staleClaimThresholdMs (15000); otherwise the claims of a live runner could be recovered as stale',
    );
    expect(resolve({ databaseUrl: SQLITE, heartbeatIntervalMs: 500, staleClaimThresholdMs: 1000 }).staleClaimThresholdMs).toBe(1000);
  });

  it('accepts null as "no wait limit"', () => {
    expect(resolve({ databaseUrl: SQLITE, pipelineTimeoutMs: null }).pipelineTimeoutMs).toBeNull();
    configError({ databaseUrl: SQLITE, pipelineTimeoutMs: 0 }, "Invalid runner option 'pipelineTimeoutMs'");
  });

  it('checks the registry storage options', () => {
    configError({ databaseUrl: SQLITE, registryStorageBackend: 's3' }, `Invalid runner option 'registryStorageBackend': expected 'database' or 'filesystem', got "s3"`);
    configError(
      { databaseUrl: SQLITE, registryStorageBackend: 'filesystem' },
      "Runner option 'registryStoragePath' is required when registryStorageBackend is 'filesystem'",
    );
    expect(resolve({ databaseUrl: SQLITE, registryStorageBackend: 'filesystem', registryStoragePath: '/tmp/pkgs' }).registryStoragePath).toBe('/tmp/pkgs');
  });

  it('checks sqlite, logger, clock, random, runnerId, workflows and dal', () => {
    configError({ databaseUrl: SQLITE, sqlite: { synchronous: 'SOMETIMES' } }, `Invalid runner option 'sqlite.synchronous': expected one of OFF, NORMAL, FULL, EXTRA, got "SOMETIMES"`);
    configError({ databaseUrl: SQLITE, logger: console.log }, "Invalid runner option 'logger': expected an object with debug, info, warn and error functions, got a function");
    configError({ databaseUrl: SQLITE, clock: new Date() }, "Invalid runner option 'clock': expected a function, got an object");
    configError({ databaseUrl: SQLITE, random: 4 }, "Invalid runner option 'random': expected a function, got 4");
    configError({ databaseUrl: SQLITE, runnerId: '  ' }, `Invalid runner option 'runnerId': expected a non-empty string of at most 255 characters, got "  "`);
    configError({ databaseUrl: SQLITE, workflows: {} }, "Invalid runner option 'workflows': expected an array of workflows, got an object");
    configError({ databaseUrl: SQLITE, dal: 'typeorm' }, `Invalid runner option 'dal': expected 'unified', 'legacy' or a Dal instance, got "typeorm"`);
    configError({ databaseUrl: 'sqlite::memory:', dbPoolSize: 2 }, 'An in-memory SQLite database accepts only dbPoolSize 1 (got 2)');
    configError({ databaseUrl: SQLITE, sqlite: { busyTimeoutMs: -1 } }, "Invalid runner option 'sqlite.busyTimeoutMs'");
  });

  it('takes backend and schema from a DAL instance and checks they agree', () => {
    const dal = createMemoryDal();
    expect(resolve({ dal }).backend).toBe('sqlite');
    configError({ dal, databaseUrl: 'postgres://localhost/db' }, "Runner option 'dal' is a sqlite DAL but databaseUrl is a postgres URL");
  });

  it('needs an options object', () => {
    configError(null as unknown as Record<string, unknown>, 'DefaultRunner.create() needs an options object');
  });
});
