/**
 * Every example under examples/ runs as a user would run it (`node index.mjs` with the built
 * packages) and finishes with exit code 0; each example checks its own result and sets a
 * non-zero exit code when the outcome is not what it demonstrates.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const examplesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const examples = readdirSync(examplesDir).filter((d) => existsSync(join(examplesDir, d, 'index.mjs')));

describe('examples', () => {
  it('finds the four tutorial examples', () => {
    expect(examples).toEqual(expect.arrayContaining(['01-basic-workflow', '02-multi-task', '03-dependencies', '04-error-handling']));
  });

  it.each(examples)('%s runs to completion on SQLite', (name) => {
    const env = { ...process.env };
    delete env.DATABASE_URL; // each example then uses its own throwaway SQLite file
    const r = spawnSync(process.execPath, ['index.mjs'], { cwd: join(examplesDir, name), encoding: 'utf8', timeout: 120_000, env });
    expect(r.status, `exit code of ${name}; stderr:\n${r.stderr}`).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
  }, 150_000);
});
