import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskError, task, trigger, workflow, type Workflow } from '@cloacina/core';
import { consoleLogger } from './logger.js';
import type { PipelineResult } from './results.js';
import { DefaultRunner } from './runner.js';

/** Minimal ANSI styling, only on a colour terminal (and never with NO_COLOR). */
function palette(enabled: boolean) {
  const wrap = (code: number) => (s: string) => (enabled ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { bold: wrap(1), dim: wrap(2), red: wrap(31), green: wrap(32), yellow: wrap(33), blue: wrap(34), cyan: wrap(36) };
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

/**
 * An order-fulfilment workflow that shows the library's main features in a few seconds:
 * three parallel branches after `fetch_orders`; `price_orders` fails once with a transient error
 * and succeeds on its retry; `manual_review` is skipped by a context threshold and its dependent
 * `notify_fraud_team` is skipped in turn; `ship_orders` joins the branches.
 */
export function demoWorkflow(): Workflow {
  const fetchOrders = task({
    id: 'fetch_orders',
    description: 'Load the pending orders',
    run: async (ctx, { signal }) => {
      await pause(120, signal);
      ctx.set('orders', [
        { id: 'A-1001', item: 'espresso machine', amount: 249.0 },
        { id: 'A-1002', item: 'milk frother', amount: 39.5 },
        { id: 'A-1003', item: 'coffee beans', amount: 18.25 },
      ]);
    },
  });
  const priceOrders = task({
    id: 'price_orders',
    dependencies: [fetchOrders],
    retry: { maxAttempts: 3, backoff: 'fixed', initialDelayMs: 400, jitter: false, conditions: ['TransientOnly'] },
    run: async (ctx, { attempt, signal }) => {
      await pause(150, signal);
      if (attempt === 1) throw new TaskError('pricing service temporarily unavailable', { transient: true });
      const orders = ctx.get<{ amount: number }[]>('orders') ?? [];
      ctx.set('total_due', Math.round(orders.reduce((sum, o) => sum + o.amount * 1.2, 0) * 100) / 100);
    },
  });
  const checkInventory = task({
    id: 'check_inventory',
    dependencies: [fetchOrders],
    run: async (ctx, { signal }) => {
      await pause(250, signal);
      ctx.set('in_stock', true);
    },
  });
  const scoreFraud = task({
    id: 'score_fraud',
    dependencies: [fetchOrders],
    run: async (ctx, { signal }) => {
      await pause(200, signal);
      ctx.set('fraud_score', 0.12);
    },
  });
  const manualReview = task({
    id: 'manual_review',
    dependencies: [scoreFraud],
    trigger: trigger.contextValue('fraud_score', 'GreaterThan', 0.8),
    run: (ctx) => ctx.set('reviewed', true),
  });
  const notifyFraudTeam = task({ id: 'notify_fraud_team', dependencies: [manualReview], run: () => {} });
  const shipOrders = task({
    id: 'ship_orders',
    dependencies: [priceOrders, checkInventory, scoreFraud],
    run: async (ctx, { signal }) => {
      await pause(150, signal);
      ctx.set('shipped', (ctx.get<{ id: string }[]>('orders') ?? []).map((o) => o.id));
    },
  });
  const sendReceipts = task({
    id: 'send_receipts',
    dependencies: [shipOrders],
    run: async (ctx, { signal }) => {
      await pause(80, signal);
      ctx.set('receipts_sent', (ctx.get<string[]>('shipped') ?? []).length);
    },
  });
  return workflow({
    name: 'order_fulfilment',
    description: 'Price, check and ship the pending orders',
    tasks: [fetchOrders, priceOrders, checkInventory, scoreFraud, manualReview, notifyFraudTeam, shipOrders, sendReceipts],
  });
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

const SKIP_PREFIX = 'Trigger rules not satisfied: ';

/** The summary table printed at the end of the demo. */
export function summaryTable(result: PipelineResult, colour = false): string {
  const c = palette(colour);
  const statusColour: Record<string, (s: string) => string> = { Completed: c.green, Failed: c.red, Skipped: c.yellow };
  const rows = result.taskResults.map((t) => {
    let note = t.errorMessage ?? '';
    if (t.status === 'Completed' && t.attemptCount > 1) note = `succeeded on attempt ${t.attemptCount} (after: ${note})`;
    if (note.startsWith(SKIP_PREFIX)) note = note.slice(SKIP_PREFIX.length);
    return [t.taskId, t.status, String(t.attemptCount), formatMs(t.durationMs), note];
  });
  const head = ['Task', 'Status', 'Attempts', 'Duration', 'Note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[], styleStatus: boolean) =>
    '  ' +
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : pad(cell, widths[i] as number);
        return styleStatus && i === 1 ? (statusColour[cell] ?? ((s: string) => s))(padded) : padded;
      })
      .join('  ');
  return [c.bold(line(head, false)), ...rows.map((r) => line(r, true))].join('\n');
}

export interface DemoOptions {
  databaseUrl?: string;
  out?: (line: string) => void;
  colour?: boolean;
}

/** Runs the demo; resolves with the run's result (the CLI exits 0 when it Completed). */
export async function runDemo(opts: DemoOptions = {}): Promise<PipelineResult> {
  const out = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const c = palette(opts.colour ?? false);
  const databaseUrl = opts.databaseUrl ?? `sqlite://${join(mkdtempSync(join(tmpdir(), 'cloacina-demo-')), 'demo.db')}`;
  const wf = demoWorkflow();

  out(c.bold('Cloacina demo — durable DAG workflows inside your Node.js process'));
  out(`Database: ${databaseUrl}`);
  out(`Workflow: ${wf.name} (version ${wf.version}), ${wf.tasks.length} tasks in ${wf.executionLevels().length} levels:`);
  for (const [i, level] of wf.executionLevels().entries()) out(c.dim(`  level ${i}: ${level.map((ns) => ns.split('::')[3]).join(', ')}`));
  out('');

  const runner = await DefaultRunner.create({ databaseUrl, workflows: [wf], logger: consoleLogger('warn') });
  const started = Date.now();
  const stamp = () => c.dim(`+${((Date.now() - started) / 1000).toFixed(2)}s`);
  const say = (icon: string, taskId: string, text: string) => out(`  ${stamp()}  ${icon} ${pad(taskId, 18)} ${text}`);
  runner.on('taskStarted', (e) => say(c.blue('▶'), e.taskId, `started (attempt ${e.attempt}/${e.maxAttempts})`));
  runner.on('taskCompleted', (e) => say(c.green('✔'), e.taskId, `completed in ${formatMs(e.durationMs)}`));
  runner.on('taskRetrying', (e) => say(c.yellow('↻'), e.taskId, `failed: ${e.error} — retrying in ${formatMs(e.delayMs)}`));
  runner.on('taskFailed', (e) => say(c.red('✘'), e.taskId, `failed: ${e.error}`));
  runner.on('taskSkipped', (e) => say(c.yellow('⤼'), e.taskId, `skipped: ${e.reason.replace(SKIP_PREFIX, '')}`));
  try {
    const result = await runner.execute(wf.name, { requested_by: 'cloacina demo' }, { timeoutMs: 60_000 });
    const colourStatus = result.status === 'Completed' ? c.green : c.red;
    out(`  ${stamp()}  ${c.bold('■')} run ${colourStatus(result.status)}`);
    out('');
    out(c.bold('Summary'));
    out(summaryTable(result, opts.colour ?? false));
    out('');
    out(`Run ${result.executionId}: ${colourStatus(result.status)} in ${formatMs(result.durationMs)}${result.errorMessage ? ` (${result.errorMessage})` : ''}`);
    out(`Final context: ${JSON.stringify(result.finalContext)}`);
    out(c.dim('Everything above is stored in the database; run it again with --db to keep adding history.'));
    return result;
  } finally {
    await runner.shutdown();
  }
}
