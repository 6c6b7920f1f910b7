export * from './uuid.js';
export * from './timestamp.js';
export * from './scalars.js';
