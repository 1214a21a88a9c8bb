// Pacing of a connector's submits to its configured throughput: a token bucket refilled at `rate` per second that
// holds a tenth of a second's worth (at least one), so traffic leaves smoothly rather than in one-second bursts.
// Unlike the gateway's per-user Throttle (which refuses), the pacer tells how long to wait.

/** A token bucket for one connector; a null rate never waits. */
export class Pacer {
  readonly rate: number | null;
  readonly capacity: number;
  #tokens: number;
  #at: number;

  /** A full bucket at time `now` (ms). */
  constructor(rate: number | null, now: number) {
    this.rate = rate !== null && rate > 0 && Number.isFinite(rate) ? rate : null;
    this.capacity = this.rate === null ? Number.POSITIVE_INFINITY : Math.max(1, this.rate / 10);
    this.#tokens = this.capacity;
    this.#at = now;
  }

  /** Whole messages that may leave now. */
  available(now: number): number {
    if (this.rate === null) return Number.POSITIVE_INFINITY;
    this.#refill(now);
    // Floating-point refills can land a hair below a whole token.
    return Math.floor(this.#tokens + 1e-9);
  }

  /** Takes one token (call only after available() said so). */
  take(now: number): void {
    if (this.rate === null) return;
    this.#refill(now);
    this.#tokens -= 1;
  }

  /** Milliseconds until one message may leave (0 when one may now). */
  waitMs(now: number): number {
    if (this.rate === null) return 0;
    this.#refill(now);
    const missing = 1 - this.#tokens;
    return missing <= 1e-9 ? 0 : Math.ceil((missing / this.rate) * 1000);
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#at);
    this.#at = Math.max(this.#at, now);
    this.#tokens = Math.min(this.capacity, this.#tokens + (elapsed / 1000) * (this.rate ?? 0));
  }
}
