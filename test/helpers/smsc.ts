// A fake upstream SMSC for tests and benchmarks (go-smpp ships one with its library for the same reason), built on
// our own codec and session engine in the server role: it accepts binds, answers submit_sm / data_sm with message ids
// in a chosen format, can refuse the n-th submit with any status or leave it unanswered, sends delivery receipts
// (by TLVs, by the `id:… stat:…` text or both; optionally before the submit_sm_resp, the "quick receipts" some SMSCs
// send), sends MO, and can be killed or taken down, so the upstream connectors are tested against a real peer.
//
// The receipts it writes come from its own small formatter, not from src/gateway/receipt.ts, so that a mistake in
// the gateway's receipt parser is not mirrored here.

import { randomUUID } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { CommandStatus, Framer, type Pdu, type PduOf, type Tlvs } from '../../src/smpp/codec/index.js';
import {
  type BindType,
  type HandlerResult,
  type SessionLogger,
  SessionState,
  type SessionTimers,
  SmppSession,
  silentLogger,
} from '../../src/smpp/session/index.js';
import type { ConnectorRecord } from '../../src/store/model.js';

/** How the SMSC writes the message ids it gives out. */
export type SmscIdFormat = 'uuid' | 'decimal' | 'hex';

/** SMPP 3.4 §5.2.28 message_state values, by the names receipts use in their text. */
export const SMSC_STATES = {
  ENROUTE: 1,
  DELIVRD: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIV: 5,
  ACCEPTD: 6,
  UNKNOWN: 7,
  REJECTD: 8,
} as const;

/** A receipt state name as written in `stat:`. */
export type SmscStateName = keyof typeof SMSC_STATES;

/** How the SMSC sends delivery receipts. */
export interface SmscReceiptOptions {
  /** Delay from the submit to the receipt, ms (default 0). */
  delayMs?: number;
  /** State mix, as weights (default `{ DELIVRD: 1 }`). */
  states?: Partial<Record<SmscStateName, number>>;
  /** TLVs (receipted_message_id, message_state), the text, or both (default 'both'). */
  format?: 'tlv' | 'text' | 'both';
  /** deliver_sm (default) or data_sm. */
  command?: 'deliver_sm' | 'data_sm';
  /** Send the receipt before the submit_sm_resp ("quick receipts"); default false. */
  quick?: boolean;
  /** Send a receipt for every message, whatever its registered_delivery asked; default false. */
  always?: boolean;
  /** How receipts write the message id (default: as in submit_sm_resp); decimal ↔ hex converts the same number. */
  idFormat?: SmscIdFormat;
  /** Zero-pad receipt ids to this many characters (to test leading-zero handling); default 0. */
  idPad?: number;
  /** Wait before a receipt that was refused, timed out or had no receiver is sent again, ms (default 1000). */
  retryMs?: number;
  /** The err: code (and network_error_code) of failure receipts; default 1. */
  errorCode?: number;
}

/** A submit's fate decided by a test: a status to answer with, 'ignore' (never answered), or undefined (accept). */
export type SmscSubmitVerdict = number | 'ignore' | undefined;

