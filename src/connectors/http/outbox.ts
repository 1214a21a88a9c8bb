// A durable outbox of HTTP calls (issue #5 MO to HTTP, issue #6 HTTP receipts to `dlr-url`): each call is kept in the
// store before enqueue() resolves, so a crash loses nothing; a worker per target sends its calls in the order they
// were queued (at most `concurrency` in flight per target, `maxInFlight` over all targets), with a timeout, retries
// with exponential back-off until the endpoint answers 2xx (and, when `ackBody` is set, that body), and gives up on a
// call once its expiry has passed, with an error line naming its message id.
//
// Storage: calls are DeliveryRecords (the store's store-and-forward queue) under a pseudo-uid `<prefix><target>`:
// the HTTP MO connector `c1` keeps its calls under `http:c1`. User ids never contain `:` (src/api/admin/ids.ts), so a
// pseudo-uid never meets a user's queue. The payload is `{ url, method, fields, give_up_at }`. The record's own
// `expires_at` is the give-up time plus `graceMs`: the outbox gives up at `give_up_at` itself (and logs it); the
// delivery engine's global expiry sweep only removes what no running outbox looked after (a connector stopped for
// good). docs/mo.md describes the outbox for its other users.

import type { Store } from '../../store/store.js';

/** One HTTP call: form fields sent as a query string (GET) or an `application/x-www-form-urlencoded` body (POST). */
export interface HttpCall {
  url: string;
  method: 'GET' | 'POST';
  fields: Record<string, string>;
}

/** A call to queue for a target, given up after `expiresAt` (epoch ms). */
export interface OutboxItem {
  target: string;
  call: HttpCall;
  expiresAt: number;
}

/** The store methods the outbox uses. */
export type OutboxStore = Pick<
  Store,
  'enqueueDeliveries' | 'peekDeliveries' | 'ackDelivery' | 'retryDelivery' | 'usersWithDeliveries'
>;

/** The logging surface the outbox writes to (src/log's Logger fits). */
export interface OutboxLogger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** Timers the outbox arms (retry wake-ups, sweeps, call timeouts); default Node's, unref'd. */
export interface OutboxTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of an HttpOutbox. */
export interface HttpOutboxOptions {
  store: OutboxStore;
  logger: OutboxLogger;
  /** Wall clock, epoch ms (the store's times); default Date. */
  clock?: { now(): number };
  timers?: OutboxTimers;
  /** Pseudo-uid prefix of this outbox's queues, e.g. `http:`; two outboxes must not share one unless `targets` split them. */
  prefix: string;
  /**
   * The only targets this outbox serves. Absent: the targets it is given calls for, plus every queue under the prefix
   * found when it starts (what an earlier process left).
   */
  targets?: readonly string[];
  /** When set, every call goes to this url and method instead of its own (an HTTP connector posts to its current URL). */
  endpoint?: { url: string; method: 'GET' | 'POST' };
  /** DeliveryRecord kind of the calls. Default 'mo'. */
  kind?: 'mo' | 'receipt';
  /** Longest wait for an answer (headers and body). Default 30 s. */
  timeoutMs?: number;
  /** First retry delay, doubled per attempt. Default 10 s. */
  retryDelayMs?: number;
  /** Longest retry delay. Default 10 minutes. */
  maxRetryDelayMs?: number;
  /** Calls in flight at once per target (1 = strictly one after the other). Default 1. */
  concurrency?: number;
  /** Calls in flight at once over all targets. Default 64. */
  maxInFlight?: number;
  /** A 2xx answer counts only when its body, trimmed, is exactly this (Jasmin's `ACK/Jasmin`); default any 2xx. */
  ackBody?: string | null;
  /** How often the queues it knows are looked at again (a safety net for missed wake-ups). Default 5 s. */
  sweepMs?: number;
  /** Added to a call's give-up time for its record's `expires_at` (see the file comment). Default 1 hour. */
  graceMs?: number;
  /** How long stop() lets calls in flight finish before aborting them (they are sent again later). Default 2 s. */
  stopGraceMs?: number;
  /** User-Agent header. */
  userAgent?: string;
}

