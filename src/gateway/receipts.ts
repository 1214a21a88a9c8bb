// The way back from connectors (SPEC.md §5; issue #5): what the upstream answered to each message part, and the
// receipts and MO it sends us. `ReceiptEngine` is the gateway side of every connector (`UpstreamEvents`):
//   - submitted(): the message's status, the rest of its price (early_percent), the receipt map entry keyed by the
//     connector's normalised upstream id, and a failure receipt for the ESME when the upstream refused it;
//   - delivered(): an upstream receipt matched through the map (held and retried while a "quick receipt" outruns its
//     submit_sm_resp), the message made final, and the ESME's receipt queued for store-and-forward delivery; an MO is
//     handed to the injected MO router.
// docs/receipts.md gives the rules and the choices made where SPEC.md is silent.

import { CommandStatus, type PduOf, SmppStatusError, statusName, type Tlvs } from '../smpp/codec/index.js';
import type { NetworkErrorCode } from '../smpp/codec/tlv.js';
import { ESM_CLASS_UDHI, parseUdh } from '../smpp/text/index.js';
import { type HttpDlr, type MessageRecord, MessageState, type MessageStateValue } from '../store/model.js';
import type { MessagePatch, Store } from '../store/store.js';
import { fromMicros, toMicros } from './billing.js';
import { type GatewayEventSink, NO_EVENTS } from './events.js';
import { billedParts } from './mtHandlers.js';
import { contentText, type GatewayLogger, type WallClock } from './pipeline.js';
import {
  firstCodePoints,
  formatReceipt,
  formatReceiptDate,
  isFinalState,
  parseReceiptStatus,
  receiptIdKey,
  receiptStateName,
  submitRespIdKey,
  type UpstreamIdBase,
  type UpstreamIdOptions,
  wantsReceipt,
} from './receipt.js';
import type { SubmitOutcome, UpstreamDeliver, UpstreamEvents } from './upstream.js';

/** The store methods the receipt engine uses. */
export type ReceiptStore = Pick<
  Store,
  | 'getMessage'
  | 'updateMessages'
  | 'getUser'
  | 'charge'
  | 'credit'
  | 'putReceiptMaps'
  | 'getReceiptMap'
  | 'deleteReceiptMap'
  | 'enqueueDeliveries'
>;

/** The fields of a deliver_sm to an ESME, as a delivery record keeps them (payload of kind 'receipt' and 'mo'). */
export type DeliverSmFields = Omit<PduOf<'deliver_sm'>, 'command' | 'command_status' | 'sequence_number'>;

/** SMPP 3.4 §5.2.12 esm_class message type bits (2–5). */
const ESM_TYPE_MASK = 0x3c;
/** SMPP 3.4 §5.2.12: SMSC delivery receipt. */
export const ESM_CLASS_RECEIPT = 0x04;
/** SMPP 3.4 §5.2.12: intermediate delivery notification. */
const ESM_CLASS_INTERMEDIATE = 0x20;

/**
 * Statuses that say the upstream could not take the message for now rather than refused it: a message given up on
 * after them is UNDELIV (the network never tried), any other refusal is REJECTD.
 */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([
  CommandStatus.ESME_RSYSERR,
  CommandStatus.ESME_RTHROTTLED,
  CommandStatus.ESME_RMSGQFUL,
  CommandStatus.ESME_RX_T_APPN,
  CommandStatus.ESME_RX_R_APPN,
]);

/** Options of a ReceiptEngine. */
export interface ReceiptEngineOptions {
  store: ReceiptStore;
  /** A connector's settings (its record's `settings`), read for `dlr_msgid_base`; undefined for an unknown one. */
  connectorSettings: (cid: string) => Readonly<Record<string, unknown>> | undefined;
  /** `[smpp-server] dlr_expiry`: seconds a receipt map entry and a queued delivery are kept. */
  dlrExpirySecs: number;
  logger: GatewayLogger;
  /** Wall clock, epoch milliseconds; default Date. */
  clock?: WallClock;
  /** Hands an MO to the MO router; resolves once it is kept. Absent: MO are answered ESME_RX_T_APPN. */
  onMo?: (cid: string, pdu: UpstreamDeliver) => Promise<void>;
  /** Told after deliveries were queued for a user (the delivery engine's `notify`). */
  onQueued?: (uid: string) => void;
  /** How long an unmatched receipt is held, retrying its lookup, before the upstream is answered. Default 10 s. */
  quickReceiptWaitMs?: number;
  /** How often a held receipt looks the store up again (another node may map it). Default 250 ms. */
  quickReceiptPollMs?: number;
  /**
   * At most this many receipts held at once per connector (default 32); past it an unmatched receipt is answered
   * ESME_RX_T_APPN so the SMSC sends it again later. A held receipt keeps its deliver_sm in the connector session's
   * inbound window (100 per bind), and a full window stops the session reading its own submit_sm_resp.
   */
  maxHeldPerConnector?: number;
  /** Timers for held receipts; default Node's. */
  timers?: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };
  /** The durable HTTP outbox that carries HTTP API receipts to their `dlr-url` (messages with a `dlr` target). */
  httpOutbox?: HttpCallQueue;
  /** Told of every upstream outcome and matched receipt (metrics, history); default nobody. */
  events?: GatewayEventSink;
  /**
   * How many message parts sent upstream (and their receipt map keys) to keep in memory as this engine last wrote
   * them, so that their outcome and receipt need no store read. Only while this engine is the sole writer of its
   * sent parts (nothing but this engine changes a part once it was claimed; with several nodes, call forgetCached()
   * whenever this node takes a connector over). Default 0: every outcome and receipt reads the store.
   */
  cacheSize?: number;
}

