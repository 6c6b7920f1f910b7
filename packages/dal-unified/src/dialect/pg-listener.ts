/**
 * Cross-process signal delivery on PostgreSQL (02 §2.5): one dedicated LISTEN connection per
 * database and schema per process, shared by every unified DAL instance there (reference
 * counted), so a foreign signal is published to the local hub once. Notifications sent by
 * this process are skipped (they were already delivered locally), as are other schemas'.
 */
import pg, { type Client } from 'pg';
import { decodeNotifyPayload, SIGNAL_CHANNEL, type Logger, type Signal } from '@cloacina/core';

// The NOTIFY channel, payload format and process-wide origin are core's, shared with dal-postgres.
export { SIGNAL_CHANNEL };
export { encodeNotifyPayload as encodePayload } from '@cloacina/core';

export interface ListenerConfig {
  url: string;
  key: string;
  schema: string | null;
  applicationName: string;
  logger: Logger | undefined;
  publish: (signals: Signal[]) => void;
}

const MAX_BACKOFF_MS = 5_000;

class Listener {
  private client: Client | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private backoff = 100;

  constructor(private readonly cfg: ListenerConfig) {}

  /** First connection; a failure is logged and retried in the background, never thrown. */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (err) {
      this.cfg.logger?.warn('cloacina: LISTEN connection failed; retrying', { error: String(err) });
      this.scheduleReconnect();
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.cfg.url, application_name: this.cfg.applicationName });
    client.on('error', () => this.dropped(client));
    client.on('end', () => this.dropped(client));
    client.on('notification', (msg) => {
      if (msg.channel !== SIGNAL_CHANNEL) return;
      const s = decodeNotifyPayload(msg.payload, this.cfg.schema);
      if (s) this.cfg.publish([s]);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${SIGNAL_CHANNEL}`);
    } catch (err) {
      this.client = null;
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.backoff = 100;
  }

  private dropped(client: Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    if (!this.stopped) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect().catch((err) => {
        this.cfg.logger?.warn('cloacina: LISTEN reconnect failed', { error: String(err) });
        this.scheduleReconnect();
      });
    }, delay);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }
}

const REGISTRY_KEY = Symbol.for('cloacina.dalUnified.pgListeners');
const registry = ((globalThis as unknown as Record<symbol, Map<string, { refs: number; listener: Listener; ready: Promise<void> }>>)[
  REGISTRY_KEY
] ??= new Map());

/** Joins (or opens) the process's LISTEN connection for this database and schema. */
export async function acquireListener(cfg: ListenerConfig): Promise<() => Promise<void>> {
  let entry = registry.get(cfg.key);
  if (!entry) {
    const listener = new Listener(cfg);
    entry = { refs: 0, listener, ready: listener.start() };
    registry.set(cfg.key, entry);
  }
  entry.refs++;
  await entry.ready;
  const held = entry;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    held.refs--;
    if (held.refs === 0) {
      if (registry.get(cfg.key) === held) registry.delete(cfg.key);
      await held.listener.stop();
    }
  };
}
