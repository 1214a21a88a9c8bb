// Token buckets per key (SPEC.md §3 quotas): `smpps_throughput` and `http_throughput` limit a user's messages per
// second across all its binds, so the caller keys the bucket by user (e.g. `smpps:<uid>`), never by session.
//
// A bucket refills at `rate` tokens per second and holds at most `max(1, rate × burstSeconds)` tokens, so a user
// may send a small burst (a quarter of a second's worth by default: 25 messages at 100/s, 1 at 4/s or less) and
// otherwise is paced at `rate`. A new or long-idle key starts full. A take of more tokens than the bucket holds
// (a submit_multi to many destinations at a low rate) is allowed when the bucket is full and leaves it in debt,
// so that large requests are slowed, not refused forever. The clock is the caller's (`now`, milliseconds); a
// clock that steps back refills nothing.
//
// A rate of null or 0 means unlimited (Jasmin's "no limit"); any other rate ≤ 0 or not finite is treated the same,
// since the admin API refuses them.

/** Options of a Throttle. */
export interface ThrottleOptions {
  /** Seconds of traffic the bucket holds; default 0.25. */
  burstSeconds?: number;
  /** Keys kept before idle ones are swept; default 100,000. */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was computed (ms). */
  at: number;
  /** The rate and capacity of the last take, to tell whether an idle bucket is full again. */
  rate: number;
  capacity: number;
}

/** Token buckets keyed by user (or anything else), with an injected clock. */
export class Throttle {
  readonly #burstSeconds: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  /** Creates an empty set of buckets. */
  constructor(options: ThrottleOptions = {}) {
    this.#burstSeconds = options.burstSeconds ?? 0.25;
    this.#maxKeys = options.maxKeys ?? 100_000;
    if (!(this.#burstSeconds > 0)) throw new RangeError('burstSeconds must be > 0');
  }

  /** Number of keys currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  /** The burst (bucket capacity, in messages) for a rate. */
  capacity(rate: number): number {
    return Math.max(1, rate * this.#burstSeconds);
  }

  /** Takes `n` tokens from `key`'s bucket at `rate` per second at time `now` (ms); false when over the limit. */
  take(key: string, n: number, rate: number | null, now: number): boolean {
    if (rate === null || !(rate > 0) || !Number.isFinite(rate)) return true;
    const capacity = this.capacity(rate);
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#sweep(now);
      bucket = { tokens: capacity, at: now, rate, capacity };
      this.#buckets.set(key, bucket);
    } else {
      const elapsed = Math.max(0, now - bucket.at);
      bucket.tokens = Math.min(capacity, bucket.tokens + (elapsed / 1000) * rate);
      bucket.at = Math.max(bucket.at, now);
      bucket.rate = rate;
      bucket.capacity = capacity;
    }
    // Floating-point refills can land a hair below a whole token; treat that as the whole token.
    const epsilon = 1e-9;
    if (bucket.tokens + epsilon >= n || (n > capacity && bucket.tokens + epsilon >= capacity)) {
      bucket.tokens -= n;
      return true;
    }
    return false;
  }

  /** Forgets a key (user deleted, or quota changed and a fresh burst is wanted). */
  reset(key: string): void {
    this.#buckets.delete(key);
  }

  /** Drops buckets that have refilled (forgetting them changes nothing), then the oldest if still too many. */
  #sweep(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * b.rate >= b.capacity) this.#buckets.delete(key);
    }
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size < this.#maxKeys) break;
      this.#buckets.delete(key);
    }
  }
}
