/**
 * fast-check driver for the migration comparison: runs generated scenarios on a pair of sides
 * and turns the first difference into a failure. fast-check shrinks the scenario and reports
 * the seed (replay with CLOACINA_SEED=<seed> CLOACINA_PATH=<path>); its array shrinker keeps
 * some irrelevant steps, so the counterexample is then minimised further by removing single
 * steps (and sub-steps) while the difference persists.
 */
import fc from 'fast-check';
import type { Dal } from '@cloacina/core';
import { compareScenario, formatDifference, type CompareOptions, type Difference, type ScenarioRun } from './comparison-runner.js';
import { openSide, resetSide, type ComparisonPair, type Side } from './comparison-sides.js';
import { describeStep, isRef, type Step, type TxStep } from './comparison-steps.js';

export const LONG = process.env.CLOACINA_LONG === '1';

/** fast-check parameters shared by every comparison property; env overrides for replay. */
export function fcParams(numRuns: number): fc.Parameters<[Step[]]> {
  const seed = process.env.CLOACINA_SEED ? Number(process.env.CLOACINA_SEED) : undefined;
  const path = process.env.CLOACINA_PATH;
  const runs = process.env.CLOACINA_COMPARISON_RUNS ? Number(process.env.CLOACINA_COMPARISON_RUNS) : numRuns;
  return { numRuns: runs, ...(seed !== undefined ? { seed } : {}), ...(path ? { path } : {}) };
}

export interface PairSides {
  a: Side;
  b: Side;
  close(): Promise<void>;
}

export async function openPair(pair: ComparisonPair, wrapB?: (dal: Dal) => Dal): Promise<PairSides> {
  const a = await openSide(pair.a, 'A');
  let b: Side;
  try {
    b = await openSide(pair.b, 'B', wrapB);
  } catch (err) {
    await a.close();
    throw err;
  }
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

/** Per-method tallies of A's outcomes, printed with CLOACINA_COMPARISON_STATS=1 (for tuning). */
export class OutcomeStats {
  private readonly counts = new Map<string, { ok: number; err: Map<string, number> }>();
  runs = 0;
  steps = 0;
  add(run: ScenarioRun): void {
    this.runs += 1;
    const visit = (o: ScenarioRun['outcomes'][number]) => {
      this.steps += 1;
      let c = this.counts.get(o.method);
      if (!c) this.counts.set(o.method, (c = { ok: 0, err: new Map() }));
      if (o.error) c.err.set(o.error.class, (c.err.get(o.error.class) ?? 0) + 1);
      else c.ok += 1;
      for (const s of o.subs ?? []) visit(s);
    };
    run.outcomes.forEach(visit);
  }
  print(title: string): void {
    if (process.env.CLOACINA_COMPARISON_STATS !== '1') return;
    const lines = [...this.counts.entries()].sort().map(([m, c]) => `  ${m}: ok ${c.ok}${[...c.err].map(([k, n]) => `, ${k} ${n}`).join('')}`);
    console.log(`${title} (${this.runs} runs, ${this.steps} calls)\n${lines.join('\n')}`);
  }
}

/**
 * How a run gets its two sides. `reused`: the same two migrated databases for every run,
 * emptied before each (all ten tables; ledger kept), clock and ids restarted — keeps several
 * hundred runs per backend affordable. `fresh`: two new databases per run, each migrated by
 * its own DAL (02 §10.1 "Fresh databases").
 */
export type SideSource = { kind: 'reused'; sides: () => PairSides } | { kind: 'fresh'; wrapB?: (dal: Dal) => Dal };

export interface ComparisonRun {
  pair: ComparisonPair;
  source: SideSource;
  options?: Omit<CompareOptions, 'sameBackend'>;
  stats?: OutcomeStats;
}

/** Runs one scenario and returns its first difference (null when indistinguishable). */
export async function runScenario(r: ComparisonRun, steps: Step[]): Promise<Difference | null> {
  const exec = async (s: PairSides) => {
    const run = await compareScenario(s.a, s.b, steps, { ...r.options, sameBackend: r.pair.sameBackend });
    r.stats?.add(run);
    return run.difference;
  };
  if (r.source.kind === 'reused') {
    const s = r.source.sides();
    await Promise.all([resetSide(s.a), resetSide(s.b)]);
    return exec(s);
  }
  const s = await openPair(r.pair, r.source.wrapB);
  try {
    return await exec(s);
  } finally {
    await s.close();
  }
}

/** The step with one id reference made simpler (index -1 or 0, no upper case). */
function refVariants(step: Step): Step[] {
  const out: Step[] = [];
  const json = JSON.stringify(step);
  const count = (json.match(/"ref":/g) ?? []).length;
  for (let k = 0; k < count; k++) {
    // Only towards simpler references (-1 simplest, then 0, then no upper case): terminates.
    for (const index of [-1, 0]) {
      let seen = -1;
      let changed = false;
      const copy = JSON.parse(json, (_key, v: unknown) => {
        if (isRef(v) && ++seen === k) {
          const simpler = v.index === index ? Boolean(v.upper) : index === -1 || v.index !== -1;
          if (simpler) {
            changed = true;
            return { ref: v.ref, index };
          }
        }
        return v;
      }) as Step;
      if (changed) out.push(restoreBytes(step, copy));
    }
  }
  return out;
}

/** JSON round trips lose Uint8Array arguments; put the original values back. */
function restoreBytes(original: unknown, copy: unknown): Step {
  const walk = (o: unknown, c: unknown): unknown => {
    if (o instanceof Uint8Array) return o;
    if (Array.isArray(o) && Array.isArray(c)) return o.map((x, i) => walk(x, c[i]));
    if (o && c && typeof o === 'object' && typeof c === 'object' && !(o instanceof Date)) {
      return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, walk((o as Record<string, unknown>)[k], v)]));
    }
    return c;
  };
  return walk(original, copy) as Step;
}

