export * from './tables.js';
export * from './tables-2.js';
export * from './ddl.js';
export * from './migrations.js';
