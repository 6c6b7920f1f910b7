#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CloacinaError } from '@cloacina/core';
import { runDemo } from './demo.js';

const HELP = `cloacina — embedded, durable DAG workflows for Node.js on PostgreSQL or SQLite

Usage:
  cloacina demo [--db URL]   Run a demo workflow: parallel branches, a retried task and a
                             skipped branch, with live progress and a summary table.
                             --db  sqlite://PATH (or any database URL); default: a new
                                   SQLite file under the OS temp directory
  cloacina --help            Show this help
  cloacina --version         Show the version

Exit codes: 0 success, 1 error (its message is printed), 2 bad usage.
Docs: packages/runner/README.md
`;

class UsageError extends Error {}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `--db URL` or `--db=URL`; anything else is a usage error. */
function parseDemoArgs(args: string[]): { db?: string } {
  const out: { db?: string } = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--db') {
      const value = args[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError('--db needs a value, e.g. --db sqlite://./demo.db');
      out.db = value;
    } else if (arg.startsWith('--db=')) {
      out.db = arg.slice('--db='.length);
    } else {
      throw new UsageError(`Unknown argument for 'demo': ${arg}`);
    }
  }
  return out;
}

/** Runs the CLI; returns the process exit code. Exported for tests. */
export async function main(argv: string[], io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(HELP);
        return command === undefined ? 2 : 0;
      case '--version':
      case '-v':
        io.out(`${version()}\n`);
        return 0;
      case 'demo': {
        if (rest.includes('--help') || rest.includes('-h')) {
          io.out(HELP);
          return 0;
        }
        const { db } = parseDemoArgs(rest);
        const colour = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
        const result = await runDemo({ ...(db !== undefined ? { databaseUrl: db } : {}), colour, out: (line) => io.out(`${line}\n`) });
        return result.status === 'Completed' ? 0 : 1;
      }
      default:
        throw new UsageError(`Unknown command: ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`cloacina: ${err.message}\n\n${HELP}`);
      return 2;
    }
    const message = err instanceof CloacinaError ? `${err.name}: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err);
    io.err(`cloacina: ${message}\n`);
    return 1;
  }
}

/** True when this file is the program (also through a symlinked bin), not when imported by tests. */
function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`cloacina: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
