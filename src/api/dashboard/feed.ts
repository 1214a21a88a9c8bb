// The live feed behind /dashboard/events: one tick a second for every viewer together. Each tick reads the
// counters and turns their deltas into rates (messages/s in and out) kept for the chart's last ten minutes; while
// anyone watches it also takes the full snapshot and serialises it once, and each viewer gets the same text. While
// nobody watches only the in-memory counters are read, so the chart has its history when a page opens but the store
// is not queried every second for nobody.

import type { AdminLogger } from '../admin/deps.js';
import type { DashboardSnapshot, DashboardSource, DashboardTotals } from './source.js';
import { sseFrame } from './sse.js';

/** One point of the rate chart. */
export interface RatePoint {
  /** Epoch milliseconds. */
  at: number;
  /** MT message parts accepted per second. */
  in: number;
  /** Message parts accepted upstream per second; null when not counted. */
  out: number | null;
}

/** What each viewer receives every tick (the `snapshot` event's data). */
export interface LiveFrame {
  snapshot: DashboardSnapshot;
  rates: { in: number; out: number | null };
  /** The chart point this tick added. */
  point: RatePoint;
}

/** Options of LiveFeed. */
export interface LiveFeedOptions {
  source: DashboardSource;
  /** Tick period (default 1000 ms). */
  intervalMs?: number;
  /** How far back the chart goes (default 10 minutes). */
  historyMs?: number;
  logger?: AdminLogger;
  /** Epoch milliseconds (tests). */
  now?: () => number;
}

/** Rates per second between two counter readings `seconds` apart; a counter that went back counts as zero. */
export function ratesBetween(
  before: DashboardTotals,
  after: DashboardTotals,
  seconds: number,
): { in: number; out: number | null } {
  if (!(seconds > 0)) return { in: 0, out: after.sent_upstream === null ? null : 0 };
  const rate = (a: number, b: number) => Math.max(0, b - a) / seconds;
  return {
    in: rate(before.mt_accepted, after.mt_accepted),
    out:
      after.sent_upstream === null
        ? null
        : before.sent_upstream === null
          ? 0
          : rate(before.sent_upstream, after.sent_upstream),
  };
}

/** Ticks once per interval for all viewers; each viewer's listener receives ready SSE text. */
export class LiveFeed {
  readonly #source: DashboardSource;
  readonly #intervalMs: number;
  readonly #historyMs: number;
  readonly #log: AdminLogger | undefined;
  readonly #now: () => number;
  readonly #listeners = new Set<(frame: string) => void>();
  #points: RatePoint[] = [];
  #previous: { at: number; totals: DashboardTotals } | null = null;
  #latest: { at: number; frame: string; data: LiveFrame } | null = null;
  #running: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #failing = false;
  /** Ticks taken (tests and the docs' cost figure). */
  ticks = 0;
  /** Full snapshots taken. */
  snapshots = 0;

  /** A feed over `options.source`; call start() to tick. */
  constructor(options: LiveFeedOptions) {
    this.#source = options.source;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#historyMs = options.historyMs ?? 600_000;
    this.#log = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** Starts ticking (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => void this.tick(), this.#intervalMs);
    this.#timer.unref();
    void this.tick();
  }

  /** Stops ticking and forgets every listener. */
  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#listeners.clear();
  }

  /** Viewers subscribed now. */
  get viewers(): number {
    return this.#listeners.size;
  }

  /** The chart's points, oldest first. */
  history(): RatePoint[] {
    return [...this.#points];
  }

  /** The last full frame, or null before anyone watched. */
  latest(): LiveFrame | null {
    return this.#latest?.data ?? null;
  }

  /** The last full frame as SSE text, when it is fresh enough to show a new viewer at once. */
  latestFrame(): string | null {
    if (this.#latest === null || this.#now() - this.#latest.at > 2 * this.#intervalMs) return null;
    return this.#latest.frame;
  }

  /** Adds a viewer; it gets every tick's frame from now on. Returns the unsubscribe function. */
  subscribe(listener: (frame: string) => void): () => void {
    this.#listeners.add(listener);
    // A first viewer should not wait up to a second for data nobody computed while the page was closed.
    if (this.latestFrame() === null) void this.tick();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** One tick now (the timer calls it; tests too). A tick still running absorbs the call. */
  tick(): Promise<void> {
    if (this.#running !== null) return this.#running;
    this.#running = this.#tick().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #tick(): Promise<void> {
    this.ticks++;
    const watched = this.#listeners.size > 0;
    let snapshot: DashboardSnapshot | null = null;
    let totals: DashboardTotals;
    let at: number;
    try {
      if (watched) {
        snapshot = await this.#source.snapshot();
        this.snapshots++;
        totals = snapshot.totals;
        at = snapshot.at;
      } else {
        totals = await this.#source.totals();
        at = this.#now();
      }
      if (this.#failing) this.#log?.info('dashboard.snapshot.recovered');
      this.#failing = false;
    } catch (error) {
      // Logged once per outage, not once a second; viewers keep the last frame.
      if (!this.#failing) {
        this.#log?.warn('dashboard.snapshot.failed', { error: error instanceof Error ? error.message : String(error) });
      }
      this.#failing = true;
      return;
    }

    const previous = this.#previous;
    this.#previous = { at, totals };
    const rates =
      previous === null
        ? { in: 0, out: totals.sent_upstream === null ? null : 0 }
        : ratesBetween(previous.totals, totals, (at - previous.at) / 1000);
    const point: RatePoint = { at, in: rates.in, out: rates.out };
    if (previous !== null) this.#points.push(point);
    const horizon = at - this.#historyMs;
    let drop = 0;
    while (drop < this.#points.length && this.#points[drop].at < horizon) drop++;
    if (drop > 0) this.#points = this.#points.slice(drop);

    if (snapshot === null) return;
    const data: LiveFrame = { snapshot, rates, point };
    const frame = sseFrame({ event: 'snapshot', data: JSON.stringify(data) });
    this.#latest = { at: this.#now(), frame, data };
    for (const listener of [...this.#listeners]) listener(frame);
  }
}
