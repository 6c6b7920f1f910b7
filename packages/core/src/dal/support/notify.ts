/**
 * The PostgreSQL NOTIFY format of cross-process signals (02 §2.5), shared by every DAL so a
 * legacy and a unified runner process hear each other.
 */
import { randomUUID } from 'node:crypto';
import { isUuid } from '../../codecs/uuid.js';
import { EXECUTION_EVENT_TYPES, type ExecutionEventType } from '../../models/vocabulary.js';
import type { Signal } from '../types.js';

export const SIGNAL_CHANNEL = 'cloacina_signals';

const ORIGIN_KEY = Symbol.for('cloacina.signalOrigin');
const g = globalThis as unknown as Record<symbol, string | undefined>;
/**
 * One origin per process, whichever DAL (or copy of core) sends: a process skips its own
 * notifications, which were already delivered locally after commit.
 */
export const PROCESS_SIGNAL_ORIGIN: string = (g[ORIGIN_KEY] ??= randomUUID());

export function encodeNotifyPayload(s: Signal, schema: string | null): string {
  return JSON.stringify({
    origin: PROCESS_SIGNAL_ORIGIN,
    schema,
    type: s.type,
    pipeline_execution_id: s.pipelineExecutionId,
    task_execution_id: s.taskExecutionId,
  });
}

/** Parses a notification; null when it is this process's own, for another schema, or malformed. */
export function decodeNotifyPayload(payload: string | undefined, schema: string | null): Signal | null {
  if (!payload) return null;
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (!p || typeof p !== 'object' || p.origin === PROCESS_SIGNAL_ORIGIN) return null;
  if ((p.schema ?? null) !== schema) return null;
  if (typeof p.type !== 'string' || !(EXECUTION_EVENT_TYPES as readonly string[]).includes(p.type)) return null;
  if (!isUuid(p.pipeline_execution_id)) return null;
  const task = p.task_execution_id ?? null;
  if (task !== null && !isUuid(task)) return null;
  return {
    type: p.type as ExecutionEventType,
    pipelineExecutionId: (p.pipeline_execution_id as string).toLowerCase(),
    taskExecutionId: task === null ? null : (task as string).toLowerCase(),
    schema,
  };
}