/** One HTTP call for the durable outbox: form fields sent as the query string (GET) or a form body (POST). */
export interface HttpCall {
  url: string;
  method: 'GET' | 'POST';
  fields: Record<string, string>;
}

/**
 * Where HTTP calls are queued durably and retried until a 2xx (the HTTP outbox of src/connectors/http fits). The
 * engine queues a user's receipts under the target `<uid>`: one worker per user, so a dead dlr-url holds up only its
 * owner's receipts.
 */
export interface HttpCallQueue {
  /** Keeps the call for `target`'s worker (calls of one target go out in order); resolves once durable. */
  enqueue(target: string, call: HttpCall, expiresAt: number): Promise<unknown>;
}

/** True when the ESME gets an SMPP receipt for this state: asked in registered_delivery, and not an HTTP API message. */
function wantsEsmeReceipt(message: MessageRecord, state: MessageStateValue): boolean {
  return (message.dlr === undefined || message.dlr === null) && wantsReceipt(message.registered_delivery, state);
}

/** True when an HTTP API message asked for this receipt level: 1 the submit_sm_resp outcome, 2 the terminal one. */
export function wantsHttpReceipt(dlr: HttpDlr | null | undefined, level: 1 | 2): dlr is HttpDlr {
  return dlr !== undefined && dlr !== null && (dlr.level === level || dlr.level === 3);
}

/**
 * Jasmin's level 1 receipt fields (SMS-C level: what the upstream answered to submit_sm): `id`, `message_status`
 * (the ESME_* status name), `level` (1), `connector`.
 */
export function httpReceiptLevel1(message: MessageRecord, cid: string, status: number): Record<string, string> {
  return { id: message.id, message_status: statusName(status), level: '1', connector: cid };
}

/**
 * Jasmin's level 2 receipt fields (terminal level): level 1's with `message_status` the receipt state (DELIVRD,
 * UNDELIV…), `level` 2, and `id_smsc`, `sub`, `dlvrd`, `subdate`, `donedate` (YYMMDDhhmm), `err`, `text` as in the
 * SMPP receipt text (SMPP 3.4 Appendix B).
 */
export function httpReceiptLevel2(
  message: MessageRecord,
  cid: string,
  facts: EsmeReceiptFacts,
): Record<string, string> {
  const three = (n: number) => String(Math.max(0, Math.trunc(n))).padStart(3, '0');
  return {
    id: message.id,
    message_status: receiptStateName(facts.state),
    level: '2',
    connector: cid,
    id_smsc: message.upstream_id ?? '',
    sub: '001',
    dlvrd: facts.state === MessageState.DELIVERED ? '001' : '000',
    subdate: formatReceiptDate(message.submitted_at),
    donedate: formatReceiptDate(facts.doneAt),
    err: three(facts.errorCode),
    text: receiptTextOf(message),
  };
}

/** What an upstream receipt says once read (TLVs first, then the `id:… stat:…` text). */
export interface UpstreamReceipt {
  /** The upstream's message id, as written. */
  id: string;
  state: MessageStateValue;
  /** Network error code (network_error_code TLV, else the text's err:), 0 when none. */
  errorCode: number;
  /** The network_error_code TLV as received, passed on to the ESME. */
  networkErrorCode: NetworkErrorCode | undefined;
}

/** Reads a connector's `dlr_msgid_base` setting: `same` (0), `dec_to_hex` (1), `hex_to_dec` (2), plus options. */
export function upstreamIdOptions(settings: Readonly<Record<string, unknown>> | undefined): UpstreamIdOptions {
  const raw = settings?.dlr_msgid_base;
  let base: UpstreamIdBase = 'same';
  if (raw === 'dec_to_hex' || raw === 1 || raw === '1') base = 'dec_to_hex';
  else if (raw === 'hex_to_dec' || raw === 2 || raw === '2') base = 'hex_to_dec';
  const strip = settings?.dlr_msgid_strip_zeros;
  const ignoreCase = settings?.dlr_msgid_ignore_case;
  return {
    base,
    ...(typeof strip === 'boolean' ? { stripLeadingZeros: strip } : {}),
    ...(typeof ignoreCase === 'boolean' ? { ignoreCase } : {}),
  };
}

/** True when an inbound deliver_sm / data_sm is a receipt: esm_class type bits, or a receipted_message_id TLV. */
export function isUpstreamReceipt(pdu: UpstreamDeliver): boolean {
  const type = pdu.esm_class & ESM_TYPE_MASK;
  // SMPP 3.4 §5.2.12: 0x04 SMSC delivery receipt, 0x20 intermediate delivery notification.
  if (type === ESM_CLASS_RECEIPT || type === ESM_CLASS_INTERMEDIATE) return true;
  return pdu.tlvs?.receipted_message_id !== undefined;
}

