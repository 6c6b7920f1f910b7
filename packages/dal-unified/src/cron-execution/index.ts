/** CronExecutionDal (02 §4.8), assembled from crud, queries and tracking. */
import type { CronExecutionDal } from '@cloacina/core';
import type { Scope } from '../shared/index.js';
import { cronExecutionCrud } from './crud.js';
import { cronExecutionQueries } from './queries.js';
import { cronExecutionTracking } from './tracking.js';

export function cronExecutionDal(x: Scope): CronExecutionDal {
  return { ...cronExecutionCrud(x), ...cronExecutionQueries(x), ...cronExecutionTracking(x) };
}
