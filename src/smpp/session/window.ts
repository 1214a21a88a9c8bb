// The outbound window: the requests this side sent and still waits for (cloudhopper's Window shape).
// Sequence numbers are the session's own, 1…0x7FFFFFFF wrapping (SMPP 3.4 §3.2: "0x00000001 to 0x7FFFFFFF").
// One expiry timer per window, armed for the oldest request: every request gets the same responseTimeout, so
// insertion order is deadline order and a sweep stops at the first request that has not expired yet.

import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { ResponseTimeoutError, SessionClosedError, WindowFullError } from './errors.js';

/** The highest sequence number SMPP allows; the next one after it is 1. */
export const MAX_SEQUENCE = 0x7fffffff;

/** The first sequence number from `next` on (wrapping after 0x7FFFFFFF to 1) that is not in `taken`. */
export function freeSequence(next: number, taken: { has(sequence: number): boolean }): number {
  let seq = next;
  while (taken.has(seq)) seq = seq === MAX_SEQUENCE ? 1 : seq + 1;
  return seq;
}

/** What the window needs to know of a request. */
export interface WindowRequest {
  readonly command: string;
  sequence_number: number;
}

/** What the window needs to know of a response. */
export interface WindowResponse {
  readonly command: string;
  readonly sequence_number: number;
  readonly command_status: number;
}

/** How a response matched the window. */
export type CompleteResult = 'matched' | 'unknown' | 'mismatch';

/** Options of an outbound window. */
export interface WindowOptions<Req extends WindowRequest> {
  /** Maximum number of requests outstanding at once (≥ 1). */
  maxSize: number;
  /** How long each request waits for its response (responseTimerSecs × 1000). */
  responseTimeoutMs: number;
  /** Default time an `offer` waits for a free slot when the window is full; 0 rejects at once. Default: responseTimeoutMs. */
  offerTimeoutMs?: number;
  /** Called synchronously once a request has its sequence number and a slot: the session encodes and writes it. */
  send: (request: Req) => void;
  /** The clock (a fake one in tests). */
  clock?: Clock;
  /** First sequence number to hand out (tests use it to reach the wrap-around); default 1. */
  firstSequence?: number;
}

interface Outstanding<Resp> {
  readonly command: string;
  readonly expected: string;
  readonly deadline: number;
  readonly resolve: (response: Resp) => void;
  readonly reject: (error: Error) => void;
}

interface Waiter<Req, Resp> {
  readonly request: Req;
  readonly resolve: (response: Resp) => void;
  readonly reject: (error: Error) => void;
  timer: TimerHandle | undefined;
}

/**
 * Requests sent and not yet answered. `offer` assigns the sequence number, sends, and resolves with the response
 * (whatever its command_status: the caller decides what a non-zero status means) or rejects with
 * `ResponseTimeoutError`, `WindowFullError` or `SessionClosedError`.
 */
export class Window<Req extends WindowRequest, Resp extends WindowResponse> {
  readonly maxSize: number;
  readonly responseTimeoutMs: number;
  readonly #offerTimeoutMs: number;
  readonly #send: (request: Req) => void;
  readonly #clock: Clock;
  readonly #outstanding = new Map<number, Outstanding<Resp>>();
  readonly #waiters: Waiter<Req, Resp>[] = [];
  #next: number;
  #sweep: TimerHandle | undefined;
  #closed: Error | undefined;
  #emptyWaiters: (() => void)[] = [];

  constructor(options: WindowOptions<Req>) {
    if (!(options.maxSize >= 1 && options.maxSize < MAX_SEQUENCE)) throw new RangeError('window maxSize must be ≥ 1');
    this.maxSize = options.maxSize;
    this.responseTimeoutMs = options.responseTimeoutMs;
    this.#offerTimeoutMs = options.offerTimeoutMs ?? options.responseTimeoutMs;
    this.#send = options.send;
    this.#clock = options.clock ?? systemClock;
    const first = options.firstSequence ?? 1;
    this.#next = first >= 1 && first <= MAX_SEQUENCE ? first : 1;
  }

  /** Requests sent and awaiting a response. */
  get size(): number {
    return this.#outstanding.size;
  }

  /** Offers waiting for a free slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Whether a request with this sequence number is outstanding. */
  has(sequenceNumber: number): boolean {
    return this.#outstanding.has(sequenceNumber);
  }

