/** Helpers for tests that watch a DAL's commit signals. */
import type { Dal, Signal } from '@cloacina/core';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Lets deliveries of earlier commits (possibly asynchronous) drain before the next observation. */
export const settle = () => sleep(50);

/** Every signal `dal` delivers from now on; `stop()` unsubscribes. */
export function listen(dal: Dal): Signal[] & { stop: () => void } {
  const got = [] as unknown as Signal[] & { stop: () => void };
  // Non-enumerable, so the array still compares equal to a plain list of signals.
  Object.defineProperty(got, 'stop', { value: dal.signals.subscribe((s) => got.push({ ...s })), enumerable: false });
  return got;
}

export async function waitFor(cond: () => boolean, timeoutMs = 1000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('signal not delivered in time');
    await sleep(5);
  }
}

const signalKey = (s: Signal) => `${s.type}|${s.pipelineExecutionId}|${s.taskExecutionId}`;

/** Signals in a stable order (type, run, task), for comparing sets of them. */
export const sortedSignals = (xs: Signal[]) => [...xs].sort((a, b) => (signalKey(a) < signalKey(b) ? -1 : signalKey(a) > signalKey(b) ? 1 : 0));
