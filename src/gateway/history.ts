// Message history (issue #6): what happened to each message part, kept `[store] history_retention` seconds.
// The `HistoryRecorder` listens to the gateway events and appends them to the store in batches — one write per
// ~150 ms or per 1,000 events, never one per event — and prunes what is older than the retention every few minutes,
// in small transactions (the store's pruneHistory), so traffic never waits on it.
//
// The acceptance itself is not recorded here: the message part written by the pipeline's own commit already holds it
// (time, user, route, connector, part), and the store reads it back as the first event of every history. Refusals
// have no message_id and are left to the metrics and the logs. docs/history.md has the event types and their fields.

import { statusName } from '../smpp/codec/index.js';
import type { HistoryEvent, Store } from '../store/store.js';
import type { GatewayEvent, GatewayEventListener } from './events.js';
import type { GatewayLogger, WallClock } from './pipeline.js';
import { receiptStateName } from './receipt.js';

/** The store methods the recorder uses. */
export type HistoryStore = Pick<Store, 'appendHistory' | 'pruneHistory'>;

/** Where the recorder subscribes (GatewayEvents satisfies it). */
export interface HistoryEventSource {
  listen(listener: GatewayEventListener): () => void;
}

/** Timers the recorder arms; default Node's, unref'd (history never keeps the process alive). */
export interface HistoryTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of a HistoryRecorder. */
export interface HistoryRecorderOptions {
  store: HistoryStore;
  events: HistoryEventSource;
  /** `[store] history_retention`: seconds events and finished parts are kept. */
  retentionSecs: number;
  logger: GatewayLogger;
  clock?: WallClock;
  timers?: HistoryTimers;
  /** Longest an event waits in memory before its batch is written. Default 150 ms. */
  flushMs?: number;
  /** A batch is written at once when it reaches this many events. Default 1,000. */
  maxBatch?: number;
  /** Events kept in memory at most while the store refuses writes; the oldest are dropped beyond it. Default 100,000. */
  maxBuffered?: number;
  /** How often old history is pruned; the first prune runs this long after start. Default 5 minutes. */
  pruneEveryMs?: number;
}

/** What the recorder did since it started. */
export interface HistoryRecorderCounters {
  /** Events written to the store. */
  recorded: number;
  /** Events dropped because the store refused writes for too long. */
  dropped: number;
  /** Batches the store refused (each is tried again with the next one). */
  failed_writes: number;
  /** Rows pruned. */
  pruned: number;
}

const defaultTimers: HistoryTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The history event a gateway event becomes, or null when it is not kept (see the file comment). */
export function historyEventOf(e: GatewayEvent): HistoryEvent | null {
  switch (e.type) {
    case 'upstream': {
      const data: Record<string, unknown> = { cid: e.cid, outcome: e.outcome, attempts: e.attempts };
      if (e.upstream_id !== undefined) data.upstream_id = e.upstream_id;
      if (e.status !== undefined) {
        data.status = e.status;
        data.status_name = statusName(e.status);
      }
      return { message_id: e.id, at: e.at, type: 'upstream', data };
    }
    case 'receipt':
      return {
        message_id: e.id,
        at: e.at,
        type: 'receipt',
        data: {
          cid: e.cid,
          state: e.state,
          stat: receiptStateName(e.state),
          error_code: e.error_code,
          forwarded: e.forwarded,
        },
      };
    case 'delivery': {
      // An MO names no message of ours: its deliveries are counted by the metrics only.
      if (e.message_id === undefined) return null;
      const data: Record<string, unknown> = { kind: e.kind, seq: e.seq, session: e.session, result: e.result };
      if (e.status !== undefined) {
        data.status = e.status;
        data.status_name = statusName(e.status);
      }
      return { message_id: e.message_id, at: e.at, type: 'delivery', data };
    }
    default:
      return null;
  }
}

/** Records gateway events as message history, in batches, and prunes it (see the file comment). */
export class HistoryRecorder {
  readonly #store: HistoryStore;
  readonly #source: HistoryEventSource;
  readonly #retentionMs: number;
  readonly #log: GatewayLogger;
  readonly #clock: WallClock;
  readonly #timers: HistoryTimers;
  readonly #flushMs: number;
  readonly #maxBatch: number;
  readonly #maxBuffered: number;
  readonly #pruneEveryMs: number;
  #buffer: HistoryEvent[] = [];
  #unlisten: (() => void) | undefined;
  #flushTimer: unknown;
  #pruneTimer: unknown;
  #writing: Promise<void> | undefined;
  #pruning: Promise<void> | undefined;
  #running = false;
  /** After a refused write, nothing is written before the flush timer fires: a down store is not hammered. */
  #backingOff = false;
  readonly #counts: HistoryRecorderCounters = { recorded: 0, dropped: 0, failed_writes: 0, pruned: 0 };

