/**
 * @cloacina/dal-sqlite — the legacy Cloacina DAL for SQLite: hand-written SQL on the
 * `sqlite3` driver, implementing the contract of spec 02 over the schema of spec 01.
 */
export { createSqliteDal } from './dal.js';

export const PACKAGE_NAME = '@cloacina/dal-sqlite';
