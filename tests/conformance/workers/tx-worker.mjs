// Runs `count` concurrent transactions, each incrementing a shared counter context and
// creating one pipeline named p-<worker>-<i>; reports successes and errors.
// params: packageName, factoryName, url, counterId, worker, count, now, idBase
import { describeError, emit, nextCommand, openDal, params, run } from './common.mjs';

await run(async () => {
  const dal = await openDal();
  emit({ type: 'ready' });
  await nextCommand();
  const outcomes = await Promise.allSettled(
    Array.from({ length: params.count }, (_, i) =>
      dal.transaction(async (tx) => {
        const current = await tx.context.read(params.counterId);
        await tx.context.update(params.counterId, { n: current.n + 1 });
        await tx.pipelineExecution.create({ pipelineName: `p-${params.worker}-${i}` });
      }),
    ),
  );
  await dal.close();
  emit({
    type: 'result',
    ok: outcomes.filter((o) => o.status === 'fulfilled').length,
    errors: outcomes.filter((o) => o.status === 'rejected').map((o) => describeError(o.reason)),
  });
});
