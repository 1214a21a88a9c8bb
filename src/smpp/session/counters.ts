// Per-server and per-user counters with Jasmin's names (jasmin/smpp/stats.py ServerConnectorStatistics and the
// smppsapi part of UserStats), so that an operator's dashboards and scripts read the same keys.
// Gauges (connected_count, bound_*_count, bound_connections_count) move only in one place each — session open/close
// and state changes — so an abrupt disconnect decrements them exactly like a clean unbind.

/** The three ways to bind. */
export type BindType = 'transmitter' | 'receiver' | 'transceiver';

/** How an MT request (submit_sm, data_sm, submit_multi) was answered, for the submit counters. */
export type SubmitOutcome = 'ok' | 'throttled' | 'error';

/** Epoch milliseconds, or null when the event never happened. */
type At = number | null;

/** A user's smpps counters, as `stats --user` shows them in Jasmin. */
export interface UserCountersSnapshot {
  bind_count: number;
  unbind_count: number;
  bound_connections_count: { bind_transmitter: number; bind_receiver: number; bind_transceiver: number };
  submit_sm_request_count: number;
  submit_sm_count: number;
  throttling_error_count: number;
  other_submit_error_count: number;
  elink_count: number;
  deliver_sm_count: number;
  data_sm_count: number;
  last_activity_at: At;
}

/** The server's counters, as `stats --smppsapi` shows them in Jasmin. */
export interface ServerCountersSnapshot {
  created_at: number;
  last_received_pdu_at: At;
  last_sent_pdu_at: At;
  last_received_elink_at: At;
  last_sent_elink_at: At;
  connected_count: number;
  connect_count: number;
  disconnect_count: number;
  bound_tx_count: number;
  bound_rx_count: number;
  bound_trx_count: number;
  bind_tx_count: number;
  bind_rx_count: number;
  bind_trx_count: number;
  unbind_count: number;
  submit_sm_request_count: number;
  submit_sm_count: number;
  throttling_error_count: number;
  other_submit_error_count: number;
  elink_count: number;
  deliver_sm_count: number;
  data_sm_count: number;
}

/** Distinct command_ids, and statuses per command, counted apart; the rest share the key OTHER (a peer's garbage). */
const MAX_KEYS = 64;

/** PDUs counted by command_id and command_status, for the metrics (`other` keys once a peer sends too many kinds). */
export class PduCounts {
  /** The key used for a command_id or status beyond the first MAX_KEYS seen. */
  static readonly OTHER = -1;
  readonly #byCommand = new Map<number, Map<number, number>>();

  /** Counts one PDU. */
  add(commandId: number, status: number): void {
    let byStatus = this.#byCommand.get(commandId);
    if (byStatus === undefined) {
      const key = this.#byCommand.size < MAX_KEYS ? commandId : PduCounts.OTHER;
      byStatus = this.#byCommand.get(key);
      if (byStatus === undefined) {
        byStatus = new Map();
        this.#byCommand.set(key, byStatus);
      }
    }
    const n = byStatus.get(status);
    if (n !== undefined) byStatus.set(status, n + 1);
    else if (byStatus.size < MAX_KEYS) byStatus.set(status, 1);
    else byStatus.set(PduCounts.OTHER, (byStatus.get(PduCounts.OTHER) ?? 0) + 1);
  }

  /** Every (command_id, status, count) counted so far. */
  entries(): { commandId: number; status: number; count: number }[] {
    const out: { commandId: number; status: number; count: number }[] = [];
    for (const [commandId, byStatus] of this.#byCommand) {
      for (const [status, count] of byStatus) out.push({ commandId, status, count });
    }
    return out;
  }
}

/** Upper bounds (seconds) of the submit_sm_resp latency buckets: 0.5 ms to 10 s. */
export const SUBMIT_LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** A fixed-bucket histogram cheap enough to observe every response (a few comparisons, no allocation). */
export class LatencyHistogram {
  /** Upper bounds, ascending, in seconds; a last implicit bucket is +Inf. */
  readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative); `counts[bounds.length]` is the +Inf bucket. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[] = SUBMIT_LATENCY_BUCKETS) {
    this.bounds = [...bounds];
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one duration in seconds. */
  observe(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }
}

