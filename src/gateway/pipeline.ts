// The MT pipeline (SPEC.md §3, §4; issue #4): from a submitted message to a durable record in its connector's queue.
//
// Checks run in this order and the first failure answers (docs/mt-pipeline.md has the table):
//   0. bind state — the account behind the session still exists and is enabled, and so is its group → ESME_RINVBNDSTS
//   1. request shape — short_message and message_payload both set → ESME_RINVMSGLEN; a UDH that overruns the message
//      → ESME_RINVESMCLASS; SAR TLVs incomplete → ESME_RMISSINGOPTPARAM or impossible → ESME_RINVOPTPARAMVAL;
//      times that cannot be honoured → ESME_RINVSCHED / ESME_RINVEXPIRY
//   2. authorizations → ESME_RINVSYSID, value filters → their statuses, defaults (credentials.ts checkMt)
//   3. throughput: one token bucket per user and channel across all its binds → ESME_RTHROTTLED
//   4. routing over the cached MT routes → ESME_RINVDSTADR when none matches
//   5. billing: the route's rate per part, early percent, the store's atomic charge → ESME_RSYSERR when short
//   6. durable enqueue (group-committed by the store) → ESME_RMSGQFUL when the store is full, else ESME_RSYSERR;
//      what step 5 charged is refunded
// Only after step 6 has committed does submit() resolve with the message_ids. On a remote store (callTimeoutMs set)
// the writes of steps 5 and 6 share one deadline, one store timeout after the submit began: a write that would land
// after it is refused by the store and keeps nothing, so a refusal always means "not kept", and the answer comes
// within about one store timeout however many writes the submit makes.

import {
  CommandStatus,
  type CommandStatusName,
  parseSmppTime,
  SmppStatusError,
  statusName,
  type Tlvs,
} from '../smpp/codec/index.js';
import { tlvsSize, writeTlvs } from '../smpp/codec/tlv.js';
import type { SessionLogger } from '../smpp/session/log.js';
import { decodeText, describeDataCoding, ESM_CLASS_UDHI, MAX_PARTS, parseUdh, UdhError } from '../smpp/text/index.js';
import { planCuts, unitOf } from '../smpp/text/limits.js';
import { StoreUnavailableError } from '../store/errors.js';
import { type HttpDlr, type MessageRecord, MessageState, type MtRoute } from '../store/model.js';
import type { Amounts, ChargeResult, Store } from '../store/store.js';
import type { Accounts } from './accounts.js';
import { type Bill, billMessage, fromMicros, toMicros } from './billing.js';
import { checkMt, type MtRequest } from './credentials.js';
import { type GatewayEventSink, NO_EVENTS } from './events.js';
import type { RoutingContext } from './filters.js';
import { type MtRoutingOptions, RoundRobin, routeMt } from './routing.js';
import { Throttle } from './throttle.js';

