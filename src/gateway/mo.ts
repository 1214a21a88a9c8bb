// MO routing (SPEC.md §5; issue #5): an inbound SMS that an upstream SMSC delivered to us (a deliver_sm or data_sm
// that is not a receipt) goes through the MO routes to an SMPP user of our server (`smpps(username)`: queued as a
// delivery for store-and-forward) or to an HTTP connector (`http(cid)`: handed to the HTTP MO side, which reassembles
// long messages and posts them with Jasmin's fields). `MoRouter.route` is the ReceiptEngine's `onMo`: it resolves only
// once the MO is durably kept, so the SMSC is answered ESME_ROK only then.
//
// An MO that cannot be routed (no route matches, the route names a user or an HTTP connector that does not exist) is
// refused with MoRejectedError, an SmppStatusError carrying ESME_RX_R_APPN (the SMSC should not retry it), after a
// warn line naming why. A store failure is thrown as it is: the SMSC is answered ESME_RX_T_APPN and tries again.
// docs/mo.md gives the rules.

import { randomUUID } from 'node:crypto';
import { CommandStatus, SmppStatusError } from '../smpp/codec/index.js';
import { ESM_CLASS_UDHI, parseUdh } from '../smpp/text/index.js';
import type { MoRoute, MoTarget } from '../store/model.js';
import type { Store } from '../store/store.js';
import { deliveryPayload } from './delivery.js';
import { type GatewayEventSink, NO_EVENTS } from './events.js';
import type { RoutingContext } from './filters.js';
import { contentText, type GatewayLogger, type WallClock } from './pipeline.js';
import type { DeliverSmFields } from './receipts.js';
import { RoundRobin, routeMo } from './routing.js';
import type { UpstreamDeliver } from './upstream.js';

/** The store methods the MO router uses. */
export type MoStore = Pick<
  Store,
  'listMoRoutes' | 'routesVersion' | 'getUserByUsername' | 'getConnector' | 'enqueueDeliveries'
>;

/** One MO as received, with our id for it: what the HTTP side gets. */
export interface RoutedMo {
  /** Our id for this PDU (Jasmin's `id` field); a long MO posted whole takes the id of its first part. */
  id: string;
  /** The connector it came from (Jasmin's `origin-connector`). */
  originCid: string;
  pdu: UpstreamDeliver;
  /** Epoch milliseconds. */
  receivedAt: number;
}

/** Where MO routed to `http(cid)` go: the HTTP MO side of src/connectors/http, injected by the composition root. */
export interface HttpMoHandoff {
  /** Keeps the MO (or this part of a long MO) durably for HTTP connector `cid`; resolves once kept. */
  keep(cid: string, mo: RoutedMo): Promise<void>;
}

/** Why an MO was refused. */
export type MoRejection = 'no_route' | 'unknown_user' | 'unknown_connector' | 'not_http_connector';

/** An MO that cannot be routed: answered ESME_RX_R_APPN (SMPP 3.4 §5.1.3), so the SMSC does not retry it. */
export class MoRejectedError extends SmppStatusError {
  override name = 'MoRejectedError';
  /** Why it was refused. */
  readonly reason: MoRejection;

  /** Names the reason and what was missing. */
  constructor(reason: MoRejection, detail: string) {
    super(CommandStatus.ESME_RX_R_APPN, { detail: `${reason}: ${detail}` });
    this.reason = reason;
  }
}

/** Options of an MoRouter. */
export interface MoRouterOptions {
  store: MoStore;
  logger: GatewayLogger;
  /** Wall clock, epoch milliseconds; default Date. */
  clock?: WallClock;
  /** `[smpp-server] dlr_expiry`: seconds an MO waits for a receiver of its user before it is dropped. */
  dlrExpirySecs: number;
  /** Told after an MO was queued for a user (the delivery engine's `notify`). */
  onQueued: (uid: string) => void;
  /** HTTP connectors that are up, for failover and round-robin MO routes; default: all. */
  isConnectorUp?: (cid: string) => boolean;
  /** Users with a receiver or transceiver bound, for failover and round-robin MO routes; default: all. */
  hasReceiver?: (username: string) => boolean;
  /** The HTTP MO side; absent: an MO routed to `http(cid)` is answered ESME_RX_T_APPN (kept by the SMSC). */
  http?: HttpMoHandoff;
  /** Our id for each MO; default random UUIDs. */
  idGenerator?: () => string;
  /** How long the parts of one long MO keep following the target its first part took. Default 10 minutes. */
  stickyMs?: number;
  /** How often the routes' version is checked (routes are cached between). Default 1000 ms. */
  routesPollMs?: number;
  /** Told of every MO routed or refused (metrics, dashboard); default nobody. */
  events?: GatewayEventSink;
}

