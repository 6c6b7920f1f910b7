/**
 * Arguments of the task-execution transitions (02 §4.3) that carry more than an id: lease
 * guards (T11, T12), readiness decisions and retry options.
 */
import { ValidationError } from '../../errors/index.js';
import type { LeaseGuard, ReadinessDecision } from '../types.js';
import { objectArg, optionalDate } from './args.js';
import { check } from './validate.js';

/**
 * An optional lease guard: with one, the transition applies only while the task is Running,
 * held by `claimedBy` and (when given) last renewed before `heartbeatBefore`.
 */
export function leaseGuardArg(guard: unknown): LeaseGuard | undefined {
  if (guard === undefined || guard === null) return undefined;
  const g = objectArg(guard, 'guard');
  const out: LeaseGuard = { claimedBy: check.text(g.claimedBy, 'guard.claimedBy') };
  const before = optionalDate(g.heartbeatBefore, 'guard.heartbeatBefore');
  if (before !== null) out.heartbeatBefore = before;
  return out;
}

/**
 * markReadiness' decisions, every one validated before anything is written. A task is
 * decided once: a repeated id keeps its first decision. Input order is kept, so "the first
 * unknown id" (02 §4.3) is the same for every DAL.
 */
export function readinessDecisions(decisions: unknown): ReadinessDecision[] {
  if (!Array.isArray(decisions)) throw new ValidationError('decisions must be an array', { field: 'decisions' });
  const seen = new Set<string>();
  const out: ReadinessDecision[] = [];
  decisions.forEach((raw: unknown, n) => {
    const d = objectArg(raw, `decisions[${n}]`);
    const id = check.id(d.id, `decisions[${n}].id`);
    let decision: ReadinessDecision;
    if (d.outcome === 'Ready') decision = { id, outcome: 'Ready' };
    else if (d.outcome === 'Skipped') decision = { id, outcome: 'Skipped', reason: check.text(d.reason, `decisions[${n}].reason`, { min: 0 }) };
    else throw new ValidationError(`decisions[${n}].outcome must be Ready or Skipped`, { field: `decisions[${n}].outcome`, reason: 'UnknownValue' });
    if (seen.has(id)) return;
    seen.add(id);
    out.push(decision);
  });
  return out;
}

/** scheduleRetry's options: when the task becomes claimable again and the error to record. */
export function retryOptions(opts: unknown): { retryAt: Date; error: string | null } {
  const o = objectArg(opts, 'opts');
  return { retryAt: check.date(o.retryAt, 'retryAt'), error: check.optionalText(o.error, 'error') };
}
