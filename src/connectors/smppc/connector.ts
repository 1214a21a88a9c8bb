// The upstream SMPP client connector (`type: smppc`): binds to an SMSC as configured (several binds, each rebinding
// with back-off), consumes the connector's durable queue as window slots free up and the throughput allows, sends
// each part as submit_sm, and tells the gateway every outcome through UpstreamEvents. At-least-once: a part leaves
// the queue only once the SMSC answered; a part whose answer never came (timeout, dropped connection) goes back to
// the queue and is sent again, so an SMSC may see it twice. Inbound deliver_sm / data_sm are answered only once the
// gateway kept them. Behaviour and settings: docs/connectors.md.

import { CommandStatus, type PduOf, statusName } from '../../smpp/codec/index.js';
import type { SessionLogger } from '../../smpp/session/index.js';
import type { MessageRecord } from '../../store/model.js';
import type { Connector, ConnectorContext, ConnectorLiveState } from '../manager.js';
import { UpstreamBind } from './bind.js';
import { Pacer } from './pacer.js';
import { parseSmppcSettings, type SmppcSettings } from './settings.js';
import { planSubmit } from './submit.js';

/** Most parts claimed from the store in one call. */
const MAX_CLAIM = 500;
/** After ESME_RTHROTTLED the connector sends nothing for the status's retry delay, at most this long (ms). */
const MAX_THROTTLED_PAUSE_MS = 1000;
/**
 * Tries to record an outcome with the gateway before a stopping connector leaves the part `sending` (recovered at the
 * next start). A running connector keeps trying, every OUTCOME_MAX_DELAY_MS at most, until the store takes it.
 */
const OUTCOME_TRIES = 6;
const OUTCOME_MAX_DELAY_MS = 4000;

/** Counters of one smppc connector since it was created (a type, so it is a Record<string, number>). */
export type SmppcCounters = {
  /** submit_sm sent (parts of a split message_payload each count). */
  submitted: number;
  accepted: number;
  rejected: number;
  /** Sent back to the queue after a retryable status. */
  retried: number;
  /** Sent back to the queue after a timeout or a lost connection. */
  requeued: number;
  expired: number;
  /** Inbound deliver_sm / data_sm answered. */
  delivered: number;
};

/** Live state of an smppc connector (ConnectorLiveState plus the counters). */
export interface SmppcLiveState extends ConnectorLiveState {
  counters: SmppcCounters;
}

