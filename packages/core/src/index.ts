export * from './errors/index.js';
export * from './json.js';
export * from './codecs/index.js';
export * from './models/index.js';
export * from './dal/index.js';
export * from './schema/index.js';
