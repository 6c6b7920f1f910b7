// Shared plumbing for conformance child processes: open a built DAL from JSON parameters,
// talk JSON lines with the parent (stdout out, stdin in).
import { createInterface } from 'node:readline';

export const params = JSON.parse(process.argv[2] ?? '{}');

export function emit(msg) {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

const inbox = [];
const waiting = [];
createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line);
  const w = waiting.shift();
  if (w) w(msg);
  else inbox.push(msg);
});

/** The next command the parent sends. */
export function nextCommand() {
  const msg = inbox.shift();
  if (msg) return Promise.resolve(msg);
  return new Promise((resolve) => waiting.push(resolve));
}

function sequentialId(n) {
  return `00000000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Opens the combo's DAL (built package) with a pinned clock and a disjoint id range when given. */
export async function openDal(p = params) {
  const mod = await import(p.packageName);
  const factory = mod[p.factoryName];
  if (typeof factory !== 'function') throw new Error(`${p.packageName} has no export ${p.factoryName}`);
  let n = 0;
  const options = { url: p.url, poolSize: p.poolSize ?? 1, listen: p.listen ?? false };
  if (p.schema) options.schema = p.schema;
  if (p.runnerId) options.runnerId = p.runnerId;
  if (p.now) options.clock = () => new Date(p.now);
  if (p.idBase !== undefined) options.idGenerator = () => sequentialId(p.idBase + ++n);
  return factory(options);
}

export function describeError(err) {
  return {
    name: err?.name ?? null,
    code: err?.code ?? null,
    dbCode: err?.dbCode ?? null,
    message: String(err?.message ?? err),
  };
}

/** Runs main, reporting any failure as an `error` message and a non-zero exit code. */
export async function run(main) {
  try {
    await main();
    process.exit(0);
  } catch (err) {
    emit({ type: 'error', error: describeError(err) });
    process.exit(1);
  }
}
