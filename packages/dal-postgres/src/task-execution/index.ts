/** `taskExecution` module (02 §4.3), assembled from the focused files of this directory. */
import type { TaskExecutionDal } from '@cloacina/core';
import type { Exec } from '../executor.js';
import { createTaskClaiming } from './claiming.js';
import { createTaskCompleteMany } from './complete-many.js';
import { createTaskContext } from './context.js';
import { createTaskCrud } from './crud.js';
import { createTaskQueries } from './queries.js';
import { createTaskRecovery } from './recovery.js';
import { createTaskState } from './state.js';

export function createTaskExecutionDal(e: Exec): TaskExecutionDal {
  return {
    ...createTaskCrud(e),
    ...createTaskQueries(e),
    ...createTaskState(e),
    ...createTaskContext(e),
    ...createTaskCompleteMany(e),
    ...createTaskClaiming(e),
    ...createTaskRecovery(e),
  };
}
