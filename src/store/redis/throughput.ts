// Throughput limits shared by every node on one Redis: the token buckets of src/gateway/throttle.ts (SPEC.md §3
// `smpps_throughput`, `http_throughput`), kept in Redis so that N nodes together let a user send at its rate, not N
// times it. Same semantics: a bucket holds max(1, rate × burstSeconds) tokens and refills at `rate` per second; a
// new or idle key starts full; a take larger than the bucket is allowed when the bucket is full and leaves it in
// debt. The clock is Redis's own (TIME), so nodes' clocks do not matter. The price: one Redis round trip per take
// (auto-pipelined with the other calls of the tick), which is why the gateway keeps its in-memory Throttle on SQLite.

import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../errors.js';

/** Options of {@link createRedisThrottle}: a URL (it opens and owns its connection) or a client to share. */
export type RedisThrottleOptions = ({ url: string; client?: undefined } | { client: Redis; url?: undefined }) & {
  /** Key prefix, as the store's (default `smppgate:`). */
  keyPrefix?: string;
  /** Seconds of traffic a bucket holds (default 0.25, as the in-memory Throttle). */
  burstSeconds?: number;
};

/** Token buckets in Redis, shared by every node. */
export interface RedisThrottle {
  /** Takes `n` tokens from `key`'s bucket at `rate` per second; false when over the limit. Null or 0: unlimited. */
  take(key: string, n: number, rate: number | null): Promise<boolean>;
  /** Forgets a key (a fresh burst). */
  reset(key: string): Promise<void>;
  /** Closes the connection when the throttle opened it. */
  close(): Promise<void>;
}

// KEYS[1] = the bucket (hash: t = tokens, at = ms); ARGV = rate per second, capacity, n. The key expires once the
// bucket would be full again, so idle users cost nothing.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local rate, cap, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens, at = cap, now
if v[1] then
  tokens = math.min(cap, tonumber(v[1]) + math.max(0, now - tonumber(v[2])) / 1000 * rate)
  at = math.max(tonumber(v[2]), now)
end
local ok = 0
-- Floating-point refills can land a hair below a whole token; that counts as the whole token.
if tokens + 1e-9 >= n or (n > cap and tokens + 1e-9 >= cap) then
  tokens = tokens - n
  ok = 1
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'at', string.format('%.17g', at))
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - tokens) / rate * 1000) + 1000)
return ok`;

type TakeScript = (key: string, rate: string, capacity: string, n: string) => Promise<number>;

/** Shared token buckets on Redis. */
export function createRedisThrottle(options: RedisThrottleOptions): RedisThrottle {
  const owned = options.client === undefined;
  const client =
    options.client ??
    new Redis(options.url as string, {
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: 5000,
      disconnectTimeout: 200,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 1000),
    });
  if (owned) {
    client.on('error', () => {
      // Reconnects by itself; takes meanwhile reject with StoreUnavailableError.
    });
  }
  client.defineCommand('sgThrottleTake', { numberOfKeys: 1, lua: TAKE });
  const take = (client as unknown as Record<string, TakeScript>).sgThrottleTake;
  const prefix = `${options.keyPrefix ?? 'smppgate:'}tb:`;
  const burstSeconds = options.burstSeconds ?? 0.25;
  if (!(burstSeconds > 0)) throw new RangeError('burstSeconds must be > 0');
  return {
    async take(key, n, rate) {
      if (rate === null || !(rate > 0) || !Number.isFinite(rate)) return true;
      const capacity = Math.max(1, rate * burstSeconds);
      try {
        return Number(await take.call(client, prefix + key, String(rate), String(capacity), String(n))) === 1;
      } catch (error) {
        throw new StoreUnavailableError(`throughput store unavailable: ${(error as Error).message}`, { cause: error });
      }
    },
    async reset(key) {
      try {
        await client.del(prefix + key);
      } catch (error) {
        throw new StoreUnavailableError(`throughput store unavailable: ${(error as Error).message}`, { cause: error });
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
