// 04 — Error handling: retries, fallbacks, joins and branches.
//
//   fetch_data ───────────────┬──────────────> process_data ─┬─> high_quality_report ─> publish_premium ─┐
//        └─> fetch_from_cache ┘ (any success)                ├─> standard_report ──────────────────────────┼─> record_outcome
//            (only if fetch_data failed)                     └─> low_quality_alert ──────────────────────────┘  (always)
//
// * fetch_data talks to a flaky API: transient errors are retried with exponential back-off.
// * fetch_from_cache is the fallback: trigger.taskFailed('fetch_data'); skipped when the API works.
// * process_data joins the two sources: trigger.any(taskSuccess(fetch_data), taskSuccess(fetch_from_cache)).
// * Three branches pick a report by the quality score (trigger.contextValue thresholds).
// * publish_premium has the DEFAULT rule (all dependencies completed): when its branch is
//   skipped, it is skipped too — skips propagate.
// * record_outcome runs whatever happened (trigger.always()).
//
// The same workflow runs three times: a healthy API, a flaky one that recovers on a retry, and
// an outage where the fallback takes over.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultRunner, TaskError, task, trigger, workflow } from '@cloacina/runner';

const fetchData = task({
  id: 'fetch_data',
  retry: { maxAttempts: 3, backoff: 'exponential', initialDelayMs: 200, jitter: false, conditions: ['TransientOnly'] },
  run: (ctx, { attempt }) => {
    // The input says how many calls fail before the API answers (simulating a flaky service).
    if (attempt <= ctx.get('api_failures')) {
      throw new TaskError(`upstream API connection timeout (call ${attempt})`, { transient: true });
    }
    ctx.set('source', 'api');
    ctx.set('records', ctx.get('api_records'));
    ctx.set('completeness', ctx.get('api_completeness'));
  },
});

const fetchFromCache = task({
  id: 'fetch_from_cache',
  dependencies: [fetchData],
  trigger: trigger.taskFailed('fetch_data'),
  run: (ctx) => {
    // A task's input is the merge of its dependencies' outputs; fetch_data failed and has none,
    // so this task starts from an empty context.
    ctx.set('source', 'cache');
    ctx.set('records', 120);
    ctx.set('completeness', 0.35); // yesterday's data
  },
});

const processData = task({
  id: 'process_data',
  dependencies: [fetchData, fetchFromCache],
  trigger: trigger.any(trigger.taskSuccess('fetch_data'), trigger.taskSuccess('fetch_from_cache')),
  run: (ctx) => {
    ctx.set('quality_score', Math.round(ctx.get('completeness') * 100));
  },
});

const onProcessed = (...conditions) => trigger.all(trigger.taskSuccess('process_data'), ...conditions);

const highQualityReport = task({
  id: 'high_quality_report',
  dependencies: [processData],
  trigger: onProcessed(trigger.contextValue('quality_score', 'GreaterThan', 80)),
  run: (ctx) => ctx.set('report', `full report on ${ctx.get('records')} records`),
});

const standardReport = task({
  id: 'standard_report',
  dependencies: [processData],
  trigger: onProcessed(trigger.contextValue('quality_score', 'GreaterThan', 50), trigger.contextValue('quality_score', 'LessThan', 81)),
  run: (ctx) => ctx.set('report', `standard report on ${ctx.get('records')} records (some fields missing)`),
});

const lowQualityAlert = task({
  id: 'low_quality_alert',
  dependencies: [processData],
  trigger: onProcessed(trigger.contextValue('quality_score', 'LessThan', 51)),
  run: (ctx) => ctx.set('alert', `data quality ${ctx.get('quality_score')}% — report withheld`),
});

// No trigger: the default rule "every dependency completed".
const publishPremium = task({
  id: 'publish_premium',
  dependencies: [highQualityReport],
  run: (ctx) => ctx.set('published', true),
});

