// Store and forward to ESMEs (SPEC.md §5; issue #5): receipts and MO wait in the store per user until one of the
// user's receiver or transceiver binds takes them. `DeliveryEngine` sends each user's queue in order, round-robin
// over its receiver binds (the injected `pickSession`, the server's `nextReceiver`), a few in flight per user; an
// error status or no response holds the delivery with exponential back-off (the ESME is not unbound for it); a user
// with no receiver keeps its queue until one binds (`notifyBound`) or the periodic sweep finds one; deliveries older
// than dlr_expiry are dropped and logged.
//
// Order: first attempts leave in the store's seq order, per user. A delivery that fails may be retried after later
// ones that were already in flight (at most the per-user window); nothing new is sent past a held delivery until it
// has been retried, so a failing head holds its user's queue (docs/receipts.md).

import { encodePdu, type Pdu, type PduOf } from '../smpp/codec/index.js';
import type { DeliveryRecord } from '../store/model.js';
import type { Store } from '../store/store.js';
import { type GatewayEventSink, NO_EVENTS } from './events.js';
import type { GatewayLogger, WallClock } from './pipeline.js';
import type { DeliverSmFields } from './receipts.js';

/** The store methods the delivery engine uses. */
export type DeliveryStore = Pick<
  Store,
  'peekDeliveries' | 'ackDelivery' | 'retryDelivery' | 'expireDeliveries' | 'usersWithDeliveries'
>;

/** A bound receiver or transceiver session of an ESME (SmppSession satisfies it). */
export interface DeliverySession {
  readonly id: string;
  /** Sends a request through the session's window; resolves with its response, rejects on timeout or close. */
  request(pdu: Pdu): Promise<Pdu>;
}

/** Timers the engine arms (sweeps, retry wake-ups); default Node's, unref'd. */
export interface DeliveryTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of a DeliveryEngine. */
export interface DeliveryEngineOptions {
  store: DeliveryStore;
  /** The next receiver/transceiver session of a user, round-robin; undefined when none is bound. */
  pickSession: (uid: string) => DeliverySession | undefined;
  logger: GatewayLogger;
  /** Wall clock, epoch milliseconds (the store's times); default Date. */
  clock?: WallClock;
  timers?: DeliveryTimers;
  /** deliver_sm in flight at once per user. Default 10. */
  windowPerUser?: number;
  /** First retry delay after an error or a timeout; doubled per attempt. Default 1 s. */
  retryBaseMs?: number;
  /** Longest retry delay. Default 60 s. */
  retryMaxMs?: number;
  /** How often users with due deliveries are looked for (covers binds nobody told us about). Default 5 s. */
  sweepMs?: number;
  /** How often deliveries past dlr_expiry are dropped. Default 60 s. */
  expireEveryMs?: number;
  /** After a send that could not start (session closing, its window full), the wait before trying again. Default 200 ms. */
  resendDelayMs?: number;
  /** Told of every delivery attempt that reached an ESME (metrics, history); default nobody. */
  events?: GatewayEventSink;
}

/** Thrown by deliverSmOf for a payload that cannot be a deliver_sm. */
export class DeliveryPayloadError extends Error {
  override readonly name = 'DeliveryPayloadError';
}

const U8_FIELDS = [
  'source_addr_ton',
  'source_addr_npi',
  'dest_addr_ton',
  'dest_addr_npi',
  'esm_class',
  'protocol_id',
  'priority_flag',
  'registered_delivery',
  'replace_if_present_flag',
  'data_coding',
  'sm_default_msg_id',
] as const;

const STRING_FIELDS = [
  'service_type',
  'source_addr',
  'destination_addr',
  'schedule_delivery_time',
  'validity_period',
] as const;