/** One user's counters; mutated by the sessions bound as that user. */
export class UserCounters {
  bindCount = 0;
  unbindCount = 0;
  boundTx = 0;
  boundRx = 0;
  boundTrx = 0;
  submitSmRequestCount = 0;
  submitSmCount = 0;
  throttlingErrorCount = 0;
  otherSubmitErrorCount = 0;
  elinkCount = 0;
  deliverSmCount = 0;
  dataSmCount = 0;
  lastActivityAt: At = null;

  /** A plain copy with Jasmin's key names. */
  snapshot(): UserCountersSnapshot {
    return {
      bind_count: this.bindCount,
      unbind_count: this.unbindCount,
      bound_connections_count: {
        bind_transmitter: this.boundTx,
        bind_receiver: this.boundRx,
        bind_transceiver: this.boundTrx,
      },
      submit_sm_request_count: this.submitSmRequestCount,
      submit_sm_count: this.submitSmCount,
      throttling_error_count: this.throttlingErrorCount,
      other_submit_error_count: this.otherSubmitErrorCount,
      elink_count: this.elinkCount,
      deliver_sm_count: this.deliverSmCount,
      data_sm_count: this.dataSmCount,
      last_activity_at: this.lastActivityAt,
    };
  }
}

/**
 * The counters of one SMPP server and of every user that bound to it. Sessions call the `on…` methods; readers
 * call `snapshot()` / `userSnapshot(id)`. `now` is injectable for tests (epoch milliseconds).
 */
