import { describe, expect, it, vi } from 'vitest';
import { Ticker } from './ticker.js';
import { consoleLogger } from './logger.js';

const silent = consoleLogger('silent');

describe('Ticker', () => {
  it('never overlaps runs and coalesces triggers that arrive meanwhile into one rerun', async () => {
    let active = 0;
    let maxActive = 0;
    const calls: boolean[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = new Ticker('test', 60_000, async (periodic) => {
      calls.push(periodic);
      active++;
      maxActive = Math.max(maxActive, active);
      if (calls.length === 1) await gate;
      active--;
    }, silent);
    t.start(true);
    t.trigger();
    t.trigger();
    t.trigger();
    release();
    await vi.waitFor(() => expect(calls.length).toBe(2));
    await t.stop();
    expect(maxActive).toBe(1);
    expect(calls).toEqual([true, false]); // first run is the periodic one; then one coalesced rerun
  });

  it('ticks periodically and logs a streak of failures once, without stopping', async () => {
    const errors: string[] = [];
    const infos: string[] = [];
    const logger = { ...silent, error: (m: string) => void errors.push(m), info: (m: string) => void infos.push(m) };
    let n = 0;
    const t = new Ticker('flaky', 5, async () => {
      n++;
      if (n <= 3) throw new Error(`boom ${n}`);
    }, logger);
    t.start(true);
    await vi.waitFor(() => expect(n).toBeGreaterThanOrEqual(5));
    await t.stop();
    expect(errors).toEqual(['flaky failed: Error: boom 1']);
    expect(infos).toEqual(['flaky works again after 3 failed run(s)']);
    const after = n;
    await new Promise((r) => setTimeout(r, 30));
    expect(n).toBe(after);
  });

  it('ignores triggers before start and after stop', async () => {
    let n = 0;
    const t = new Ticker('idle', 60_000, async () => void n++, silent);
    t.trigger();
    await t.stop();
    t.start();
    t.trigger();
    expect(n).toBe(0);
  });
});
