// A side table in the runner's own database, written by task bodies: one row per executed task
// body (pipeline id, task name, attempt, runner id). The fault, scale and load tests count these
// rows to prove what ran how often. Used by the child-process workers (plain Node) and by the
// tests themselves (through side-effects.d.mts), so it is plain JavaScript with its own
// connections: pg for PostgreSQL, sqlite3 for SQLite — never the DAL under test.
import pg from 'pg';
import sqlite3 from 'sqlite3';

export const SIDE_TABLE = 'e2e_side_effects';

const quote = (ident) => `"${String(ident).replace(/"/g, '""')}"`;

/** Absolute or relative file path of a `sqlite://PATH` URL (the only SQLite form the tests use). */
export function sqlitePathOf(url) {
  if (!url.startsWith('sqlite://')) throw new Error(`not a sqlite:// URL: ${url}`);
  return url.slice('sqlite://'.length);
}

function sqliteCall(db, method, sql, params = []) {
  return new Promise((resolve, reject) => {
    db[method](sql, params, function callback(err, rows) {
      if (err) reject(err);
      else resolve(method === 'run' ? { changes: this.changes } : rows);
    });
  });
}

async function openSqlite(url) {
  const db = await new Promise((resolve, reject) => {
    const d = new sqlite3.Database(sqlitePathOf(url), (err) => (err ? reject(err) : resolve(d)));
  });
  // The runner holds the write lock for short transactions only; wait for it like the DAL does.
  db.configure('busyTimeout', 30_000);
  await sqliteCall(db, 'all', 'PRAGMA journal_mode = WAL');
  // Writes are serialised: a write waiting for the lock sleeps inside a libuv threadpool thread
  // (node-sqlite3 runs statements there), and several of them at once could occupy every thread
  // while the runner's own COMMIT, which frees the lock, waits for one.
  let tail = Promise.resolve();
  const serial = (fn) => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
  return {
    backend: 'sqlite',
    exec: (sql, params) => serial(() => sqliteCall(db, 'run', sql, params)),
    query: (sql, params) => sqliteCall(db, 'all', sql, params),
    close: () => new Promise((resolve, reject) => db.close((err) => (err ? reject(err) : resolve()))),
  };
}

async function openPostgres(url, schema, poolSize) {
  // search_path = the tenant schema, so raw reads (`query`) see the runner's tables.
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    application_name: 'cloacina-e2e-side',
    ...(schema ? { options: `-c search_path=${quote(schema)}` } : {}),
  });
  // A pool error (e.g. the server closing an idle connection) must not crash a worker.
  pool.on('error', () => undefined);
  const toPg = (sql) => {
    let i = 0;
    return sql.replace(/\?/g, () => `$${++i}`);
  };
  return {
    backend: 'postgres',
    exec: async (sql, params = []) => ({ changes: (await pool.query(toPg(sql), params)).rowCount ?? 0 }),
    query: async (sql, params = []) => (await pool.query(toPg(sql), params)).rows,
    close: () => pool.end(),
  };
}

/**
 * Opens the side table of a database.
 * @param {{ url: string, schema?: string, unique?: boolean, poolSize?: number }} opts
 *   `unique`: a UNIQUE (pipeline_id, task_name, attempt) constraint, so a second execution of
 *   one attempt fails its insert (and therefore its task).
 */
export async function openSideTable({ url, schema, unique = false, poolSize = 2 }) {
  const isPg = url.startsWith('postgres://') || url.startsWith('postgresql://');
  const conn = isPg ? await openPostgres(url, schema, poolSize) : await openSqlite(url);
  const table = isPg && schema ? `${quote(schema)}.${SIDE_TABLE}` : SIDE_TABLE;
  const uniqueClause = unique ? ', UNIQUE (pipeline_id, task_name, attempt)' : '';

  return {
    backend: conn.backend,
    /** Creates the schema (PostgreSQL) and the table if missing. Call once, before any worker writes. */
    async ensure() {
      if (isPg) {
        if (schema) await conn.exec(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`);
        await conn.exec(
          `CREATE TABLE IF NOT EXISTS ${table} (id BIGSERIAL PRIMARY KEY, pipeline_id TEXT NOT NULL, task_name TEXT NOT NULL,
             attempt INTEGER NOT NULL, runner_id TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now()${uniqueClause})`,
        );
      } else {
        await conn.exec(
          `CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY AUTOINCREMENT, pipeline_id TEXT NOT NULL, task_name TEXT NOT NULL,
             attempt INTEGER NOT NULL, runner_id TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))${uniqueClause})`,
        );
      }
    },
    /** One committed row per call (autocommit). */
    async insert({ pipelineId, taskName, attempt, runnerId }) {
      await conn.exec(`INSERT INTO ${table} (pipeline_id, task_name, attempt, runner_id) VALUES (?, ?, ?, ?)`, [pipelineId, taskName, attempt, runnerId]);
    },
    /** Every row, in insertion order. */
    async rows() {
      const rows = await conn.query(`SELECT id, pipeline_id, task_name, attempt, runner_id FROM ${table} ORDER BY id`);
      return rows.map((r) => ({ id: Number(r.id), pipelineId: r.pipeline_id, taskName: r.task_name, attempt: Number(r.attempt), runnerId: r.runner_id }));
    },
    async count() {
      const [row] = await conn.query(`SELECT COUNT(*) AS n FROM ${table}`);
      return Number(row.n);
    },
    /** Raw read access to the same database (e.g. task_executions right after a kill). */
    query: (sql, params) => conn.query(sql, params),
    close: () => conn.close(),
  };
}