  /** A recorder over `options.store`; call start(). */
  constructor(options: HistoryRecorderOptions) {
    this.#store = options.store;
    this.#source = options.events;
    this.#retentionMs = Math.max(1, options.retentionSecs) * 1000;
    this.#log = options.logger;
    this.#clock = options.clock ?? { now: Date.now };
    this.#timers = options.timers ?? defaultTimers;
    this.#flushMs = Math.max(1, options.flushMs ?? 150);
    this.#maxBatch = Math.max(1, options.maxBatch ?? 1000);
    this.#maxBuffered = Math.max(this.#maxBatch, options.maxBuffered ?? 100_000);
    this.#pruneEveryMs = Math.max(1, options.pruneEveryMs ?? 300_000);
  }

  /** Figures since start. */
  counters(): Readonly<HistoryRecorderCounters> {
    return { ...this.#counts };
  }

  /** Events waiting to be written. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Subscribes to the events and arms the pruning timer. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unlisten = this.#source.listen(this.#onEvent);
    this.#armPrune();
  }

  /** Unsubscribes, stops pruning, and writes what is buffered (call before closing the store). */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#unlisten?.();
    this.#unlisten = undefined;
    this.#timers.clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#timers.clearTimeout(this.#pruneTimer);
    await this.#pruning;
    await this.flush();
  }

  /** Writes what is buffered now; resolves once it is written (or refused and kept for the next try). */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    if (this.#buffer.length === 0) return;
    this.#timers.clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#backingOff = false;
    let failed = false;
    this.#writing = this.#store.appendHistory(batch).then(
      () => {
        this.#counts.recorded += batch.length;
      },
      (error: unknown) => {
        // Kept, in order, ahead of what came since: the next flush tries them again. Beyond the bound, the newest
        // go (an existing timeline stays whole rather than losing its start).
        failed = true;
        this.#counts.failed_writes++;
        this.#buffer = batch.concat(this.#buffer);
        const over = this.#buffer.length - this.#maxBuffered;
        if (over > 0) {
          this.#buffer.length = this.#maxBuffered;
          this.#counts.dropped += over;
        }
        this.#log.warn('history_write_failed', {
          events: batch.length,
          buffered: this.#buffer.length,
          dropped: Math.max(over, 0),
          error: errorMessage(error),
        });
      },
    );
    try {
      await this.#writing;
    } finally {
      this.#writing = undefined;
    }
    if (!this.#running || this.#buffer.length === 0) return;
    if (failed) {
      this.#backingOff = true;
      this.#armFlush();
    } else if (this.#buffer.length >= this.#maxBatch) {
      void this.flush(); // a full batch came in meanwhile: it leaves at once
    } else {
      this.#armFlush();
    }
  }

  /** Prunes history older than the retention now (also run by the timer); resolves with the rows deleted. */
  async prune(): Promise<number> {
    const before = this.#clock.now() - this.#retentionMs;
    let deleted = 0;
    const run = this.#store.pruneHistory(before).then(
      (n) => {
        deleted = n;
        this.#counts.pruned += n;
        if (n > 0) this.#log.info('history_pruned', { rows: n, before });
      },
      (error: unknown) => this.#log.warn('history_prune_failed', { before, error: errorMessage(error) }),
    );
    this.#pruning = run;
    await run;
    if (this.#pruning === run) this.#pruning = undefined;
    return deleted;
  }

  readonly #onEvent = (event: GatewayEvent): void => {
    const h = historyEventOf(event);
    if (h === null) return;
    if (this.#buffer.length >= this.#maxBuffered) {
      // The store has been slow or down for a while: memory is bounded, history is not worth an outage.
      this.#counts.dropped++;
      return;
    }
    this.#buffer.push(h);
    if (this.#buffer.length >= this.#maxBatch && this.#writing === undefined && !this.#backingOff) void this.flush();
    else this.#armFlush();
  };

  #armFlush(): void {
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = this.#timers.setTimeout(() => {
      this.#flushTimer = undefined;
      void this.flush();
    }, this.#flushMs);
  }

  #armPrune(): void {
    if (!this.#running) return;
    this.#pruneTimer = this.#timers.setTimeout(() => {
      void this.prune().then(() => this.#armPrune());
    }, this.#pruneEveryMs);
  }
}