/** The text of an upstream receipt: short_message, else message_payload (data_sm has no short_message). */
function receiptText(pdu: UpstreamDeliver): string {
  const sm = pdu.command === 'deliver_sm' ? pdu.short_message : undefined;
  const bytes = sm !== undefined && sm.length > 0 ? sm : pdu.tlvs?.message_payload;
  return bytes === undefined ? '' : bytes.toString('latin1');
}

/**
 * Reads an upstream receipt: id from receipted_message_id then the text, state from message_state then stat:, error
 * from network_error_code then err:. Null when it names no id. A receipt with an id but no state is UNKNOWN.
 */
export function readUpstreamReceipt(pdu: UpstreamDeliver): UpstreamReceipt | null {
  const tlvs = pdu.tlvs;
  const parsed = parseReceiptStatus(receiptText(pdu));
  const tlvId = tlvs?.receipted_message_id?.trim();
  const id = tlvId !== undefined && tlvId !== '' ? tlvId : parsed?.id;
  if (id === undefined || id === '') return null;
  const tlvState = tlvs?.message_state;
  let state: MessageStateValue = MessageState.UNKNOWN;
  if (tlvState !== undefined && tlvState >= 1 && tlvState <= 8) state = tlvState as MessageStateValue;
  else if (parsed?.state !== undefined && parsed.state !== null) state = parsed.state;
  const nec = tlvs?.network_error_code;
  const errorCode = nec !== undefined ? nec.error_code : (parsed?.errorCode ?? 0);
  return { id, state, errorCode, networkErrorCode: nec };
}

/** Printable ASCII only: a receipt travels with data_coding 0, which every ESME reads as ASCII at least. */
function asciiOnly(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, '?');
}

/** The first characters of a message part's text for the receipt's `text:` field (UDH stripped, payload used). */
export function receiptTextOf(message: MessageRecord): string {
  let bytes = message.short_message;
  if (bytes.length === 0 && message.tlvs !== null) {
    const payload = findTlv(message.tlvs, 0x0424); // SMPP 3.4 §5.3.2.32 message_payload
    if (payload !== undefined) bytes = payload;
  }
  if ((message.esm_class & ESM_CLASS_UDHI) !== 0) {
    try {
      bytes = parseUdh(bytes).payload;
    } catch {
      // A UDH the pipeline let through but we cannot read: the text is shown as it is.
    }
  }
  const text = firstCodePoints(contentText(bytes, message.data_coding), 20);
  return asciiOnly(text);
}

/** The value of the first TLV with `tag` in encoded TLV bytes, or undefined. */
function findTlv(buf: Buffer, tag: number): Buffer | undefined {
  let pos = 0;
  while (pos + 4 <= buf.length) {
    const t = buf.readUInt16BE(pos);
    const len = buf.readUInt16BE(pos + 2);
    if (pos + 4 + len > buf.length) return undefined;
    if (t === tag) return buf.subarray(pos + 4, pos + 4 + len);
    pos += 4 + len;
  }
  return undefined;
}

/** What a receipt to the ESME says beyond the message itself. */
export interface EsmeReceiptFacts {
  state: MessageStateValue;
  /** Error code for `err:`, 0 when none. */
  errorCode: number;
  /** When the final (or intermediate) state was learnt: `done date`. */
  doneAt: number;
  /** Passed on from the upstream receipt. */
  networkErrorCode?: NetworkErrorCode;
}

/**
 * The deliver_sm an ESME gets for one of its message parts (SPEC.md §5): esm_class 0x04, addresses and their TON/NPI
 * swapped, receipted_message_id and message_state TLVs (SMPP 3.4 §5.3.2.12, §5.3.2.35), network_error_code when the
 * upstream gave one, and the Appendix B text.
 */
export function esmeReceipt(message: MessageRecord, facts: EsmeReceiptFacts): DeliverSmFields {
  const text = formatReceipt({
    id: message.id,
    submitDate: message.submitted_at,
    doneDate: facts.doneAt,
    state: facts.state,
    err: facts.errorCode,
    text: receiptTextOf(message),
  });
  const tlvs: Tlvs = { receipted_message_id: message.id, message_state: facts.state };
  if (facts.networkErrorCode !== undefined) tlvs.network_error_code = { ...facts.networkErrorCode };
  return {
    service_type: '',
    source_addr_ton: message.dest_addr_ton,
    source_addr_npi: message.dest_addr_npi,
    source_addr: message.destination_addr,
    dest_addr_ton: message.source_addr_ton,
    dest_addr_npi: message.source_addr_npi,
    destination_addr: message.source_addr,
    esm_class: ESM_CLASS_RECEIPT,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from(text, 'latin1'),
    tlvs,
  };
}

/** How many closed receipt map keys are remembered, so a duplicate final receipt is recognised at once. */
const RECENTLY_CLOSED_MAX = 10_000;

