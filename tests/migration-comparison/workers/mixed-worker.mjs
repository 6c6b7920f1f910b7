// Mixed-concurrency worker (02 §10.3 step 4): opens one BUILT DAL implementation on a shared
// database and claims, heartbeats and completes Ready tasks until none is left, at the same
// time as workers of the other implementation. Reports every claimed id and every error.
// argv[2] JSON: { packageName, factoryName, url, schema?, runnerId, limit, now, idBase }
// stdout: JSON lines {type:'ready'} then {type:'result', ...}; stdin: one line "go".
import { createInterface } from 'node:readline';

const params = JSON.parse(process.argv[2] ?? '{}');
const emit = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const describe = (err) => ({ name: err?.name ?? null, code: err?.code ?? null, dbCode: err?.dbCode ?? null, message: String(err?.message ?? err) });
const go = new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));

async function main() {
  const mod = await import(params.packageName);
  const factory = mod[params.factoryName];
  let n = 0;
  const dal = await factory({
    url: params.url,
    ...(params.schema ? { schema: params.schema } : {}),
    poolSize: 2,
    listen: false,
    runnerId: params.runnerId,
    clock: () => new Date(params.now),
    idGenerator: () => `00000000-0000-7000-8000-${(params.idBase + ++n).toString(16).padStart(12, '0')}`,
  });
  emit({ type: 'ready' });
  await go;
  const claimed = [];
  const errors = [];
  let unsorted = 0;
  for (;;) {
    let batch;
    try {
      batch = await dal.taskExecution.claimReadyTasks(params.runnerId, params.limit);
    } catch (err) {
      errors.push({ op: 'claimReadyTasks', ...describe(err) });
      continue;
    }
    if (batch.length === 0) break;
    const ids = batch.map((c) => c.id);
    if (ids.some((id, i) => i > 0 && ids[i - 1] >= id)) unsorted += 1;
    claimed.push(...ids);
    try {
      const { renewed, lost } = await dal.taskExecution.heartbeatMany(params.runnerId, ids);
      if (lost.length > 0 || renewed.length !== ids.length) errors.push({ op: 'heartbeatMany', renewed, lost });
    } catch (err) {
      errors.push({ op: 'heartbeatMany', ...describe(err) });
    }
    for (const [i, id] of ids.entries()) {
      try {
        await dal.taskExecution.heartbeat(id, params.runnerId);
        if (i % 2 === 0) await dal.taskExecution.completeWithOutput(id, params.runnerId, { by: params.runnerId });
        else await dal.taskExecution.markCompleted(id, params.runnerId);
      } catch (err) {
        errors.push({ op: 'complete', id, ...describe(err) });
      }
    }
  }
  await dal.close();
  emit({ type: 'result', claimed, errors, unsorted });
}

main().then(
  () => process.exit(0),
  (err) => {
    emit({ type: 'error', error: describe(err) });
    process.exit(1);
  },
);