/** Options of the fake SMSC. */
export interface SmscOptions {
  /** Listen port; 0 (default) picks a free one. */
  port?: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** system_id of bind responses; default 'fakesmsc'. */
  systemId?: string;
  /** Accepted system_id → password; absent: every bind is accepted. */
  accounts?: Readonly<Record<string, string>>;
  /** Format of the message ids in submit_sm_resp; default 'decimal'. */
  idFormat?: SmscIdFormat;
  /** Zero-pad submit_sm_resp ids to this many characters; default 0. */
  idPad?: number;
  /** Delay before each submit is answered, ms; default 0. */
  latencyMs?: number;
  /** Receipts; absent or false: none. */
  receipts?: SmscReceiptOptions | false;
  /** Decides each submit (n counts every submit_sm and data_sm from 1, across sessions). */
  submitStatus?: (n: number, pdu: PduOf<'submit_sm'> | PduOf<'data_sm'>) => SmscSubmitVerdict;
  /** Answer enquire_link (default true); false drops them unseen, as a wedged SMSC would. */
  answerEnquireLink?: boolean;
  /**
   * Put a frame filter between each socket and its session, so `answerEnquireLink` and `setSilent` work at run time
   * (default true; the benchmark process turns it off to save a framing pass).
   */
  inboundFilter?: boolean;
  /** Keep every submit in `submits` (default true; the benchmark process keeps only counters). */
  keepSubmits?: boolean;
  /** Outbound window per session (receipts, MO); default 1000. */
  windowSize?: number;
  /** Inbound requests in flight per session; default 10,000 (so latency alone does not slow the client). */
  maxInflight?: number;
  /** Session timers (response timeout of our deliver_sm…). */
  timers?: Partial<SessionTimers>;
  /** TLS listener with this PEM certificate and key instead of plain TCP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  logger?: SessionLogger;
}

/** One submit the SMSC received. */
export interface SmscSubmit {
  /** 1, 2, … in arrival order across sessions. */
  n: number;
  session: string;
  systemId: string;
  pdu: PduOf<'submit_sm'> | PduOf<'data_sm'>;
  /** The id given out, or null when refused or ignored. */
  messageId: string | null;
  /** The status answered (or to be answered); -1 when ignored. */
  status: number;
  /** Epoch ms when it arrived. */
  at: number;
}

/** One bound (or binding) connection of the SMSC. */
export interface SmscSessionInfo {
  id: string;
  systemId: string;
  bindType: BindType | undefined;
  state: SessionState;
  session: SmppSession<SmscPrincipal>;
}

/** Counters of the SMSC (what smscProcess prints). */
export interface SmscCounters {
  connections: number;
  binds: number;
  submits: number;
  /** Submits answered ESME_ROK. */
  accepted: number;
  /** Receipts sent (first sends, not resends). */
  receipts: number;
  /** Receipts answered ESME_ROK. */
  receiptsAcked: number;
  /** Receipts sent again after a refusal, a timeout or no receiver. */
  receiptResends: number;
  mo: number;
}

/** The fields of an MO to send (the rest default to NULL / 0). */
export interface SmscMo {
  source_addr: string;
  destination_addr: string;
  short_message?: Buffer | string;
  data_coding?: number;
  esm_class?: number;
  source_addr_ton?: number;
  source_addr_npi?: number;
  dest_addr_ton?: number;
  dest_addr_npi?: number;
  tlvs?: Tlvs;
}

/** A running fake SMSC. */
export interface FakeSmsc {
  readonly port: number;
  readonly host: string;
  /** Every submit received, in order (empty when keepSubmits is false). */
  readonly submits: SmscSubmit[];
  readonly counters: SmscCounters;
  /** Live sessions. */
  sessions(): SmscSessionInfo[];
  /** Unbinds every bound session (bounded wait), closes the rest and stops listening. */
  close(): Promise<void>;
  /** Drops every connection at once (no unbind), as a crashing SMSC would. Keeps listening. */
  kill(): void;
  /** Down: new connections are closed at once ('close', default) or their binds refused ESME_RBINDFAIL ('refuse'). */
  setDown(down: boolean, how?: 'close' | 'refuse'): void;
  /** Silent: every inbound PDU is dropped unseen (a peer that never answers); needs the inbound filter. */
  setSilent(silent: boolean): void;
  /** Changes the submit latency, ms. */
  setLatency(ms: number): void;
  /** Changes the submit verdict function. */
  setSubmitStatus(fn: SmscOptions['submitStatus']): void;
  /** Sends an MO on a receiver/transceiver bind of `systemId` (any when absent); resolves with the response status. */
  sendMo(mo: SmscMo, options?: { systemId?: string; command?: 'deliver_sm' | 'data_sm' }): Promise<number>;
  /**
   * Sends a receipt for a message id this SMSC gave out (or any id) now, on a receiver/transceiver bind; resolves with
   * the response status.
   */
  sendReceipt(
    messageId: string,
    state: SmscStateName,
    options?: { systemId?: string; format?: 'tlv' | 'text' | 'both'; command?: 'deliver_sm' | 'data_sm' },
  ): Promise<number>;
  /** Resolves once `submits.length` (or counters.submits when not kept) reaches `count`; rejects after `timeoutMs`. */
  waitForSubmits(count: number, timeoutMs?: number): Promise<void>;
}

/** The principal of an SMSC session: the system_id it bound with. */
export interface SmscPrincipal {
  readonly id: string;
}

// ---------------------------------------------------------------------------------------------------------------
// A batched delay line: items due in order, one timer for all of them (a timer per message would not sustain the
// benchmark's rate).

class DelayLine<T> {
  #items: { at: number; item: T }[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  readonly #run: (item: T) => void;