interface HeldReceipt {
  wake: () => void;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A cached entry older than this is not trusted (pruning may have removed its part): the store is read again. */
const CACHE_MAX_AGE_MS = 10 * 60_000;

/**
 * Parts this engine wrote (as it wrote them) and receipt map keys it mapped, least recently set first. A hit saves
 * a store read; a miss, an eviction or an entry past its age falls back to the store, so the cache never decides
 * anything the store would decide differently while this engine is the only writer.
 */
class SentCache {
  readonly #max: number;
  readonly #messages = new Map<string, { message: MessageRecord; at: number }>();
  readonly #keys = new Map<string, { messageId: string; expiresAt: number }>();

  constructor(max: number) {
    this.#max = max;
  }

  get enabled(): boolean {
    return this.#max > 0;
  }

  message(id: string, now: number): MessageRecord | undefined {
    const e = this.#messages.get(id);
    if (e === undefined) return undefined;
    if (now - e.at > CACHE_MAX_AGE_MS) {
      this.#messages.delete(id);
      return undefined;
    }
    return e.message;
  }

  setMessage(message: MessageRecord, now: number): void {
    if (this.#max <= 0) return;
    this.#messages.delete(message.id);
    this.#messages.set(message.id, { message, at: now });
    if (this.#messages.size > this.#max) this.#messages.delete(this.#messages.keys().next().value as string);
  }

  dropMessage(id: string): void {
    this.#messages.delete(id);
  }

  mapEntry(k: string, now: number): string | undefined {
    const e = this.#keys.get(k);
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      this.#keys.delete(k);
      return undefined;
    }
    return e.messageId;
  }

  setMapEntry(k: string, messageId: string, expiresAt: number): void {
    if (this.#max <= 0) return;
    this.#keys.delete(k);
    this.#keys.set(k, { messageId, expiresAt });
    if (this.#keys.size > this.#max) this.#keys.delete(this.#keys.keys().next().value as string);
  }

  dropMapEntry(k: string): void {
    this.#keys.delete(k);
  }

  clear(): void {
    this.#messages.clear();
    this.#keys.clear();
  }
}

// Ref'd on purpose: a held receipt is a promise an upstream waits on, and its wait is bounded.
const defaultTimers = {
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (handle: unknown): void => clearTimeout(handle as NodeJS.Timeout),
};

/** The gateway side of every connector: message outcomes, upstream receipts and MO (see the file comment). */
export class ReceiptEngine implements UpstreamEvents {
  readonly #store: ReceiptStore;
  readonly #settings: ReceiptEngineOptions['connectorSettings'];
  readonly #expiryMs: number;
  readonly #log: GatewayLogger;
  readonly #clock: WallClock;
  readonly #onMo: ReceiptEngineOptions['onMo'];
  readonly #onQueued: (uid: string) => void;
  readonly #waitMs: number;
  readonly #pollMs: number;
  readonly #timers: NonNullable<ReceiptEngineOptions['timers']>;
  readonly #events: GatewayEventSink;
  readonly #httpOutbox: HttpCallQueue | undefined;
  /** Work on one message, one at a time (a receipt racing its own submit outcome, duplicates). */
  readonly #chains = new Map<string, Promise<void>>();
  /** Receipts waiting for their map entry, by `cid\0key`. */
  readonly #held = new Map<string, Set<HeldReceipt>>();
  /** Map keys closed by a final receipt, oldest first: a later duplicate is ignored without a wait. */
  readonly #closed = new Map<string, string>();
  /**
   * The same keys in closing order, a ring: the oldest is found by position. (Taking a Map's first key after many
   * deletions from its front walks every deleted slot until the table is rebuilt, thousands per receipt.)
   */
  readonly #closedRing: string[] = [];
  #closedNext = 0;
  /** Parts handed over as expired by the store and already closed here (a second hand-over changes nothing). */
  readonly #expiredDone = new Set<string>();
  readonly #cache: SentCache;
  /**
   * Map keys whose submit outcome is being written right now (with the cache only), by `cid\0key`: a quick receipt
   * that arrives before that commit takes its message id from here instead of a store read and a held wait, and is
   * then applied after the outcome's writes (work on one message is serialised).
   */
  readonly #inFlight = new Map<string, string>();
  #heldCount = 0;
  /** Receipts held now, by connector. */
  readonly #heldBy = new Map<string, number>();
  readonly #maxHeld: number;

  /** An engine over `options.store`. */
  constructor(options: ReceiptEngineOptions) {
    this.#store = options.store;
    this.#settings = options.connectorSettings;
    this.#expiryMs = Math.max(1, options.dlrExpirySecs) * 1000;
    this.#log = options.logger;
    this.#clock = options.clock ?? { now: Date.now };
    this.#onMo = options.onMo;
    this.#onQueued = options.onQueued ?? (() => {});
    this.#waitMs = Math.max(0, options.quickReceiptWaitMs ?? 10_000);
    this.#pollMs = Math.max(1, options.quickReceiptPollMs ?? 250);
    this.#maxHeld = Math.max(1, options.maxHeldPerConnector ?? 32);
    this.#timers = options.timers ?? defaultTimers;
    this.#events = options.events ?? NO_EVENTS;
    this.#httpOutbox = options.httpOutbox;
    this.#cache = new SentCache(Math.max(0, Math.floor(options.cacheSize ?? 0)));
  }

  /** Drops what the cache remembers: another node may have changed those parts (it ran one of our connectors). */
  forgetCached(): void {
    this.#cache.clear();
  }

  /** Receipts held right now waiting for their map entry. */
  get heldReceipts(): number {
    return this.#heldCount;
  }

  /** A message part left connector `cid` with this outcome (see UpstreamEvents). */
  submitted(cid: string, message: MessageRecord, outcome: SubmitOutcome): Promise<void> {
    if (outcome.kind !== 'accepted') return this.#serial(message.id, () => this.#failed(cid, message, outcome));
    const key = submitRespIdKey(outcome.upstreamId, upstreamIdOptions(this.#settings(cid)));
    if (!this.#cache.enabled)
      return this.#serial(message.id, () => this.#accepted(cid, message, outcome.upstreamId, key));
    // Known at once (before the serialised task starts), so a receipt read from the same socket chunk finds it.
    const k = `${cid}\0${key}`;
    this.#inFlight.set(k, message.id);
    // Kept when the store refused the outcome: the connector records it again, and a receipt meanwhile matches the
    // part (its own write then fails and the SMSC sends it again) instead of being dropped as unmatched.
    return this.#serial(message.id, () => this.#accepted(cid, message, outcome.upstreamId, key)).then(() => {
      if (this.#inFlight.get(k) === message.id) this.#inFlight.delete(k);
    });
  }

  /** A deliver_sm or data_sm from connector `cid`; resolves with the status to answer it with (see UpstreamEvents). */
  async delivered(cid: string, pdu: UpstreamDeliver): Promise<number> {
    if (!isUpstreamReceipt(pdu)) return this.#mo(cid, pdu);
    const receipt = readUpstreamReceipt(pdu);
    if (receipt === null) {
      this.#log.warn('receipt_unreadable', { cid, esm_class: pdu.esm_class, text: receiptText(pdu) });
      return CommandStatus.ESME_ROK;
    }
    const key = receiptIdKey(receipt.id, upstreamIdOptions(this.#settings(cid)));
    if (key === null) {
      this.#log.warn('receipt_bad_id', { cid, upstream_id: receipt.id, base: this.#settings(cid)?.dlr_msgid_base });
      return CommandStatus.ESME_ROK;
    }
    try {
      const k = `${cid}\0${key}`;
      let cachedId = this.#cache.mapEntry(k, this.#clock.now());
      let inFlightId = cachedId === undefined ? this.#inFlight.get(k) : undefined;
      if (cachedId === undefined && inFlightId === undefined && this.#cache.enabled) {
        // Most often the submit_sm_resp came in the same socket read and its outcome is a few promise hops away:
        // one turn of the loop lets it say so, which is far cheaper than a store read and a held wait.
        await new Promise<void>((resolve) => setImmediate(resolve));
        cachedId = this.#cache.mapEntry(k, this.#clock.now());
        inFlightId = cachedId === undefined ? this.#inFlight.get(k) : undefined;
      }
      let entry: { message_id: string } | null =
        cachedId !== undefined
          ? { message_id: cachedId }
          : inFlightId !== undefined
            ? { message_id: inFlightId }
            : await this.#store.getReceiptMap(cid, key);
      let quick = inFlightId !== undefined;
      if (entry === null) {
        const closedFor = this.#closed.get(`${cid}\0${key}`);
        if (closedFor !== undefined) {
          this.#log.info('receipt_duplicate', { cid, upstream_id: receipt.id, message_id: closedFor });
          return CommandStatus.ESME_ROK;
        }
        // After a crash the SMSC sends again every receipt of the parts that were in flight upstream, and those of
        // the last run's unrecorded submit_sm_resp can never match: held without a limit they filled the
        // connector's inbound window, so it read no submit_sm_resp for 10 s after every restart.
        const heldHere = this.#heldBy.get(cid) ?? 0;
        if (heldHere >= this.#maxHeld) {
          this.#log.debug('receipt_hold_full', { cid, upstream_id: receipt.id, held: heldHere });
          return CommandStatus.ESME_RX_T_APPN;
        }
        entry = await this.#waitForMap(cid, key);
        quick = true;
      }
      if (entry === null) {
        this.#log.warn('receipt_unmatched', {
          cid,
          upstream_id: receipt.id,
          stat: receiptStateName(receipt.state),
          waited_ms: this.#waitMs,
        });
        return CommandStatus.ESME_ROK;
      }
      const messageId = entry.message_id;
      await this.#serial(messageId, () => this.#applyReceipt(cid, key, messageId, receipt, quick));
      return CommandStatus.ESME_ROK;
    } catch (error) {
      // Nothing kept: the SMSC must keep the receipt and send it again.
      this.#log.error('receipt_store_error', { cid, upstream_id: receipt.id, error: errorMessage(error) });
      return CommandStatus.ESME_RX_T_APPN;
    }
  }

  async #accepted(cid: string, given: MessageRecord, upstreamId: string, key: string): Promise<void> {
    const now = this.#clock.now();
    // With the cache (this engine the only writer of sent parts), a part still `sending` as claimed is as the store
    // has it, and a part accepted again (a split message_payload) is as this engine last wrote it.
    const known = this.#cache.enabled
      ? (this.#cache.message(given.id, now) ?? (given.status === 'sending' ? given : undefined))
      : undefined;
    const message = known ?? (await this.#store.getMessage(given.id)) ?? given;
    const done = message.status === 'final' || message.status === 'failed' || message.status === 'cancelled';
    const intermediate = !done && wantsEsmeReceipt(message, MessageState.ENROUTE);
    // One tick, so the store commits the status, the intermediate receipt and the map together. A held quick receipt
    // that sees the map entry still waits for this task to finish (work on one message is serialised).
    const writes: Promise<unknown>[] = [];
    if (!done) {
      writes.push(this.#chargeRest(message));
      const patch: MessagePatch = { status: 'sent', upstream_id: upstreamId, state: MessageState.ENROUTE };
      if (toMicros(message.charged) < toMicros(message.rate)) patch.charged = message.rate;
      writes.push(this.#store.updateMessages([{ id: message.id, patch }]));
      // SMPP 3.4 §5.2.17 bit 4: an intermediate notification that the upstream has the message (ENROUTE).
      if (intermediate)
        writes.push(this.#queueReceipt(message, { state: MessageState.ENROUTE, errorCode: 0, doneAt: now }));
      if (wantsHttpReceipt(message.dlr, 1))
        writes.push(this.#queueHttp(message, message.dlr, httpReceiptLevel1(message, cid, CommandStatus.ESME_ROK)));
    } else {
      this.#log.info('mt_accepted_again', {
        cid,
        message_id: message.id,
        upstream_id: upstreamId,
        status: message.status,
      });
    }
    writes.push(
      this.#store.putReceiptMaps([{ cid, upstream_id: key, message_id: message.id, expires_at: now + this.#expiryMs }]),
    );
    try {
      await Promise.all(writes);
    } catch (error) {
      this.#cache.dropMessage(message.id);
      throw error;
    }
    if (this.#cache.enabled) {
      if (!done) {
        const charged = toMicros(message.charged) < toMicros(message.rate) ? message.rate : message.charged;
        this.#cache.setMessage(
          {
            ...message,
            status: 'sent',
            upstream_id: upstreamId,
            state: MessageState.ENROUTE,
            charged,
            updated_at: now,
          },
          now,
        );
      }
      this.#cache.setMapEntry(`${cid}\0${key}`, message.id, now + this.#expiryMs);
    }
    if (this.#events.active) {
      this.#events.emit({
        type: 'upstream',
        at: now,
        cid,
        id: message.id,
        uid: message.uid,
        outcome: 'accepted',
        upstream_id: upstreamId,
        attempts: given.attempts,
      });
    }
    this.#wakeHeld(cid, key);
    if (intermediate) this.#onQueued(message.uid);
  }

  /** Charges what early_percent left for the upstream's acceptance; a balance that no longer covers it is emptied. */
  async #chargeRest(message: MessageRecord): Promise<void> {
    const rest = toMicros(message.rate) - toMicros(message.charged);
    if (rest <= 0) return;
    const amount = fromMicros(rest);
    const result = await this.#store.charge(message.uid, { amount, smsCount: 0 });
    if (result.ok) return;
    // The whole price was covered at acceptance, but other messages have spent the balance since. The message is
    // already with the upstream: take what is left (the store never goes below zero) and say so.
    await this.#store.credit(message.uid, { amount: -amount, smsCount: 0 });
    this.#log.error('mt_rest_charge_short', { uid: message.uid, message_id: message.id, amount });
  }

  async #failed(cid: string, given: MessageRecord, outcome: Exclude<SubmitOutcome, { kind: 'accepted' }>) {
    const now = this.#clock.now();
    // Rare: always read from the store, and whatever was cached of the part is no longer what it will be.
    this.#cache.dropMessage(given.id);
    const message = (await this.#store.getMessage(given.id)) ?? given;
    // store.expireQueued marks a held part failed/EXPIRED itself and hands it over once: that part still owes its
    // refund and its failure receipt, so it is not an outcome for a part already closed.
    const expiredByStore =
      outcome.kind === 'expired' &&
      given.status === 'failed' &&
      message.status === 'failed' &&
      message.state === MessageState.EXPIRED &&
      !this.#expiredDone.has(message.id);
    if (expiredByStore) {
      this.#expiredDone.add(message.id);
      if (this.#expiredDone.size > RECENTLY_CLOSED_MAX) {
        const oldest = this.#expiredDone.values().next().value;
        if (oldest !== undefined) this.#expiredDone.delete(oldest);
      }
    }
    if (
      !expiredByStore &&
      (message.status === 'final' || message.status === 'failed' || message.status === 'cancelled')
    ) {
      this.#log.info('mt_outcome_ignored', {
        cid,
        message_id: message.id,
        outcome: outcome.kind,
        status: message.status,
      });
      return;
    }
    let state: MessageStateValue;
    let errorCode: number;
    if (outcome.kind === 'expired') {
      state = MessageState.EXPIRED;
      errorCode = 0;
    } else {
      state = TRANSIENT_STATUSES.has(outcome.status) ? MessageState.UNDELIVERABLE : MessageState.REJECTED;
      errorCode = outcome.status;
    }
    const refund = await this.#refund(message);
    const patch: MessagePatch = { status: 'failed', state, error_code: errorCode, final_at: now, charged: 0 };
    const writes: Promise<unknown>[] = [this.#store.updateMessages([{ id: message.id, patch }])];
    const wanted = wantsEsmeReceipt(message, state);
    if (wanted) writes.push(this.#queueReceipt(message, { state, errorCode, doneAt: now }));
    // HTTP API receipts: level 1 gets the refusal's status (ESME_RSUBMITFAIL when it never reached an upstream), and
    // level 2 the terminal state at once, since no upstream receipt will ever come for it.
    if (wantsHttpReceipt(message.dlr, 1)) {
      const status = outcome.kind === 'expired' ? CommandStatus.ESME_RSUBMITFAIL : outcome.status;
      writes.push(this.#queueHttp(message, message.dlr, httpReceiptLevel1(message, cid, status)));
    }
    if (wantsHttpReceipt(message.dlr, 2)) {
      const fields = httpReceiptLevel2(message, cid, { state, errorCode, doneAt: now });
      writes.push(this.#queueHttp(message, message.dlr, fields));
    }
    await Promise.all(writes);
    if (this.#events.active) {
      this.#events.emit({
        type: 'upstream',
        at: now,
        cid,
        id: message.id,
        uid: message.uid,
        outcome: outcome.kind,
        ...(outcome.kind === 'rejected' ? { status: outcome.status } : {}),
        attempts: given.attempts,
      });
    }
    this.#log.info('mt_failed', {
      cid,
      message_id: message.id,
      uid: message.uid,
      stat: receiptStateName(state),
      error_code: errorCode,
      refunded: refund,
      receipt: wanted,
    });
    if (wanted) this.#onQueued(message.uid);
  }

  /** Gives back what the message cost at acceptance (balance charged, its sms_count units), as cancel_sm does. */
  async #refund(message: MessageRecord): Promise<number> {
    const user = await this.#store.getUser(message.uid);
    const smsCount =
      message.charged > 0 && user?.mt_messaging_cred.quotas.sms_count !== null ? billedParts(message) : 0;
    if (message.charged <= 0 && smsCount === 0) return 0;
    if (user === null) return 0;
    try {
      await this.#store.credit(message.uid, { amount: message.charged, smsCount });
      return message.charged;
    } catch (error) {
      this.#log.error('mt_refund_failed', {
        uid: message.uid,
        message_id: message.id,
        amount: message.charged,
        sms_count: smsCount,
        error: errorMessage(error),
      });
      return 0;
    }
  }

