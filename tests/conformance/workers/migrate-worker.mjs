// Child process of the concurrent-migration test (migrations.test.ts). Imports the BUILT DAL
// package named in argv[2] (JSON: packageName, factoryName, url, schema), opens one DAL, prints
// {"event":"ready"}, waits for one line on stdin (the start barrier, so every process migrates
// at the same moment), runs migrate() and prints {"event":"done","report":…} or
// {"event":"error",…} as one JSON line.
import { createInterface } from 'node:readline';

const params = JSON.parse(process.argv[2]);
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

function waitForGo() {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.once('line', () => {
      rl.close();
      resolve();
    });
    rl.once('close', resolve);
  });
}

let dal;
try {
  const mod = await import(params.packageName);
  const factory = mod[params.factoryName];
  if (typeof factory !== 'function') throw new Error(`${params.packageName} does not export ${params.factoryName}`);
  dal = await factory({ url: params.url, schema: params.schema ?? undefined, poolSize: 1, listen: false });
  out({ event: 'ready' });
  await waitForGo();
  const report = await dal.migrate();
  out({ event: 'done', report });
} catch (e) {
  out({ event: 'error', name: e?.name ?? null, code: e?.code ?? null, message: String(e?.message ?? e) });
  process.exitCode = 1;
} finally {
  await dal?.close().catch(() => undefined);
}