type Status = 'stopped' | 'running' | 'stopping';

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The smppc connector behind the Connector interface. */
export class SmppcConnector implements Connector {
  readonly cid: string;
  readonly settings: SmppcSettings;
  readonly #ctx: ConnectorContext;
  readonly #log: SessionLogger;
  readonly #random: () => number;
  #binds: UpstreamBind[] = [];
  #status: Status = 'stopped';
  #everBound = false;
  #pacer: Pacer;
  #pumping = false;
  #again = false;
  #wakeTimer: unknown;
  #wakeAt = Number.POSITIVE_INFINITY;
  #pausedUntil = 0;
  #ref = 0;
  #lastError: string | null = null;
  readonly #inHand = new Set<Promise<void>>();
  readonly #counters: SmppcCounters = {
    submitted: 0,
    accepted: 0,
    rejected: 0,
    retried: 0,
    requeued: 0,
    expired: 0,
    delivered: 0,
  };

  /** Checks the record's settings (SmppcSettingsError names a bad key); nothing connects before start(). */
  constructor(ctx: ConnectorContext, options: { random?: () => number } = {}) {
    this.#ctx = ctx;
    this.cid = ctx.record.cid;
    this.settings = parseSmppcSettings(ctx.record.settings);
    this.#log = ctx.logger.child({ cid: this.cid, connector: 'smppc' });
    this.#random = options.random ?? Math.random;
    this.#pacer = new Pacer(this.settings.throughput, ctx.clock.now());
  }

  /** Opens every bind; the queue is consumed as soon as one transmitter or transceiver bind is up. */
  async start(): Promise<void> {
    if (this.#status !== 'stopped') return;
    this.#status = 'running';
    this.#everBound = false;
    this.#pacer = new Pacer(this.settings.throughput, this.#ctx.clock.now());
    const s = this.settings;
    this.#binds = [];
    for (let i = 0; i < s.bind_count; i++) {
      this.#binds.push(
        new UpstreamBind({
          cid: this.cid,
          index: i,
          settings: s,
          logger: this.#log,
          timers: this.#ctx.clock,
          random: this.#random,
          onDeliver: this.#onDeliver,
          onUp: () => {
            this.#everBound = true;
            this.#pump();
          },
          onDown: (_bind, reason) => {
            this.#lastError = reason;
          },
        }),
      );
    }
    this.#log.info('connector_started', {
      host: s.host,
      port: s.port,
      bind_type: s.bind,
      bind_count: s.bind_count,
      window: s.window,
      throughput: s.throughput,
    });
    for (const b of this.#binds) b.start();
  }

  /** Stops consuming, waits for the parts in hand to be answered, then unbinds every bind cleanly. */
  async stop(): Promise<void> {
    if (this.#status !== 'running') return;
    this.#status = 'stopping';
    this.#clearWake();
    while (this.#inHand.size > 0) await Promise.allSettled([...this.#inHand]);
    await Promise.allSettled(this.#binds.map((b) => b.stop()));
    this.#status = 'stopped';
    this.#log.info('connector_stopped', {});
  }

  /** New parts were queued for this connector: look at the queue now. */
  notify(): void {
    this.#pump();
  }

  /** Binds up that may carry submit_sm. */
  isUp(): boolean {
    return this.#status === 'running' && this.#binds.some((b) => b.canSubmit);
  }

  /** `stopped`, `connecting` (no bind up yet), `bound` (one or more up), `unbound` (all down, retrying), `stopping`. */
  state(): SmppcLiveState {
    const up = this.#binds.filter((b) => b.status === 'bound').length;
    let state: string;
    if (this.#status !== 'running') state = this.#status;
    else if (up > 0) state = 'bound';
    else if (!this.#everBound && this.#binds.every((b) => b.failures === 0)) state = 'connecting';
    else state = 'unbound';
    let lastError = this.#lastError;
    for (const b of this.#binds) if (b.lastError !== null && up < this.#binds.length) lastError = b.lastError;
    return { state, binds: up, last_error: lastError, counters: { ...this.#counters } };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Consuming the queue

  #freeSlots(): number {
    let free = 0;
    for (const b of this.#binds) if (b.canSubmit) free += Math.max(0, this.settings.window - b.inflight);
    return free;
  }

  /** The transmitter/transceiver bind with the most free window slots, or undefined. */
  #pickBind(): UpstreamBind | undefined {
    let best: UpstreamBind | undefined;
    for (const b of this.#binds) {
      if (!b.canSubmit || b.inflight >= this.settings.window) continue;
      if (best === undefined || b.inflight < best.inflight) best = b;
    }
    return best;
  }

  #clearWake(): void {
    if (this.#wakeTimer !== undefined) this.#ctx.clock.clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
    this.#wakeAt = Number.POSITIVE_INFINITY;
  }

  /** Looks at the queue again in `ms` (keeps an earlier wake-up). */
  #wake(ms: number): void {
    const at = this.#ctx.clock.now() + Math.max(1, ms);
    if (this.#wakeTimer !== undefined && this.#wakeAt <= at) return;
    this.#clearWake();
    this.#wakeAt = at;
    this.#wakeTimer = this.#ctx.clock.setTimeout(
      () => {
        this.#wakeTimer = undefined;
        this.#wakeAt = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      Math.max(1, ms),
    );
  }

  /**
   * Claims as many due parts as the free window slots and the throughput allow, and hands each to a bind. Runs
   * again when a part is answered, a bind comes up, notify() is called, or the poll interval passes.
   */
  #pump = (): void => {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    void this.#pumpLoop().finally(() => {
      this.#pumping = false;
    });
  };

  async #pumpLoop(): Promise<void> {
    const clock = this.#ctx.clock;
    try {
      do {
        this.#again = false;
        if (this.#status !== 'running') return;
        const now = clock.now();
        if (now < this.#pausedUntil) {
          this.#wake(this.#pausedUntil - now);
          return;
        }
        const free = this.#freeSlots();
        // Unbound or window full: a bind coming up or a part answered pumps again. Nothing is claimed meanwhile,
        // so the parts stay queued in the store (held), where expiry can still see them.
        if (free <= 0) return;
        const tokens = this.#pacer.available(now);
        if (tokens < 1) {
          this.#wake(this.#pacer.waitMs(now));
          return;
        }
        const n = Math.min(free, tokens, MAX_CLAIM);
        const batch = await this.#ctx.store.claimMessages(this.cid, n, now);
        for (const m of batch) this.#dispatch(m);
        if (batch.length < n) {
          this.#wake(this.settings.poll_ms);
          return;
        }
        this.#again = true;
      } while (this.#again);
    } catch (error) {
      this.#lastError = `claim: ${errorMessage(error)}`;
      this.#log.error('claim_failed', { error: errorMessage(error) });
      this.#wake(this.settings.poll_ms);
    }
  }

  #dispatch(m: MessageRecord): void {
    const bind = this.#pickBind();
    if (bind !== undefined) bind.inflight++;
    const work = this.#send(m, bind).finally(() => {
      if (bind !== undefined) bind.inflight--;
      this.#inHand.delete(work);
      this.#pump();
    });
    this.#inHand.add(work);
  }

  async #send(m: MessageRecord, bind: UpstreamBind | undefined): Promise<void> {
    const clock = this.#ctx.clock;
    const now = clock.now();
    const s = this.settings;
    // Held past its validity or the connector's maximum age: it will never leave.
    if (
      (m.expires_at !== null && m.expires_at <= now) ||
      (s.max_age_secs !== null && m.submitted_at + s.max_age_secs * 1000 <= now)
    ) {
      this.#counters.expired++;
      await this.#outcome(m, { kind: 'expired' });
      return;
    }
    const session = bind?.session;
    if (session === undefined) {
      // The bind went down while the batch was being claimed.
      this.#counters.requeued++;
      await this.#requeue(m, now, false, 'no bind up');
      return;
    }
    const plan = planSubmit(m, s, now, () => this.#ref++);
    if (!plan.ok) {
      this.#log.warn('submit_unsendable', { message_id: m.id, status: statusName(plan.status), reason: plan.reason });
      this.#counters.rejected++;
      await this.#outcome(m, { kind: 'rejected', status: plan.status });
      return;
    }
    this.#pacer.take(now);
    for (let i = 1; i < plan.pdus.length; i++) this.#pacer.take(now); // extra parts leave the bucket in debt
    const upstreamIds: string[] = [];
    for (const pdu of plan.pdus) {
      let response: Awaited<ReturnType<typeof session.request>>;
      try {
        this.#counters.submitted++;
        response = await session.request(pdu);
      } catch (error) {
        // No answer (timeout) or the connection went: the SMSC may or may not have it. Sent again (at-least-once).
        this.#lastError = errorMessage(error);
        this.#counters.requeued++;
        await this.#requeue(m, clock.now(), true, errorMessage(error));
        return;
      }
      const status = response.command_status;
      if (status !== CommandStatus.ESME_ROK) {
        await this.#refused(m, status);
        return;
      }
      const id = (response as PduOf<'submit_sm_resp'>).message_id ?? '';
      upstreamIds.push(id);
    }
    this.#counters.accepted++;
    const sent = { ...m, attempts: m.attempts + 1 };
    // A split message_payload: every part's id is mapped to the same message, so whichever receipt comes counts.
    for (const upstreamId of upstreamIds) await this.#outcome(sent, { kind: 'accepted', upstreamId });
  }

  /** A non-ROK submit_sm_resp: retried later when the status is in the retry list and tries are left, else rejected. */
  async #refused(m: MessageRecord, status: number): Promise<void> {
    const now = this.#ctx.clock.now();
    const rule = this.settings.submit_retry_statuses.get(status);
    if (status === CommandStatus.ESME_RTHROTTLED) {
      // The SMSC asks us to slow down: pause the whole connector, not only this part.
      const pause = Math.min(MAX_THROTTLED_PAUSE_MS, (rule?.delaySecs ?? 1) * 1000);
      this.#pausedUntil = Math.max(this.#pausedUntil, now + pause);
    }
    if (rule !== undefined && m.attempts < rule.count) {
      this.#counters.retried++;
      this.#log.info('submit_retry', {
        message_id: m.id,
        status: statusName(status),
        attempt: m.attempts + 1,
        retry_in_s: rule.delaySecs,
      });
      await this.#requeue(m, now + rule.delaySecs * 1000, true, statusName(status));
      return;
    }
    this.#counters.rejected++;
    this.#log.info('submit_rejected', { message_id: m.id, status: statusName(status), attempts: m.attempts + 1 });
    await this.#outcome({ ...m, attempts: m.attempts + 1 }, { kind: 'rejected', status });
  }

  /** Back to the queue, not before `notBefore`; `sent` counts the send in `attempts`. */
  async #requeue(m: MessageRecord, notBefore: number, sent: boolean, why: string): Promise<void> {
    const store = this.#ctx.store;
    try {
      if (sent) await store.updateMessages([{ id: m.id, patch: { attempts: m.attempts + 1 } }]);
      await store.releaseMessage(m.id, notBefore);
    } catch (error) {
      // Left `sending`: recoverInFlight() queues it again at the next start.
      this.#lastError = `release: ${errorMessage(error)}`;
      this.#log.error('release_failed', { message_id: m.id, why, error: errorMessage(error) });
    }
  }

  /**
   * Tells the gateway; retried with back-off while the store is unavailable. A running connector never gives up: a
   * part left `sending` would wait for the next start, and the receipt the SMSC sends for it would find no map entry
   * and be dropped (a disk full for 10 s lost them; test/faults/storeFull.test.ts).
   */
  async #outcome(m: MessageRecord, outcome: Parameters<ConnectorContext['events']['submitted']>[2]): Promise<void> {
    let delay = 250;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#ctx.events.submitted(this.cid, m, outcome);
        return;
      } catch (error) {
        this.#lastError = `outcome: ${errorMessage(error)}`;
        if (attempt >= OUTCOME_TRIES && this.#status !== 'running') {
          // Left `sending`: recoverInFlight() queues it again at the next start (sent again: at-least-once).
          this.#log.error('outcome_unrecorded', {
            message_id: m.id,
            outcome: outcome.kind,
            error: errorMessage(error),
          });
          return;
        }
        await new Promise<void>((resolve) => this.#ctx.clock.setTimeout(resolve, delay));
        delay = Math.min(delay * 2, OUTCOME_MAX_DELAY_MS);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Inbound

  /** A receipt or MO: the gateway keeps it first, then the SMSC gets its answer (ESME_RX_T_APPN if it could not). */
  readonly #onDeliver = async (pdu: PduOf<'deliver_sm'> | PduOf<'data_sm'>): Promise<number> => {
    try {
      const status = await this.#ctx.events.delivered(this.cid, pdu);
      this.#counters.delivered++;
      return status;
    } catch (error) {
      this.#lastError = `deliver: ${errorMessage(error)}`;
      this.#log.error('deliver_failed', { command: pdu.command, error: errorMessage(error) });
      return CommandStatus.ESME_RX_T_APPN;
    }
  };
}

/** The ConnectorFactory of type `smppc`. */
export function createSmppcConnector(ctx: ConnectorContext): SmppcConnector {
  return new SmppcConnector(ctx);
}