/** Where a part sits in a long MO: from the UDH (8- or 16-bit reference) or the SAR TLVs. */
export interface MoConcat {
  /** `udh8`, `udh16` or `sar`: references of different kinds never mix. */
  kind: 'udh8' | 'udh16' | 'sar';
  ref: number;
  total: number;
  seq: number;
}

/** The user data of an MO: the text octets (UDH removed) and, for a part of a long MO, where it sits. */
export interface MoUserData {
  /** short_message, else message_payload, without its UDH. */
  payload: Buffer;
  /** The UDH octets as received (UDHL included), or null. */
  udh: Buffer | null;
  /** Set only for a part of a message of two parts or more. */
  concat: MoConcat | null;
}

/** SMPP 3.4 §5.2.12 esm_class message type bits. */
const ESM_TYPE_MASK = 0x3c;
/** SMPP 3.4 §5.2.12 message types that mark receipts: SMSC delivery receipt, intermediate notification. */
const RECEIPT_TYPES: ReadonlySet<number> = new Set([0x04, 0x20]);

const EMPTY = Buffer.alloc(0);

/** The user data of an MO: short_message (or message_payload when it is empty), its UDH, its part information. */
export function moUserData(pdu: UpstreamDeliver): MoUserData {
  const sm = pdu.command === 'deliver_sm' ? pdu.short_message : EMPTY;
  const bytes = sm.length > 0 ? sm : (pdu.tlvs?.message_payload ?? EMPTY);
  let payload = bytes;
  let udh: Buffer | null = null;
  let concat: MoConcat | null = null;
  if ((pdu.esm_class & ESM_CLASS_UDHI) !== 0 && bytes.length > 0) {
    try {
      const parsed = parseUdh(bytes);
      udh = bytes.subarray(0, parsed.headerLength);
      payload = parsed.payload;
      const c = parsed.concat;
      if (c !== undefined && c.total > 1) {
        concat = { kind: c.refBits === 16 ? 'udh16' : 'udh8', ref: c.ref, total: c.total, seq: c.seq };
      }
    } catch {
      // A header we cannot read: the octets are passed on as they came, as one message.
    }
  }
  const t = pdu.tlvs;
  if (concat === null && t !== undefined) {
    // SMPP 3.4 §5.3.2.22–24: sar_msg_ref_num, sar_total_segments, sar_segment_seqnum.
    const { sar_msg_ref_num: ref, sar_total_segments: total, sar_segment_seqnum: seq } = t;
    if (ref !== undefined && total !== undefined && seq !== undefined && total > 1 && seq >= 1 && seq <= total) {
      concat = { kind: 'sar', ref, total, seq };
    }
  }
  return { payload, udh, concat };
}

/** Identifies the long message a part belongs to, per origin connector: addresses, reference kind and number, total. */
export function moConcatKey(originCid: string, pdu: UpstreamDeliver, concat: MoConcat): string {
  return [originCid, pdu.source_addr, pdu.destination_addr, `${concat.kind}:${concat.ref}:${concat.total}`].join('\0');
}

/**
 * The deliver_sm an ESME gets for an MO: the fields as the SMSC sent them, UDH and data_coding untouched, every TLV
 * kept (network_error_code, SAR, message_payload, ports, vendor tags). A data_sm becomes a deliver_sm with an empty
 * short_message and its message_payload. esm_class never carries a receipt type (those took the receipt path).
 */
