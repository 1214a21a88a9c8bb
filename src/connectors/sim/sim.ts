// The built-in simulator connector (`type: sim`; issue #5): an upstream with no network. It consumes its connector
// queue, "accepts" each message part after `latency_ms`, then after `receipt_delay_ms` sends back a receipt with a
// state drawn from the configured mix, through the same UpstreamEvents a real SMPP connector calls, so the quick start
// and tests get real receipts. It can also generate MO every `mo_every_secs`. Settings: docs/receipts.md.

import { formatReceipt } from '../../gateway/receipt.js';
import type { UpstreamEvents } from '../../gateway/upstream.js';
import type { PduOf } from '../../smpp/codec/index.js';
import { type MessageRecord, MessageState, type MessageStateValue } from '../../store/model.js';
import type { Store } from '../../store/store.js';

/** The simulator's settings, as the connector record keeps them (all optional; defaults in SIM_DEFAULTS). */
export interface SimSettings {
  /** Delay before each part is accepted (submit_sm_resp), ms. */
  latency_ms: number;
  /** Delay from acceptance to the receipt, ms. */
  receipt_delay_ms: number;
  /** State mix of receipts, in percent; delivered_percent defaults to what the others leave of 100. */
  delivered_percent: number;
  undeliverable_percent: number;
  expired_percent: number;
  rejected_percent: number;
  deleted_percent: number;
  unknown_percent: number;
  /** Share of parts refused at submit time (submit_sm_resp with `reject_status`), in percent. */
  submit_reject_percent: number;
  /** The status of those refusals; default ESME_RSUBMITFAIL (0x45). */
  reject_status: number;
  /** The err: code of failure receipts (UNDELIV, EXPIRED, REJECTD…). */
  failure_error_code: number;
  /** Parts handled at once. */
  window: number;
  /** How often an empty queue is looked at again, ms (notify() also wakes it). */
  poll_ms: number;
  /** Every this many seconds an MO is generated; 0 = never. */
  mo_every_secs: number;
  /** The MO's sender (the subscriber). */
  mo_source_addr: string;
  /** The MO's recipient (the short code an MO route leads to a user). */
  mo_destination_addr: string;
  /** The MO's text (GSM/ASCII, data_coding 0). */
  mo_text: string;
}

/** Defaults of the simulator: quick acceptance, a receipt a second later, everything DELIVRD, no MO. */
export const SIM_DEFAULTS: Readonly<SimSettings> = {
  latency_ms: 20,
  receipt_delay_ms: 1000,
  delivered_percent: 100,
  undeliverable_percent: 0,
  expired_percent: 0,
  rejected_percent: 0,
  deleted_percent: 0,
  unknown_percent: 0,
  submit_reject_percent: 0,
  reject_status: 0x45,
  failure_error_code: 1,
  window: 100,
  poll_ms: 200,
  mo_every_secs: 0,
  mo_source_addr: '33600000000',
  mo_destination_addr: '1234',
  mo_text: 'hello from the simulator',
};

/** A bad simulator setting, naming its key. */
export class SimSettingsError extends Error {
  override readonly name = 'SimSettingsError';
  /** The key at fault. */
  readonly key: string;

  constructor(key: string, message: string) {
    super(`sim connector setting ${key}: ${message}`);
    this.key = key;
  }
}

const NUMBER_KEYS = [
  'latency_ms',
  'receipt_delay_ms',
  'delivered_percent',
  'undeliverable_percent',
  'expired_percent',
  'rejected_percent',
  'deleted_percent',
  'unknown_percent',
  'submit_reject_percent',
  'reject_status',
  'failure_error_code',
  'window',
  'poll_ms',
  'mo_every_secs',
] as const;
const STRING_KEYS = ['mo_source_addr', 'mo_destination_addr', 'mo_text'] as const;
const FAILURE_PERCENTS = [
  'undeliverable_percent',
  'expired_percent',
  'rejected_percent',
  'deleted_percent',
  'unknown_percent',
] as const;

