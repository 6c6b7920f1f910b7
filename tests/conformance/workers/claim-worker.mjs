// Claims Ready tasks in batches until none is left; reports every claimed id.
// params: packageName, factoryName, url, schema?, runnerId, limit, now, idBase
import { emit, nextCommand, openDal, params, run } from './common.mjs';

await run(async () => {
  const dal = await openDal();
  emit({ type: 'ready' });
  await nextCommand(); // "go": every worker starts claiming at the same moment
  const claimed = [];
  let batches = 0;
  let sorted = true;
  for (;;) {
    const batch = await dal.taskExecution.claimReadyTasks(params.runnerId, params.limit);
    if (batch.length === 0) break;
    batches += 1;
    const ids = batch.map((c) => c.id);
    if (ids.some((id, i) => i > 0 && ids[i - 1] >= id)) sorted = false;
    claimed.push(...ids);
  }
  await dal.close();
  emit({ type: 'result', claimed, batches, sorted });
});
