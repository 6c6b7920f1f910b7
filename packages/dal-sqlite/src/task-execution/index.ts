/** `taskExecution` module (02 §4.3), assembled from the files of this directory. */
import type { TaskExecutionDal } from '@cloacina/core';
import type { Scope } from '../scope.js';
import { createClaimingMethods } from './claiming.js';
import { createCompleteManyMethods } from './complete-many.js';
import { createContextMethods } from './context.js';
import { createCrudMethods } from './crud.js';
import { createQueryMethods } from './queries.js';
import { createRecoveryMethods } from './recovery.js';
import { createStateMethods } from './state.js';

export function createTaskExecutionDal(scope: Scope): TaskExecutionDal {
  return {
    ...createCrudMethods(scope),
    ...createQueryMethods(scope),
    ...createStateMethods(scope),
    ...createContextMethods(scope),
    ...createCompleteManyMethods(scope),
    ...createClaimingMethods(scope),
    ...createRecoveryMethods(scope),
  };
}