/** The structured logger the gateway writes to (src/log's Logger fits); `enabled` lets it skip building lines. */
export interface GatewayLogger extends SessionLogger {
  enabled?(level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL'): boolean;
}

/** The front door a message came through: SMPP server binds, or the HTTP API. */
export type Channel = 'smpps' | 'http';

/**
 * One message as submitted: the submit_sm fields (data_sm and submit_multi map onto them; the HTTP API builds the
 * same). Times are SMPP time strings (SMPP 3.4 §7.1.1), '' when absent.
 */
export interface MtSubmission {
  service_type: string;
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
  esm_class: number;
  protocol_id: number;
  priority_flag: number;
  schedule_delivery_time: string;
  validity_period: string;
  registered_delivery: number;
  data_coding: number;
  short_message: Buffer;
  /** Optional parameters, passed upstream as they came (message_payload, SAR, user_message_reference…). */
  tlvs?: Tlvs;
  /** Tags for route filters (HTTP API, interceptors). */
  tags?: readonly number[];
  /** HTTP API binary content (needs the hex_content authorization). */
  hex_content?: boolean;
  /** HTTP API receipts: where to call back (dlr-url); kept on the record, absent for SMPP. */
  dlr?: HttpDlr | null;
}

/** Who submits: the bound principal (SMPP) or the authenticated HTTP user. */
export interface Submitter {
  /** The uid. */
  readonly id: string;
  /** For the logs. */
  readonly username?: string;
}

/** Where a submission comes from, for the logs. */
export interface SubmitMeta {
  /** The SMPP session id. */
  session?: string;
  /**
   * A later part of one HTTP API request whose first part already took its throughput token: Jasmin counts
   * http_throughput per request, so a long message is not throttled half-way.
   */
  continuation?: boolean;
}

/** The pipeline's answer: the message_ids (one per stored part) once durable, or the status to refuse with. */
export type SubmitResult =
  | { ok: true; status: 0; message_ids: string[] }
  | { ok: false; status: number; reason: string };

/** The amounts a charge or refund moves: a decimal amount of balance and a number of sms_count units. */
export type ChargeAmounts = Amounts;

/** The store methods the pipeline uses. */
export type PipelineStore = Pick<
  Store,
  'listMtRoutes' | 'routesVersion' | 'charge' | 'credit' | 'acceptMessages' | 'callTimeoutMs'
>;

/** Settings the pipeline honours (`[smpp-server]` keys and our own). */
export interface PipelineSettings {
  /** Jasmin's `billing_feature`: false turns balance and sms_count quotas off (messages are free). */
  billing_feature: boolean;
  /** Jasmin's `log_privacy`: true masks message content in the logs. */
  log_privacy: boolean;
  /** Longest a message may wait for delivery, counted from its schedule (or acceptance); also the default. */
  max_validity_secs: number;
}

/** How often the pipeline asks the store whether the MT routes changed behind its back. */
const ROUTES_POLL_MS = 1000;

/** Defaults of PipelineSettings: billing on, content logged, 48 hours of validity at most. */
export const DEFAULT_PIPELINE_SETTINGS: Readonly<PipelineSettings> = {
  billing_feature: true,
  log_privacy: false,
  max_validity_secs: 48 * 3600,
};

/** A wall clock in epoch milliseconds (records' timestamps, validity, throttling). */
export interface WallClock {
  now(): number;
}

/** Options of an MtPipeline. */
export interface MtPipelineOptions {
  store: PipelineStore;
  accounts: Accounts;
  settings?: Partial<PipelineSettings>;
  logger: GatewayLogger;
  clock?: WallClock;
  /** Makes one message_id per stored part. */
  idGenerator: () => string;
  /** Whether a connector is up right now (failover and round-robin routes prefer those); default all up. */
  isConnectorUp?: (cid: string) => boolean;
  /** Token buckets for throughput quotas; default a new Throttle. */
  throttle?: Throttle;
  /** Told of every acceptance and refusal (metrics, history); default nobody. */
  events?: GatewayEventSink;
}

/**
 * What the checks and the route filters read about one message: the MtRequest of the credential checks and the
 * RoutingContext of the route filters in one object, with what the shape check learnt. The text is decoded only
 * when something reads `content` (a content filter, a short_message route filter, the log line).
 */
class MessageFacts implements MtRequest, RoutingContext {
  readonly channel: 'smpp' | 'http';
  source_addr: string;
  readonly destination_addr: string;
  readonly registered_delivery: number;
  readonly priority_flag: number;
  readonly validity_period: string;
  readonly schedule_delivery_time: string;
  readonly esm_class: number;
  sar = false;
  message_payload_length: number | null = null;
  /** Parts billed: 1 for a single message or one part of a long one; for message_payload, the parts it takes. */
  parts = 1;
  readonly hex_content: boolean;
  readonly uid: string;
  readonly gid: string;
  readonly tags: readonly number[];
  readonly now: number;
  /** The user data without its UDH. */
  text: Buffer;
  part: MessageRecord['part'] = null;
  scheduleAt: number | null = null;
  expiresAt = 0;
  readonly #dataCoding: number;
  #content: string | undefined;

  constructor(req: MtSubmission, channel: Channel, uid: string, gid: string, now: number) {
    this.channel = channel === 'smpps' ? 'smpp' : 'http';
    this.source_addr = req.source_addr;
    this.destination_addr = req.destination_addr;
    this.registered_delivery = req.registered_delivery;
    this.priority_flag = req.priority_flag;
    this.validity_period = req.validity_period;
    this.schedule_delivery_time = req.schedule_delivery_time;
    this.esm_class = req.esm_class;
    this.hex_content = req.hex_content === true;
    this.uid = uid;
    this.gid = gid;
    this.tags = req.tags ?? NO_TAGS;
    this.now = now;
    this.text = req.short_message;
    this.#dataCoding = req.data_coding;
  }

  /** Set while a reader is known not to use the content: it reads '' instead of a decoded text. */
  contentUnused = false;