export function moDeliverSm(pdu: UpstreamDeliver): DeliverSmFields {
  let esmClass = pdu.esm_class;
  if (RECEIPT_TYPES.has(esmClass & ESM_TYPE_MASK)) esmClass &= ~ESM_TYPE_MASK;
  const tlvs = pdu.tlvs === undefined ? undefined : { ...pdu.tlvs };
  if (pdu.command === 'deliver_sm') {
    const { command: _c, command_status: _s, sequence_number: _n, tlvs: _t, ...fields } = pdu;
    return { ...fields, esm_class: esmClass, ...(tlvs !== undefined ? { tlvs } : {}) };
  }
  return {
    service_type: pdu.service_type,
    source_addr_ton: pdu.source_addr_ton,
    source_addr_npi: pdu.source_addr_npi,
    source_addr: pdu.source_addr,
    dest_addr_ton: pdu.dest_addr_ton,
    dest_addr_npi: pdu.dest_addr_npi,
    destination_addr: pdu.destination_addr,
    esm_class: esmClass,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: pdu.registered_delivery,
    replace_if_present_flag: 0,
    data_coding: pdu.data_coding,
    sm_default_msg_id: 0,
    short_message: EMPTY,
    ...(tlvs !== undefined ? { tlvs } : {}),
  };
}

/** A target as a route names it: `smpps(username)` or `http(cid)`. */
export function moTargetName(target: MoTarget): string {
  return target.kind === 'smpps' ? `smpps(${target.username})` : `http(${target.cid})`;
}

interface Sticky {
  target: MoTarget;
  at: number;
}

/** Most long-MO keys remembered for sticky routing. */
const STICKY_MAX = 10_000;

/** Routes MO to SMPP users and HTTP connectors (see the file comment). */
export class MoRouter {
  readonly #store: MoStore;
  readonly #log: GatewayLogger;
  readonly #clock: WallClock;
  readonly #expiryMs: number;
  readonly #onQueued: (uid: string) => void;
  readonly #isConnectorUp: (cid: string) => boolean;
  readonly #hasReceiver: (username: string) => boolean;
  readonly #http: HttpMoHandoff | undefined;
  readonly #events: GatewayEventSink;
  readonly #newId: () => string;
  readonly #stickyMs: number;
  readonly #pollMs: number;
  readonly #rr = new RoundRobin();
  /** Target taken by each long MO's first part, so its other parts follow it (round-robin would scatter them). */
  readonly #sticky = new Map<string, Sticky>();
  #routes: MoRoute[] | null = null;
  #version = -1;
  #checkedAt = Number.NEGATIVE_INFINITY;

  /** A router over `options.store`. */
  constructor(options: MoRouterOptions) {
    this.#store = options.store;
    this.#log = options.logger;
    this.#clock = options.clock ?? { now: Date.now };
    this.#expiryMs = Math.max(1, options.dlrExpirySecs) * 1000;
    this.#onQueued = options.onQueued;
    this.#isConnectorUp = options.isConnectorUp ?? (() => true);
    this.#hasReceiver = options.hasReceiver ?? (() => true);
    this.#http = options.http;
    this.#events = options.events ?? NO_EVENTS;
    this.#newId = options.idGenerator ?? randomUUID;
    this.#stickyMs = Math.max(0, options.stickyMs ?? 600_000);
    this.#pollMs = Math.max(0, options.routesPollMs ?? 1000);
  }

  /** MO routes changed: the next MO reads them again. */
  routesChanged(): void {
    this.#routes = null;
  }

