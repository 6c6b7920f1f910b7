/** dal-sqlite vs dal-unified on SQLite (02 §10.1): random differential scenarios. */
import { defineDifferential } from './differential-suite.js';

defineDifferential('sqlite', { runs: 1000, maxLength: 40, longRuns: 5000, longMaxLength: 80 });
