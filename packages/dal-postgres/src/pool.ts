/**
 * The connection pool (02 §2.3): a `pg` Pool of `poolSize` connections whose waiters are
 * served FIFO for up to `acquireTimeoutMs`, after which the caller gets DatabaseError
 * POOL_TIMEOUT. Every new connection gets the settings of 01 §9.2 before first use.
 */
import pg from 'pg';
import { quoteIdent, type Logger, type PoolStats } from '@cloacina/core';
import { isAcquireTimeout, isConnectionLoss, mapPgError, poolTimeoutError } from './errors.js';

export interface PoolSettings {
  url: string;
  schema: string | null;
  max: number;
  acquireTimeoutMs: number;
  applicationName: string;
  secrets: readonly string[];
  logger?: Logger;
}

/** `application_name` is 'cloacina' plus the runner id when known (truncated like PostgreSQL would). */
export function applicationName(runnerId: string | null): string {
  const name = runnerId ? `cloacina:${runnerId}` : 'cloacina';
  return Buffer.from(name, 'utf8').subarray(0, 63).toString('utf8').replace(/\uFFFD$/, '');
}

export class PgPool {
  readonly pool: pg.Pool;
  readonly max: number;
  private ended: Promise<void> | null = null;

  constructor(private readonly settings: PoolSettings) {
    this.max = settings.max;
    const config: pg.PoolConfig & { onConnect?: (c: pg.PoolClient) => Promise<void> } = {
      connectionString: settings.url,
      max: settings.max,
      // pg-pool applies this both to waiting for a free connection (its queue is FIFO)
      // and to opening a new one; either way the caller gets POOL_TIMEOUT.
      connectionTimeoutMillis: settings.acquireTimeoutMs,
      idleTimeoutMillis: 10_000,
      application_name: settings.applicationName,
      // Runs on every new pooled connection before it is handed out (pg-pool ≥ 3.10).
      onConnect: async (client) => {
        if (settings.schema !== null) await client.query(`SET search_path TO ${quoteIdent(settings.schema)}`);
      },
    };
    this.pool = new pg.Pool(config);
    // An idle connection that dies (server restart, network) is dropped by pg-pool; without a
    // listener the 'error' event would crash the process.
    this.pool.on('error', (err) => {
      settings.logger?.warn('cloacina dal-postgres: idle connection error', { error: mapPgError(err, settings.secrets).message });
    });
  }

  async acquire(): Promise<pg.PoolClient> {
    if (this.ended) throw mapPgError(new Error('connection pool is closed'), this.settings.secrets);
    try {
      return await this.pool.connect();
    } catch (err) {
      if (isAcquireTimeout(err)) throw poolTimeoutError(this.settings.acquireTimeoutMs, err);
      throw mapPgError(err, this.settings.secrets);
    }
  }

  /** Returns a client to the pool, destroying it if its connection is no longer trustworthy. */
  release(client: pg.PoolClient, failure?: unknown): void {
    const destroy = failure !== undefined && failure !== null && (failure === true || isConnectionLoss(failure));
    try {
      client.release(destroy ? (failure instanceof Error ? failure : new Error('connection discarded')) : undefined);
    } catch {
      // Double release can only follow a connection error already handled by pg-pool.
    }
  }

  stats(): PoolStats {
    return {
      total: this.pool.totalCount,
      idle: this.pool.idleCount,
      waiting: this.pool.waitingCount,
      max: this.max,
    };
  }

  end(): Promise<void> {
    this.ended ??= this.pool.end().catch(() => undefined);
    return this.ended;
  }
}
