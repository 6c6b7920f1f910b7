// Subscribes to signals on a PostgreSQL DAL with LISTEN on and forwards every one to the parent
// until told to stop. params: packageName, factoryName, url, schema
import { emit, nextCommand, openDal, params, run } from './common.mjs';

await run(async () => {
  const dal = await openDal({ ...params, listen: true });
  dal.signals.subscribe((signal) => emit({ type: 'signal', signal }));
  emit({ type: 'ready' });
  await nextCommand(); // "stop"
  await dal.close();
  emit({ type: 'stopped' });
});
