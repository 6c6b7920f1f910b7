/**
 * The invariants of 01 §11, checked on a database after concurrent use by several
 * implementations (02 §10.3 step 4). Returns the list of violations (empty when valid).
 */
import { ALL_TABLES, isUuid } from '@cloacina/core';
import { dumpDatabase, type Normalised } from './dump.js';
import type { RawDb } from './raw-db.js';

type Row = Record<string, Normalised>;
const TERMINAL_PIPELINE = ['Completed', 'Failed', 'Cancelled'];
const TERMINAL_TASK = ['Completed', 'Failed', 'Skipped'];
const TS_SHAPE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Task transitions by event type (01 §7.2/§7.3): allowed sources → target. */
const TASK_EVENTS: Record<string, [string[], string]> = {
  task_ready: [['NotStarted'], 'Ready'],
  task_skipped: [['NotStarted', 'Ready'], 'Skipped'],
  task_claimed: [['Ready'], 'Running'],
  task_completed: [['Running'], 'Completed'],
  task_failed: [['Running'], 'Failed'],
  task_retry_scheduled: [['Running'], 'Ready'],
  task_released: [['Running'], 'Ready'],
  task_reset: [['Running'], 'Ready'],
  task_abandoned: [['NotStarted', 'Ready', 'Running'], 'Failed'],
  task_retry_reset: [['Failed', 'Skipped', 'Completed', 'Ready'], 'Ready'],
};
const PIPELINE_EVENTS: Record<string, [string[], string]> = {
  pipeline_started: [['Pending'], 'Running'],
  pipeline_completed: [['Pending', 'Running'], 'Completed'],
  pipeline_failed: [['Pending', 'Running'], 'Failed'],
  pipeline_cancelled: [['Pending', 'Running'], 'Cancelled'],
};

function uniqueOn(rows: Row[], cols: string[], what: string, out: string[]): void {
  const seen = new Set<string>();
  for (const r of rows) {
    const key = JSON.stringify(cols.map((c) => r[c]));
    if (seen.has(key)) out.push(`11.5/6: duplicate ${what} ${key}`);
    seen.add(key);
  }
}

export async function checkInvariants(raw: RawDb): Promise<string[]> {
  const out: string[] = [];
  const dump = await dumpDatabase(raw);
  // 11.1 and 11.2: stored forms on SQLite (the dump decoder already rejects malformed values).
  if (raw.backend === 'sqlite') {
    for (const t of ALL_TABLES) {
      for (const c of t.columns) {
        if (c.type === 'uuid') {
          const bad = await raw.query(`SELECT count(*) AS n FROM ${t.name} WHERE ${c.name} IS NOT NULL AND (typeof(${c.name}) != 'blob' OR length(${c.name}) != 16)`);
          if (Number(bad[0]!.n) > 0) out.push(`11.1: ${t.name}.${c.name} has ${String(bad[0]!.n)} values that are not 16-byte blobs`);
        }
        if (c.type === 'ts') {
          for (const r of await raw.query(`SELECT ${c.name} AS v FROM ${t.name} WHERE ${c.name} IS NOT NULL`)) {
            if (typeof r.v !== 'string' || !TS_SHAPE.test(r.v)) out.push(`11.2: ${t.name}.${c.name} holds ${JSON.stringify(r.v)}`);
          }
        }
      }
    }
  }
  for (const t of ALL_TABLES) {
    for (const r of dump[t.name] as Row[]) {
      for (const c of t.columns) if (c.type === 'uuid' && r[camel(c.name)] !== null && !isUuid(r[camel(c.name)])) out.push(`11.1: ${t.name}.${c.name} = ${JSON.stringify(r[camel(c.name)])}`);
    }
  }
  const pipelines = dump.pipeline_executions as Row[];
  const tasks = dump.task_executions as Row[];
  for (const p of pipelines) {
    if ((p.completedAt !== null) !== TERMINAL_PIPELINE.includes(p.status as string)) out.push(`11.3: pipeline ${String(p.id)} status ${String(p.status)} completedAt ${String(p.completedAt)}`);
  }
  for (const t of tasks) {
    if ((t.completedAt !== null) !== TERMINAL_TASK.includes(t.status as string)) out.push(`11.3: task ${String(t.id)} status ${String(t.status)} completedAt ${String(t.completedAt)}`);
    const running = t.status === 'Running';
    if (running !== (t.claimedBy !== null) || running !== (t.heartbeatAt !== null)) out.push(`11.4: task ${String(t.id)} status ${String(t.status)} claimedBy ${String(t.claimedBy)} heartbeatAt ${String(t.heartbeatAt)}`);
  }
  uniqueOn(tasks, ['pipelineExecutionId', 'taskName'], 'task (pipeline, task_name)', out);
  uniqueOn(dump.task_execution_metadata as Row[], ['pipelineExecutionId', 'taskName'], 'metadata (pipeline, task_name)', out);
  uniqueOn(dump.cron_executions as Row[], ['scheduleId', 'scheduledTime'], 'cron execution (schedule, time)', out);
  uniqueOn(dump.workflow_packages as Row[], ['packageName', 'version'], 'package (name, version)', out);
  // 11.7 and 11.8: every row's events, in id order, replay its history to its current status.
  const events = dump.execution_events as Row[];
  for (const t of tasks) replay(`task ${String(t.id)}`, 'NotStarted', t.status as string, events.filter((e) => e.taskExecutionId === t.id), TASK_EVENTS, out);
  for (const p of pipelines) {
    const own = events.filter((e) => e.pipelineExecutionId === p.id && e.taskExecutionId === null);
    if (own[0]?.eventType !== 'pipeline_created') out.push(`11.7: pipeline ${String(p.id)} history does not start with pipeline_created`);
    replay(`pipeline ${String(p.id)}`, 'Pending', p.status as string, own.slice(1), PIPELINE_EVENTS, out);
  }
  return out;
}

function replay(what: string, start: string, final: string, events: Row[], machine: Record<string, [string[], string]>, out: string[]): void {
  let state = start;
  for (const e of events) {
    const rule = machine[e.eventType as string];
    if (!rule) {
      out.push(`11.7: ${what} has unexpected event ${String(e.eventType)}`);
      return;
    }
    if (!rule[0].includes(state)) out.push(`11.8: ${what}: ${String(e.eventType)} (event ${String(e.id)}) from ${state}`);
    state = rule[1];
  }
  if (state !== final) out.push(`11.8: ${what}: events replay to ${state}, row says ${final}`);
}

function camel(column: string): string {
  return column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
