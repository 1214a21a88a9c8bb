// Opens the store `[store] backend` names: the embedded SQLite file (the default) or Redis (several nodes).
// Failures name the config key at fault, as an operator reads the file: `[store] url: cannot connect to …`.

import type { StoreSettings } from '../config/index.js';
import { StoreConflictError, StoreUnavailableError } from './errors.js';
import { openRedisStore, type RedisStoreOptions } from './redis/redisStore.js';
import { openSqliteStore } from './sqlite/sqliteStore.js';
import type { Store } from './store.js';

/** What the config file does not say: this node's identity and test hooks. */
export interface OpenStoreOptions {
  /** This node's id (Redis: the owner of its claims; every node sharing a Redis needs its own). */
  nodeId?: string;
  /** Redis: how long a dead node's id stays taken (default 10 s). */
  nodeLeaseMs?: number;
  /** Redis: how long a claimed part may stay `sending` before another node takes it back. */
  claimTimeoutMs?: number;
  /** The clock for `updated_at` stamps. */
  now?: () => number;
}

/**
 * Opens the configured backend: StoreUnavailableError prefixed with `[store] <key>:` when it cannot, or
 * StoreConflictError `[gateway] node_id: …` when another running node uses this node's id on the same Redis.
 */
export async function openStore(settings: StoreSettings, options: OpenStoreOptions = {}): Promise<Store> {
  if (settings.backend === 'redis') {
    const redisOptions: RedisStoreOptions = { url: settings.url, keyPrefix: settings.key_prefix };
    if (options.nodeId !== undefined) redisOptions.nodeId = options.nodeId;
    if (options.claimTimeoutMs !== undefined) redisOptions.claimTimeoutMs = options.claimTimeoutMs;
    if (options.nodeLeaseMs !== undefined) redisOptions.nodeLeaseMs = options.nodeLeaseMs;
    if (options.now !== undefined) redisOptions.now = options.now;
    try {
      return await openRedisStore(redisOptions);
    } catch (error) {
      if (error instanceof StoreConflictError) {
        throw new StoreConflictError(`[gateway] node_id: ${error.message}`, { cause: error });
      }
      throw new StoreUnavailableError(`[store] url: ${(error as Error).message}`, { cause: error });
    }
  }
  try {
    return openSqliteStore({
      path: settings.path,
      synchronous: settings.synchronous,
      commitWindowMs: settings.commit_window_ms,
      ...(settings.max_size === null ? {} : { maxBytes: settings.max_size }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  } catch (error) {
    throw new StoreUnavailableError(`[store] path: ${(error as Error).message}`, {
      cause: error,
      full: error instanceof StoreUnavailableError && error.full,
    });
  }
}
