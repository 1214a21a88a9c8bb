// Time as the session sees it: injectable so that every timer can be driven by a fake clock in tests (STYLE.md rule 7).

/** An opaque handle returned by `Clock.setTimeout`. */
export type TimerHandle = { readonly __timer: true } | NodeJS.Timeout;

/** The clock and one-shot timers a session, window or server uses; milliseconds throughout. */
export interface Clock {
  /** Monotonic milliseconds (never goes backwards; origin unspecified). */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a no-op for one that already fired or was cleared. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now()` and Node's timers, unref'd so that an idle session never keeps a process alive. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

interface ManualTimer {
  readonly __timer: true;
  at: number;
  seq: number;
  fn: (() => void) | undefined;
}

/** A fake clock for tests: time only moves when `advance` is called, firing due timers in deadline order. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Set<ManualTimer>();

  /** Starts at `start` milliseconds (default 0). */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: ManualTimer = { __timer: true, at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.add(t);
    return t;
  }

  clearTimeout(handle: TimerHandle): void {
    const t = handle as ManualTimer;
    t.fn = undefined;
    this.#timers.delete(t);
  }

  /** Number of timers still pending (a session that closed cleanly leaves none behind). */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, running every timer that falls due (including ones scheduled by timers that ran). */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.#timers) {
        if (t.at <= target && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq)))
          next = t;
      }
      if (next === undefined) break;
      this.#timers.delete(next);
      this.#now = Math.max(this.#now, next.at);
      const fn = next.fn;
      next.fn = undefined;
      fn?.();
    }
    this.#now = target;
  }
}