/** Reads and checks simulator settings (unknown keys of other connector types are refused); SimSettingsError. */
export function parseSimSettings(raw: Readonly<Record<string, unknown>>): SimSettings {
  const out: SimSettings = { ...SIM_DEFAULTS };
  const known = new Set<string>([...NUMBER_KEYS, ...STRING_KEYS]);
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) throw new SimSettingsError(key, 'unknown key');
  }
  for (const key of NUMBER_KEYS) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
      throw new SimSettingsError(key, `must be a number ≥ 0 (got ${JSON.stringify(v)})`);
    }
    out[key] = n;
  }
  for (const key of STRING_KEYS) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new SimSettingsError(key, 'must be a string');
    out[key] = v;
  }
  for (const key of [...FAILURE_PERCENTS, 'delivered_percent', 'submit_reject_percent'] as const) {
    if (out[key] > 100) throw new SimSettingsError(key, `must be 0–100 (got ${out[key]})`);
  }
  const failures = FAILURE_PERCENTS.reduce((sum, k) => sum + out[k], 0);
  if (raw.delivered_percent === undefined || raw.delivered_percent === null) {
    if (failures > 100) throw new SimSettingsError('undeliverable_percent', `failure shares add up to ${failures} %`);
    out.delivered_percent = 100 - failures;
  } else if (Math.abs(out.delivered_percent + failures - 100) > 1e-9) {
    throw new SimSettingsError('delivered_percent', `the state shares add up to ${out.delivered_percent + failures} %`);
  }
  if (!Number.isInteger(out.window) || out.window < 1) throw new SimSettingsError('window', 'must be an integer ≥ 1');
  if (!Number.isInteger(out.reject_status) || out.reject_status < 1 || out.reject_status > 0xffffffff) {
    throw new SimSettingsError('reject_status', 'must be a non-zero SMPP status');
  }
  if (out.mo_source_addr.length > 20) throw new SimSettingsError('mo_source_addr', 'longer than 20 characters');
  if (out.mo_destination_addr.length > 20) throw new SimSettingsError('mo_destination_addr', 'longer than 20');
  if (Buffer.byteLength(out.mo_text, 'latin1') > 254) throw new SimSettingsError('mo_text', 'longer than 254 octets');
  return out;
}

/** Wall time and timers of the simulator; default Date and Node's timers (unref'd). */
export interface SimClock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The store methods the simulator uses. */
export type SimStore = Pick<Store, 'claimMessages'>;

/** What createSimConnector needs. */
export interface SimConnectorOptions {
  cid: string;
  /** The connector record's settings (see SimSettings). */
  settings: Readonly<Record<string, unknown>>;
  store: SimStore;
  events: UpstreamEvents;
  clock?: SimClock;
  /** Random numbers in [0, 1) for the state mix; default Math.random. */
  random?: () => number;
  /** Logger (src/log's Logger fits). */
  logger?: {
    info(event: string, fields?: Record<string, unknown>): void;
    warn(event: string, fields?: Record<string, unknown>): void;
    error(event: string, fields?: Record<string, unknown>): void;
  };
}

/** Live state of a simulator connector, for the admin API. */
export interface SimState {
  type: 'sim';
  status: 'stopped' | 'running' | 'stopping';
  /** Parts being accepted now. */
  in_flight: number;
  /** Receipts owed (accepted, receipt not yet sent). */
  receipts_pending: number;
  accepted: number;
  rejected: number;
  receipts_sent: number;
  mo_sent: number;
  last_error: string | null;
}

/** A running simulator: start(), stop(), notify() (new messages queued), state(). */
export interface SimConnector {
  readonly cid: string;
  /** Starts consuming the queue (and generating MO when configured). */
  start(): void;
  /** Stops consuming, waits for parts in hand, then sends the receipts still owed at once. */
  stop(): Promise<void>;
  /** Messages were queued: look at the queue now. */
  notify(): void;
  /** The live state. */
  state(): SimState;
}

// Timers are ref'd (a part being accepted or a receipt owed is bounded work); the idle poll and the MO generator
// are unref'd where they are armed, so a simulator alone never keeps a process alive.
const systemSimClock: SimClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Lets a Node timer handle not keep the process alive; other clocks' handles are returned as they are. */
function unref(handle: unknown): unknown {
  if (handle !== null && typeof handle === 'object' && 'unref' in handle && typeof handle.unref === 'function') {
    handle.unref();
  }
  return handle;
}

