import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';

function capture() {
  const io = { stdout: '', stderr: '' };
  return { io, sinks: { out: (s: string) => void (io.stdout += s), err: (s: string) => void (io.stderr += s) } };
}

const dir = mkdtempSync(join(tmpdir(), 'cloacina-cli-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cloacina CLI', () => {
  it('prints help with exit code 0, and usage errors with 2', async () => {
    const help = capture();
    expect(await main(['--help'], help.sinks)).toBe(0);
    expect(help.io.stdout).toContain('cloacina demo [--db URL]');
    const none = capture();
    expect(await main([], none.sinks)).toBe(2);
    const bad = capture();
    expect(await main(['frobnicate'], bad.sinks)).toBe(2);
    expect(bad.io.stderr).toMatch(/^cloacina: Unknown command: frobnicate\n/);
    const badArg = capture();
    expect(await main(['demo', '--db'], badArg.sinks)).toBe(2);
    expect(badArg.io.stderr).toContain('--db needs a value');
  });

  it('reports a typed error with exit code 1', async () => {
    const run = capture();
    expect(await main(['demo', '--db', 'mysql://nope'], run.sinks)).toBe(1);
    expect(run.io.stderr).toMatch(/^cloacina: ConfigurationError: Unrecognised database URL 'mysql:\/\/nope'/);
  });

  it('runs the demo: parallel branches, a retry, a skipped branch, a summary', async () => {
    const run = capture();
    const db = `sqlite://${join(dir, 'demo.db')}`;
    expect(await main(['demo', `--db=${db}`], run.sinks)).toBe(0);
    const out = run.io.stdout;
    expect(out).toContain(`Database: ${db}`);
    expect(out).toMatch(/↻ price_orders +failed: pricing service temporarily unavailable — retrying in 400 ms/);
    expect(out).toMatch(/⤼ manual_review +skipped: context 'fraud_score' GreaterThan 0.8 \(actual: 0.12\)/);
    expect(out).toMatch(/price_orders +Completed +2 +.*succeeded on attempt 2/);
    expect(out).toMatch(/notify_fraud_team +Skipped +1/);
    expect(out).toMatch(/Run [0-9a-f-]{36}: Completed in/);
    expect(out).toContain('"receipts_sent":3');
  });
});
