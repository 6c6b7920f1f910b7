import { describe, expect, it } from 'vitest';
import * as E from './index.js';

describe('error taxonomy (02 §7, 03 §16)', () => {
  it.each<[E.CloacinaError, string, string]>([
    [new E.NotFoundError('TaskExecution', 'abc'), 'NOT_FOUND', 'TaskExecution not found: abc'],
    [new E.ClaimLostError('t1', 'r1', 'Ready', null), 'CLAIM_LOST', 'Claim lost on task execution t1: held by nobody, status Ready'],
    [new E.ClaimLostError('t1', 'r1', 'Running', 'r2'), 'CLAIM_LOST', 'Claim lost on task execution t1: held by r2, status Running'],
    [new E.ConstraintError('foreign_key', { backend: 'postgres', dbCode: '23503', constraint: 'fk_x' }), 'CONSTRAINT', 'foreign_key constraint violated (fk_x)'],
    [new E.PackageExistsError('etl', '1.0.0'), 'PACKAGE_EXISTS', 'Package already exists: etl v1.0.0'],
    [
      new E.DuplicateCronExecutionError('s1', new Date('2025-01-01T00:00:00.000Z')),
      'DUPLICATE_CRON_EXECUTION',
      'Cron execution already recorded for schedule s1 at 2025-01-01T00:00:00.000Z',
    ],
    [new E.CyclicDependencyError(['a', 'b', 'a']), 'CYCLIC_DEPENDENCY', 'Circular dependency detected: a -> b -> a'],
    [new E.MissingDependencyError('p::e::w::a', 'x'), 'MISSING_DEPENDENCY', "Missing dependency: task 'p::e::w::a' depends on 'x' which is not registered"],
    [new E.WorkflowNotFoundError('etl'), 'WORKFLOW_NOT_FOUND', 'Workflow not found in registry: etl'],
    [new E.TaskTimeoutError('p::e::w::t', 50), 'TASK_TIMEOUT', "Task execution timeout: 'p::e::w::t' exceeded 50 ms"],
    [new E.PipelineTimeoutError('x', 1500), 'PIPELINE_TIMEOUT', 'Pipeline timeout after 1.5s'],
    [new E.RunnerShutdownError(), 'RUNNER_SHUTDOWN', 'Runner is shut down'],
    [new E.InvalidCronExpressionError('* *', 'too few fields'), 'INVALID_CRON_EXPRESSION', 'Invalid cron expression: * *'],
    [new E.StorageError('no_space', 'disk full'), 'STORAGE', 'Registry storage error (no_space): disk full'],
  ])('%s has a stable code and a readable message', (err, code, message) => {
    expect(err).toBeInstanceOf(E.CloacinaError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(code);
    expect(err.message).toBe(message);
    expect(err.name).toBe(err.constructor.name);
  });

  it('keeps workflow validation errors catchable as ValidationError and ConstraintError as DatabaseError', () => {
    expect(new E.DuplicateTaskError('x')).toBeInstanceOf(E.ValidationError);
    expect(new E.ConstraintError('unique', { backend: 'sqlite', dbCode: 'SQLITE_CONSTRAINT' })).toBeInstanceOf(E.DatabaseError);
  });

  it('never lets a URL password through database and configuration messages', () => {
    const db = new E.DatabaseError('connect failed for postgres://app:s3cret@db:5432/x', { backend: 'postgres', dbCode: 'ECONNREFUSED' });
    expect(db.message).toBe('connect failed for postgres://app:****@db:5432/x');
    expect(new E.ConfigurationError('bad postgresql://a:b@h/d').message).not.toContain(':b@');
  });
});
