/**
 * TaskExecutionDal (02 §4.3), assembled from focused files: crud, queries, state, context
 * (aggregation and completion), claiming (claims, leases, retries) and recovery.
 */
import type { TaskExecutionDal } from '@cloacina/core';
import type { Scope } from '../shared/index.js';
import { taskClaiming, type ClaimingMethods } from './claiming.js';
import { taskContext, type ContextMethods } from './context.js';
import { taskCrud, type CrudMethods } from './crud.js';
import { taskQueries, type QueryMethods } from './queries.js';
import { taskRecovery, type RecoveryMethods } from './recovery.js';
import { taskState, type StateMethods } from './state.js';

export type { ClaimingMethods, ContextMethods, CrudMethods, QueryMethods, RecoveryMethods, StateMethods };

export function taskExecutionDal(x: Scope): TaskExecutionDal {
  return {
    ...taskCrud(x),
    ...taskQueries(x),
    ...taskState(x),
    ...taskContext(x),
    ...taskClaiming(x),
    ...taskRecovery(x),
  };
}
