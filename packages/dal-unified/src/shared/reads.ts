import { NotFoundError, type NotFoundEntity } from '@cloacina/core';
import type { Session } from './session.js';
import type { TableIO } from './tables.js';

/** SELECT of every column of `t` with the given tail (WHERE … ORDER BY …), decoded. */
export async function selectRows<R>(s: Session, t: TableIO<R>, tail: string, params: readonly unknown[] = []): Promise<R[]> {
  const rows = await s.rows(`SELECT ${t.columnList} FROM ${t.name} ${tail}`, params);
  return rows.map((r) => t.decode(r));
}

export async function findById<R>(s: Session, t: TableIO<R>, idParam: unknown): Promise<R | null> {
  const row = await s.first(`SELECT ${t.columnList} FROM ${t.name} WHERE id = $1`, [idParam]);
  return row ? t.decode(row) : null;
}

export async function getById<R>(s: Session, t: TableIO<R>, entity: NotFoundEntity, id: string, idParam: unknown): Promise<R> {
  const found = await findById(s, t, idParam);
  if (!found) throw new NotFoundError(entity, id);
  return found;
}

/** DELETE by id; true when a row was removed (deletes are idempotent). */
export async function deleteById(s: Session, t: TableIO<unknown>, idParam: unknown): Promise<boolean> {
  return (await s.exec(`DELETE FROM ${t.name} WHERE id = $1`, [idParam])).affected > 0;
}