  async #applyReceipt(
    cid: string,
    key: string,
    messageId: string,
    receipt: UpstreamReceipt,
    quick: boolean,
  ): Promise<void> {
    const now = this.#clock.now();
    const message = this.#cache.message(messageId, now) ?? (await this.#store.getMessage(messageId));
    const final = isFinalState(receipt.state);
    if (message === null) {
      this.#log.warn('receipt_message_gone', { cid, upstream_id: receipt.id, message_id: messageId });
      if (final) await this.#closeMap(cid, key, messageId);
      return;
    }
    if (message.status === 'final' || message.status === 'failed' || message.status === 'cancelled') {
      this.#log.info('receipt_duplicate', {
        cid,
        upstream_id: receipt.id,
        message_id: messageId,
        stat: receiptStateName(receipt.state),
      });
      if (final) await this.#closeMap(cid, key, messageId);
      return;
    }
    const wanted = wantsEsmeReceipt(message, receipt.state);
    const writes: Promise<unknown>[] = [];
    if (wanted) {
      writes.push(
        this.#queueReceipt(message, {
          state: receipt.state,
          errorCode: receipt.errorCode,
          doneAt: now,
          ...(receipt.networkErrorCode !== undefined ? { networkErrorCode: receipt.networkErrorCode } : {}),
        }),
      );
    }
    if (final && wantsHttpReceipt(message.dlr, 2)) {
      const fields = httpReceiptLevel2(message, cid, {
        state: receipt.state,
        errorCode: receipt.errorCode,
        doneAt: now,
      });
      writes.push(this.#queueHttp(message, message.dlr, fields));
    }
    const patch: MessagePatch = final
      ? { status: 'final', state: receipt.state, error_code: receipt.errorCode, final_at: now }
      : { state: receipt.state, error_code: receipt.errorCode };
    writes.push(this.#store.updateMessages([{ id: messageId, patch }]));
    // One tick, so the store commits the receipt, the message and the map together.
    if (final) writes.push(this.#closeMap(cid, key, messageId));
    try {
      await Promise.all(writes);
    } catch (error) {
      // Some of it may be kept, some not: the next receipt reads the store.
      this.#cache.dropMessage(messageId);
      throw error;
    }
    if (final) this.#cache.dropMessage(messageId);
    else this.#cache.setMessage({ ...message, ...patch, updated_at: now }, now);
    if (this.#events.active) {
      this.#events.emit({
        type: 'receipt',
        at: now,
        cid,
        id: messageId,
        uid: message.uid,
        state: receipt.state,
        error_code: receipt.errorCode,
        forwarded: wanted,
      });
    }
    this.#log.info('receipt', {
      cid,
      upstream_id: receipt.id,
      message_id: messageId,
      uid: message.uid,
      stat: receiptStateName(receipt.state),
      err: receipt.errorCode,
      forwarded: wanted,
      ...(quick ? { quick: true } : {}),
    });
    if (wanted) this.#onQueued(message.uid);
  }

  async #closeMap(cid: string, key: string, messageId: string): Promise<void> {
    const k = `${cid}\0${key}`;
    this.#cache.dropMapEntry(k);
    await this.#store.deleteReceiptMap(cid, key);
    if (!this.#closed.has(k)) {
      const oldest = this.#closedRing[this.#closedNext];
      if (oldest !== undefined) this.#closed.delete(oldest);
      this.#closedRing[this.#closedNext] = k;
      this.#closedNext = (this.#closedNext + 1) % RECENTLY_CLOSED_MAX;
    }
    this.#closed.set(k, messageId);
  }

  /** Queues one HTTP API receipt in the outbox; without an outbox the receipt cannot go anywhere, and says so. */
  async #queueHttp(message: MessageRecord, dlr: HttpDlr, fields: Record<string, string>): Promise<void> {
    if (this.#httpOutbox === undefined) {
      this.#log.error('http_receipt_no_outbox', { message_id: message.id, uid: message.uid, level: fields.level });
      return;
    }
    const expiresAt = this.#clock.now() + this.#expiryMs;
    await this.#httpOutbox.enqueue(message.uid, { url: dlr.url, method: dlr.method, fields }, expiresAt);
  }

  #queueReceipt(message: MessageRecord, facts: EsmeReceiptFacts): Promise<number[]> {
    const now = this.#clock.now();
    return this.#store.enqueueDeliveries([
      {
        uid: message.uid,
        kind: 'receipt',
        payload: esmeReceipt(message, facts) as unknown as Record<string, unknown>,
        created_at: now,
        expires_at: now + this.#expiryMs,
      },
    ]);
  }

  async #mo(cid: string, pdu: UpstreamDeliver): Promise<number> {
    if (this.#onMo === undefined) {
      this.#log.warn('mo_not_routed', { cid, source_addr: pdu.source_addr, destination_addr: pdu.destination_addr });
      return CommandStatus.ESME_RX_T_APPN;
    }
    try {
      await this.#onMo(cid, pdu);
      return CommandStatus.ESME_ROK;
    } catch (error) {
      // A refusal that carries its status (no route, unknown user: ESME_RX_R_APPN) is final for the SMSC; anything
      // else means the MO was not kept, and the SMSC must send it again.
      if (error instanceof SmppStatusError) return error.commandStatus;
      this.#log.error('mo_not_kept', { cid, error: errorMessage(error) });
      return CommandStatus.ESME_RX_T_APPN;
    }
  }

  /**
   * Holds a receipt whose map entry is not there yet: woken at once when submitted() maps that key, and looking the
   * store up every poll interval, for at most the configured wait. Resolves with the entry, or null.
   */
  async #waitForMap(cid: string, key: string) {
    const k = `${cid}\0${key}`;
    // Waited time is counted in the steps the timers give (the wall clock may be a test's, standing still).
    let waited = 0;
    this.#heldCount++;
    this.#heldBy.set(cid, (this.#heldBy.get(cid) ?? 0) + 1);
    try {
      for (;;) {
        const left = this.#waitMs - waited;
        if (left <= 0) return null;
        waited += Math.min(left, this.#pollMs);
        await new Promise<void>((resolve) => {
          let timer: unknown;
          const held: HeldReceipt = {
            wake: () => {
              this.#timers.clearTimeout(timer);
              const s = this.#held.get(k);
              s?.delete(held);
              if (s?.size === 0) this.#held.delete(k);
              resolve();
            },
          };
          timer = this.#timers.setTimeout(() => held.wake(), Math.min(left, this.#pollMs));
          let set = this.#held.get(k);
          if (set === undefined) {
            set = new Set();
            this.#held.set(k, set);
          }
          set.add(held);
        });
        // Woken by submitted() on this node: the entry it just wrote is in the cache.
        const cachedId = this.#cache.mapEntry(k, this.#clock.now());
        const entry = cachedId !== undefined ? { message_id: cachedId } : await this.#store.getReceiptMap(cid, key);
        if (entry !== null) {
          // The receipt's own line says it was quick; this one is for tracing only.
          this.#log.debug('receipt_quick_matched', { cid, upstream_id: key, message_id: entry.message_id });
          return entry;
        }
      }
    } finally {
      this.#heldCount--;
      const n = (this.#heldBy.get(cid) ?? 1) - 1;
      if (n > 0) this.#heldBy.set(cid, n);
      else this.#heldBy.delete(cid);
    }
  }

  #wakeHeld(cid: string, key: string): void {
    const set = this.#held.get(`${cid}\0${key}`);
    if (set === undefined) return;
    for (const h of [...set]) h.wake();
  }

  /** Runs `fn` after every earlier task on the same message has finished (failures do not block the next). */
  #serial(id: string, fn: () => Promise<void>): Promise<void> {
    const previous = this.#chains.get(id) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.then(
      () => {},
      () => {},
    );
    this.#chains.set(id, tail);
    void tail.then(() => {
      if (this.#chains.get(id) === tail) this.#chains.delete(id);
    });
    return run;
  }
}
