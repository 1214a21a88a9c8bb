// Connector leases on Redis: each upstream connector bind is held by exactly one gateway node at a time (issue #7).
// A lease is one key, `<prefix>lease:<cid>`, whose value is the holder's node id and whose TTL is the lease time:
// SET NX PX takes a free one, and renew/release act only while the value is still ours (a Lua compare-and-act), so a
// node that stalled past its TTL and lost the lease to another can neither extend nor drop the new holder's lease.
// Redis expires the key on its own clock, so nodes' clocks do not matter; a holder that dies simply stops renewing
// and another node takes the connector within one TTL.

import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../errors.js';

/**
 * What the connector manager needs to hold connectors exclusively across nodes. Every method may reject with
 * StoreUnavailableError (Redis unreachable): the holder must then act as if it had lost the lease.
 */
export interface ConnectorLeases {
  /** Takes the lease of `cid` for `ttlMs`, or extends it when this node holds it already; false when another does. */
  acquire(cid: string, ttlMs: number): Promise<boolean>;
  /** Extends this node's lease of `cid` to `ttlMs` from now; false when it is no longer ours (expired or taken). */
  renew(cid: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease of `cid` up when this node holds it; does nothing otherwise. */
  release(cid: string): Promise<void>;
}

/** Options of {@link createRedisLeases}: a URL (the leases open and own their connection) or a client to share. */
export type RedisLeasesOptions = ({ url: string; client?: undefined } | { client: Redis; url?: undefined }) & {
  /** Key prefix, as the store's (default `smppgate:`). */
  keyPrefix?: string;
  /** This node's id: the value of the leases it holds. */
  nodeId: string;
};

/** Leases on Redis plus `close()`, which releases nothing (leases expire) and closes a connection it opened. */
export interface RedisLeases extends ConnectorLeases {
  /** The node id the leases are held under. */
  readonly nodeId: string;
  /** The current holder of `cid`'s lease, or null (for status pages and tests). */
  holder(cid: string): Promise<string | null>;
  /** Closes the connection when the leases opened it. */
  close(): Promise<void>;
}

const ACQUIRE = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if v then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`;

type LeaseScript = (key: string, nodeId: string, ttl?: string) => Promise<number>;

function unavailable(error: unknown): StoreUnavailableError {
  return new StoreUnavailableError(`lease store unavailable: ${(error as Error).message}`, { cause: error });
}

function checkTtl(ttlMs: number): string {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new RangeError(`lease ttl must be a positive integer: ${ttlMs}`);
  return String(ttlMs);
}

/** Connector leases on Redis for this node. */
export function createRedisLeases(options: RedisLeasesOptions): RedisLeases {
  const owned = options.client === undefined;
  const client =
    options.client ??
    new Redis(options.url as string, {
      // Calls made before the first connection wait for it; a failed connection attempt fails them (no retries),
      // and every lease script is safe to run again anyway.
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: 5000,
      disconnectTimeout: 200,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 1000),
    });
  if (owned) {
    client.on('error', () => {
      // Reconnects by itself; calls meanwhile reject with StoreUnavailableError.
    });
  }
  client.defineCommand('sgLeaseAcquire', { numberOfKeys: 1, lua: ACQUIRE });
  client.defineCommand('sgLeaseRenew', { numberOfKeys: 1, lua: RENEW });
  client.defineCommand('sgLeaseRelease', { numberOfKeys: 1, lua: RELEASE });
  const scripts = client as unknown as Record<string, LeaseScript>;
  const prefix = options.keyPrefix ?? 'smppgate:';
  const nodeId = options.nodeId;
  const key = (cid: string) => `${prefix}lease:${cid}`;
  const run = async (name: string, cid: string, ttl?: string): Promise<number> => {
    try {
      return Number(await scripts[name].call(client, key(cid), nodeId, ...(ttl === undefined ? [] : [ttl])));
    } catch (error) {
      throw unavailable(error);
    }
  };
  return {
    nodeId,
    async acquire(cid, ttlMs) {
      return (await run('sgLeaseAcquire', cid, checkTtl(ttlMs))) === 1;
    },
    async renew(cid, ttlMs) {
      return (await run('sgLeaseRenew', cid, checkTtl(ttlMs))) === 1;
    },
    async release(cid) {
      await run('sgLeaseRelease', cid);
    },
    async holder(cid) {
      try {
        return await client.get(key(cid));
      } catch (error) {
        throw unavailable(error);
      }
    },
    async close() {
      if (!owned) return;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
