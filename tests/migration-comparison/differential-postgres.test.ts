/** dal-postgres vs dal-unified on PostgreSQL (02 §10.1): random differential scenarios. */
import { defineDifferential } from './differential-suite.js';

defineDifferential('postgres', { runs: 500, maxLength: 40, longRuns: 4000, longMaxLength: 80 });