  get content(): string {
    if (this.contentUnused) return '';
    this.#content ??= contentText(this.text, this.#dataCoding);
    return this.#content;
  }
}

const NO_TAGS: readonly number[] = [];

interface Refusal {
  ok: false;
  status: number;
  reason: string;
}

function refuse(status: CommandStatusName, reason: string): Refusal {
  return { ok: false, status: CommandStatus[status], reason };
}

/** The user data as text for content filters and logs: decoded when the coding is known, else its octets as latin1. */
export function contentText(bytes: Buffer, dataCoding: number): string {
  try {
    const text = decodeText(bytes, dataCoding);
    return typeof text === 'string' ? text : text.toString('latin1');
  } catch {
    return bytes.toString('latin1');
  }
}

/**
 * The parts a message_payload takes on the air when split with 8-bit reference UDHs (what an SMSC does with it):
 * GSM 160/153 septets, UCS-2 70/67, 8-bit 140/134 octets. A coding we cannot measure counts in octets.
 */
export function payloadParts(payload: Buffer, dataCoding: number): number {
  let unit: ReturnType<typeof unitOf>;
  try {
    unit = unitOf(describeDataCoding(dataCoding).alphabet, dataCoding);
  } catch {
    unit = 'octet';
  }
  // An odd UCS-2 payload is not a whole number of units: count its octets instead of guessing.
  if (unit === 'ucs2' && payload.length % 2 !== 0) unit = 'octet';
  return Math.max(1, planCuts(payload, unit, 'udh8').length - 1);
}

/** Encodes optional parameters for the record (passed upstream as they came); null when there are none. */
function encodeTlvs(tlvs: Tlvs | undefined): Buffer | null {
  if (tlvs === undefined) return null;
  const size = tlvsSize(tlvs);
  if (size === 0) return null;
  const out = Buffer.allocUnsafe(size);
  writeTlvs(out, 0, tlvs);
  return out;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when a store error says the store is full (disk or quota): answered ESME_RMSGQFUL instead of ESME_RSYSERR. */
function isStoreFull(error: unknown): boolean {
  return error instanceof StoreUnavailableError && error.full;
}

/**
 * The MT pipeline. `submit` runs the checks in the documented order and resolves only once every part of the
 * message is in the store; it never throws (store failures become ESME_RSYSERR / ESME_RMSGQFUL).
 */
export class MtPipeline {
  readonly #store: PipelineStore;
  readonly #accounts: Accounts;
  readonly #settings: PipelineSettings;
  readonly #log: GatewayLogger;
  readonly #clock: WallClock;
  readonly #nextId: () => string;
  readonly #isConnectorUp: (cid: string) => boolean;
  readonly #throttle: Throttle;
  readonly #routing: MtRoutingOptions;
  readonly #writes: CoalescedWrites;
  readonly #events: GatewayEventSink;
  readonly #bills = new Map<number, Map<number, Bill>>();
  #routes: MtRoute[] | undefined;
  #routesLoad: Promise<MtRoute[]> | undefined;
  #routesVersion: number | undefined;
  #routesCheckedAt = 0;
  #versionCheck = false;
  #inflight = 0;
  #idle: (() => void)[] = [];
  #accepted = 0;
  #refusals = new Map<number, number>();
  #closed = false;

  /** Creates the pipeline; routes are read from the store on first use and after invalidateRoutes(). */
  constructor(options: MtPipelineOptions) {
    this.#store = options.store;
    this.#accounts = options.accounts;
    this.#settings = { ...DEFAULT_PIPELINE_SETTINGS, ...options.settings };
    this.#log = options.logger;
    this.#clock = options.clock ?? Date;
    this.#nextId = options.idGenerator;
    this.#isConnectorUp = options.isConnectorUp ?? (() => true);
    this.#throttle = options.throttle ?? new Throttle();
    this.#writes = new CoalescedWrites(this.#store);
    this.#events = options.events ?? NO_EVENTS;
    this.#routing = { isConnectorUp: this.#isConnectorUp, nextIndex: new RoundRobin().nextIndex };
  }

  /** Submissions being processed right now. */
  get inflight(): number {
    return this.#inflight;
  }

  /** MT figures since start: `mt_accepted`, `mt_refused`, and `mt_refused_<STATUS>` per command_status. */
  counters(): Record<string, number> {
    const out: Record<string, number> = { mt_accepted: this.#accepted, mt_refused: 0 };
    for (const [status, n] of this.#refusals) {
      out.mt_refused += n;
      out[`mt_refused_${statusName(status)}`] = n;
    }
    return out;
  }

  /** Drops the cached MT routes: the next submit reads them from the store (the admin API calls it on change). */
  invalidateRoutes(): void {
    this.#routes = undefined;
    this.#routesLoad = undefined;
  }

  /**
   * Runs one message through the pipeline. `channel` picks the authorization (smpps_send / http_send) and the
   * throughput quota (smpps_throughput / http_throughput).
   */
  async submit(
    submitter: Submitter,
    request: MtSubmission,
    channel: Channel,
    meta: SubmitMeta = {},
  ): Promise<SubmitResult> {
    if (this.#closed) {
      return this.#rejected(submitter, request, meta, refuse('ESME_RSYSERR', 'the gateway is closing'), channel);
    }
    this.#inflight++;
    try {
      const result = await this.#run(submitter, request, channel, meta);
      if (result.ok) this.#accepted++;
      else this.#rejected(submitter, request, meta, result, channel);
      return result;
    } catch (error) {
      // Anything unexpected (a store that throws where it should not) is a system error, never a crash.
      const result = refuse('ESME_RSYSERR', `internal error: ${errorMessage(error)}`);
      this.#log.error('mt_internal_error', { session: meta.session, uid: submitter.id, error: errorMessage(error) });
      return this.#rejected(submitter, request, meta, result, channel);
    } finally {
      if (--this.#inflight === 0 && this.#idle.length > 0) {
        const waiters = this.#idle;
        this.#idle = [];
        for (const resolve of waiters) resolve();
      }
    }
  }

  /** Refuses new submissions and resolves once those in flight have finished (committed or refused). */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #run(submitter: Submitter, req: MtSubmission, channel: Channel, meta: SubmitMeta): Promise<SubmitResult> {
    const uid = submitter.id;
    // When the ESME gets its answer at the latest (a remote store): the writes below must land before it or not at all.
    const timeout = this.#store.callTimeoutMs;
    const deadline = timeout === undefined ? undefined : Date.now() + timeout;

    // 0. Bind state: the account may have been disabled or deleted since it bound.
    const account = this.#accounts.activeNow(uid) ?? (await this.#accounts.active(uid));
    if (!account.ok) return refuse('ESME_RINVBNDSTS', account.reason);
    const { user, group } = account;

    // 1. Request shape.
    const now = this.#clock.now();
    const facts = new MessageFacts(req, channel, uid, group.gid, now);
    const shapeRefusal = this.#shape(req, facts);
    if (shapeRefusal !== null) return shapeRefusal;

    // 2. Authorizations, value filters, defaults. checkMt reads `content` even when no content filter is set; the
    // text is then not decoded for it.
    facts.contentUnused = user.mt_messaging_cred.value_filters.content === null;
    const check = checkMt(user, facts);
    facts.contentUnused = false;
    if (!check.ok) return { ok: false, status: CommandStatus[check.status], reason: check.reason };
    // The returned request is a copy only when a default was applied; the routing context takes its source.
    facts.source_addr = check.request.source_addr;

    // 3. Throughput, per user across all its binds of this channel.
    const quotas = user.mt_messaging_cred.quotas;
    const rate = channel === 'smpps' ? quotas.smpps_throughput : quotas.http_throughput;
    if (
      rate !== null &&
      meta.continuation !== true &&
      !this.#throttle.take(channel === 'smpps' ? `smpps:${uid}` : `http:${uid}`, 1, rate, now)
    ) {
      return refuse('ESME_RTHROTTLED', `${user.username} is over its ${channel}_throughput of ${rate}/s`);
    }

    // 4. Routing.
    if (Math.abs(now - this.#routesCheckedAt) >= ROUTES_POLL_MS) this.#pollRoutesVersion(now);
    const routes = this.#routes ?? (await this.#loadRoutes());
    const choice = routeMt(routes, facts, this.#routing);
    if (choice === null) return refuse('ESME_RINVDSTADR', `no MT route for ${req.destination_addr}`);

    // 5. Billing.
    let bill: Bill | null = null;
    let charged: ChargeAmounts | null = null;
    if (this.#settings.billing_feature) {
      try {
        bill = this.#bill(choice.rate, facts.parts, quotas.early_percent);
      } catch (error) {
        return refuse('ESME_RSYSERR', `cannot bill route ${choice.route.order}: ${errorMessage(error)}`);
      }
      if ((quotas.balance !== null && bill.total > 0) || quotas.sms_count !== null) {
        // The balance must cover the whole price even when only the early share is taken now (Jasmin's rule,
        // billing.ts): the store's atomic charge takes the whole price, and the rest is credited straight back.
        const whole = quotas.balance !== null && bill.rest > 0;
        const amounts = { amount: fromMicros(whole ? bill.total : bill.now), smsCount: bill.smsCount };
        let outcome: ChargeResult;
        try {
          outcome = await this.#writes.charge(uid, amounts, deadline);
        } catch (error) {
          // Nothing was taken: a charge that would land after the deadline is refused by the store.
          this.#log.error('mt_store_error', { session: meta.session, uid, error: errorMessage(error) });
          return refuse(isStoreFull(error) ? 'ESME_RMSGQFUL' : 'ESME_RSYSERR', `cannot charge: ${errorMessage(error)}`);
        }
        if (!outcome.ok) return refuse('ESME_RSYSERR', `${user.username} cannot pay: short of ${outcome.reason}`);
        charged = amounts;
        if (whole) charged = await this.#giveBackRest(uid, bill, amounts, meta, deadline);
      }
    }

    // 6. Durable enqueue: one record per part, each with its own message_id.
    let record: MessageRecord;
    try {
      record = {
        id: this.#nextId(),
        uid,
        cid: choice.cid,
        route_order: choice.route.order,
        source_addr_ton: req.source_addr_ton,
        source_addr_npi: req.source_addr_npi,
        source_addr: facts.source_addr,
        dest_addr_ton: req.dest_addr_ton,
        dest_addr_npi: req.dest_addr_npi,
        destination_addr: req.destination_addr,
        service_type: req.service_type,
        esm_class: req.esm_class,
        protocol_id: req.protocol_id,
        priority_flag: req.priority_flag,
        registered_delivery: req.registered_delivery,
        data_coding: req.data_coding,
        short_message: req.short_message,
        tlvs: encodeTlvs(req.tlvs),
        part: facts.part,
        schedule_at: facts.scheduleAt,
        expires_at: facts.expiresAt,
        rate: bill === null ? 0 : fromMicros(bill.total),
        charged: charged === null ? 0 : charged.amount,
        status: 'queued',
        state: MessageState.ENROUTE,
        upstream_id: null,
        error_code: 0,
        attempts: 0,
        submitted_at: now,
        updated_at: now,
        final_at: null,
        tags: req.tags === undefined ? [] : [...req.tags],
      };
      if (req.dlr !== undefined && req.dlr !== null) record.dlr = req.dlr;
      await this.#writes.accept(record, deadline);
    } catch (error) {
      // The refund is kept whenever it lands; the answer waits for it only until the deadline.
      if (charged !== null) await untilDeadline(this.#refund(uid, charged, meta), deadline);
      const full = isStoreFull(error);
      this.#log.error('mt_store_error', { session: meta.session, uid, error: errorMessage(error) });
      return refuse(full ? 'ESME_RMSGQFUL' : 'ESME_RSYSERR', `store refused the message: ${errorMessage(error)}`);
    }

    if (this.#events.active) {
      this.#events.emit({
        type: 'accepted',
        at: now,
        uid,
        ids: [record.id],
        cid: record.cid,
        route: record.route_order,
        parts: facts.parts,
        channel,
      });
    }
    if (this.#log.enabled?.('INFO') === false) return { ok: true, status: 0, message_ids: [record.id] };
    const privacy = this.#settings.log_privacy;
    this.#log.info('mt_accepted', {
      session: meta.session,
      system_id: user.username,
      message_id: record.id,
      cid: record.cid,
      route: record.route_order,
      parts: facts.parts,
      source_addr: record.source_addr,
      destination_addr: record.destination_addr,
      data_coding: record.data_coding,
      rate: record.rate,
      charged: record.charged,
      // Decoded only if the logger writes the line (a getter: a disabled level costs nothing).
      get content() {
        return privacy ? `** ${facts.text.length} octets **` : facts.content;
      },
    });
    return { ok: true, status: 0, message_ids: [record.id] };
  }

  /** A bill for `parts` at `rate` with `earlyPercent`; single-part bills are remembered (they are most of them). */
  #bill(rate: number, parts: number, earlyPercent: number | null): Bill {
    if (parts !== 1) return billMessage(rate, parts, earlyPercent);
    const key = earlyPercent ?? -1;
    let byPercent = this.#bills.get(rate);
    if (byPercent === undefined) {
      if (this.#bills.size >= 1024) this.#bills.clear();
      byPercent = new Map();
      this.#bills.set(rate, byPercent);
    }
    let bill = byPercent.get(key);
    if (bill === undefined) {
      bill = billMessage(rate, 1, earlyPercent);
      byPercent.set(key, bill);
    }
    return bill;
  }

  /** Step 1: the shape of the message and its times, written into `facts`; the refusal, or null. */
  #shape(req: MtSubmission, facts: MessageFacts): Refusal | null {
    const tlvs = req.tlvs;
    const payload = tlvs?.message_payload;
    if (payload !== undefined) {
      // SMPP 3.4 §5.3.2.32 / §4.4.1: short_message and message_payload must not both carry the message.
      if (req.short_message.length > 0) {
        return refuse('ESME_RINVMSGLEN', 'short_message and message_payload are both set (SMPP 3.4 §5.3.2.32)');
      }
      facts.text = payload;
      facts.message_payload_length = payload.length;
    }
    if ((req.esm_class & ESM_CLASS_UDHI) !== 0) {
      try {
        const udh = parseUdh(facts.text);
        facts.text = udh.payload;
        const c = udh.concat;
        if (c !== undefined) facts.part = { ref: c.ref, total: c.total, seq: c.seq };
      } catch (error) {
        if (!(error instanceof UdhError)) throw error;
        return refuse('ESME_RINVESMCLASS', `UDHI is set but the user data header is bad: ${error.message}`);
      }
    }
    if (tlvs !== undefined) {
      // SMPP 3.4 §5.3.2.22–24: the three SAR parameters go together.
      const ref = tlvs.sar_msg_ref_num;
      const total = tlvs.sar_total_segments;
      const seq = tlvs.sar_segment_seqnum;
      const sarCount = (ref === undefined ? 0 : 1) + (total === undefined ? 0 : 1) + (seq === undefined ? 0 : 1);
      if (sarCount > 0 && sarCount < 3) {
        return refuse(
          'ESME_RMISSINGOPTPARAM',
          'sar_msg_ref_num, sar_total_segments and sar_segment_seqnum go together',
        );
      }
      if (ref !== undefined && total !== undefined && seq !== undefined) {
        if (total < 1 || seq < 1 || seq > total) {
          return refuse('ESME_RINVOPTPARAMVAL', `SAR segment ${seq} of ${total} is impossible`);
        }
        facts.sar = true;
        // A UDH's concatenation element describes what goes on the air; SAR only when there is none.
        facts.part ??= { ref, total, seq };
      }
      if (payload !== undefined && facts.part === null) {
        facts.parts = payloadParts(facts.text, req.data_coding);
        if (facts.parts > MAX_PARTS) {
          return refuse('ESME_RINVMSGLEN', `message_payload takes ${facts.parts} parts, more than ${MAX_PARTS}`);
        }
      }
    }

    // Times (SMPP 3.4 §7.1.1): relative ones count from now. A schedule in the past means now.
    const now = facts.now;
    let scheduleAt: number | null = null;
    let validityEnd: number | null = null;
    if (req.schedule_delivery_time !== '' || req.validity_period !== '') {
      try {
        const nowDate = new Date(now);
        const schedule = parseSmppTime(req.schedule_delivery_time, nowDate, 'schedule_delivery_time');
        if (schedule !== null && schedule.date.getTime() > now) scheduleAt = schedule.date.getTime();
        const validity = parseSmppTime(req.validity_period, nowDate, 'validity_period');
        if (validity !== null) validityEnd = validity.date.getTime();
      } catch (error) {
        if (!(error instanceof SmppStatusError)) throw error;
        return { ok: false, status: error.commandStatus, reason: error.message };
      }
    }
    const start = scheduleAt ?? now;
    if (validityEnd !== null && validityEnd <= start) {
      return refuse(
        'ESME_RINVEXPIRY',
        scheduleAt === null ? 'the validity period has already ended' : 'the validity period ends before the schedule',
      );
    }
    const maxEnd = start + this.#settings.max_validity_secs * 1000;
    facts.scheduleAt = scheduleAt;
    facts.expiresAt = validityEnd === null ? maxEnd : Math.min(validityEnd, maxEnd);
    return null;
  }

  #loadRoutes(): Promise<MtRoute[]> {
    if (this.#routesLoad !== undefined) return this.#routesLoad;
    // The version is read before the table: a change between the two reads is seen by the next poll.
    const load: Promise<MtRoute[]> = Promise.all([this.#store.routesVersion(), this.#store.listMtRoutes()]).then(
      ([version, routes]) => {
        const sorted = [...routes].sort((a, b) => b.order - a.order);
        if (this.#routesLoad === load) {
          this.#routes = sorted;
          this.#routesVersion = version;
          this.#routesLoad = undefined;
        }
        return sorted;
      },
      (error: unknown) => {
        if (this.#routesLoad === load) this.#routesLoad = undefined;
        throw error;
      },
    );
    this.#routesLoad = load;
    return load;
  }

  /**
   * Asks the store, at most once per ROUTES_POLL_MS, whether the routes changed (another node, or a write that did
   * not come through this gateway's admin API); the next submit then reads them again. Never blocks a submit.
   */
  #pollRoutesVersion(now: number): void {
    this.#routesCheckedAt = now;
    if (this.#versionCheck || this.#routes === undefined) return;
    this.#versionCheck = true;
    this.#store.routesVersion().then(
      (version) => {
        this.#versionCheck = false;
        if (this.#routesVersion !== undefined && version !== this.#routesVersion) this.invalidateRoutes();
      },
      (error: unknown) => {
        this.#versionCheck = false;
        this.#log.warn('routes_version_failed', { error: errorMessage(error) });
      },
    );
  }

  /**
   * Credits back the share of a whole-price charge that is due only at upstream acceptance. When that credit fails,
   * the whole price stays charged and the record says so (charged = rate), so the connector charges nothing more.
   */
  async #giveBackRest(
    uid: string,
    bill: Bill,
    whole: ChargeAmounts,
    meta: SubmitMeta,
    deadline: number | undefined,
  ): Promise<ChargeAmounts> {
    try {
      // With the deadline: a credit refused as late was not made, so "the whole price stays charged" is true.
      await this.#writes.credit(uid, { amount: fromMicros(bill.rest), smsCount: 0 }, deadline);
      return { amount: fromMicros(bill.now), smsCount: whole.smsCount };
    } catch (error) {
      this.#log.warn('mt_early_split_failed', { session: meta.session, uid, error: errorMessage(error) });
      return whole;
    }
  }

  async #refund(uid: string, amounts: ChargeAmounts, meta: SubmitMeta): Promise<void> {
    try {
      await this.#writes.credit(uid, amounts);
      this.#log.info('mt_refunded', {
        session: meta.session,
        uid,
        amount: amounts.amount,
        sms_count: amounts.smsCount,
      });
    } catch (error) {
      // Nothing more can be done here: the line carries what an operator needs to credit the user by hand.
      this.#log.error('mt_refund_failed', {
        session: meta.session,
        uid,
        amount: amounts.amount,
        sms_count: amounts.smsCount,
        error: errorMessage(error),
      });
    }
  }

  #rejected(submitter: Submitter, req: MtSubmission, meta: SubmitMeta, result: Refusal, channel: Channel): Refusal {
    this.#refusals.set(result.status, (this.#refusals.get(result.status) ?? 0) + 1);
    if (this.#events.active) {
      const at = this.#clock.now();
      this.#events.emit(
        result.status === CommandStatus.ESME_RTHROTTLED
          ? { type: 'throttled', at, uid: submitter.id, channel }
          : { type: 'refused', at, uid: submitter.id, status: result.status, reason: result.reason, channel },
      );
    }
    this.#log.info('mt_rejected', {
      session: meta.session,
      system_id: submitter.username,
      uid: submitter.id,
      status: statusName(result.status),
      reason: result.reason,
      source_addr: req.source_addr,
      destination_addr: req.destination_addr,
    });
    return result;
  }
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

