/**
 * Runs one scenario step by step on two sides at once and reports the first observable
 * difference (02 §10.2, §10.5): return value or error of every step, signals per step, ids
 * drawn per step, and at the end the dump of all ten tables and the ledger.
 */
import type { Dal, Signal } from '@cloacina/core';
import { dumpDatabase, type Normalised } from './dump.js';
import type { Side } from './comparison-sides.js';
import { collectIds, describeStep, IdPools, resolveArgs, stringifyArg, T0_MS, type CallStep, type Step, type TxStep } from './comparison-steps.js';
import { describeError, errorKey, firstDifference, formatValueDifference, IdMapping, normaliseValue, type ErrorInfo } from './comparison-normalise.js';

export const STEP_TIMEOUT_MS = 20_000;

class RollbackRequested extends Error {
  constructor() {
    super('scenario requested rollback');
  }
}

export interface StepOutcome {
  method: string;
  /** Concrete arguments after resolving refs and times (for reports). */
  args: unknown[];
  root?: true;
  value?: Normalised;
  error?: ErrorInfo;
  rolledBack?: boolean;
  subs?: StepOutcome[];
}

async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} did not settle within ${STEP_TIMEOUT_MS} ms`), { name: 'StepTimeout' })), STEP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function invoke(dal: Dal, method: string, args: unknown[]): Promise<unknown> {
  const [moduleName, fn] = method.split('.') as [string, string];
  const mod = (dal as unknown as Record<string, Record<string, unknown>>)[moduleName];
  if (!mod || typeof mod[fn] !== 'function') {
    return Promise.reject(Object.assign(new TypeError(`${dal.implementation}: ${method} is not a function`), { name: 'TypeError' }));
  }
  try {
    return Promise.resolve((mod[fn] as (...a: unknown[]) => unknown).apply(mod, args));
  } catch (err) {
    // A synchronous throw is still an outcome to compare (e.g. storageType()).
    return Promise.reject(err);
  }
}

/** Runs one call or transaction step on `dal` (the root DAL or a transaction-bound one). */
export async function runOn(dal: Dal, step: Step, pools: IdPools, nowMs: number, sameBackend: boolean, root: Dal = dal): Promise<StepOutcome> {
  if (step.method === 'transaction') {
    const tx = step as TxStep;
    const subs: StepOutcome[] = [];
    try {
      const value = await withTimeout(
        dal.transaction(async (t) => {
          for (const s of tx.steps) subs.push(await runOn(t, s, pools, nowMs, sameBackend, root));
          if (tx.rollback) throw new RollbackRequested();
          return 'committed';
        }),
        'transaction',
      );
      return { method: 'transaction', args: [], value: normaliseValue(value), subs };
    } catch (err) {
      if (err instanceof RollbackRequested) return { method: 'transaction', args: [], rolledBack: true, subs };
      return { method: 'transaction', args: [], error: describeError(err, sameBackend), subs };
    }
  }
  if (step.method === 'clock.advance') throw new Error('clock.advance is a harness step; it cannot appear inside a transaction');
  const call = step as CallStep;
  const args = resolveArgs(call.args, pools, nowMs) as unknown[];
  try {
    const result = await withTimeout(invoke(call.root ? root : dal, call.method, args), call.method);
    collectIds(call.method, result, pools);
    return { method: call.method, args, ...(call.root ? { root: true as const } : {}), value: normaliseValue(result) };
  } catch (err) {
    return { method: call.method, args, ...(call.root ? { root: true as const } : {}), error: describeError(err, sameBackend) };
  }
}

/** The comparable part of an outcome (02 §10.2). */
function outcomeKey(o: StepOutcome): Normalised {
  const key: { [k: string]: Normalised } = {};
  if (o.error) key.error = errorKey(o.error);
  else if (o.rolledBack) key.rolledBack = true;
  else key.value = o.value ?? null;
  if (o.subs) key.subs = o.subs.map(outcomeKey);
  return key;
}

function findNonContract(o: StepOutcome, path = ''): { path: string; outcome: StepOutcome } | null {
  if (o.error?.nonContract) return { path, outcome: o };
  for (const [i, s] of (o.subs ?? []).entries()) {
    const hit = findNonContract(s, `${path}.steps[${i}]`);
    if (hit) return hit;
  }
  return null;
}

/** Signals as a multiset of (type, pipelineExecutionId, taskExecutionId), sorted. */
function signalKeys(signals: Signal[]): Normalised[] {
  return signals
    .map((s) => [s.type, s.pipelineExecutionId, s.taskExecutionId] as [string, string, string | null])
    .sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : JSON.stringify(x) > JSON.stringify(y) ? 1 : 0));
}

export interface Difference {
  /** Index in the scenario, or -1 for the final dump. */
  stepIndex: number;
  step: Step | null;
  what: string;
  a?: StepOutcome;
  b?: StepOutcome;
}

export interface CompareOptions {
  sameBackend: boolean;
  /** Both sides must draw identical ids (02 §1 "Ids and time"); default true. */
  strictIds?: boolean;
  /** Compare full dumps at the end; default true. */
  dump?: boolean;
  /** Also compare full dumps after every n-th step (02 §10.2 "and at checkpoints"). */
  checkpointEvery?: number;
  /** Steps appended after the scenario (e.g. a read probe built from the final pools). */
  epilogue?: (pools: IdPools, nowMs: number) => Step[];
  /** Start from these pools and this clock value instead of empty pools at T0. */
  start?: { pools: IdPools; nowMs: number };
  /** Called before the step at `index` runs (e.g. to hand one side over to another DAL). */
  beforeStep?: (index: number, nowMs: number, poolsA: IdPools) => Promise<void>;
}

export interface ScenarioRun {
  difference: Difference | null;
  /** Per step (clock steps excluded): A's outcome. */
  outcomes: StepOutcome[];
  poolsA: IdPools;
  poolsB: IdPools;
  nowMs: number;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Runs `steps` on both sides (already at a fresh state) and returns the first difference. */
export async function compareScenario(a: Side, b: Side, steps: Step[], opts: CompareOptions): Promise<ScenarioRun> {
  const ids = new IdMapping();
  const poolsA = opts.start ? opts.start.pools.clone() : new IdPools();
  const poolsB = opts.start ? opts.start.pools.clone() : new IdPools();
  let nowMs = opts.start?.nowMs ?? T0_MS;
  const outcomes: StepOutcome[] = [];
  const strict = opts.strictIds ?? true;
  const run = async (all: Step[], offset: number): Promise<Difference | null> => {
    for (const [k, step] of all.entries()) {
      const index = offset + k;
      await opts.beforeStep?.(index, nowMs, poolsA);
      if (step.method === 'clock.advance') {
        nowMs += (step as { args: [number] }).args[0];
        continue;
      }
      a.clock.set(new Date(nowMs));
      b.clock.set(new Date(nowMs));
      const drawnA = a.ids.drawn();
      const drawnB = b.ids.drawn();
      a.signals.length = 0;
      b.signals.length = 0;
      const [oa, ob] = await Promise.all([runOn(a.dal, step, poolsA, nowMs, opts.sameBackend), runOn(b.dal, step, poolsB, nowMs, opts.sameBackend)]);
      await tick();
      outcomes.push(oa);
      const diff = (what: string): Difference => ({ stepIndex: index, step, what, a: oa, b: ob });
      for (const [side, o] of [['A', oa], ['B', ob]] as const) {
        const bad = findNonContract(o);
        if (bad) return diff(`side ${side} threw a non-contract error${bad.path ? ` in ${bad.path}` : ''}: ${bad.outcome.error!.class}: ${bad.outcome.error!.message}`);
      }
      const nonIdentityBefore = ids.nonIdentity.length;
      const d = firstDifference(outcomeKey(oa), outcomeKey(ob), ids);
      if (d) return diff(`${d.path.startsWith('error') || d.path.startsWith('value') || d.path.startsWith('rolled') ? 'outcome' : 'sub-step outcome'} differs ${formatValueDifference(d)}`);
      const sd = firstDifference(signalKeys(a.signals), signalKeys(b.signals), ids);
      if (sd) return diff(`signals differ ${formatValueDifference(sd)}; A=${JSON.stringify(signalKeys(a.signals))} B=${JSON.stringify(signalKeys(b.signals))}`);
      const na = a.ids.drawn() - drawnA;
      const nb = b.ids.drawn() - drawnB;
      if (strict && na !== nb) return diff(`ids drawn differ (02 §1 "Ids and time"): A drew ${na}, B drew ${nb}`);
      if (strict && ids.nonIdentity.length > nonIdentityBefore) {
        const [x, y] = ids.nonIdentity[nonIdentityBefore]!;
        return diff(`ids differ (02 §1: same id sequence must give identical ids): A ${x} where B ${y}`);
      }
      if (opts.checkpointEvery && (index + 1) % opts.checkpointEvery === 0) {
        const dd = compareDumps(...(await Promise.all([dumpDatabase(a.raw), dumpDatabase(b.raw)])), ids);
        if (dd) return diff(`dump at the checkpoint after this step differs: ${dd}`);
      }
    }
    return null;
  };
  let difference = await run(steps, 0);
  if (!difference && opts.epilogue) difference = await run(opts.epilogue(poolsA, nowMs), steps.length);
  if (!difference && (opts.dump ?? true)) {
    const [da, db] = await Promise.all([dumpDatabase(a.raw), dumpDatabase(b.raw)]);
    const dd = compareDumps(da, db, ids);
    if (dd) difference = { stepIndex: -1, step: null, what: `final dump differs: ${dd}` };
  }
  return { difference, outcomes, poolsA, poolsB, nowMs };
}

/** First differing table, row id and column of two dumps (02 §10.5). */
export function compareDumps(a: Record<string, Normalised[]>, b: Record<string, Normalised[]>, ids = new IdMapping()): string | null {
  for (const table of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
    const ra = a[table] ?? [];
    const rb = b[table] ?? [];
    for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
      const rowA = ra[i] as Record<string, Normalised>;
      const rowB = rb[i] as Record<string, Normalised>;
      const rowId = String(rowA.id ?? rowA.version);
      const d = firstDifference(rowA, rowB, ids);
      if (d) return `table ${table}, row ${rowId} (position ${i}), column ${d.path}: A=${JSON.stringify(d.a)} B=${JSON.stringify(d.b)}${d.note ? ` (${d.note})` : ''}`;
    }
    if (ra.length !== rb.length) {
      const longer = ra.length > rb.length ? 'A' : 'B';
      const extra = (longer === 'A' ? ra : rb)[Math.min(ra.length, rb.length)] as Record<string, Normalised>;
      return `table ${table}: A has ${ra.length} rows, B has ${rb.length}; first extra row (in ${longer}): ${JSON.stringify(extra)}`;
    }
  }
  return null;
}

function showOutcome(o: StepOutcome | undefined, indent: string): string {
  if (!o) return `${indent}<none>`;
  const head = o.error
    ? `error ${JSON.stringify(errorKey(o.error))} — ${o.error.message}`
    : o.rolledBack
      ? 'rolled back'
      : `returned ${JSON.stringify(o.value ?? null)}`;
  const line = `${indent}${o.root ? 'ROOT ' : ''}${o.method}(${o.args.map((x) => stringifyArg(x)).join(', ')}) → ${head}`;
  return [line, ...(o.subs ?? []).map((s) => showOutcome(s, `${indent}  `))].join('\n');
}

/** The failure report of 02 §10.5: scenario, step, and the differing outcomes or dump cell. */
export function formatDifference(pairName: string, sides: { a: string; b: string }, d: Difference): string {
  const where = d.stepIndex < 0 ? 'after the last step' : `at step ${d.stepIndex}: ${d.step ? describeStep(d.step) : ''}`;
  return [
    `[${pairName}] difference ${where}`,
    `  ${d.what}`,
    ...(d.a ? [`  A = ${sides.a}:`, showOutcome(d.a, '    ')] : []),
    ...(d.b ? [`  B = ${sides.b}:`, showOutcome(d.b, '    ')] : []),
  ].join('\n');
}
