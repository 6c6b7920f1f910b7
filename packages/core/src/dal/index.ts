export * from './types.js';
export * from './contract.js';
export * from './url.js';
export * from './support/index.js';
