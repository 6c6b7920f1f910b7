export * from './fifo-lock.js';
export * from './signals.js';
export * from './rows.js';
export * from './events.js';
export * from './validate.js';
export * from './transaction-state.js';
