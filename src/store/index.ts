// The store layer's public entry point: the data model, the interface, its errors, and both backends.

export * from './errors.js';
export * from './model.js';
export * from './money.js';
export { type OpenStoreOptions, openStore } from './open.js';
export {
  type ConnectorLeases,
  createRedisLeases,
  type RedisLeases,
  type RedisLeasesOptions,
} from './redis/leases.js';
export { openRedisStore, type RedisDurability, RedisStore, type RedisStoreOptions } from './redis/redisStore.js';
export { createRedisThrottle, type RedisThrottle, type RedisThrottleOptions } from './redis/throughput.js';
export { openSqliteStore, SqliteStore, type SqliteStoreOptions } from './sqlite/sqliteStore.js';
export * from './store.js';
