// 01 — Basic workflow: one task, one run, one result.
//
// A workflow is a set of tasks; a DefaultRunner stores every run in a database (here a throwaway
// SQLite file) and runs it. `execute()` waits for the run to finish and returns its result.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultRunner, task, workflow } from '@cloacina/runner';

// A task receives the run's context (a JSON key/value map) and may change it; the changed
// context is the task's output.
const helloWorld = task({
  id: 'hello_world',
  description: 'Greets whoever the run is for',
  run: (ctx, { attempt }) => {
    const name = ctx.get('name') ?? 'World';
    ctx.set('message', `Hello, ${name}!`);
    ctx.set('greeted_at', new Date().toISOString());
    console.log(`  [hello_world] running (attempt ${attempt}) for ${name}`);
  },
});

const greeting = workflow({ name: 'greeting', description: 'The smallest useful workflow', tasks: [helloWorld] });

// Any SQLite path or postgres:// URL works; DATABASE_URL overrides the throwaway file.
const dir = mkdtempSync(join(tmpdir(), 'cloacina-example-01-'));
const databaseUrl = process.env.DATABASE_URL ?? `sqlite://${join(dir, 'basic.db')}`;

console.log(`Database: ${databaseUrl}`);
console.log(`Workflow: ${greeting.name} (version ${greeting.version}), ${greeting.tasks.length} task\n`);

const runner = await DefaultRunner.create({ databaseUrl, workflows: [greeting] });
try {
  console.log('Executing greeting with input { name: "Cloacina" } ...');
  const result = await runner.execute('greeting', { name: 'Cloacina' });

  console.log(`\nRun ${result.executionId}`);
  console.log(`  status:   ${result.status}`);
  console.log(`  duration: ${result.durationMs} ms`);
  console.log(`  message:  ${result.finalContext.get('message')}`);
  for (const t of result.taskResults) {
    console.log(`  task ${t.taskId}: ${t.status} after ${t.attemptCount} attempt(s)`);
  }
  if (result.status !== 'Completed' || result.finalContext.get('message') !== 'Hello, Cloacina!') {
    console.error('Unexpected result');
    process.exitCode = 1;
  }
} finally {
  // Stops the background services and closes the database.
  await runner.shutdown();
  rmSync(dir, { recursive: true, force: true });
}
