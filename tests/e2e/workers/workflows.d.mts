// Types of workflows.mjs for the TypeScript tests.
import type { JsonObject, TaskRunInfo, Workflow } from '@cloacina/runner';

export type Effect = (info: TaskRunInfo) => Promise<void>;

export declare function sleep(ms: number, signal?: AbortSignal): Promise<void>;
export declare function untilAborted(signal: AbortSignal): Promise<never>;

export declare const CRASH_WORKFLOW: string;
export declare const CRASH_TASKS: readonly string[];
export declare function crashWorkflow(opts: { effect: Effect; sleepMs?: number }): Workflow;
export declare function crashExpectedFinal(n: number): JsonObject;

export declare const SCALE_WORKFLOW: string;
export declare function scaleWorkflow(opts: { tasks: number; effect: Effect; sleepMs?: number }): Workflow;