/** Live figures of an outbox. */
export interface OutboxCounters {
  /** Calls answered with success and removed. */
  sent: number;
  /** Failed attempts (non-2xx, no ack body, timeout, connection error). */
  failed: number;
  /** Calls given up after their expiry. */
  givenUp: number;
  /** Calls in flight now. */
  inFlight: number;
}

/** What an outbox knows about one target's endpoint. */
export interface OutboxTargetHealth {
  /** The last attempt failed (cleared by the next success). */
  failing: boolean;
  lastError: string | null;
}

interface StoredCall {
  url: string;
  method: 'GET' | 'POST';
  fields: Record<string, string>;
  giveUpAt: number;
}

interface TargetQueue {
  readonly target: string;
  readonly uid: string;
  readonly inflight: Set<number>;
  pumping: boolean;
  again: boolean;
  wakeTimer: unknown;
  wakeAt: number;
  failing: boolean;
  lastError: string | null;
  /** The last look found the queue empty: a discovered target is forgotten by the next sweep. */
  empty: boolean;
}

type CallResult = { ok: true; status: number } | { ok: false; error: string } | { ok: 'aborted' };

const defaultTimers: OutboxTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/** The call a stored payload holds, or null when it is not one. */
function storedCall(payload: Readonly<Record<string, unknown>>): StoredCall | null {
  const { url, method, fields, give_up_at: giveUpAt } = payload;
  if (typeof url !== 'string' || (method !== 'GET' && method !== 'POST')) return null;
  if (typeof giveUpAt !== 'number' || fields === null || typeof fields !== 'object') return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v !== 'string') return null;
    out[k] = v;
  }
  return { url, method, fields: out, giveUpAt };
}

