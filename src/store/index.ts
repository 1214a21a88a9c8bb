// The store layer's public entry point: the data model, the interface, its errors, and the embedded backend.

export * from './errors.js';
export * from './model.js';
export * from './money.js';
export { openSqliteStore, SqliteStore, type SqliteStoreOptions } from './sqlite/sqliteStore.js';
export * from './store.js';
