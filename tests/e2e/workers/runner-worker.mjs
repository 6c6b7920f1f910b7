// A DefaultRunner in a child process, for the fault and scale tests. It imports the BUILT
// @cloacina/runner (resolved from /work/main/tests), gets its parameters as JSON in argv[2],
// writes JSON lines on stdout and reads JSON-line commands on stdin:
//
//   out: {type:'ready', runnerId}            the runner started (migrated, services running)
//        {type:'submitted', executionIds}    when `submit` was given
//        {type:'effect', n, task, attempt, pipelineId}   after each committed side-effect row
//        {type:'log', level, msg}            the runner logged at warn or error
//        {type:'stopped', effects, started}  after a clean shutdown (then the process exits by itself)
//        {type:'error', error}               a fatal problem (exit code 1)
//   in:  {type:'shutdown'}
//
// Parameters: { url, schema?, dal, runnerId, workflow: 'crash' | 'scale', tasks?, sleepMs?,
//   unique?, reportEffects?, hangAtEffect?, submit?: { count, input }, options? }.
// `hangAtEffect: N` keeps the task that wrote the N-th side-effect row in flight (it waits for
// its AbortSignal), so the parent can SIGKILL the process with exactly that attempt running.
import { createInterface } from 'node:readline';
import { DefaultRunner } from '@cloacina/runner';
import { openSideTable } from './side-effects.mjs';
import { CRASH_WORKFLOW, SCALE_WORKFLOW, crashWorkflow, scaleWorkflow, untilAborted } from './workflows.mjs';

const params = JSON.parse(process.argv[2] ?? '{}');

function emit(msg) {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

function describe(err) {
  return { name: err?.name ?? null, code: err?.code ?? null, message: String(err?.message ?? err), stack: err?.stack ?? null };
}

function fail(err) {
  emit({ type: 'error', error: describe(err) });
  process.exit(1);
}
process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);

const commands = [];
let onCommand = null;
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line);
  if (onCommand) onCommand(msg);
  else commands.push(msg);
});
function nextCommand() {
  if (commands.length > 0) return Promise.resolve(commands.shift());
  return new Promise((resolve) => {
    onCommand = (msg) => {
      onCommand = null;
      resolve(msg);
    };
  });
}

const side = await openSideTable({ url: params.url, schema: params.schema, unique: params.unique ?? false, poolSize: 2 });
let effects = 0;
let started = 0;
async function effect(info) {
  await side.insert({ pipelineId: info.pipelineExecutionId, taskName: info.taskId, attempt: info.attempt, runnerId: info.runnerId });
  const n = ++effects;
  if (params.reportEffects !== false) emit({ type: 'effect', n, task: info.taskId, attempt: info.attempt, pipelineId: info.pipelineExecutionId });
  if (n === params.hangAtEffect) await untilAborted(info.signal);
}

const wf =
  params.workflow === 'crash'
    ? crashWorkflow({ effect, sleepMs: params.sleepMs ?? 30 })
    : scaleWorkflow({ tasks: params.tasks ?? 10, effect, sleepMs: params.sleepMs ?? 5 });

const log = (level) => (msg) => {
  if (level === 'warn' || level === 'error') emit({ type: 'log', level, msg });
};
const runner = await DefaultRunner.create({
  databaseUrl: params.url,
  ...(params.schema ? { schema: params.schema } : {}),
  dal: params.dal ?? 'unified',
  runnerId: params.runnerId,
  workflows: [wf],
  logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
  ...params.options,
});
runner.on('taskStarted', () => {
  started++;
});
emit({ type: 'ready', runnerId: runner.runnerId });

if (params.submit) {
  const name = params.workflow === 'crash' ? CRASH_WORKFLOW : SCALE_WORKFLOW;
  const executionIds = [];
  for (let i = 0; i < params.submit.count; i++) {
    const input = params.workflow === 'crash' ? params.submit.input : { ...params.submit.input, run: i };
    const handle = await runner.executeAsync(name, input);
    executionIds.push(handle.executionId);
  }
  emit({ type: 'submitted', executionIds });
}

for (;;) {
  const cmd = await nextCommand();
  if (cmd.type === 'shutdown') break;
}
await runner.shutdown();
await side.close();
emit({ type: 'stopped', effects, started });
// Nothing else may keep the process alive: it must exit on its own once the runner is shut down.
rl.close();
process.stdin.destroy();