const silent = { info: () => {}, warn: () => {}, error: () => {} };

/** How long a receipt the gateway could not keep (a temporary error) waits before it is sent again, ms. */
const RECEIPT_RETRY_MS = 1000;

interface OwedReceipt {
  timer: unknown;
  send: () => Promise<void>;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Creates the simulator connector `cid` (the connector manager registers this factory for type 'sim'). */
export function createSimConnector(options: SimConnectorOptions): SimConnector {
  const { cid, store, events } = options;
  const settings = parseSimSettings(options.settings);
  const clock = options.clock ?? systemSimClock;
  const random = options.random ?? Math.random;
  const log = options.logger ?? silent;
  let status: SimState['status'] = 'stopped';
  let pollTimer: unknown;
  let moTimer: unknown;
  let claiming = false;
  let again = false;
  let counter = 0;
  const idPrefix = clock.now().toString(16);
  const inHand = new Set<Promise<void>>();
  const owed = new Set<OwedReceipt>();
  const counts = { accepted: 0, rejected: 0, receipts_sent: 0, mo_sent: 0 };
  let lastError: string | null = null;

  const nextUpstreamId = (): string => `${idPrefix}${(++counter).toString(16).padStart(8, '0')}`;

  const pickState = (): MessageStateValue => {
    let r = random() * 100;
    const mix: [number, MessageStateValue][] = [
      [settings.undeliverable_percent, MessageState.UNDELIVERABLE],
      [settings.expired_percent, MessageState.EXPIRED],
      [settings.rejected_percent, MessageState.REJECTED],
      [settings.deleted_percent, MessageState.DELETED],
      [settings.unknown_percent, MessageState.UNKNOWN],
    ];
    for (const [share, state] of mix) {
      if (r < share) return state;
      r -= share;
    }
    return MessageState.DELIVERED;
  };

  const receiptPdu = (m: MessageRecord, upstreamId: string, submittedAt: number): PduOf<'deliver_sm'> => {
    const state = pickState();
    const err = state === MessageState.DELIVERED ? 0 : settings.failure_error_code;
    const text = formatReceipt({
      id: upstreamId,
      submitDate: submittedAt,
      doneDate: clock.now(),
      state,
      err,
      text: '',
    });
    return {
      command: 'deliver_sm',
      command_status: 0,
      sequence_number: 0,
      service_type: '',
      source_addr_ton: m.dest_addr_ton,
      source_addr_npi: m.dest_addr_npi,
      source_addr: m.destination_addr,
      dest_addr_ton: m.source_addr_ton,
      dest_addr_npi: m.source_addr_npi,
      destination_addr: m.source_addr,
      esm_class: 0x04, // SMPP 3.4 §5.2.12 SMSC delivery receipt
      protocol_id: 0,
      priority_flag: 0,
      schedule_delivery_time: '',
      validity_period: '',
      registered_delivery: 0,
      replace_if_present_flag: 0,
      data_coding: 0,
      sm_default_msg_id: 0,
      short_message: Buffer.from(text, 'latin1'),
      tlvs: {
        receipted_message_id: upstreamId,
        message_state: state,
        ...(err !== 0 ? { network_error_code: { network_type: 3, error_code: err } } : {}),
      },
    };
  };

  /** Sends a receipt, again after a pause while the gateway answers with an error (an SMSC keeps it). */
  const owe = (pdu: PduOf<'deliver_sm'>, delay: number): void => {
    const r: OwedReceipt = {
      timer: undefined,
      send: async () => {
        clock.clearTimeout(r.timer);
        owed.delete(r);
        try {
          const answer = await events.delivered(cid, pdu);
          if (answer === 0) {
            counts.receipts_sent++;
            return;
          }
          lastError = `receipt answered with status 0x${answer.toString(16)}`;
        } catch (error) {
          lastError = errorMessage(error);
        }
        log.warn('sim_receipt_retry', { cid, upstream_id: pdu.tlvs?.receipted_message_id, error: lastError });
        if (status === 'running') owe(pdu, RECEIPT_RETRY_MS);
      },
    };
    owed.add(r);
    r.timer = clock.setTimeout(() => void r.send(), delay);
  };

  const handle = async (m: MessageRecord): Promise<void> => {
    if (settings.latency_ms > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, settings.latency_ms));
    try {
      if (m.expires_at !== null && m.expires_at <= clock.now()) {
        await events.submitted(cid, m, { kind: 'expired' });
        return;
      }
      if (settings.submit_reject_percent > 0 && random() * 100 < settings.submit_reject_percent) {
        counts.rejected++;
        await events.submitted(cid, m, { kind: 'rejected', status: settings.reject_status });
        return;
      }
      const upstreamId = nextUpstreamId();
      const at = clock.now();
      await events.submitted(cid, m, { kind: 'accepted', upstreamId });
      counts.accepted++;
      owe(receiptPdu(m, upstreamId, at), settings.receipt_delay_ms);
    } catch (error) {
      // The part stays `sending` in the store: recoverInFlight() queues it again at the next start.
      lastError = errorMessage(error);
      log.error('sim_submit_error', { cid, message_id: m.id, error: lastError });
    }
  };