/** Checks a call before it is stored: an http(s) URL, GET or POST, string fields. */
function checkCall(call: HttpCall): void {
  let url: URL;
  try {
    url = new URL(call.url);
  } catch {
    throw new TypeError(`HTTP outbox: not a URL: ${JSON.stringify(call.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`HTTP outbox: only http and https URLs (got ${url.protocol})`);
  }
  if (call.method !== 'GET' && call.method !== 'POST') throw new TypeError(`HTTP outbox: method ${call.method}`);
  for (const [k, v] of Object.entries(call.fields)) {
    if (typeof v !== 'string') throw new TypeError(`HTTP outbox: field ${k} is not a string`);
  }
}

/** A durable queue of HTTP calls per target (see the file comment). */
export class HttpOutbox {
  readonly #store: OutboxStore;
  readonly #log: OutboxLogger;
  readonly #clock: { now(): number };
  readonly #timers: OutboxTimers;
  readonly #prefix: string;
  readonly #fixedTargets: readonly string[] | undefined;
  readonly #endpoint: { url: string; method: 'GET' | 'POST' } | undefined;
  readonly #kind: 'mo' | 'receipt';
  readonly #timeoutMs: number;
  readonly #retryMs: number;
  readonly #retryMaxMs: number;
  readonly #concurrency: number;
  readonly #maxInFlight: number;
  readonly #ackBody: string | null;
  readonly #sweepMs: number;
  readonly #graceMs: number;
  readonly #stopGraceMs: number;
  readonly #userAgent: string;
  readonly #queues = new Map<string, TargetQueue>();
  /** Queues that stopped for want of a global slot, woken when one frees. */
  readonly #starved = new Set<TargetQueue>();
  readonly #sends = new Set<Promise<void>>();
  #abort = new AbortController();
  #inFlight = 0;
  #running = false;
  #sweepTimer: unknown;
  #counts = { sent: 0, failed: 0, givenUp: 0 };

  /** An outbox over `options.store`; call start() to send. enqueue() works before start (calls wait). */
  constructor(options: HttpOutboxOptions) {
    if (options.prefix === '') throw new RangeError('HTTP outbox: prefix must not be empty');
    this.#store = options.store;
    this.#log = options.logger;
    this.#clock = options.clock ?? { now: Date.now };
    this.#timers = options.timers ?? defaultTimers;
    this.#prefix = options.prefix;
    this.#fixedTargets = options.targets;
    this.#endpoint = options.endpoint;
    this.#kind = options.kind ?? 'mo';
    this.#timeoutMs = Math.max(1, options.timeoutMs ?? 30_000);
    this.#retryMs = Math.max(1, options.retryDelayMs ?? 10_000);
    this.#retryMaxMs = Math.max(this.#retryMs, options.maxRetryDelayMs ?? 600_000);
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.#maxInFlight = Math.max(1, Math.floor(options.maxInFlight ?? 64));
    this.#ackBody = options.ackBody ?? null;
    this.#sweepMs = Math.max(1, options.sweepMs ?? 5000);
    this.#graceMs = Math.max(0, options.graceMs ?? 3_600_000);
    this.#stopGraceMs = Math.max(0, options.stopGraceMs ?? 2000);
    this.#userAgent = options.userAgent ?? 'smppgate';
  }

  /** The pseudo-uid a target's calls are kept under. */
  uidOf(target: string): string {
    return `${this.#prefix}${target}`;
  }

  /** Queues one call for `target`; resolves once it is durable (with the seq the store gave it). */
  async enqueue(target: string, call: HttpCall, expiresAt: number): Promise<number> {
    const [seq] = await this.enqueueAll([{ target, call, expiresAt }]);
    return seq;
  }

  /** Queues several calls in one store write; resolves once they are durable. Targets are woken at once. */
  async enqueueAll(items: readonly OutboxItem[]): Promise<number[]> {
    const now = this.#clock.now();
    for (const item of items) checkCall(item.call);
    const seqs = await this.#store.enqueueDeliveries(
      items.map((item) => ({
        uid: this.uidOf(item.target),
        kind: this.#kind,
        payload: {
          url: item.call.url,
          method: item.call.method,
          fields: { ...item.call.fields },
          give_up_at: item.expiresAt,
        },
        created_at: now,
        expires_at: item.expiresAt + this.#graceMs,
      })),
    );
    for (const target of new Set(items.map((i) => i.target))) this.notify(target);
    return seqs;
  }

  /** Starts the workers: what is due is sent now, and the sweep looks for due retries every `sweepMs`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    void this.#sweep(true);
  }

  /** Stops sending: calls in flight get `stopGraceMs` to finish, then are aborted (and sent again after a start). */
  async stop(): Promise<void> {
    if (!this.#running) {
      while (this.#sends.size > 0) await Promise.allSettled([...this.#sends]);
      return;
    }
    this.#running = false;
    this.#timers.clearTimeout(this.#sweepTimer);
    for (const q of this.#queues.values()) {
      this.#timers.clearTimeout(q.wakeTimer);
      q.wakeTimer = undefined;
    }
    this.#starved.clear();
    if (this.#sends.size > 0) {
      let timer: unknown;
      const grace = new Promise<void>((resolve) => {
        timer = this.#timers.setTimeout(resolve, this.#stopGraceMs);
      });
      await Promise.race([Promise.allSettled([...this.#sends]), grace]);
      this.#timers.clearTimeout(timer);
    }
    this.#abort.abort(new Error('outbox stopped'));
    while (this.#sends.size > 0) await Promise.allSettled([...this.#sends]);
  }

  /** Calls were queued for `target` (or, without one, for any target): send what is due now. */
  notify(target?: string): void {
    if (target === undefined) {
      for (const t of this.#targetsKnown()) this.#schedule(t);
      return;
    }
    if (this.#serves(target)) this.#schedule(target);
  }

  /** Figures since the outbox was made. */
  counters(): OutboxCounters {
    return { ...this.#counts, inFlight: this.#inFlight };
  }

  /** What the last attempt to `target` said; a target never tried is not failing. */
  health(target: string): OutboxTargetHealth {
    const q = this.#queues.get(target);
    return { failing: q?.failing ?? false, lastError: q?.lastError ?? null };
  }

  #serves(target: string): boolean {
    return this.#fixedTargets === undefined || this.#fixedTargets.includes(target);
  }

  #targetsKnown(): string[] {
    return this.#fixedTargets !== undefined ? [...this.#fixedTargets] : [...this.#queues.keys()];
  }

  #queue(target: string): TargetQueue {
    let q = this.#queues.get(target);
    if (q === undefined) {
      q = {
        target,
        uid: this.uidOf(target),
        inflight: new Set(),
        pumping: false,
        again: false,
        wakeTimer: undefined,
        wakeAt: 0,
        failing: false,
        lastError: null,
        empty: false,
      };
      this.#queues.set(target, q);
    }
    return q;
  }

  #schedule(target: string): void {
    if (!this.#running) return;
    const q = this.#queue(target);
    if (q.pumping) {
      q.again = true;
      return;
    }
    q.pumping = true;
    void this.#pump(q);
  }

  /** Wakes the target's worker at `at`, keeping the earliest wake-up. */
  #wakeAt(q: TargetQueue, at: number): void {
    if (!this.#running) return;
    if (q.wakeTimer !== undefined && q.wakeAt <= at) return;
    this.#timers.clearTimeout(q.wakeTimer);
    q.wakeAt = at;
    q.wakeTimer = this.#timers.setTimeout(
      () => {
        q.wakeTimer = undefined;
        this.#schedule(q.target);
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  async #pump(q: TargetQueue): Promise<void> {
    try {
      do {
        q.again = false;
        if (!this.#running || q.inflight.size >= this.#concurrency) break;
        const now = this.#clock.now();
        const due = await this.#store.peekDeliveries(q.uid, q.inflight.size + this.#concurrency, now);
        q.empty = false;
        if (due.length === 0 && q.inflight.size === 0 && q.wakeTimer === undefined) {
          // Nothing due: a head held by a retry delay (set by an earlier process, or before a stop) wakes us then.
          const [head] = await this.#store.peekDeliveries(q.uid, 1, Number.MAX_SAFE_INTEGER);
          if (head !== undefined && head.next_attempt_at > now) this.#wakeAt(q, head.next_attempt_at);
          q.empty = head === undefined;
        }
        for (const d of due) {
          if (q.inflight.has(d.seq)) continue;
          if (!this.#running || q.inflight.size >= this.#concurrency) break;
          const call = storedCall(d.payload);
          if (call === null) {
            // Never sendable: logged whole for an operator, then removed so the target's queue moves on.
            this.#log.error('http_call_unreadable', { target: q.target, seq: d.seq, payload: d.payload });
            await this.#store.ackDelivery(q.uid, d.seq);
            continue;
          }
          if (now >= call.giveUpAt) {
            await this.#giveUp(q, d.seq, d.attempts, d.created_at, call);
            continue;
          }
          if (this.#inFlight >= this.#maxInFlight) {
            this.#starved.add(q);
            break;
          }
          q.inflight.add(d.seq);
          this.#inFlight++;
          const send = this.#send(q, d.seq, d.attempts, call);
          this.#sends.add(send);
          void send.finally(() => this.#sends.delete(send));
        }
      } while (q.again);
    } catch (error) {
      this.#log.error('http_outbox_store_error', { target: q.target, error: errorMessage(error) });
      this.#wakeAt(q, this.#clock.now() + Math.min(this.#retryMs, 1000));
    } finally {
      q.pumping = false;
    }
    if (q.again) this.#schedule(q.target);
  }

  async #giveUp(q: TargetQueue, seq: number, attempts: number, createdAt: number, call: StoredCall): Promise<void> {
    await this.#store.ackDelivery(q.uid, seq);
    this.#counts.givenUp++;
    this.#log.error('http_call_given_up', {
      target: q.target,
      message_id: call.fields.id,
      url: this.#endpoint?.url ?? call.url,
      attempts,
      age_ms: this.#clock.now() - createdAt,
      last_error: q.lastError,
    });
  }

  async #send(q: TargetQueue, seq: number, attempts: number, call: StoredCall): Promise<void> {
    try {
      const result = await this.#call(call);
      if (result.ok === 'aborted') return; // stopped: the call stays queued and is sent after the next start
      if (result.ok) {
        try {
          await this.#store.ackDelivery(q.uid, seq);
        } catch (error) {
          // Delivered but not removed: it will be sent again (at-least-once).
          this.#log.error('http_outbox_store_error', { target: q.target, seq, error: errorMessage(error) });
        }
        this.#counts.sent++;
        q.failing = false;
        this.#log.info('http_call_done', {
          target: q.target,
          message_id: call.fields.id,
          status: result.status,
          attempts: attempts + 1,
        });
        return;
      }
      this.#counts.failed++;
      q.failing = true;
      q.lastError = result.error;
      const now = this.#clock.now();
      const delay = Math.min(this.#retryMaxMs, this.#retryMs * 2 ** Math.min(attempts, 30));
      // Never held past its give-up time, so it is given up when that comes rather than a back-off later.
      const at = Math.min(now + delay, call.giveUpAt);
      this.#log.warn('http_call_retry', {
        target: q.target,
        message_id: call.fields.id,
        attempt: attempts + 1,
        delay_ms: Math.max(0, at - now),
        reason: result.error,
      });
      try {
        await this.#store.retryDelivery(q.uid, seq, at);
      } catch (error) {
        this.#log.error('http_outbox_store_error', { target: q.target, seq, error: errorMessage(error) });
      }
      this.#wakeAt(q, at);
    } finally {
      // Out of the in-flight set only once the store holds it, so no worker sends it again before its time.
      q.inflight.delete(seq);
      this.#inFlight--;
      this.#schedule(q.target);
      if (this.#starved.size > 0) {
        const starved = [...this.#starved];
        this.#starved.clear();
        for (const s of starved) this.#schedule(s.target);
      }
    }
  }

  /** One HTTP attempt, bounded by the timeout (headers and body), aborted by stop(). */
  async #call(call: StoredCall): Promise<CallResult> {
    const method = this.#endpoint?.method ?? call.method;
    let url = this.#endpoint?.url ?? call.url;
    const form = new URLSearchParams(call.fields).toString();
    const headers: Record<string, string> = { accept: 'text/plain', 'user-agent': this.#userAgent };
    let body: string | undefined;
    if (method === 'GET') {
      if (form !== '') url += (url.includes('?') ? '&' : '?') + form;
    } else {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = form;
    }
    const controller = new AbortController();
    const stopped = this.#abort.signal;
    const onStop = () => controller.abort(stopped.reason);
    if (stopped.aborted) return { ok: 'aborted' };
    stopped.addEventListener('abort', onStop, { once: true });
    const timer = this.#timers.setTimeout(
      () => controller.abort(new Error(`no answer within ${this.#timeoutMs} ms`)),
      this.#timeoutMs,
    );
    try {
      const response = await fetch(url, { method, headers, body, signal: controller.signal });
      if (response.status < 200 || response.status > 299) {
        await response.body?.cancel().catch(() => {});
        return { ok: false, error: `HTTP ${response.status}` };
      }
      if (this.#ackBody !== null) {
        const text = await response.text();
        if (text.trim() !== this.#ackBody) {
          return { ok: false, error: `HTTP ${response.status} without ${this.#ackBody}: ${text.slice(0, 80)}` };
        }
      } else {
        await response.body?.cancel().catch(() => {});
      }
      return { ok: true, status: response.status };
    } catch (error) {
      if (stopped.aborted) return { ok: 'aborted' };
      const reason = controller.signal.aborted ? controller.signal.reason : error;
      return { ok: false, error: errorMessage(reason) };
    } finally {
      this.#timers.clearTimeout(timer);
      stopped.removeEventListener('abort', onStop);
    }
  }

  /** Finds the queues under the prefix (once per start: a scan of every queue of the store). */
  async #discover(): Promise<void> {
    const uids = await this.#store.usersWithDeliveries(Number.MAX_SAFE_INTEGER);
    for (const uid of uids) if (uid.startsWith(this.#prefix)) this.#schedule(uid.slice(this.#prefix.length));
  }

  async #sweep(first = true): Promise<void> {
    if (!this.#running) return;
    let discovered = !first;
    try {
      if (this.#fixedTargets !== undefined) {
        for (const t of this.#fixedTargets) this.#schedule(t);
        discovered = true;
      } else {
        for (const q of [...this.#queues.values()]) {
          const idle = q.empty && !q.pumping && q.inflight.size === 0 && q.wakeTimer === undefined;
          if (idle) this.#queues.delete(q.target);
          else this.#schedule(q.target);
        }
        if (!discovered) {
          await this.#discover();
          discovered = true;
        }
      }
    } catch (error) {
      this.#log.error('http_outbox_store_error', { error: errorMessage(error) });
    }
    const again = () => void this.#sweep(!discovered);
    if (this.#running) this.#sweepTimer = this.#timers.setTimeout(again, this.#sweepMs);
  }
}
