import {
  ClaimLostError,
  Context,
  PipelineCancelledError,
  RunnerShutdownError,
  TaskExecutionError,
  TaskTimeoutError,
  assertJsonObject,
  isPlainObject,
  type JsonObject,
  type TaskDefinition,
  type TaskRunInfo,
} from '@cloacina/core';
import { describeError } from './logger.js';

/** Why an attempt was stopped from outside; its result is then discarded (03 §8.3, §8.6). */
export type Interruption = ClaimLostError | PipelineCancelledError | RunnerShutdownError;

export type AttemptOutcome =
  | { kind: 'succeeded'; output: JsonObject }
  | { kind: 'failed'; error: unknown }
  | { kind: 'interrupted'; reason: Interruption };

export function isInterruption(value: unknown): value is Interruption {
  return value instanceof ClaimLostError || value instanceof PipelineCancelledError || value instanceof RunnerShutdownError;
}

/**
 * The output rule of 03 §3.1: a returned Context's data, a returned plain object (validated as
 * JSON), or — when `run` returns undefined — the possibly mutated input context.
 */
export function outputOf(returned: unknown, input: Context): JsonObject {
  if (returned === undefined) return input.toJSON();
  if (returned instanceof Context) return returned.toJSON();
  if (isPlainObject(returned)) {
    try {
      assertJsonObject(returned, 'output');
    } catch (err) {
      throw new TaskExecutionError(`Task returned an object that is not valid JSON: ${describeError(err)}`, { cause: err });
    }
    return structuredClone(returned) as JsonObject;
  }
  throw new TaskExecutionError('Task returned a value that is not a Context or JSON object');
}

/**
 * Runs one attempt of `definition.run` with a timeout and an AbortSignal. The attempt ends at the
 * first of: `run` settles; the timeout fires (the signal is aborted with TaskTimeoutError and the
 * attempt fails at once — JavaScript cannot stop the function, so its eventual result is
 * ignored); or `controller` is aborted from outside with an Interruption (lost claim, cancelled
 * run, shutdown), whose result is discarded by the caller.
 */
export async function runAttempt(
  definition: TaskDefinition,
  input: JsonObject,
  info: Omit<TaskRunInfo, 'signal'>,
  timeoutMs: number,
  controller: AbortController,
): Promise<AttemptOutcome> {
  const { signal } = controller;
  const stopped = (): AttemptOutcome => {
    const reason: unknown = signal.reason;
    return isInterruption(reason) ? { kind: 'interrupted', reason } : { kind: 'failed', error: reason };
  };
  if (signal.aborted) return stopped();

  const timer = setTimeout(() => controller.abort(new TaskTimeoutError(info.namespace, timeoutMs)), timeoutMs);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<AttemptOutcome>((resolve) => {
    onAbort = () => resolve(stopped());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const ctx = new Context(input);
  const work = (async (): Promise<AttemptOutcome> => {
    try {
      // Called inside the async function so a synchronous throw is an ordinary failure.
      const returned: unknown = await definition.run(ctx, { ...info, signal });
      return { kind: 'succeeded', output: outputOf(returned, ctx) };
    } catch (error) {
      return { kind: 'failed', error };
    }
  })();
  try {
    return await Promise.race([work, aborted]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