  constructor(run: (item: T) => void) {
    this.#run = run;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T, delayMs: number): void {
    const at = Date.now() + Math.max(0, delayMs);
    this.#items.push({ at, item });
    if (this.#items.length - this.#head === 1 || at < this.#timerAt) this.#arm(at);
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#items = [];
    this.#head = 0;
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(this.#fire, Math.max(0, at - Date.now()));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    while (this.#head < this.#items.length && this.#items[this.#head].at <= now) {
      const { item } = this.#items[this.#head];
      this.#head++;
      this.#run(item);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (this.#head < this.#items.length) this.#arm(this.#items[this.#head].at);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Inbound filter: frames what the client sends and drops the frames a test wants unseen, then hands the rest to the
// session as a stream.

class FilteredSocket extends Duplex {
  readonly #socket: net.Socket;
  readonly #framer = new Framer();
  readonly #drop: (frame: Buffer) => boolean;

  constructor(socket: net.Socket, drop: (frame: Buffer) => boolean) {
    super({ allowHalfOpen: false });
    this.#socket = socket;
    this.#drop = drop;
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#framer.push(chunk);
        for (let frame = this.#framer.next(); frame !== undefined; frame = this.#framer.next()) {
          if (this.#drop(frame)) continue;
          if (!this.push(frame)) socket.pause();
        }
      } catch (error) {
        this.destroy(error as Error);
      }
    });
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', (error) => this.destroy(error));
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#socket.destroyed) {
      callback();
      return;
    }
    this.#socket.write(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#socket.destroy();
    callback(error);
  }
}

const ENQUIRE_LINK_ID = 0x00000015;

// ---------------------------------------------------------------------------------------------------------------
// Receipt text and ids (SMPP 3.4 Appendix B's informal format, which every SMSC and Jasmin write).

function two(n: number): string {
  return String(n).padStart(2, '0');
}

// The last two minutes formatted: a receipt's submit and done dates are nearly always one of them, and formatting a
// Date per receipt was a visible share of the benchmark SMSC's CPU.
let dateMinuteA = -1;
let dateTextA = '';
let dateMinuteB = -1;
let dateTextB = '';

/** YYMMDDhhmm in UTC. */
function receiptDate(ms: number): string {
  const minute = Math.floor(ms / 60_000);
  if (minute === dateMinuteA) return dateTextA;
  if (minute === dateMinuteB) return dateTextB;
  const d = new Date(minute * 60_000);
  const text = `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}`;
  dateMinuteB = dateMinuteA;
  dateTextB = dateTextA;
  dateMinuteA = minute;
  dateTextA = text;
  return text;
}

/** `n` (an integer below 2^53) as the SMSC writes message ids. */
function formatId(n: number, uuid: string | undefined, format: SmscIdFormat, pad: number): string {
  let s: string;
  if (format === 'uuid') s = uuid ?? randomUUID();
  else if (format === 'hex') s = n.toString(16).toUpperCase();
  else s = n.toString(10);
  return pad > 0 ? s.padStart(pad, '0') : s;
}

interface IssuedId {
  n: number;
  uuid: string | undefined;
}

interface PendingReceipt {
  systemId: string;
  pdu: PduOf<'deliver_sm'> | PduOf<'data_sm'>;
  first: boolean;
}

const EMPTY = Buffer.alloc(0);
const DELIVRD_ONLY: Partial<Record<SmscStateName, number>> = { DELIVRD: 1 };

const FAILURE_STATES: ReadonlySet<SmscStateName> = new Set(['EXPIRED', 'DELETED', 'UNDELIV', 'UNKNOWN', 'REJECTD']);

function emptyDeliverSm(): PduOf<'deliver_sm'> {
  return {
    command: 'deliver_sm',
    command_status: 0,
    sequence_number: 0,
    service_type: '',
    source_addr_ton: 0,
    source_addr_npi: 0,
    source_addr: '',
    dest_addr_ton: 0,
    dest_addr_npi: 0,
    destination_addr: '',
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.alloc(0),
  };
}

/** Addresses and text of an MT the receipt refers to (source and destination are swapped in the receipt). */
interface ReceiptSubject {
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
  text: Buffer;
  submittedAt: number;
}

function buildReceipt(
  id: string,
  state: SmscStateName,
  subject: ReceiptSubject,
  format: 'tlv' | 'text' | 'both',
  command: 'deliver_sm' | 'data_sm',
  errorCode: number,
): PduOf<'deliver_sm'> | PduOf<'data_sm'> {
  const failed = FAILURE_STATES.has(state);
  const err = failed ? errorCode : 0;
  const tlvs: Tlvs = {};
  let hasTlvs = false;
  if (format !== 'text') {
    tlvs.receipted_message_id = id;
    tlvs.message_state = SMSC_STATES[state];
    if (err !== 0) tlvs.network_error_code = { network_type: 3, error_code: err };
    hasTlvs = true;
  }
  let body = EMPTY;
  if (format !== 'tlv') {
    const text =
      `id:${id} sub:001 dlvrd:${state === 'DELIVRD' ? '001' : '000'} submit date:${receiptDate(subject.submittedAt)} ` +
      `done date:${receiptDate(Date.now())} stat:${state} err:${err < 10 ? `00${err}` : String(err).padStart(3, '0')} ` +
      `text:${subject.text.toString('latin1', 0, 20)}`;
    body = Buffer.from(text, 'latin1');
  }
  // Object literals written out in full (no spreads): one receipt per message at the benchmark's rate.
  if (command === 'data_sm') {
    if (body.length > 0) tlvs.message_payload = body;
    return {
      command: 'data_sm',
      command_status: 0,
      sequence_number: 0,
      service_type: '',
      source_addr_ton: subject.dest_addr_ton,
      source_addr_npi: subject.dest_addr_npi,
      source_addr: subject.destination_addr,
      dest_addr_ton: subject.source_addr_ton,
      dest_addr_npi: subject.source_addr_npi,
      destination_addr: subject.source_addr,
      esm_class: 0x04, // SMPP 3.4 §5.2.12: SMSC delivery receipt
      registered_delivery: 0,
      data_coding: 0,
      tlvs,
    };
  }
  const pdu: PduOf<'deliver_sm'> = {
    command: 'deliver_sm',
    command_status: 0,
    sequence_number: 0,
    service_type: '',
    source_addr_ton: subject.dest_addr_ton,
    source_addr_npi: subject.dest_addr_npi,
    source_addr: subject.destination_addr,
    dest_addr_ton: subject.source_addr_ton,
    dest_addr_npi: subject.source_addr_npi,
    destination_addr: subject.source_addr,
    esm_class: 0x04, // SMPP 3.4 §5.2.12: SMSC delivery receipt
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: body,
  };
  if (hasTlvs) pdu.tlvs = tlvs;
  return pdu;
}

/** A state mix with its weights summed, built once per mix rather than per receipt. */
interface StateMix {
  entries: [SmscStateName, number][];
  total: number;
}

function stateMix(states: Partial<Record<SmscStateName, number>>): StateMix {
  const entries = Object.entries(states).filter(([, w]) => (w ?? 0) > 0) as [SmscStateName, number][];
  return { entries, total: entries.reduce((sum, [, w]) => sum + w, 0) };
}

function pickState({ entries, total }: StateMix): SmscStateName {
  if (entries.length === 0) return 'DELIVRD';
  if (entries.length === 1) return entries[0][0];
  let r = Math.random() * total;
  for (const [state, w] of entries) {
    if (r < w) return state;
    r -= w;
  }
  return entries[entries.length - 1][0];
}

/** Whether registered_delivery (SMPP 3.4 §5.2.17 bits 1-0) asks for a receipt in this state. */
function wantsReceipt(registeredDelivery: number, state: SmscStateName): boolean {
  const level = registeredDelivery & 0x03;
  if (level === 1) return true;
  if (level === 2) return FAILURE_STATES.has(state);
  return false;
}

/**
 * A started smppc connector record for a fake SMSC on loopback `port` (system_id and password `gw`; the fake SMSC
 * takes any bind unless given `accounts`), with `settings` on top.
 */
export function smscConnector(cid: string, port: number, settings: Record<string, unknown> = {}): ConnectorRecord {
  return {
    cid,
    type: 'smppc',
    started: true,
    settings: { host: '127.0.0.1', port, system_id: 'gw', password: 'gw', ...settings },
  };
}

/** Starts a fake SMSC listening on loopback (port 0 by default) and resolves once it listens. */
export async function startSmsc(options: SmscOptions = {}): Promise<FakeSmsc> {
  const host = options.host ?? '127.0.0.1';
  const idFormat = options.idFormat ?? 'decimal';
  const idPad = options.idPad ?? 0;
  const receiptOptions = options.receipts === false ? undefined : options.receipts;
  const keepSubmits = options.keepSubmits ?? true;
  const useFilter = options.inboundFilter ?? true;
  const log = options.logger ?? silentLogger;
  let latencyMs = options.latencyMs ?? 0;
  let submitStatus = options.submitStatus;
  const answerEnquireLink = options.answerEnquireLink ?? true;
  let silent = false;
  let down: false | 'close' | 'refuse' = false;
  let closing = false;
  let nextNumber = 100_000_000 + Math.floor(Math.random() * 1_000_000);

  const submits: SmscSubmit[] = [];
  const counters: SmscCounters = {
    connections: 0,
    binds: 0,
    submits: 0,
    accepted: 0,
    receipts: 0,
    receiptsAcked: 0,
    receiptResends: 0,
    mo: 0,
  };
  const sockets = new Set<net.Socket>();
  const sessions = new Map<string, SmscSessionInfo>();
  const rrCursor = new Map<string, number>();
  // The receiver lists by system_id (and of every system_id), rebuilt after any session's state or bind changes
  // rather than on each receipt.
  const receiverLists = new Map<string, SmppSession<SmscPrincipal>[]>();
  let anyReceivers: SmppSession<SmscPrincipal>[] | undefined;
  const receiversChanged = (): void => {
    receiverLists.clear();
    anyReceivers = undefined;
  };

  const listReceivers = (systemId: string | undefined): SmppSession<SmscPrincipal>[] => {
    const out: SmppSession<SmscPrincipal>[] = [];
    for (const info of sessions.values()) {
      const s = info.session.state;
      if (s !== SessionState.BOUND_RX && s !== SessionState.BOUND_TRX) continue;
      if (systemId !== undefined && info.systemId !== systemId) continue;
      out.push(info.session);
    }
    return out;
  };

  const receivers = (systemId: string | undefined): SmppSession<SmscPrincipal>[] => {
    if (systemId === undefined) {
      anyReceivers ??= listReceivers(undefined);
      return anyReceivers;
    }
    let list = receiverLists.get(systemId);
    if (list === undefined) {
      list = listReceivers(systemId);
      receiverLists.set(systemId, list);
    }
    return list;
  };

  /** The next receiver/transceiver bind of `systemId`, round-robin. */
  const nextReceiver = (systemId: string | undefined): SmppSession<SmscPrincipal> | undefined => {
    const list = receivers(systemId);
    if (list.length === 0) return undefined;
    const key = systemId ?? '';
    const i = (rrCursor.get(key) ?? 0) % list.length;
    rrCursor.set(key, i + 1);
    return list[i];
  };

  const retryMs = receiptOptions?.retryMs ?? 1000;

  const sendPendingReceipt = (r: PendingReceipt): void => {
    if (closing) return;
    const session = nextReceiver(r.systemId);
    if (r.first) counters.receipts++;
    else counters.receiptResends++;
    r.first = false;
    if (session === undefined) {
      retryLine.push(r, retryMs);
      return;
    }
    session.request(r.pdu).then(
      (response) => {
        if (response.command_status === 0) counters.receiptsAcked++;
        else retryLine.push(r, retryMs);
      },
      () => retryLine.push(r, retryMs),
    );
  };
  const receiptLine = new DelayLine<PendingReceipt>(sendPendingReceipt);
  const retryLine = new DelayLine<PendingReceipt>(sendPendingReceipt);
  const latencyLine = new DelayLine<() => void>((resolve) => resolve());

  const issueId = (): IssuedId => {
    nextNumber += 1;
    return { n: nextNumber, uuid: idFormat === 'uuid' ? randomUUID() : undefined };
  };

  let mixOf: Partial<Record<SmscStateName, number>> | undefined;
  let mix: StateMix = { entries: [], total: 0 };
  const planReceipt = (issued: IssuedId, respId: string, pdu: PduOf<'submit_sm'> | PduOf<'data_sm'>, at: number) => {
    if (receiptOptions === undefined) return undefined;
    const states = receiptOptions.states ?? DELIVRD_ONLY;
    if (states !== mixOf) {
      mixOf = states;
      mix = stateMix(states);
    }
    const state = pickState(mix);
    if (!receiptOptions.always && !wantsReceipt(pdu.registered_delivery, state)) return undefined;
    const rFormat = receiptOptions.idFormat ?? idFormat;
    const rPad = receiptOptions.idPad ?? 0;
    const id = rFormat === idFormat && rPad === 0 ? respId : formatId(issued.n, issued.uuid, rFormat, rPad);
    const text = pdu.command === 'submit_sm' ? pdu.short_message : (pdu.tlvs?.message_payload ?? EMPTY);
    // The subject field by field: spreading the whole decoded PDU cost more than the rest of the receipt.
    const subject: ReceiptSubject = {
      source_addr_ton: pdu.source_addr_ton,
      source_addr_npi: pdu.source_addr_npi,
      source_addr: pdu.source_addr,
      dest_addr_ton: pdu.dest_addr_ton,
      dest_addr_npi: pdu.dest_addr_npi,
      destination_addr: pdu.destination_addr,
      text,
      submittedAt: at,
    };
    return buildReceipt(
      id,
      state,
      subject,
      receiptOptions.format ?? 'both',
      receiptOptions.command ?? 'deliver_sm',
      receiptOptions.errorCode ?? 1,
    );
  };

  const onSubmit = (
    pdu: PduOf<'submit_sm'> | PduOf<'data_sm'>,
    session: SmppSession<SmscPrincipal>,
  ): { message_id: string } | number | Promise<{ message_id: string } | number> => {
    const n = ++counters.submits;
    const systemId = session.principal?.id ?? '';
    const at = Date.now();
    const verdict = submitStatus?.(n, pdu);
    if (verdict === 'ignore') {
      if (keepSubmits) submits.push({ n, session: session.id, systemId, pdu, messageId: null, status: -1, at });
      return new Promise<never>(() => {});
    }
    let result: { message_id: string } | number;
    if (verdict !== undefined && verdict !== 0) {
      result = verdict;
      if (keepSubmits) submits.push({ n, session: session.id, systemId, pdu, messageId: null, status: verdict, at });
    } else {
      counters.accepted++;
      const issued = issueId();
      const messageId = formatId(issued.n, issued.uuid, idFormat, idPad);
      result = { message_id: messageId };
      if (keepSubmits) submits.push({ n, session: session.id, systemId, pdu, messageId, status: 0, at });
      const receipt = planReceipt(issued, messageId, pdu, at);
      if (receipt !== undefined) {
        const pending: PendingReceipt = { systemId, pdu: receipt, first: true };
        // A quick receipt leaves now, in the same write batch as (and before) the submit_sm_resp below.
        if (receiptOptions?.quick) sendPendingReceipt(pending);
        else receiptLine.push(pending, receiptOptions?.delayMs ?? 0);
      }
    }
    if (latencyMs <= 0) return result;
    return new Promise((resolve) => latencyLine.push(() => resolve(result), latencyMs));
  };

  const dropFrame = (frame: Buffer): boolean => {
    if (silent) return true;
    return !answerEnquireLink && frame.readUInt32BE(4) === ENQUIRE_LINK_ID;
  };

  const onConnection = (socket: net.Socket): void => {
    if (down === 'close' || closing) {
      socket.destroy();
      return;
    }
    counters.connections++;
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const stream: Duplex = useFilter ? new FilteredSocket(socket, dropFrame) : socket;
    const session = new SmppSession<SmscPrincipal>(stream, {
      role: 'server',
      systemId: options.systemId ?? 'fakesmsc',
      peerAddress: socket.remoteAddress ?? '',
      windowSize: options.windowSize ?? 1000,
      maxInflight: options.maxInflight ?? 10_000,
      ...(options.timers !== undefined ? { timers: options.timers } : {}),
      logger: log,
      authenticate: async (request) => {
        if (down === 'refuse') return { status: CommandStatus.ESME_RBINDFAIL };
        const accounts = options.accounts;
        if (accounts !== undefined && accounts[request.system_id] !== request.password) {
          return { status: CommandStatus.ESME_RINVPASWD };
        }
        return { status: 0, principal: { id: request.system_id } };
      },
      handlers: {
        submit_sm: (pdu, ctx) => onSubmit(pdu, ctx.session) as HandlerResult<'submit_sm'>,
        data_sm: (pdu, ctx) => onSubmit(pdu, ctx.session) as HandlerResult<'data_sm'>,
        query_sm: () => CommandStatus.ESME_RQUERYFAIL,
      },
    });
    const info: SmscSessionInfo = { id: session.id, systemId: '', bindType: undefined, state: session.state, session };
    sessions.set(session.id, info);
    receiversChanged();
    session.on('bound', (bindType, principal) => {
      counters.binds++;
      info.bindType = bindType;
      info.systemId = principal?.id ?? '';
      receiversChanged();
    });
    session.on('state', (state) => {
      info.state = state;
      receiversChanged();
    });
    session.on('close', () => {
      sessions.delete(session.id);
      receiversChanged();
    });
  };

  const server = options.tls
    ? tls.createServer({ cert: options.tls.cert, key: options.tls.key }, onConnection)
    : net.createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const sendNow = async (pdu: Pdu, systemId: string | undefined): Promise<number> => {
    const session = nextReceiver(systemId);
    if (session === undefined) throw new Error(`fake SMSC: no receiver bound${systemId ? ` for ${systemId}` : ''}`);
    const response = await session.request(pdu);
    return response.command_status;
  };

  return {
    port,
    host,
    submits,
    counters,
    sessions: () => [...sessions.values()],
    async close() {
      closing = true;
      receiptLine.clear();
      retryLine.clear();
      latencyLine.clear();
      const closeServer = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(
        [...sessions.values()].map(async ({ session }) => {
          const timer = setTimeout(() => session.close('fake SMSC closing'), 1000);
          await session.unbind();
          clearTimeout(timer);
        }),
      );
      for (const socket of sockets) socket.destroy();
      await closeServer;
    },
    kill() {
      for (const socket of sockets) socket.destroy();
      for (const { session } of sessions.values()) session.close('killed');
    },
    setDown(isDown, how = 'close') {
      down = isDown ? how : false;
    },
    setSilent(on) {
      if (!useFilter) throw new Error('fake SMSC: setSilent needs the inbound filter');
      silent = on;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    setSubmitStatus(fn) {
      submitStatus = fn;
    },
    async sendMo(mo, opts = {}) {
      const text = typeof mo.short_message === 'string' ? Buffer.from(mo.short_message, 'latin1') : mo.short_message;
      const fields = {
        source_addr_ton: mo.source_addr_ton ?? 1,
        source_addr_npi: mo.source_addr_npi ?? 1,
        source_addr: mo.source_addr,
        dest_addr_ton: mo.dest_addr_ton ?? 0,
        dest_addr_npi: mo.dest_addr_npi ?? 0,
        destination_addr: mo.destination_addr,
        esm_class: mo.esm_class ?? 0,
        data_coding: mo.data_coding ?? 0,
      };
      let pdu: Pdu;
      if (opts.command === 'data_sm') {
        const tlvs: Tlvs = { ...mo.tlvs };
        if (text !== undefined) tlvs.message_payload = text;
        pdu = {
          command: 'data_sm',
          command_status: 0,
          sequence_number: 0,
          service_type: '',
          ...fields,
          registered_delivery: 0,
          tlvs,
        };
      } else {
        pdu = {
          ...emptyDeliverSm(),
          ...fields,
          short_message: text ?? Buffer.alloc(0),
          ...(mo.tlvs !== undefined ? { tlvs: mo.tlvs } : {}),
        };
      }
      const status = await sendNow(pdu, opts.systemId);
      counters.mo++;
      return status;
    },
    async sendReceipt(messageId, state, opts = {}) {
      const submit = submits.find((s) => s.messageId === messageId);
      const subject: ReceiptSubject =
        submit !== undefined
          ? {
              ...submit.pdu,
              text: submit.pdu.command === 'submit_sm' ? submit.pdu.short_message : Buffer.alloc(0),
              submittedAt: submit.at,
            }
          : {
              source_addr_ton: 0,
              source_addr_npi: 0,
              source_addr: '',
              dest_addr_ton: 0,
              dest_addr_npi: 0,
              destination_addr: '',
              text: Buffer.alloc(0),
              submittedAt: Date.now(),
            };
      const pdu = buildReceipt(
        messageId,
        state,
        subject,
        opts.format ?? receiptOptions?.format ?? 'both',
        opts.command ?? 'deliver_sm',
        receiptOptions?.errorCode ?? 1,
      );
      return sendNow(pdu, opts.systemId ?? submit?.systemId);
    },
    async waitForSubmits(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const have = keepSubmits ? submits.length : counters.submits;
        if (have >= count) return;
        if (Date.now() > deadline) throw new Error(`fake SMSC: ${have} submits after ${timeoutMs} ms, wanted ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}
