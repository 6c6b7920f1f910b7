/**
 * Value generators for the migration comparison scenarios: symbolic id references, times on a
 * small grid (so equal timestamps, matching cron occurrences and duplicate audits are common),
 * JSON objects and small vocabularies with occasional invalid members.
 */
import fc from 'fast-check';
import { EXECUTION_EVENT_TYPES, PIPELINE_STATUSES, RECOVERY_TYPES, TASK_STATUSES } from '@cloacina/core';
import type { AtTime, BadTime, IdKind, NowTime, Ref } from './comparison-steps.js';

/** Mostly `valid`, now and then `invalid` (about 1 in 16). */
export function mostly<T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ arbitrary: valid, weight: 15 }, { arbitrary: invalid, weight: 1 });
}

/** -1 (newest) is the most useful target; larger indexes overshoot small pools on purpose. */
export const refIndex: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.constant(-1), weight: 6 },
  { arbitrary: fc.constantFrom(-2, -3), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: 3 }), weight: 3 },
  { arbitrary: fc.integer({ min: 4, max: 9 }), weight: 1 },
);

export function ref(kind: IdKind): fc.Arbitrary<Ref> {
  return fc.tuple(refIndex, fc.integer({ min: 0, max: 11 })).map(([index, u]) => (u === 11 ? { ref: kind, index, upper: true } : { ref: kind, index }));
}

/**
 * Mostly distinct indexes, all from the end or all from the start, so a batch call usually
 * names each id once; now and then one id twice. The spec leaves a repeated id in one batch
 * open (e.g. two markReadiness decisions for one task); the four implementations agree (first
 * decision in input order wins, heartbeatMany reports an id once), and they must stay
 * interchangeable, so it is compared too.
 */
export function distinctRefs(kind: IdKind, maxLength: number): fc.Arbitrary<Ref[]> {
  const distinct = fc.oneof(fc.uniqueArray(fc.integer({ min: -4, max: -1 }), { maxLength }), fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { maxLength }));
  const withRepeat = fc.array(fc.integer({ min: -2, max: -1 }), { minLength: 2, maxLength });
  return fc.oneof({ arbitrary: distinct, weight: 9 }, { arbitrary: withRepeat, weight: 1 }).map((idx) => idx.map((index) => ({ ref: kind, index })));
}

const MINUTE = 60_000;
/** T0 + k minutes, k in 0..4: a small grid, so cron occurrences and audits collide often. */
export const gridTime: fc.Arbitrary<AtTime> = fc.integer({ min: 0, max: 4 }).map((k) => ({ $at: k * MINUTE }));
/** Around the step's own clock value (boundaries: < vs ≤). */
export const nearNow: fc.Arbitrary<NowTime> = fc.constantFrom(-3_600_000, -MINUTE, -1, 0, 1, MINUTE).map((d) => ({ $now: d }));
/** Edges of the storable range and of common encodings (01 §2: years 0001–9999, ms precision). */
export const edgeTime: fc.Arbitrary<AtTime> = fc
  .constantFrom('0001-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '2038-01-19T03:14:08.001Z', '9999-12-31T23:59:59.999Z')
  .map((iso) => ({ $at: Date.parse(iso) - Date.parse('2025-01-01T00:00:00.000Z') }));
export const badTime: fc.Arbitrary<BadTime> = fc.constantFrom<BadTime>({ $bad: 'nan' }, { $bad: 'string' }, { $bad: 'far' });
export const anyTime: fc.Arbitrary<AtTime | NowTime | BadTime> = mostly(fc.oneof({ arbitrary: gridTime, weight: 5 }, { arbitrary: nearNow, weight: 5 }, { arbitrary: edgeTime, weight: 1 }), badTime);
export const gridOrBad: fc.Arbitrary<AtTime | BadTime> = mostly(fc.oneof({ arbitrary: gridTime, weight: 10 }, { arbitrary: edgeTime, weight: 1 }), badTime);

/** Clock advances; 0 keeps the previous timestamp (ties broken by id, 02 §1 "Ordering"). */
export const clockAdvance: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.constant(0), weight: 3 },
  { arbitrary: fc.constantFrom(1, 250), weight: 2 },
  { arbitrary: fc.constantFrom(MINUTE, 10 * MINUTE), weight: 2 },
  { arbitrary: fc.constant(3_600_000), weight: 1 },
);

export const limit: fc.Arbitrary<number> = mostly(fc.integer({ min: 0, max: 5 }), fc.constantFrom(-1, 1.5));
export const offset: fc.Arbitrary<number> = mostly(fc.integer({ min: 0, max: 3 }), fc.constant(-1));

