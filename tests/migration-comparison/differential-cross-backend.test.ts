/**
 * Secondary comparison (02 §10.1): dal-unified on PostgreSQL vs dal-unified on SQLite.
 * DatabaseError.dbCode and backend are not compared across backends (02 §10.2).
 */
import { defineDifferential } from './differential-suite.js';

defineDifferential('cross-backend', { runs: 400, maxLength: 40, longRuns: 3000, longMaxLength: 80 });