/** The deliver_sm of a delivery record's payload (DeliverSmFields as plain data); DeliveryPayloadError when it is not one. */
export function deliverSmOf(payload: Readonly<Record<string, unknown>>): PduOf<'deliver_sm'> {
  const fields: Record<string, unknown> = {};
  for (const k of U8_FIELDS) {
    const v = payload[k] ?? 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
      throw new DeliveryPayloadError(`${k} is not an octet: ${JSON.stringify(v)}`);
    }
    fields[k] = v;
  }
  for (const k of STRING_FIELDS) {
    const v = payload[k] ?? '';
    if (typeof v !== 'string') throw new DeliveryPayloadError(`${k} is not a string`);
    fields[k] = v;
  }
  const sm = payload.short_message ?? Buffer.alloc(0);
  if (!Buffer.isBuffer(sm)) throw new DeliveryPayloadError('short_message is not bytes');
  fields.short_message = sm;
  const tlvs = payload.tlvs;
  if (tlvs !== undefined && (tlvs === null || typeof tlvs !== 'object')) {
    throw new DeliveryPayloadError('tlvs is not an object');
  }
  const pdu = {
    command: 'deliver_sm',
    command_status: 0,
    sequence_number: 1,
    ...fields,
    ...(tlvs !== undefined ? { tlvs } : {}),
  } as PduOf<'deliver_sm'>;
  try {
    encodePdu(pdu); // every field's length and every TLV's value, checked here rather than inside a session
  } catch (error) {
    throw new DeliveryPayloadError(`not a valid deliver_sm: ${error instanceof Error ? error.message : error}`);
  }
  return pdu;
}

/** The payload a delivery record keeps for a deliver_sm (the same fields as plain data; Buffers stay Buffers). */
export function deliveryPayload(fields: DeliverSmFields): Record<string, unknown> {
  return { ...fields };
}

interface UserQueue {
  /** seqs sent and not yet answered by the ESME or held. */
  readonly inflight: Set<number>;
  /**
   * seqs the ESME answered with ESME_ROK whose removal from the store is on its way: never sent again meanwhile, and
   * bounded with the in-flight ones (#hasRoom), so a crash repeats at most two windows per user (docs/receipts.md).
   */
  readonly acking: Set<number>;
  /**
   * seqs removed while a look at the store was on its way: that look may still hold them, so it skips them too.
   * Cleared before each look (a removal done before a look was sent is never in its answer).
   */
  readonly gone: Set<number>;
  /** Read from the store ahead of the window, not sent yet, in seq order (dropped by a rewind). */
  readonly ready: DeliveryRecord[];
  /**
   * Every delivery up to this seq is read ahead, in flight or gone (acked): the next look at the store starts after
   * it, so each delivery is read once. 0 = look from the head (after a retry, a send that did not start, a store
   * error).
   */
  cursor: number;
  /** Bumped by every reset of the cursor, so a pump that was reading meanwhile does not move it past a held one. */
  resets: number;
  pumping: boolean;
  again: boolean;
  wakeTimer: unknown;
  wakeAt: number;
}

