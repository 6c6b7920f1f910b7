/**
 * Cross-process signals (02 §2.5): writers NOTIFY on `cloacina_signals` inside their
 * transaction; one dedicated LISTEN connection per database+schema and process turns the
 * notifications of *other* processes into local signals. Notifications from this process
 * are ignored (they were already delivered locally after commit), as are other schemas'.
 */
import pg from 'pg';
import { decodeNotifyPayload, encodeNotifyPayload, SIGNAL_CHANNEL, signalHub, type Logger, type Signal } from '@cloacina/core';
import { mapPgError } from './errors.js';

// The payload format and the process-wide origin are shared with dal-unified (core).
export { SIGNAL_CHANNEL };
export const parseNotification = decodeNotifyPayload;

/** Kept for callers of this module: core's encoder with the arguments in this package's order. */
export function notifyPayload(schema: string | null, s: Signal): string {
  return encodeNotifyPayload(s, schema);
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/** One LISTEN connection, shared by every DAL of this process on the same signal key. */
class SharedListener {
  refs = 0;
  ready: Promise<void> = Promise.resolve();
  private client: pg.Client | null = null;
  private closed = false;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly key: string,
    private readonly url: string,
    private readonly schema: string | null,
    private readonly secrets: readonly string[],
    private readonly logger?: Logger,
  ) {}

  /** Connects and LISTENs; on failure schedules a reconnect and resolves anyway (best effort). */
  async start(): Promise<void> {
    if (this.closed) return;
    // keepAlive makes a silently dead connection surface as an error, so it gets replaced.
    const client = new pg.Client({ connectionString: this.url, application_name: 'cloacina:listen', keepAlive: true, connectionTimeoutMillis: 10_000 });
    let dropped = false;
    const onDrop = (err?: unknown) => {
      if (dropped) return;
      dropped = true;
      if (this.client === client) this.client = null;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (!this.closed) {
        if (err) this.logger?.warn('cloacina dal-postgres: LISTEN connection lost; reconnecting', { error: mapPgError(err, this.secrets).message });
        this.scheduleReconnect();
      }
    };
    client.on('error', onDrop);
    client.on('end', () => onDrop());
    client.on('notification', (msg) => {
      if (msg.channel !== SIGNAL_CHANNEL) return;
      const signal = parseNotification(msg.payload, this.schema);
      if (signal) signalHub.publish(this.key, [signal]);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${SIGNAL_CHANNEL}`);
    } catch (err) {
      onDrop(err);
      return;
    }
    if (this.closed || dropped) {
      if (!dropped) await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.failures);
    this.failures++;
    const delay = base / 2 + Math.random() * (base / 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.start();
    }, delay);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('notification');
      await c.end().catch(() => undefined);
    }
  }

  /** For tests: kills the socket as if the network dropped. */
  simulateDrop(): void {
    (this.client as unknown as { connection?: { stream?: { destroy(): void } } } | null)?.connection?.stream?.destroy();
  }

  get connected(): boolean {
    return this.client !== null;
  }
}

const listeners = new Map<string, SharedListener>();

export interface ListenHandle {
  release(): Promise<void>;
}

/** Joins (or starts) the process's LISTEN connection for a signal key. */
export async function acquireListener(
  key: string,
  url: string,
  schema: string | null,
  secrets: readonly string[],
  logger?: Logger,
): Promise<ListenHandle> {
  let l = listeners.get(key);
  if (!l) {
    l = new SharedListener(key, url, schema, secrets, logger);
    listeners.set(key, l);
    l.ready = l.start();
  }
  l.refs++;
  await l.ready;
  const listener = l;
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      listener.refs--;
      if (listener.refs === 0) {
        if (listeners.get(key) === listener) listeners.delete(key);
        await listener.stop();
      }
    },
  };
}

/** Test hooks: whether a key has a live LISTEN connection, and a way to cut it. */
export const listenerInternals = {
  isConnected: (key: string): boolean => listeners.get(key)?.connected ?? false,
  drop: (key: string): void => listeners.get(key)?.simulateDrop(),
};