/**
 * Every scenario one simplification away: one step or sub-step deleted, a transaction unwrapped,
 * or one id reference pointed at the newest (-1) or oldest (0) id of its kind (which lets the
 * steps that only padded the pool go next).
 */
function oneSmaller(steps: Step[]): Step[][] {
  const out: Step[][] = [];
  const replace = (i: number, by: Step[]) => [...steps.slice(0, i), ...by, ...steps.slice(i + 1)];
  for (let i = 0; i < steps.length; i++) {
    if (steps.length > 1) out.push(replace(i, []));
    const st = steps[i]!;
    if (st.method === 'transaction') {
      const t = st as TxStep;
      out.push(replace(i, t.steps));
      for (const inner of oneSmaller(t.steps)) out.push(replace(i, [{ ...t, steps: inner }]));
    } else {
      for (const v of refVariants(st)) out.push(replace(i, [v]));
    }
  }
  return out;
}

/** Greedy minimisation: keep removing single steps while the scenario still shows a difference. */
export async function minimise(r: ComparisonRun, steps: Step[]): Promise<{ steps: Step[]; difference: Difference }> {
  let current = steps;
  let difference = await runScenario(r, current);
  if (!difference) throw new Error('minimise: the counterexample no longer shows a difference (is the DAL deterministic?)');
  for (let progress = true; progress; ) {
    progress = false;
    for (const candidate of oneSmaller(current)) {
      const d = await runScenario(r, candidate);
      if (d) {
        current = candidate;
        difference = d;
        progress = true;
        break;
      }
    }
  }
  return { steps: current, difference };
}

export interface ComparisonFailure {
  details: fc.RunDetails<[Step[]]>;
  steps: Step[];
  difference: Difference;
  report: string;
}

/** fast-check over `arb`; on failure the minimised scenario and a full report (02 §10.5). */
export async function checkComparison(r: ComparisonRun, arb: fc.Arbitrary<Step[]>, params: fc.Parameters<[Step[]]>): Promise<ComparisonFailure | null> {
  const property = fc.asyncProperty(arb, async (steps) => {
    const d = await runScenario(r, steps);
    if (d) throw new Error(formatDifference(r.pair.name, { a: r.pair.a.name, b: r.pair.b.name }, d));
  });
  const details = await fc.check(property, params);
  if (!details.failed) return null;
  const shrunk = details.counterexample?.[0];
  if (!shrunk) throw (details.errorInstance as Error) ?? new Error(fc.defaultReportMessage(details) ?? 'property failed');
  const { steps, difference } = await minimise({ ...r, stats: undefined }, shrunk);
  const report = [
    fc.defaultReportMessage(details) ?? '',
    '',
    `Minimal scenario (${steps.length} step(s), after removing single steps from the counterexample):`,
    ...steps.map((s, i) => `  ${i}: ${describeStep(s)}`),
    `as data: ${JSON.stringify(steps)}`,
    '',
    formatDifference(r.pair.name, { a: r.pair.a.name, b: r.pair.b.name }, difference),
  ].join('\n');
  return { details, steps, difference, report };
}

export async function assertComparison(r: ComparisonRun, arb: fc.Arbitrary<Step[]>, params: fc.Parameters<[Step[]]>): Promise<void> {
  const failure = await checkComparison(r, arb, params);
  if (failure) throw new Error(failure.report);
}
