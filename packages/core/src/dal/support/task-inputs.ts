/**
 * Arguments of the task-execution transitions (02 §4.3) that carry more than an id: lease
 * guards (T11, T12), readiness decisions, retry options and batched completions.
 */
import { ClaimLostError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { CompletionItem, CompletionOutcome, LeaseGuard, ReadinessDecision } from '../types.js';
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

/**
 * completeManyWithOutput's items, every one validated before anything is written: `sorted` in
 * task id order (the order the call processes them in), `order` the ids in input order. A repeated id is refused: two outcomes for one
 * attempt would be ambiguous.
 */
export function completionItems(items: unknown): { sorted: CompletionItem[]; order: string[] } {
  if (!Array.isArray(items)) throw new ValidationError('items must be an array', { field: 'items' });
  const seen = new Set<string>();
  const out = items.map((raw: unknown, n): CompletionItem => {
    const item = objectArg(raw, `items[${n}]`);
    const id = check.id(item.id, `items[${n}].id`);
    if (seen.has(id)) throw new ValidationError(`items[${n}].id repeats task execution ${id}`, { field: `items[${n}].id`, reason: 'DuplicateId' });
    seen.add(id);
    return { id, output: check.jsonObject(item.output, `items[${n}].output`) };
  });
  const order = out.map((i) => i.id);
  return { sorted: out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), order };
}

/** The row of a task whose fenced completion matched nothing, as read afterwards (absent = no row). */
export interface FenceMissRow {
  status: string;
  claimedBy: string | null;
}

/**
 * completeManyWithOutput's outcomes in input order: `completed` maps the ids that were written to
 * their context ids; every other id is reported from `missed` (ClaimLostError with the row's
 * current holder and status, or NotFoundError when there is no row).
 */
export function completionOutcomes(
  inputOrder: readonly string[],
  runnerId: string,
  completed: ReadonlyMap<string, string | null>,
  missed: ReadonlyMap<string, FenceMissRow>,
): CompletionOutcome[] {
  return inputOrder.map((id): CompletionOutcome => {
    if (completed.has(id)) return { id, ok: true, contextId: completed.get(id) ?? null };
    const row = missed.get(id);
    return { id, ok: false, error: row ? new ClaimLostError(id, runnerId, row.status, row.claimedBy) : new NotFoundError('TaskExecution', id) };
  });
}