export class ServerCounters {
  readonly createdAt: number;
  lastReceivedPduAt: At = null;
  lastSentPduAt: At = null;
  lastReceivedElinkAt: At = null;
  lastSentElinkAt: At = null;
  connected = 0;
  connectCount = 0;
  disconnectCount = 0;
  boundTx = 0;
  boundRx = 0;
  boundTrx = 0;
  bindTx = 0;
  bindRx = 0;
  bindTrx = 0;
  unbindCount = 0;
  submitSmRequestCount = 0;
  submitSmCount = 0;
  throttlingErrorCount = 0;
  otherSubmitErrorCount = 0;
  elinkCount = 0;
  deliverSmCount = 0;
  dataSmCount = 0;
  /** Every PDU read from an ESME, by command and status (decode failures under the command they claimed). */
  readonly pdusIn = new PduCounts();
  /** Every PDU written to an ESME, by command and status. */
  readonly pdusOut = new PduCounts();
  /** From reading an MT request to queuing its response for the socket (submit_sm, data_sm, submit_multi). */
  readonly submitLatency = new LatencyHistogram();
  readonly #users = new Map<string, UserCounters>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.createdAt = now();
  }

  /** The counters of user `id`, created on first use. */
  user(id: string): UserCounters {
    let u = this.#users.get(id);
    if (u === undefined) {
      u = new UserCounters();
      this.#users.set(id, u);
    }
    return u;
  }

  /** A TCP/TLS connection was accepted. */
  onConnect(): void {
    this.connected++;
    this.connectCount++;
  }

  /** A connection closed, however it closed. */
  onDisconnect(): void {
    this.connected--;
    this.disconnectCount++;
  }

  /** A bind succeeded. */
  onBind(type: BindType, user: UserCounters | undefined): void {
    if (type === 'transmitter') {
      this.bindTx++;
      this.boundTx++;
      if (user) user.boundTx++;
    } else if (type === 'receiver') {
      this.bindRx++;
      this.boundRx++;
      if (user) user.boundRx++;
    } else {
      this.bindTrx++;
      this.boundTrx++;
      if (user) user.boundTrx++;
    }
    if (user) {
      user.bindCount++;
      user.lastActivityAt = this.#now();
    }
  }

  /** A bound session left its bound state (unbind, timeout or abrupt disconnect); `clean` when by unbind. */
  onUnbound(type: BindType, user: UserCounters | undefined, clean: boolean): void {
    if (type === 'transmitter') {
      this.boundTx--;
      if (user) user.boundTx--;
    } else if (type === 'receiver') {
      this.boundRx--;
      if (user) user.boundRx--;
    } else {
      this.boundTrx--;
      if (user) user.boundTrx--;
    }
    if (clean) {
      this.unbindCount++;
      if (user) user.unbindCount++;
    }
  }

  /** PDUs arrived (counted per read, not per PDU: one clock read per chunk). */
  onReceived(user: UserCounters | undefined): void {
    const now = this.#now();
    this.lastReceivedPduAt = now;
    if (user) user.lastActivityAt = now;
  }

  /** PDUs were written. */
  onSent(): void {
    this.lastSentPduAt = this.#now();
  }

  /** An enquire_link arrived (`received`) or was sent. */
  onEnquireLink(received: boolean, user: UserCounters | undefined): void {
    this.elinkCount++;
    if (user) user.elinkCount++;
    if (received) this.lastReceivedElinkAt = this.#now();
    else this.lastSentElinkAt = this.#now();
  }

  /** An MT request (submit_sm, data_sm, submit_multi) passed the state gate. */
  onSubmitRequest(user: UserCounters | undefined): void {
    this.submitSmRequestCount++;
    if (user) user.submitSmRequestCount++;
  }

  /** An MT request was answered. */
  onSubmitAnswered(outcome: SubmitOutcome, user: UserCounters | undefined): void {
    if (outcome === 'ok') {
      this.submitSmCount++;
      if (user) user.submitSmCount++;
    } else if (outcome === 'throttled') {
      this.throttlingErrorCount++;
      if (user) user.throttlingErrorCount++;
    } else {
      this.otherSubmitErrorCount++;
      if (user) user.otherSubmitErrorCount++;
    }
  }

  /** A deliver_sm or data_sm was sent to an ESME. */
  onDelivered(command: 'deliver_sm' | 'data_sm', user: UserCounters | undefined): void {
    if (command === 'deliver_sm') {
      this.deliverSmCount++;
      if (user) user.deliverSmCount++;
    } else {
      this.dataSmCount++;
      if (user) user.dataSmCount++;
    }
  }

  /** A plain copy with Jasmin's key names. */
  snapshot(): ServerCountersSnapshot {
    return {
      created_at: this.createdAt,
      last_received_pdu_at: this.lastReceivedPduAt,
      last_sent_pdu_at: this.lastSentPduAt,
      last_received_elink_at: this.lastReceivedElinkAt,
      last_sent_elink_at: this.lastSentElinkAt,
      connected_count: this.connected,
      connect_count: this.connectCount,
      disconnect_count: this.disconnectCount,
      bound_tx_count: this.boundTx,
      bound_rx_count: this.boundRx,
      bound_trx_count: this.boundTrx,
      bind_tx_count: this.bindTx,
      bind_rx_count: this.bindRx,
      bind_trx_count: this.bindTrx,
      unbind_count: this.unbindCount,
      submit_sm_request_count: this.submitSmRequestCount,
      submit_sm_count: this.submitSmCount,
      throttling_error_count: this.throttlingErrorCount,
      other_submit_error_count: this.otherSubmitErrorCount,
      elink_count: this.elinkCount,
      deliver_sm_count: this.deliverSmCount,
      data_sm_count: this.dataSmCount,
    };
  }

  /** The snapshot of user `id`, or undefined when that user never bound here. */
  userSnapshot(id: string): UserCountersSnapshot | undefined {
    return this.#users.get(id)?.snapshot();
  }

  /** The ids of every user with counters. */
  userIds(): string[] {
    return [...this.#users.keys()];
  }
}
