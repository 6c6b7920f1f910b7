/** Run creation: createWithTasks (P1, T1) and create (P2). */
import {
  byId,
  CONTEXTS,
  eventData,
  newPipelineInput,
  newRunInput,
  newRunRecords,
  PIPELINE_EXECUTIONS,
  pipelineRecord,
  TASK_EXECUTIONS,
  type CreatedPipeline,
  type NewPipelineExecution,
  type NewPipelineWithTasks,
  type PipelineExecution,
} from '@cloacina/core';
import { decode, insertRows, writeEvents } from '../internal.js';
import type { Scope } from '../scope.js';

export function createRunMethods(scope: Scope) {
  const { env } = scope;
  return {
    async createWithTasks(input: NewPipelineWithTasks): Promise<CreatedPipeline> {
      // Every check happens before the first write, so a ValidationError writes nothing.
      const v = newRunInput(input);
      return scope.atomic(async (c) => {
        const now = env.now();
        const run = newRunRecords(v, now, env.newId);
        if (run.context) await insertRows(c, CONTEXTS, [run.context]);
        const [pipelineRaw] = await insertRows(c, PIPELINE_EXECUTIONS, [run.pipeline]);
        const taskRaws = await insertRows(c, TASK_EXECUTIONS, run.tasks);
        await writeEvents(c, env, now, [
          {
            pipelineExecutionId: run.pipeline.id,
            taskExecutionId: null,
            eventType: 'pipeline_created',
            eventData: eventData.pipelineCreated(v.pipelineName, v.pipelineVersion, v.tasks.length),
            runnerId: env.runnerId,
          },
        ]);
        return { pipeline: decode.pipeline(pipelineRaw!), tasks: taskRaws.map(decode.task).sort(byId), contextId: run.pipeline.contextId };
      });
    },

    async create(input: NewPipelineExecution): Promise<PipelineExecution> {
      const v = newPipelineInput(input);
      return scope.atomic(async (c) => {
        const now = env.now();
        const record = pipelineRecord(env.newId(), v, now);
        const [raw] = await insertRows(c, PIPELINE_EXECUTIONS, [record]);
        await writeEvents(c, env, now, [
          {
            pipelineExecutionId: record.id,
            taskExecutionId: null,
            eventType: 'pipeline_created',
            eventData: eventData.pipelineCreated(v.pipelineName, v.pipelineVersion, 0),
            runnerId: env.runnerId,
          },
        ]);
        return decode.pipeline(raw!);
      });
    },
  };
}
