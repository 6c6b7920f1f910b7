/** Internal helpers shared by the module files (not exported from the package). */
export * from './session.js';
export * from './tables.js';
export * from './runtime.js';
export * from './writes.js';
export * from './reads.js';
