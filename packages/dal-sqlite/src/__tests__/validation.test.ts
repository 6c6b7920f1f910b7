import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConstraintError,
  DuplicateCronExecutionError,
  NotFoundError,
  PackageExistsError,
  ValidationError,
  type Dal,
  type PackageManifest,
} from '@cloacina/core';
import { createSqliteDal } from '../index.js';

let dir: string;
let file: string;
let d: Dal;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cloacina-sqlite-'));
  file = path.join(dir, 'v.db');
  d = await createSqliteDal({ url: `sqlite://${file}`, clock: () => new Date('2025-03-01T00:00:00.000Z') });
  await d.migrate();
});

afterEach(async () => {
  await d.close();
  await rm(dir, { recursive: true, force: true });
});

/** Row counts of every table, read bypassing the DAL. */
function counts(): Promise<Record<string, number>> {
  const tables = [
    'contexts',
    'pipeline_executions',
    'task_executions',
    'task_execution_metadata',
    'recovery_events',
    'execution_events',
    'cron_schedules',
    'cron_executions',
    'workflow_registry',
    'workflow_packages',
  ];
  const sql = `SELECT ${tables.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(', ')}`;
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (err) => {
      if (err) return reject(err);
      db.get(sql, (e: Error | null, row: Record<string, number>) => db.close(() => (e ? reject(e) : resolve(row))));
    });
  });
}

const manifest = (name: string, version: string): PackageManifest => ({
  formatVersion: 1,
  name,
  version,
  entry: 'index.js',
  cloacinaVersion: '0.1.0',
  fingerprint: 'abc',
  workflows: [],
});

describe('bad input writes nothing', () => {
  it('rejects malformed UUIDs, unknown statuses and policies with ValidationError', async () => {
    const run = await d.pipelineExecution.create({ pipelineName: 'p' });
    const before = await counts();
    const attempts: (() => Promise<unknown>)[] = [
      () => d.pipelineExecution.getById('not-a-uuid'),
      () => d.taskExecution.markReady('1234'),
      () => d.context.update('zzz', { a: 1 }),
      () => d.pipelineExecution.updateStatus(run.id, 'Paused' as never),
      () => d.pipelineExecution.create({ pipelineName: 'p', status: 'Done' as never }),
      () => d.taskExecution.create({ pipelineExecutionId: run.id, taskName: 't', status: 'Waiting' as never }),
      () =>
        d.cronSchedule.create({
          workflowName: 'w',
          cronExpression: '* * * * *',
          catchupPolicy: 'sometimes' as never,
          nextRunAt: new Date(),
        }),
      () => d.executionEvent.create({ pipelineExecutionId: run.id, eventType: 'task_exploded' as never }),
      () => d.recoveryEvent.create({ pipelineExecutionId: run.id, recoveryType: 'magic' as never }),
      () => d.context.list(-1, 0),
      () => d.context.create({ bad: '\u0000' }),
      () =>
        d.pipelineExecution.createWithTasks({
          pipelineName: 'p',
          pipelineVersion: 'v',
          inputContext: { a: 1 },
          tasks: [
            { taskName: 'x', maxAttempts: 1, triggerRules: {}, taskConfiguration: {} },
            { taskName: 'x', maxAttempts: 1, triggerRules: {}, taskConfiguration: {} },
          ],
        }),
      () => d.workflowPackages.storePackageMetadata('nope', manifest('n', '1')),
      () => d.workflowRegistryStorage.retrieveBinary('nope'),
    ];
    for (const attempt of attempts) await expect(attempt()).rejects.toBeInstanceOf(ValidationError);
    expect(await counts()).toEqual(before);
  });

  it('markReadiness with an unknown id throws NotFoundError and writes nothing', async () => {
    const { tasks } = await d.pipelineExecution.createWithTasks({
      pipelineName: 'p',
      pipelineVersion: 'v',
      inputContext: {},
      tasks: [{ taskName: 'a', maxAttempts: 1, triggerRules: {}, taskConfiguration: {} }],
    });
    const before = await counts();
    const missing = '00000000-0000-7000-8000-00000000abcd';
    await expect(
      d.taskExecution.markReadiness([
        { id: tasks[0]!.id, outcome: 'Ready' },
        { id: missing, outcome: 'Skipped', reason: 'x' },
      ]),
    ).rejects.toMatchObject({ entity: 'TaskExecution', id: missing });
    expect(await counts()).toEqual(before);
    expect((await d.taskExecution.getById(tasks[0]!.id)).status).toBe('NotStarted');
  });

  it('maps constraint failures to ConstraintError with the right kind', async () => {
    const run = await d.pipelineExecution.create({ pipelineName: 'p' });
    await d.taskExecution.create({ pipelineExecutionId: run.id, taskName: 't' });
    await expect(d.taskExecution.create({ pipelineExecutionId: run.id, taskName: 't' })).rejects.toMatchObject({
      kind: 'unique',
      constraint: 'task_executions_pipeline_task_key',
      dbCode: 'SQLITE_CONSTRAINT',
    });
    const fk = await d.taskExecution.create({ pipelineExecutionId: '00000000-0000-7000-8000-000000000001', taskName: 't' }).catch((e) => e);
    expect(fk).toBeInstanceOf(ConstraintError);
    expect(fk).toMatchObject({ kind: 'foreign_key' });
    await expect(d.pipelineExecution.getById('00000000-0000-7000-8000-000000000001')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('expected conflicts are typed errors that leave the transaction usable', async () => {
    const registryId = await d.workflowRegistryStorage.storeBinary(new Uint8Array([1, 2, 3]));
    await d.workflowPackages.storePackageMetadata(registryId, manifest('pkg', '1.0'));
    const schedule = await d.cronSchedule.create({ workflowName: 'w', cronExpression: '* * * * *', nextRunAt: new Date('2025-03-01T00:00:00.000Z') });
    const at = new Date('2025-03-01T00:00:00.000Z');
    await d.cronExecution.create({ scheduleId: schedule.id, scheduledTime: at });

    await d.transaction(async (tx) => {
      await expect(tx.workflowPackages.storePackageMetadata(registryId, manifest('pkg', '1.0'))).rejects.toBeInstanceOf(PackageExistsError);
      await expect(tx.cronExecution.create({ scheduleId: schedule.id, scheduledTime: at })).rejects.toBeInstanceOf(
        DuplicateCronExecutionError,
      );
      await tx.cronExecution.create({ scheduleId: schedule.id, scheduledTime: new Date('2025-03-01T00:01:00.000Z') });
    });
    expect(await d.cronExecution.countBySchedule(schedule.id)).toBe(2);
    expect(await d.workflowRegistryStorage.retrieveBinary(registryId)).toEqual(new Uint8Array([1, 2, 3]));
    expect(await d.workflowRegistryStorage.retrieveBinary(await d.workflowRegistryStorage.storeBinary(new Uint8Array()))).toEqual(
      new Uint8Array(),
    );
  });
});