// Byte-wise order: 'WF-c' < 'wf-a' < 'wf-b' < 'wf-é' (text is compared byte-wise, 01 §1).
export const WORKFLOWS = ['wf-a', 'wf-b', 'WF-c', 'wf-é'] as const;
export const workflowName = mostly(fc.constantFrom(...WORKFLOWS), fc.constant(''));
export const TASK_NAMES = [1, 2, 3, 4].map((i) => `public::embedded::wf::t${i}`);
export const taskName = mostly(fc.constantFrom(...TASK_NAMES), fc.constant(''));
export const taskNames = fc.array(taskName, { maxLength: 4 });
/** The TaskNamespace form of a task name (02 §4.4 getByPipelineAndTask). */
export const taskNamespace = fc.integer({ min: 1, max: 4 }).map((i) => ({ tenantId: 'public', packageName: 'embedded', workflowId: 'wf', taskId: `t${i}` }));
export const RUNNERS = ['runner-a', 'runner-b'] as const;
/** Mostly runner-a, so claims and fenced writes often agree on the owner. */
export const runner = fc.oneof({ arbitrary: fc.constant(RUNNERS[0]), weight: 3 }, { arbitrary: fc.constant(RUNNERS[1]), weight: 1 });
/** A task of a fenced or lease call: usually a claimed one (claimed -1 = latest claim). */
export const heldTask = fc.oneof({ arbitrary: ref('claimed'), weight: 3 }, { arbitrary: ref('task'), weight: 1 });
export const versionText = mostly(fc.constantFrom('1.0', '2.0', 'v-é'), fc.constant(''));
export const text = fc.oneof(fc.constantFrom('boom', 'Boom!', 'ABANDONED: x', 'é ü 😀', 'line\nbreak', ''), fc.string({ maxLength: 12, unit: 'grapheme-ascii' }));

export const pipelineStatus = mostly(fc.constantFrom(...PIPELINE_STATUSES), fc.constantFrom('Bogus', 'pending'));
export const taskStatus = mostly(fc.constantFrom(...TASK_STATUSES), fc.constantFrom('Done', 'ready'));
export const recoveryType = mostly(fc.constantFrom(...RECOVERY_TYPES), fc.constantFrom('task_rest', 'TASK_RESET'));
export const eventType = mostly(fc.constantFrom(...EXECUTION_EVENT_TYPES), fc.constantFrom('task_exploded', 'TASK_READY'));
export const catchupPolicy = mostly(fc.constantFrom('skip', 'run_once', 'run_all'), fc.constant('sometimes'));
export const storageType = mostly(fc.constantFrom('database', 'filesystem'), fc.constant('s3'));

// JSON: keys from a small set (never 'ref'/'index'/'$at'/'$now', so payloads are never
// mistaken for references), values nested at most two levels.
const jsonKey = fc.constantFrom('a', 'b', 'k', 'Z', 'é', 'x y', 'n1', 'status');
const jsonLeaf = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(1e21, -1e-7, 2 ** 53, 0.1, 5e-324, 1.7976931348623157e308, -0),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 8, unit: 'grapheme-ascii' }),
  fc.constantFrom('é', '😀', 'quote"', 'line\nbreak'),
);
const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', maxDepth: 2 },
    jsonLeaf,
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(jsonKey, tie('json'), { maxKeys: 3, noNullPrototype: true }),
  ),
}));
/** A JSON object, empty now and then (empty contexts are never stored, 02 §4.1). */
export const jsonObject: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { arbitrary: fc.constant({}), weight: 1 },
  { arbitrary: fc.dictionary(jsonKey, json, { minKeys: 1, maxKeys: 4, noNullPrototype: true }), weight: 5 },
);
/** Not storable: U+0000 (rejected on both backends, 01 §2) or not an object. */
export const badJsonObject = fc.constantFrom<unknown>({ a: 'nul\u0000' }, [1, 2], 'text');
export const jsonInput = mostly(jsonObject, badJsonObject);

export const bytes = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 12 }), fc.constant(Uint8Array.from([0, 255, 1, 254])));

export const PACKAGE_NAMES = ['analytics', 'Analytics', 'etl'] as const;
export const PACKAGE_VERSIONS = ['1.0.0', '1.10.0', '1.2.0'] as const;
export const packageName = mostly(fc.constantFrom(...PACKAGE_NAMES), fc.constantFrom('', 'x'.repeat(256)));
export const packageVersion = mostly(fc.constantFrom(...PACKAGE_VERSIONS), fc.constantFrom('', 'v'.repeat(101)));

export const manifest = fc
  .record(
    {
      name: packageName,
      version: packageVersion,
      description: fc.constantFrom('Nightly analytics', 'é'),
      author: mostly(fc.constantFrom('Data team', 'Ops'), fc.constant('a'.repeat(256))),
    },
    { requiredKeys: ['name', 'version'], noNullPrototype: true },
  )
  .map((m) => ({
    formatVersion: 1,
    entry: 'workflows.mjs',
    cloacinaVersion: '1.0.0',
    fingerprint: `sha256:${'0'.repeat(64)}`,
    workflows: [{ name: 'analytics', tasks: [{ id: 'extract', dependencies: [] }] }],
    ...m,
  }));