const recordOutcome = task({
  id: 'record_outcome',
  dependencies: [publishPremium, standardReport, lowQualityAlert],
  trigger: trigger.always(),
  run: (ctx) => ctx.set('outcome_recorded', true),
});

const resilient = workflow({
  name: 'resilient_report',
  description: 'Fetch with retries and a fallback, then report according to the data quality',
  tasks: [fetchData, fetchFromCache, processData, highQualityReport, standardReport, lowQualityAlert, publishPremium, recordOutcome],
});

const scenarios = [
  { title: 'healthy API', input: { api_failures: 0, api_records: 1000, api_completeness: 0.92 } },
  { title: 'flaky API (two timeouts, then an answer)', input: { api_failures: 2, api_records: 980, api_completeness: 0.72 } },
  { title: 'API outage (fallback to the cache)', input: { api_failures: 99, api_records: 0, api_completeness: 0 } },
];
/** What each scenario must produce: the branch taken, and the run status. */
const expected = [
  { status: 'Completed', ran: ['fetch_data', 'process_data', 'high_quality_report', 'publish_premium', 'record_outcome'] },
  { status: 'Completed', ran: ['fetch_data', 'process_data', 'standard_report', 'record_outcome'] },
  { status: 'Failed', ran: ['fetch_from_cache', 'process_data', 'low_quality_alert', 'record_outcome'] },
];

const SKIP_PREFIX = 'Trigger rules not satisfied: ';
const dir = mkdtempSync(join(tmpdir(), 'cloacina-example-04-'));
const databaseUrl = process.env.DATABASE_URL ?? `sqlite://${join(dir, 'errors.db')}`;
console.log(`Database: ${databaseUrl}\n`);

const runner = await DefaultRunner.create({ databaseUrl, workflows: [resilient] });
runner.on('taskRetrying', (e) => console.log(`    ↻ ${e.taskId}: ${e.error}; retry ${e.nextAttempt} in ${e.delayMs} ms`));
runner.on('taskFailed', (e) => console.log(`    ✘ ${e.taskId}: ${e.error} (no attempts left)`));

let problems = 0;
try {
  for (const [i, scenario] of scenarios.entries()) {
    console.log(`Scenario ${i + 1}: ${scenario.title}`);
    const result = await runner.execute('resilient_report', scenario.input);
    console.log('');
    for (const t of result.taskResults) {
      const mark = { Completed: '✔', Failed: '✘', Skipped: '·' }[t.status] ?? '?';
      let note = '';
      if (t.status === 'Skipped') note = `skipped: ${t.errorMessage.replace(SKIP_PREFIX, '')}`;
      else if (t.status === 'Failed') note = `failed after ${t.attemptCount} attempts: ${t.errorMessage}`;
      else if (t.attemptCount > 1) note = `succeeded on attempt ${t.attemptCount}`;
      console.log(`    ${mark} ${t.taskId.padEnd(20)} ${note}`);
    }
    const ctx = result.finalContext;
    console.log(`  Run ${result.status}${result.errorMessage ? ` (${result.errorMessage})` : ''}`);
    console.log(`  source=${ctx.get('source')}  quality=${ctx.get('quality_score')}  ${ctx.get('report') ?? ctx.get('alert')}\n`);

    const ran = result.taskResults.filter((t) => t.status === 'Completed').map((t) => t.taskId);
    if (result.status !== expected[i].status || JSON.stringify(ran) !== JSON.stringify(expected[i].ran)) {
      console.error(`  Unexpected outcome: ${result.status}, ran ${ran.join(', ')}`);
      problems++;
    }
  }
  console.log('Note: scenario 3 ends "Failed" because fetch_data failed — a run reports every failed task —');
  console.log('but the fallback delivered the data and the final context is still the merge of the completed leaves.');
} finally {
  await runner.shutdown();
  rmSync(dir, { recursive: true, force: true });
}
if (problems > 0) process.exitCode = 1;
