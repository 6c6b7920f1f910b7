export * from './base.js';
export * from './dal.js';
export * from './workflow.js';
export * from './runtime.js';
