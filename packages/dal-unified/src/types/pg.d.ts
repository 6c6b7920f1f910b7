/**
 * Minimal typings for the parts of `pg` this package uses directly (the LISTEN client and
 * the module handed to TypeORM). `pg` ships no types and `@types/pg` is not a dependency.
 */
declare module 'pg' {
  import type { EventEmitter } from 'node:events';

  export interface Notification {
    processId: number;
    channel: string;
    payload?: string;
  }

  export interface ClientConfig {
    connectionString?: string;
    application_name?: string;
    connectionTimeoutMillis?: number;
    options?: string;
  }

  export class Client extends EventEmitter {
    constructor(config?: string | ClientConfig);
    connect(): Promise<void>;
    query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
    /** A named config is prepared on the server on first use per connection. */
    query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
    end(): Promise<void>;
    on(event: 'notification', listener: (msg: Notification) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'end', listener: () => void): this;
  }

  export class Pool extends EventEmitter {
    totalCount: number;
    idleCount: number;
    waitingCount: number;
    options: { max?: number };
  }

  const pg: { Client: typeof Client; Pool: typeof Pool };
  export default pg;
}
