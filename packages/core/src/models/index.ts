export * from './vocabulary.js';
export * from './records.js';
export * from './state-machines.js';
