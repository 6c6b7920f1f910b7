import type { EntitySchema, QueryRunner, SelectQueryBuilder, DataSource } from 'typeorm';
import { mapDriverError } from '../errors.js';
import type { Dialect } from '../dialect/index.js';

/** A raw result row, keyed by column name. */
export type Raw = Record<string, unknown>;

export interface ExecResult {
  rows: Raw[];
  affected: number;
}

/**
 * Statements on one connection (a TypeORM query runner): the transaction's connection, or the
 * connection a root call holds for its duration. Every driver error is mapped here, once.
 * SQL text is written once for both backends with `$n` placeholders; the dialect adapts it.
 */
export class Session {
  constructor(
    readonly ds: DataSource,
    readonly d: Dialect,
    readonly qr: QueryRunner,
  ) {}

  async exec(sql: string, params: readonly unknown[] = []): Promise<ExecResult> {
    try {
      return await this.d.exec(this.qr, sql, params);
    } catch (err) {
      throw mapDriverError(err, this.d.backend, this.d.secrets);
    }
  }

  async rows(sql: string, params: readonly unknown[] = []): Promise<Raw[]> {
    return (await this.exec(sql, params)).rows;
  }

  async first(sql: string, params: readonly unknown[] = []): Promise<Raw | undefined> {
    return (await this.exec(sql, params)).rows[0];
  }

  /**
   * Runs a TypeORM select query builder bound to this connection and hydrates plain records
   * through the entity metadata (the column transformers decode every value).
   */
  async many<R>(
    entity: EntitySchema<Record<string, unknown>>,
    build: (qb: SelectQueryBuilder<Record<string, unknown>>) => SelectQueryBuilder<Record<string, unknown>>,
  ): Promise<R[]> {
    try {
      const qb = this.ds.createQueryBuilder(this.qr).select('t').from(entity, 't');
      return (await build(qb).getMany()) as R[];
    } catch (err) {
      throw mapDriverError(err, this.d.backend, this.d.secrets);
    }
  }
}
