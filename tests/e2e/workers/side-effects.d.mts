// Types of side-effects.mjs for the TypeScript tests.
export declare const SIDE_TABLE: string;
export declare function sqlitePathOf(url: string): string;

export interface SideEffectRow {
  id: number;
  pipelineId: string;
  taskName: string;
  attempt: number;
  runnerId: string;
}

export interface SideTable {
  readonly backend: 'postgres' | 'sqlite';
  ensure(): Promise<void>;
  insert(row: { pipelineId: string; taskName: string; attempt: number; runnerId: string }): Promise<void>;
  rows(): Promise<SideEffectRow[]>;
  count(): Promise<number>;
  /** Raw read on the same database; `?` placeholders on both backends. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export declare function openSideTable(opts: { url: string; schema?: string; unique?: boolean; poolSize?: number }): Promise<SideTable>;