  /**
   * Sends `request` as soon as a slot is free and resolves with its response. When the window is full the offer
   * waits, first come first served, up to `waitMs` (default: the window's offerTimeoutMs), then rejects with
   * `WindowFullError`; `waitMs = 0` never waits.
   */
  offer(request: Req, waitMs = this.#offerTimeoutMs): Promise<Resp> {
    return new Promise<Resp>((resolve, reject) => {
      if (this.#closed !== undefined) {
        reject(this.#closed);
        return;
      }
      if (this.#outstanding.size < this.maxSize && this.#waiters.length === 0) {
        this.#start(request, resolve, reject);
        return;
      }
      if (waitMs <= 0) {
        reject(new WindowFullError(request.command, this.maxSize, 0));
        return;
      }
      const waiter: Waiter<Req, Resp> = { request, resolve, reject, timer: undefined };
      waiter.timer = this.#clock.setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new WindowFullError(request.command, this.maxSize, waitMs));
        this.#checkEmpty();
      }, waitMs);
      this.#waiters.push(waiter);
    });
  }

  /**
   * Hands a response to the request it answers: same sequence number AND the matching `_resp` command (or a
   * generic_nack, which answers any request). 'unknown' and 'mismatch' responses are left for the caller to log.
   */
  complete(response: Resp): CompleteResult {
    const entry = this.#outstanding.get(response.sequence_number);
    if (entry === undefined) return 'unknown';
    if (response.command !== entry.expected && response.command !== 'generic_nack') return 'mismatch';
    this.#outstanding.delete(response.sequence_number);
    entry.resolve(response);
    this.#pump();
    return 'matched';
  }

  /** Rejects the outstanding request `sequenceNumber` with `error` (e.g. its response could not be decoded). */
  fail(sequenceNumber: number, error: Error): boolean {
    const entry = this.#outstanding.get(sequenceNumber);
    if (entry === undefined) return false;
    this.#outstanding.delete(sequenceNumber);
    entry.reject(error);
    this.#pump();
    return true;
  }

  /**
   * Hands out the next free sequence number without tracking a request under it: for a request the session
   * matches itself (our unbind, whose wait is sessionInitTimerSecs rather than the window's responseTimeout).
   */
  reserveSequence(): number {
    return this.#nextSequence();
  }

  /** Rejects everything outstanding and waiting with `error` (a SessionClosedError by default); later offers too. */
  close(error: Error = new SessionClosedError('window closed')): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    if (this.#sweep !== undefined) this.#clock.clearTimeout(this.#sweep);
    this.#sweep = undefined;
    const outstanding = [...this.#outstanding.values()];
    this.#outstanding.clear();
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) {
      if (w.timer !== undefined) this.#clock.clearTimeout(w.timer);
      w.reject(error);
    }
    for (const o of outstanding) o.reject(error);
    this.#checkEmpty();
  }

  /** Resolves once nothing is outstanding or waiting (at once if that is already so). */
  whenEmpty(): Promise<void> {
    if (this.#outstanding.size === 0 && this.#waiters.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }

  #start(request: Req, resolve: (r: Resp) => void, reject: (e: Error) => void): void {
    const seq = this.#nextSequence();
    request.sequence_number = seq;
    const deadline = this.#clock.now() + this.responseTimeoutMs;
    this.#outstanding.set(seq, {
      command: request.command,
      expected: `${request.command}_resp`,
      deadline,
      resolve,
      reject,
    });
    if (this.#sweep === undefined) this.#arm(deadline);
    try {
      this.#send(request);
    } catch (error) {
      this.#outstanding.delete(seq);
      reject(error instanceof Error ? error : new Error(String(error)));
      this.#pump();
    }
  }

  #nextSequence(): number {
    const seq = freeSequence(this.#next, this.#outstanding);
    this.#next = seq === MAX_SEQUENCE ? 1 : seq + 1;
    return seq;
  }

  #arm(at: number): void {
    this.#sweep = this.#clock.setTimeout(() => this.#expire(), Math.max(0, at - this.#clock.now()));
  }

  #expire(): void {
    this.#sweep = undefined;
    const now = this.#clock.now();
    let expired = false;
    for (const [seq, entry] of this.#outstanding) {
      if (entry.deadline > now) {
        this.#arm(entry.deadline);
        break;
      }
      this.#outstanding.delete(seq);
      expired = true;
      entry.reject(new ResponseTimeoutError(entry.command, seq, this.responseTimeoutMs));
    }
    if (expired) this.#pump();
  }

  #pump(): void {
    while (this.#waiters.length > 0 && this.#outstanding.size < this.maxSize && this.#closed === undefined) {
      const w = this.#waiters.shift()!;
      if (w.timer !== undefined) this.#clock.clearTimeout(w.timer);
      this.#start(w.request, w.resolve, w.reject);
    }
    if (this.#outstanding.size === 0 && this.#sweep !== undefined) {
      this.#clock.clearTimeout(this.#sweep);
      this.#sweep = undefined;
    }
    this.#checkEmpty();
  }

  #checkEmpty(): void {
    if (this.#outstanding.size === 0 && this.#waiters.length === 0 && this.#emptyWaiters.length > 0) {
      const ws = this.#emptyWaiters.splice(0);
      for (const w of ws) w();
    }
  }
}