interface PendingCharge extends Waiter<ChargeResult> {
  amounts: ChargeAmounts;
  deadline: number | undefined;
}

interface PendingCredit extends Waiter<void> {
  uid: string;
  amounts: ChargeAmounts;
  deadline: number | undefined;
}

/** The earliest deadline of a batch (undefined when none has one): a batch lands whole or not at all. */
function earliest(list: readonly { deadline: number | undefined }[]): number | undefined {
  let min: number | undefined;
  for (const { deadline } of list) if (deadline !== undefined && (min === undefined || deadline < min)) min = deadline;
  return min;
}

/** Waits for `work` until `deadline` at most (the work goes on); at once settled when there is no deadline. */
function untilDeadline(work: Promise<void>, deadline: number | undefined): Promise<void> {
  if (deadline === undefined) return work;
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
    void work.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The pipeline's store writes, coalesced per macrotask: the submits read from one socket chunk reach their charge
 * (and later their enqueue) in the same synchronous run, so they share ONE store call instead of one each — the
 * store already shares the transaction, this also shares its per-call work (a savepoint, the quota read).
 * - charges of one user are summed into one atomic charge; when the sum is refused, each is tried on its own (in
 *   order, in one store batch), so the outcome per message is exactly what separate charges would give;
 * - credits of one user are summed (a failure fails each of them), those with a deadline apart from those without;
 * - records are enqueued with one acceptMessages (a failure fails each of them, and each is refunded).
 * A batch carries its members' earliest deadline.
 */
class CoalescedWrites {
  readonly #store: PipelineStore;
  #charges = new Map<string, PendingCharge[]>();
  // Keyed by uid, then a mark whether the credits carry a deadline (a refund without one must not be refused late).
  #credits = new Map<string, PendingCredit[]>();
  #records: MessageRecord[] = [];
  #accepts: (Waiter<void> & { deadline: number | undefined })[] = [];
  #scheduled = false;
  readonly #flush = (): void => this.#run();

  constructor(store: PipelineStore) {
    this.#store = store;
  }

  charge(uid: string, amounts: ChargeAmounts, deadline?: number): Promise<ChargeResult> {
    return new Promise((resolve, reject) => {
      const list = this.#charges.get(uid);
      if (list === undefined) this.#charges.set(uid, [{ amounts, deadline, resolve, reject }]);
      else list.push({ amounts, deadline, resolve, reject });
      this.#schedule();
    });
  }

  credit(uid: string, amounts: ChargeAmounts, deadline?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const key = deadline === undefined ? `${uid}\n` : `${uid}\nd`;
      const list = this.#credits.get(key);
      if (list === undefined) this.#credits.set(key, [{ uid, amounts, deadline, resolve, reject }]);
      else list.push({ uid, amounts, deadline, resolve, reject });
      this.#schedule();
    });
  }

  accept(record: MessageRecord, deadline?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#records.push(record);
      this.#accepts.push({ deadline, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#flush);
  }

  #run(): void {
    this.#scheduled = false;
    const charges = this.#charges;
    const credits = this.#credits;
    const records = this.#records;
    const accepts = this.#accepts;
    this.#charges = new Map();
    this.#credits = new Map();
    this.#records = [];
    this.#accepts = [];
    for (const [uid, list] of charges) this.#chargeAll(uid, list);
    for (const list of credits.values()) {
      const uid = list[0].uid;
      if (list.length === 1) {
        this.#store.credit(uid, list[0].amounts, list[0].deadline).then(list[0].resolve, list[0].reject);
        continue;
      }
      this.#store.credit(uid, sum(list), earliest(list)).then(
        () => {
          for (const c of list) c.resolve();
        },
        (error: unknown) => {
          for (const c of list) c.reject(error);
        },
      );
    }
    if (records.length > 0) {
      this.#store.acceptMessages(records, earliest(accepts)).then(
        () => {
          for (const a of accepts) a.resolve();
        },
        (error: unknown) => {
          for (const a of accepts) a.reject(error);
        },
      );
    }
  }

  #chargeAll(uid: string, list: PendingCharge[]): void {
    const one = (c: PendingCharge) => this.#store.charge(uid, c.amounts, c.deadline).then(c.resolve, c.reject);
    if (list.length === 1) {
      one(list[0]);
      return;
    }
    this.#store.charge(uid, sum(list), earliest(list)).then(
      (result) => {
        if (result.ok) for (const c of list) c.resolve(result);
        else for (const c of list) one(c);
      },
      (error: unknown) => {
        for (const c of list) c.reject(error);
      },
    );
  }
}

/** The exact sum (in micro-units) of several amounts. */
function sum(list: readonly { amounts: ChargeAmounts }[]): ChargeAmounts {
  let micros = 0;
  let smsCount = 0;
  for (const { amounts } of list) {
    micros += toMicros(amounts.amount);
    smsCount += amounts.smsCount;
  }
  return { amount: fromMicros(micros), smsCount };
}