const defaultTimers: DeliveryTimers = {
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

/** Errors of a send that never reached the ESME: the delivery is tried again without counting an attempt. */
function notSent(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return name === 'WindowFullError' || name === 'InvalidStateError' || name === 'SessionClosedError';
}

/** Delivers queued receipts and MO to ESMEs (see the file comment). */
export class DeliveryEngine {
  readonly #store: DeliveryStore;
  readonly #pick: DeliveryEngineOptions['pickSession'];
  readonly #log: GatewayLogger;
  readonly #clock: WallClock;
  readonly #timers: DeliveryTimers;
  readonly #window: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #sweepMs: number;
  readonly #expireEveryMs: number;
  readonly #resendDelayMs: number;
  readonly #events: GatewayEventSink;
  readonly #users = new Map<string, UserQueue>();
  readonly #sends = new Set<Promise<void>>();
  #sweepTimer: unknown;
  #expireTimer: unknown;
  #running = false;
  #counts = { delivered: 0, retried: 0, expired: 0, dropped: 0 };

  /** An engine over `options.store`; call start(). */
  constructor(options: DeliveryEngineOptions) {
    this.#store = options.store;
    this.#pick = options.pickSession;
    this.#log = options.logger;
    this.#clock = options.clock ?? { now: Date.now };
    this.#timers = options.timers ?? defaultTimers;
    this.#window = Math.max(1, options.windowPerUser ?? 10);
    this.#retryBaseMs = Math.max(1, options.retryBaseMs ?? 1000);
    this.#retryMaxMs = Math.max(this.#retryBaseMs, options.retryMaxMs ?? 60_000);
    this.#sweepMs = Math.max(1, options.sweepMs ?? 5000);
    this.#expireEveryMs = Math.max(1, options.expireEveryMs ?? 60_000);
    this.#resendDelayMs = Math.max(1, options.resendDelayMs ?? 200);
    this.#events = options.events ?? NO_EVENTS;
  }

  /** Figures since start: delivered (acked), retried (error or timeout), expired, dropped (unsendable payloads). */
  counters(): Readonly<{ delivered: number; retried: number; expired: number; dropped: number }> {
    return { ...this.#counts };
  }

  /** Starts the sweeps and delivers what is due now. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#expire();
    void this.#sweep();
  }

  /** Stops sending new deliveries and waits for those in flight to be answered (or to fail). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#timers.clearTimeout(this.#sweepTimer);
    this.#timers.clearTimeout(this.#expireTimer);
    for (const q of this.#users.values()) this.#timers.clearTimeout(q.wakeTimer);
    while (this.#sends.size > 0) await Promise.allSettled([...this.#sends]);
  }

  /** Deliveries were queued for `uid`: send them now if a receiver is bound. */
  notify(uid: string): void {
    this.#schedule(uid);
  }

  /** A receiver or transceiver of `uid` bound: send what waits for it. */
  notifyBound(uid: string): void {
    this.#schedule(uid);
  }

  #queue(uid: string): UserQueue {
    let q = this.#users.get(uid);
    if (q === undefined) {
      q = {
        inflight: new Set(),
        acking: new Set(),
        gone: new Set(),
        ready: [],
        cursor: 0,
        resets: 0,
        pumping: false,
        again: false,
        wakeTimer: undefined,
        wakeAt: 0,
      };
      this.#users.set(uid, q);
    }
    return q;
  }

  #schedule(uid: string): void {
    if (!this.#running) return;
    const q = this.#queue(uid);
    if (q.pumping) {
      q.again = true;
      this.#fill(uid, q);
      return;
    }
    q.pumping = true;
    void this.#pump(uid, q);
  }

  /** Wakes the user's pump at `at` (a retry's not-before time), keeping the earliest wake-up. */
  #wakeAt(uid: string, q: UserQueue, at: number): void {
    if (!this.#running) return;
    if (q.wakeTimer !== undefined && q.wakeAt <= at) return;
    this.#timers.clearTimeout(q.wakeTimer);
    q.wakeAt = at;
    q.wakeTimer = this.#timers.setTimeout(
      () => {
        q.wakeTimer = undefined;
        this.#schedule(uid);
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  /** The next look at the user's queue starts from its head. */
  #rewind(q: UserQueue): void {
    q.cursor = 0;
    q.resets++;
    q.ready.length = 0;
  }

  async #pump(uid: string, q: UserQueue): Promise<void> {
    try {
      do {
        q.again = false;
        if (!this.#running) break;
        this.#fill(uid, q);
        // Read ahead up to a window beyond what is in flight: slots the ESME frees are refilled from memory at once
        // instead of after a look at the store (tens of ms on a loaded Redis, which capped a user at ~100 a look).
        const want = 2 * this.#window - q.inflight.size - q.ready.length;
        if (want <= 0) break;
        // From the head, the in-flight ones come back too (skipped); after the cursor, only new ones.
        const fromHead = q.cursor === 0;
        const resets = q.resets;
        q.gone.clear();
        const due = fromHead
          ? await this.#store.peekDeliveries(uid, q.inflight.size + q.acking.size + want, this.#clock.now())
          : await this.#store.peekDeliveries(uid, want, this.#clock.now(), q.cursor);
        // A retry or a failed send meanwhile sent it back to the head: that wins, and the look is made again.
        if (q.resets !== resets) {
          q.again = true;
          continue;
        }
        // The cursor moves past what is buffered, in flight or gone; the buffer keeps the store's seq order.
        let cursor = fromHead ? 0 : q.cursor;
        for (const d of due) {
          if (!q.inflight.has(d.seq) && !q.acking.has(d.seq) && !q.gone.has(d.seq)) q.ready.push(d);
          cursor = d.seq;
        }
        q.cursor = cursor;
        this.#fill(uid, q);
      } while (q.again);
    } catch (error) {
      this.#rewind(q);
      this.#log.error('delivery_store_error', { uid, error: errorMessage(error) });
      this.#wakeAt(uid, q, this.#clock.now() + this.#resendDelayMs);
    } finally {
      q.pumping = false;
    }
    if (q.again) this.#schedule(uid);
  }

  /**
   * Sends read-ahead deliveries, in order, while the user's window has room. Synchronous, so it also runs while a
   * look at the store is on its way (every freed slot calls it through #schedule).
   */
  #fill(uid: string, q: UserQueue): void {
    while (q.ready.length > 0 && this.#hasRoom(q) && this.#running) {
      // Picked per delivery, and only when there is one to send, so the round-robin over binds stays even.
      const session = this.#pick(uid);
      if (session === undefined) {
        // No receiver here now (or, with several nodes, no lease): what was read is read again once there is one.
        this.#rewind(q);
        return;
      }
      const d = q.ready.shift() as DeliveryRecord;
      let pdu: PduOf<'deliver_sm'>;
      try {
        pdu = deliverSmOf(d.payload);
      } catch (error) {
        // It can never be sent: logged whole for an operator, then removed so the user's queue moves on.
        this.#counts.dropped++;
        this.#log.error('delivery_unsendable', {
          uid,
          seq: d.seq,
          kind: d.kind,
          error: errorMessage(error),
          payload: d.payload,
        });
        this.#track(this.#remove(uid, q, d.seq, false));
        continue;
      }
      q.inflight.add(d.seq);
      this.#track(this.#send(uid, q, d, session, pdu));
    }
  }

  /**
   * Room for one more: the window counts deliver_sm awaiting the ESME's answer; the ones answered whose removal from
   * the store is still on its way count apart, up to another window, so a slow store (tens of ms a call on a loaded
   * Redis) does not hold the ESME's window while a crash still repeats at most two windows per user.
   */
  #hasRoom(q: UserQueue): boolean {
    return q.inflight.size < this.#window && q.inflight.size + q.acking.size < 2 * this.#window;
  }

  #track(work: Promise<void>): void {
    this.#sends.add(work);
    void work.finally(() => this.#sends.delete(work));
  }

  /**
   * Removes a delivery from the store (the ESME has it, or it can never be sent). It is skipped by every look until
   * the store has removed it; a failed removal sends it again (at-least-once).
   */
  async #remove(uid: string, q: UserQueue, seq: number, delivered: boolean): Promise<void> {
    q.acking.add(seq);
    try {
      await this.#store.ackDelivery(uid, seq);
      q.acking.delete(seq);
      if (q.pumping) q.gone.add(seq);
      if (delivered) this.#counts.delivered++;
      this.#schedule(uid); // its window slot is free
    } catch (error) {
      q.acking.delete(seq);
      this.#log.error('delivery_ack_failed', { uid, seq, error: errorMessage(error) });
      this.#rewind(q);
      this.#schedule(uid);
    }
  }

  async #send(uid: string, q: UserQueue, d: DeliveryRecord, session: DeliverySession, pdu: Pdu): Promise<void> {
    let response: Pdu;
    try {
      response = await session.request(pdu);
    } catch (error) {
      if (notSent(error)) {
        q.inflight.delete(d.seq);
        this.#rewind(q);
        // Never reached the ESME (the bind was closing, or its window full): not an attempt. Tried again shortly.
        this.#log.debug('delivery_not_sent', { uid, seq: d.seq, session: session.id, error: errorMessage(error) });
        this.#wakeAt(uid, q, this.#clock.now() + this.#resendDelayMs);
        return;
      }
      this.#report(d, session, 'timeout', undefined);
      await this.#retry(uid, q, d, session, `no response: ${errorMessage(error)}`);
      return;
    }
    this.#report(d, session, response.command_status === 0 ? 'ok' : 'error', response.command_status);
    if (response.command_status === 0) {
      // The ESME has it: its window slot is free while the store removes it (skipped by the pumps meanwhile).
      const removed = this.#remove(uid, q, d.seq, true);
      q.inflight.delete(d.seq);
      this.#schedule(uid);
      await removed;
      return;
    }
    await this.#retry(uid, q, d, session, `status 0x${response.command_status.toString(16).padStart(8, '0')}`);
  }

  /** Tells the event listeners how an attempt that reached the ESME went. */
  #report(d: DeliveryRecord, session: DeliverySession, result: 'ok' | 'error' | 'timeout', status?: number): void {
    if (!this.#events.active) return;
    const tlvs = d.payload.tlvs as { receipted_message_id?: unknown } | undefined;
    const messageId = tlvs?.receipted_message_id;
    this.#events.emit({
      type: 'delivery',
      at: this.#clock.now(),
      uid: d.uid,
      seq: d.seq,
      kind: d.kind,
      session: session.id,
      result,
      ...(result === 'error' && status !== undefined ? { status } : {}),
      ...(d.kind === 'receipt' && typeof messageId === 'string' ? { message_id: messageId } : {}),
    });
  }

  async #retry(uid: string, q: UserQueue, d: DeliveryRecord, session: DeliverySession, why: string): Promise<void> {
    const delay = Math.min(this.#retryMaxMs, this.#retryBaseMs * 2 ** Math.min(d.attempts, 30));
    const at = this.#clock.now() + delay;
    this.#counts.retried++;
    this.#log.warn('delivery_retry', {
      uid,
      seq: d.seq,
      kind: d.kind,
      session: session.id,
      attempt: d.attempts + 1,
      delay_ms: delay,
      reason: why,
    });
    try {
      await this.#store.retryDelivery(uid, d.seq, at);
    } catch (error) {
      this.#log.error('delivery_store_error', { uid, seq: d.seq, error: errorMessage(error) });
    }
    // Out of the in-flight set only once it is held in the store, so no pump sends it again before its time; the
    // next look starts from the head again, where it now holds its user's queue.
    q.inflight.delete(d.seq);
    this.#rewind(q);
    this.#wakeAt(uid, q, at);
  }

  async #sweep(): Promise<void> {
    if (!this.#running) return;
    try {
      for (const uid of await this.#store.usersWithDeliveries(this.#clock.now())) {
        // `http:…`, `http-parts:…` and `dlr:…` queues belong to the HTTP outboxes, never to an ESME.
        if (!uid.includes(':')) this.#schedule(uid);
      }
    } catch (error) {
      this.#log.error('delivery_store_error', { error: errorMessage(error) });
    }
    if (this.#running) this.#sweepTimer = this.#timers.setTimeout(() => void this.#sweep(), this.#sweepMs);
  }

  async #expire(): Promise<void> {
    if (!this.#running) return;
    try {
      for (const d of await this.#store.expireDeliveries(this.#clock.now())) {
        this.#counts.expired++;
        const tlvs = d.payload.tlvs as { receipted_message_id?: unknown } | undefined;
        this.#log.warn('delivery_expired', {
          uid: d.uid,
          seq: d.seq,
          kind: d.kind,
          attempts: d.attempts,
          created_at: d.created_at,
          message_id: tlvs?.receipted_message_id,
        });
      }
    } catch (error) {
      this.#log.error('delivery_store_error', { error: errorMessage(error) });
    }
    if (this.#running) this.#expireTimer = this.#timers.setTimeout(() => void this.#expire(), this.#expireEveryMs);
  }
}
