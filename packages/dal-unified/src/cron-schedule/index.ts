/** CronScheduleDal (02 §4.7), assembled from crud, queries and state. */
import type { CronScheduleDal } from '@cloacina/core';
import type { Scope } from '../shared/index.js';
import { cronScheduleCrud } from './crud.js';
import { cronScheduleQueries } from './queries.js';
import { cronScheduleState } from './state.js';

export function cronScheduleDal(x: Scope): CronScheduleDal {
  return { ...cronScheduleCrud(x), ...cronScheduleQueries(x), ...cronScheduleState(x) };
}