  const claim = async (): Promise<void> => {
    if (claiming) {
      again = true;
      return;
    }
    claiming = true;
    try {
      do {
        again = false;
        if (status !== 'running') break;
        const room = settings.window - inHand.size;
        if (room <= 0) break;
        const batch = await store.claimMessages(cid, room, clock.now());
        for (const m of batch) {
          const p = handle(m);
          inHand.add(p);
          void p.finally(() => {
            inHand.delete(p);
            void claim();
          });
        }
        if (batch.length === room) again = true;
      } while (again);
    } catch (error) {
      lastError = errorMessage(error);
      log.error('sim_claim_error', { cid, error: lastError });
    } finally {
      claiming = false;
    }
  };

  const poll = (): void => {
    if (status !== 'running') return;
    void claim();
    pollTimer = unref(clock.setTimeout(poll, settings.poll_ms));
  };

  const mo = async (): Promise<void> => {
    if (status !== 'running') return;
    const pdu: PduOf<'deliver_sm'> = {
      command: 'deliver_sm',
      command_status: 0,
      sequence_number: 0,
      service_type: '',
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: settings.mo_source_addr,
      dest_addr_ton: 0,
      dest_addr_npi: 0,
      destination_addr: settings.mo_destination_addr,
      esm_class: 0,
      protocol_id: 0,
      priority_flag: 0,
      schedule_delivery_time: '',
      validity_period: '',
      registered_delivery: 0,
      replace_if_present_flag: 0,
      data_coding: 0,
      sm_default_msg_id: 0,
      short_message: Buffer.from(settings.mo_text, 'latin1'),
    };
    try {
      const answer = await events.delivered(cid, pdu);
      if (answer === 0) counts.mo_sent++;
      else {
        lastError = `MO answered with status 0x${answer.toString(16)}`;
        log.warn('sim_mo_refused', { cid, status: answer });
      }
    } catch (error) {
      lastError = errorMessage(error);
      log.error('sim_mo_error', { cid, error: lastError });
    }
    if (status === 'running') moTimer = unref(clock.setTimeout(() => void mo(), settings.mo_every_secs * 1000));
  };

  return {
    cid,
    start() {
      if (status !== 'stopped') return;
      status = 'running';
      log.info('sim_started', { cid });
      poll();
      if (settings.mo_every_secs > 0) moTimer = unref(clock.setTimeout(() => void mo(), settings.mo_every_secs * 1000));
    },
    async stop() {
      if (status !== 'running') return;
      status = 'stopping';
      clock.clearTimeout(pollTimer);
      clock.clearTimeout(moTimer);
      while (inHand.size > 0) await Promise.allSettled([...inHand]);
      // What the simulated SMSC owes goes out before the link goes down: no message is left waiting for ever.
      await Promise.allSettled([...owed].map((r) => r.send()));
      status = 'stopped';
      log.info('sim_stopped', { cid });
    },
    notify() {
      if (status === 'running') void claim();
    },
    state() {
      return {
        type: 'sim',
        status,
        in_flight: inHand.size,
        receipts_pending: owed.size,
        ...counts,
        last_error: lastError,
      };
    },
  };
}