  /**
   * Routes one MO from connector `cid` and keeps it; resolves once it is durable. MoRejectedError when it cannot be
   * routed (answer ESME_RX_R_APPN); any other error means nothing was kept (answer ESME_RX_T_APPN).
   */
  async route(cid: string, pdu: UpstreamDeliver): Promise<void> {
    const now = this.#clock.now();
    const id = this.#newId();
    const data = moUserData(pdu);
    const ctx: RoutingContext = {
      cid,
      source_addr: pdu.source_addr,
      destination_addr: pdu.destination_addr,
      content: contentText(data.payload, pdu.data_coding),
      tags: [],
      now,
    };
    const fields = {
      mo_id: id,
      cid,
      source_addr: pdu.source_addr,
      destination_addr: pdu.destination_addr,
      ...(data.concat !== null ? { part: `${data.concat.seq}/${data.concat.total}`, ref: data.concat.ref } : {}),
    };
    const key = data.concat === null ? null : moConcatKey(cid, pdu, data.concat);
    let target = key === null ? undefined : this.#stuck(key, now);
    let order: number | null = null;
    if (target === undefined) {
      const choice = routeMo(await this.#currentRoutes(now), ctx, {
        isTargetUp: (t) => (t.kind === 'smpps' ? this.#hasReceiver(t.username) : this.#isConnectorUp(t.cid)),
        nextIndex: this.#rr.nextIndex,
      });
      if (choice === null) this.#reject('no_route', 'no MO route matches', fields);
      target = choice.target;
      order = choice.route.order;
    }
    if (target.kind === 'smpps') {
      const user = await this.#store.getUserByUsername(target.username);
      if (user === null) this.#reject('unknown_user', `the route names user ${target.username}`, fields);
      await this.#store.enqueueDeliveries([
        {
          uid: user.uid,
          kind: 'mo',
          payload: deliveryPayload(moDeliverSm(pdu)),
          created_at: now,
          expires_at: now + this.#expiryMs,
        },
      ]);
      if (key !== null) this.#stick(key, target, now);
      this.#log.info('mo_routed', { ...fields, route: order, to: moTargetName(target), uid: user.uid });
      this.#emit(cid, now, order, target);
      this.#onQueued(user.uid);
      return;
    }
    const connector = await this.#store.getConnector(target.cid);
    if (connector === null) this.#reject('unknown_connector', `the route names connector ${target.cid}`, fields);
    if (connector.type !== 'http') {
      this.#reject('not_http_connector', `connector ${target.cid} is of type ${connector.type}`, fields);
    }
    if (this.#http === undefined) throw new Error('MO to an HTTP connector: no HTTP MO side is wired in');
    await this.#http.keep(target.cid, { id, originCid: cid, pdu, receivedAt: now });
    if (key !== null) this.#stick(key, target, now);
    this.#log.info('mo_routed', { ...fields, route: order, to: moTargetName(target) });
    this.#emit(cid, now, order, target);
  }

  #emit(cid: string, at: number, route: number | null, target: MoTarget | null): void {
    if (this.#events.active) {
      this.#events.emit({ type: 'mo', at, cid, route, target: target === null ? null : moTargetName(target) });
    }
  }

  #reject(reason: MoRejection, detail: string, fields: Record<string, unknown>): never {
    this.#log.warn('mo_rejected', { ...fields, reason, detail, status: 'ESME_RX_R_APPN' });
    if (this.#events.active) {
      const cid = typeof fields.cid === 'string' ? fields.cid : '';
      this.#events.emit({ type: 'mo', at: this.#clock.now(), cid, route: null, target: null });
    }
    throw new MoRejectedError(reason, detail);
  }

  async #currentRoutes(now: number): Promise<MoRoute[]> {
    if (this.#routes !== null && now - this.#checkedAt < this.#pollMs) return this.#routes;
    const version = await this.#store.routesVersion();
    if (this.#routes === null || version !== this.#version) {
      this.#routes = await this.#store.listMoRoutes();
      this.#version = version;
    }
    this.#checkedAt = now;
    return this.#routes;
  }

  #stuck(key: string, now: number): MoTarget | undefined {
    const s = this.#sticky.get(key);
    if (s === undefined) return undefined;
    if (now - s.at > this.#stickyMs) {
      this.#sticky.delete(key);
      return undefined;
    }
    return s.target;
  }

  #stick(key: string, target: MoTarget, now: number): void {
    if (this.#stickyMs === 0) return;
    this.#sticky.delete(key);
    this.#sticky.set(key, { target, at: now });
    // Oldest first (re-set on use): drop what has aged out, and the oldest beyond the cap.
    for (const [k, s] of this.#sticky) {
      if (this.#sticky.size <= STICKY_MAX && now - s.at <= this.#stickyMs) break;
      this.#sticky.delete(k);
    }
  }
}
