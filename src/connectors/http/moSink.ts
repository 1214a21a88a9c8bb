// The HTTP side of MO routing (issue #5): MoRouter hands it every MO routed to `http(cid)`. A whole MO becomes one
// outbox call at once; a part of a long MO (UDH 8- or 16-bit reference, or SAR TLVs) is kept durably under the
// pseudo-uid `http-parts:<cid>` until every part of its message has arrived, in any order, and the joined message then
// replaces the parts as one call, in one store write. A message still incomplete `reassembly_timeout_secs` after its
// first part is posted with what arrived, and a warn line names the missing parts. Calls are queued under
// `http:<cid>` (HttpOutbox's format) and posted by the running connector (connector.ts) with Jasmin's MO fields.
//
// One writer per connector: parts of one origin connector's messages are handled one at a time in this process
// (an upstream bind is held by one node), so a message is completed once.

import { type HttpMoHandoff, moConcatKey, moUserData, type RoutedMo } from '../../gateway/mo.js';
import type { UpstreamDeliver } from '../../gateway/upstream.js';
import { parseSmppTime } from '../../smpp/codec/index.js';
import { decodeText } from '../../smpp/text/index.js';
import type { DeliveryRecord } from '../../store/model.js';
import type { Store } from '../../store/store.js';
import { type HttpCall, HttpOutbox, type OutboxLogger, type OutboxTimers } from './outbox.js';
import { type HttpConnectorSettings, parseHttpConnectorSettings } from './settings.js';

/** Pseudo-uid prefix of the calls of HTTP MO connectors: connector `c1` posts what waits under `http:c1`. */
export const HTTP_MO_PREFIX = 'http:';
/** Pseudo-uid prefix of the parts of long MO waiting for the rest of their message: `http-parts:c1`. */
export const HTTP_MO_PARTS_PREFIX = 'http-parts:';

/** The store methods the MO sink uses. */
export type MoSinkStore = Pick<
  Store,
  'getConnector' | 'enqueueDeliveries' | 'peekDeliveries' | 'ackDelivery' | 'retryDelivery' | 'usersWithDeliveries'
>;

/** Options of an HttpMoSink. */
export interface HttpMoSinkOptions {
  store: MoSinkStore;
  logger: OutboxLogger;
  /** Wall clock, epoch ms; default Date. */
  clock?: { now(): number };
  timers?: OutboxTimers;
  /** Told when calls were queued for HTTP connector `cid` (wire it to the running connector's notify). */
  onQueued?: (cid: string) => void;
  /** How often incomplete long MO are checked for their timeout. Default 5 s. */
  sweepMs?: number;
  /** Kept past the reassembly timeout on a part's record, so the delivery engine's expiry never races this sink. */
  graceMs?: number;
}

/** Most completed long MO remembered, so a part the SMSC sends again is not taken for a new message. */
const COMPLETED_MAX = 10_000;
/** Most parts read back for one connector at once. */
const MAX_PARTS = 10_000;
const FAR = Number.MAX_SAFE_INTEGER;

/** A stored part of a long MO (payload of an `http-parts:<cid>` record). */
interface StoredPart {
  key: string;
  total: number;
  seq: number;
  id: string;
  origin: string;
  receivedAt: number;
  sourceAddr: string;
  destinationAddr: string;
  dataCoding: number;
  priorityFlag: number;
  validityPeriod: string;
  payload: Buffer;
}

function partOf(d: DeliveryRecord): StoredPart | null {
  const p = d.payload;
  const ok =
    typeof p.key === 'string' &&
    typeof p.total === 'number' &&
    typeof p.seq === 'number' &&
    typeof p.id === 'string' &&
    typeof p.origin === 'string' &&
    typeof p.received_at === 'number' &&
    typeof p.source_addr === 'string' &&
    typeof p.destination_addr === 'string' &&
    typeof p.data_coding === 'number' &&
    typeof p.priority_flag === 'number' &&
    typeof p.validity_period === 'string' &&
    Buffer.isBuffer(p.user_data);
  if (!ok) return null;
  return {
    key: p.key as string,
    total: p.total as number,
    seq: p.seq as number,
    id: p.id as string,
    origin: p.origin as string,
    receivedAt: p.received_at as number,
    sourceAddr: p.source_addr as string,
    destinationAddr: p.destination_addr as string,
    dataCoding: p.data_coding as number,
    priorityFlag: p.priority_flag as number,
    validityPeriod: p.validity_period as string,
    payload: p.user_data as Buffer,
  };
}

/** What Jasmin's MO fields are made of. */
export interface MoFieldsInput {
  id: string;
  origin: string;
  sourceAddr: string;
  destinationAddr: string;
  dataCoding: number;
  priorityFlag: number;
  validityPeriod: string;
  /** The user data, UDH removed (a long MO's parts joined in order). */
  payload: Buffer;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** An SMPP time as Jasmin writes `validity` (`YYYY-MM-DD hh:mm:ss`, UTC); the string as it came if unreadable. */
function validityField(value: string, now: number): string {
  try {
    const t = parseSmppTime(value, new Date(now));
    if (t === null) return value;
    const d = t.date;
    return (
      `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
      `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
    );
  } catch {
    return value;
  }
}

/**
 * Jasmin's MO fields (its deliverSmHttpThrower's names): `id`, `from`, `to`, `origin-connector`, `priority`, `coding`,
 * `validity` (only when the SMSC set one), `content` (the text decoded by data_coding; the octets in hex when the
 * coding is binary or one we do not decode) and `binary` (the octets in hex, always).
 */
export function moFields(input: MoFieldsInput, now: number): Record<string, string> {
  const hex = input.payload.toString('hex');
  let content = hex;
  try {
    const text = decodeText(input.payload, input.dataCoding);
    if (typeof text === 'string') content = text;
  } catch {
    // Not text we can read (octets invalid in the alphabet, JIS, KS C 5601…): the hex stands for it.
  }
  const fields: Record<string, string> = {
    id: input.id,
    from: input.sourceAddr,
    to: input.destinationAddr,
    'origin-connector': input.origin,
    priority: String(input.priorityFlag),
    coding: String(input.dataCoding),
  };
  if (input.validityPeriod !== '') fields.validity = validityField(input.validityPeriod, now);
  fields.content = content;
  fields.binary = hex;
  return fields;
}

function priorityOf(pdu: UpstreamDeliver): number {
  return pdu.command === 'deliver_sm' ? pdu.priority_flag : 0;
}

function validityOf(pdu: UpstreamDeliver): string {
  return pdu.command === 'deliver_sm' ? pdu.validity_period : '';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Keeps MO routed to HTTP connectors, joining long ones (see the file comment). */
export class HttpMoSink implements HttpMoHandoff {
  readonly #store: MoSinkStore;
  readonly #log: OutboxLogger;
  readonly #clock: { now(): number };
  readonly #timers: NonNullable<HttpMoSinkOptions['timers']>;
  readonly #onQueued: (cid: string) => void;
  readonly #sweepMs: number;
  readonly #graceMs: number;
  /** Writes the calls only (never started): the connectors' own outboxes send them. */
  readonly #calls: HttpOutbox;
  /** Work on one connector's parts, one at a time. */
  readonly #chains = new Map<string, Promise<void>>();
  /** Parts' user data of recently completed long MO, by key, with when they completed (oldest first). */
  readonly #completed = new Map<string, { at: number; payloads: Buffer[] }>();
  /** Connectors with parts waiting (the first sweep adds what an earlier process left). */
  readonly #partCids = new Set<string>();
  #scanned = false;
  #sweepTimer: unknown;
  #running = false;
  #sweeping: Promise<void> | null = null;

  /** A sink over `options.store`; start() runs the reassembly timeout sweep. */
  constructor(options: HttpMoSinkOptions) {
    this.#store = options.store;
    this.#log = options.logger;
    this.#clock = options.clock ?? { now: Date.now };
    this.#timers = options.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
    this.#onQueued = options.onQueued ?? (() => {});
    this.#sweepMs = Math.max(1, options.sweepMs ?? 5000);
    this.#graceMs = Math.max(0, options.graceMs ?? 3_600_000);
    this.#calls = new HttpOutbox({
      store: this.#store,
      logger: this.#log,
      clock: this.#clock,
      prefix: HTTP_MO_PREFIX,
      graceMs: this.#graceMs,
    });
  }

  /** Starts the sweep that posts long MO whose parts stopped coming. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#sweepTimer = this.#timers.setTimeout(() => this.#tick(), this.#sweepMs);
  }

  /** Stops the sweep and waits for work in hand. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#timers.clearTimeout(this.#sweepTimer);
    await this.#sweeping;
    await Promise.allSettled([...this.#chains.values()]);
  }

  /** Keeps one MO for HTTP connector `cid`: queued as a call, or kept as a part until its message is whole. */
  async keep(cid: string, mo: RoutedMo): Promise<void> {
    const settings = await this.#settings(cid);
    const data = moUserData(mo.pdu);
    const pdu = mo.pdu;
    if (data.concat === null) {
      const fields = moFields(
        {
          id: mo.id,
          origin: mo.originCid,
          sourceAddr: pdu.source_addr,
          destinationAddr: pdu.destination_addr,
          dataCoding: pdu.data_coding,
          priorityFlag: priorityOf(pdu),
          validityPeriod: validityOf(pdu),
          payload: data.payload,
        },
        mo.receivedAt,
      );
      await this.#calls.enqueue(cid, this.#call(settings, fields), mo.receivedAt + settings.max_age_secs * 1000);
      this.#onQueued(cid);
      return;
    }
    const c = data.concat;
    const part = {
      key: moConcatKey(mo.originCid, pdu, c),
      total: c.total,
      seq: c.seq,
      id: mo.id,
      origin: mo.originCid,
      received_at: mo.receivedAt,
      source_addr: pdu.source_addr,
      destination_addr: pdu.destination_addr,
      data_coding: pdu.data_coding,
      priority_flag: priorityOf(pdu),
      validity_period: validityOf(pdu),
      user_data: data.payload,
    };
    this.#partCids.add(cid);
    await this.#serial(cid, async () => {
      if (this.#isRepeat(part.key, c.seq, data.payload, mo.receivedAt, settings)) {
        // SMPP: an SMSC that missed our deliver_sm_resp sends the part again; its message was already posted.
        this.#log.info('mo_part_repeated', { cid, mo_id: mo.id, part: `${c.seq}/${c.total}`, ref: c.ref });
        return;
      }
      await this.#store.enqueueDeliveries([
        {
          uid: HTTP_MO_PARTS_PREFIX + cid,
          kind: 'mo',
          payload: part,
          created_at: mo.receivedAt,
          expires_at: mo.receivedAt + settings.reassembly_timeout_secs * 1000 + this.#graceMs,
        },
      ]);
      this.#log.info('mo_part_kept', { cid, mo_id: mo.id, part: `${c.seq}/${c.total}`, ref: c.ref });
      await this.#complete(cid, settings, part.key);
    });
  }

  /** Reassembly timeouts now (the sweep calls it; tests may too). */
  async sweep(): Promise<void> {
    const now = this.#clock.now();
    if (!this.#scanned) {
      for (const uid of await this.#store.usersWithDeliveries(FAR)) {
        if (uid.startsWith(HTTP_MO_PARTS_PREFIX)) this.#partCids.add(uid.slice(HTTP_MO_PARTS_PREFIX.length));
      }
      this.#scanned = true;
    }
    for (const cid of [...this.#partCids]) {
      await this.#serial(cid, async () => {
        if (!(await this.#expire(cid, now))) this.#partCids.delete(cid);
      });
    }
  }

  #tick(): void {
    if (!this.#running) return;
    this.#sweeping = this.sweep()
      .catch((error) => this.#log.error('mo_reassembly_store_error', { error: errorMessage(error) }))
      .finally(() => {
        this.#sweeping = null;
        if (this.#running) this.#sweepTimer = this.#timers.setTimeout(() => this.#tick(), this.#sweepMs);
      });
  }

  async #settings(cid: string): Promise<HttpConnectorSettings> {
    const record = await this.#store.getConnector(cid);
    if (record === null || record.type !== 'http') throw new Error(`no HTTP connector ${cid}`);
    return parseHttpConnectorSettings(record.settings);
  }

  #call(settings: HttpConnectorSettings, fields: Record<string, string>): HttpCall {
    return { url: settings.url, method: settings.method, fields };
  }

  /** The connector's parts, grouped by message, duplicates (a part sent again) set apart. */
  async #parts(cid: string): Promise<{ groups: Map<string, DeliveryRecord[]>; extra: DeliveryRecord[] }> {
    const records = await this.#store.peekDeliveries(HTTP_MO_PARTS_PREFIX + cid, MAX_PARTS, FAR);
    const groups = new Map<string, DeliveryRecord[]>();
    const seen = new Set<string>();
    const extra: DeliveryRecord[] = [];
    for (const d of records) {
      const p = partOf(d);
      if (p === null) {
        this.#log.error('mo_part_unreadable', { cid, seq: d.seq, payload: d.payload });
        extra.push(d);
        continue;
      }
      const id = `${p.key}\0${p.seq}`;
      if (seen.has(id)) {
        extra.push(d);
        continue;
      }
      seen.add(id);
      let g = groups.get(p.key);
      if (g === undefined) {
        g = [];
        groups.set(p.key, g);
      }
      g.push(d);
    }
    return { groups, extra };
  }

  /** Posts the message of `key` when all its parts are kept; the parts go in the same store write as the call. */
  async #complete(cid: string, settings: HttpConnectorSettings, key: string): Promise<void> {
    const { groups, extra } = await this.#parts(cid);
    const writes: Promise<unknown>[] = [];
    const uid = HTTP_MO_PARTS_PREFIX + cid;
    for (const d of extra) writes.push(this.#store.ackDelivery(uid, d.seq));
    const group = groups.get(key);
    const parts = (group ?? []).map((d) => partOf(d) as StoredPart).sort((a, b) => a.seq - b.seq);
    let done = false;
    if (parts.length > 0 && parts.length === parts[0].total) {
      writes.push(this.#post(cid, settings, parts, []));
      for (const d of group ?? []) writes.push(this.#store.ackDelivery(uid, d.seq));
      done = true;
    }
    await Promise.all(writes);
    if (done) {
      this.#remember(key, parts);
      this.#onQueued(cid);
    }
  }

  /**
   * Posts what arrived of every message whose first part is older than the connector's reassembly timeout; true when
   * parts still wait.
   */
  async #expire(cid: string, now: number): Promise<boolean> {
    let settings: HttpConnectorSettings;
    try {
      settings = await this.#settings(cid);
    } catch (error) {
      // The connector was removed (or broken) while parts waited: kept for now; an operator sees why.
      this.#log.error('mo_parts_waiting', { cid, error: errorMessage(error) });
      return true;
    }
    const { groups, extra } = await this.#parts(cid);
    const uid = HTTP_MO_PARTS_PREFIX + cid;
    const writes: Promise<unknown>[] = [];
    for (const d of extra) writes.push(this.#store.ackDelivery(uid, d.seq));
    let posted = 0;
    for (const group of groups.values()) {
      const parts = group.map((d) => partOf(d) as StoredPart).sort((a, b) => a.seq - b.seq);
      const first = Math.min(...parts.map((p) => p.receivedAt));
      if (now - first < settings.reassembly_timeout_secs * 1000) continue;
      const have = new Set(parts.map((p) => p.seq));
      const missing: number[] = [];
      for (let s = 1; s <= parts[0].total; s++) if (!have.has(s)) missing.push(s);
      writes.push(this.#post(cid, settings, parts, missing));
      for (const d of group) writes.push(this.#store.ackDelivery(uid, d.seq));
      posted++;
    }
    await Promise.all(writes);
    if (posted > 0) this.#onQueued(cid);
    return groups.size > posted;
  }

  /** Queues the call for a message made of `parts` (ordered by seq). */
  #post(cid: string, settings: HttpConnectorSettings, parts: StoredPart[], missing: number[]): Promise<number> {
    const lead = parts[0];
    const first = Math.min(...parts.map((p) => p.receivedAt));
    const fields = moFields(
      {
        id: lead.id,
        origin: lead.origin,
        sourceAddr: lead.sourceAddr,
        destinationAddr: lead.destinationAddr,
        dataCoding: lead.dataCoding,
        priorityFlag: lead.priorityFlag,
        validityPeriod: lead.validityPeriod,
        payload: Buffer.concat(parts.map((p) => p.payload)),
      },
      first,
    );
    const info = { cid, mo_id: lead.id, parts: parts.length, total: lead.total };
    if (missing.length > 0) this.#log.warn('mo_incomplete_posted', { ...info, missing });
    else this.#log.info('mo_reassembled', info);
    return this.#calls.enqueue(cid, this.#call(settings, fields), first + settings.max_age_secs * 1000);
  }

  #isRepeat(key: string, seq: number, payload: Buffer, now: number, settings: HttpConnectorSettings): boolean {
    const done = this.#completed.get(key);
    if (done === undefined) return false;
    if (now - done.at > settings.reassembly_timeout_secs * 1000) {
      this.#completed.delete(key);
      return false;
    }
    return done.payloads[seq - 1]?.equals(payload) ?? false;
  }

  #remember(key: string, parts: StoredPart[]): void {
    this.#completed.delete(key);
    this.#completed.set(key, { at: this.#clock.now(), payloads: parts.map((p) => p.payload) });
    if (this.#completed.size > COMPLETED_MAX) {
      const oldest = this.#completed.keys().next().value;
      if (oldest !== undefined) this.#completed.delete(oldest);
    }
  }

  #serial(cid: string, fn: () => Promise<void>): Promise<void> {
    const previous = this.#chains.get(cid) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.then(
      () => {},
      () => {},
    );
    this.#chains.set(cid, tail);
    void tail.then(() => {
      if (this.#chains.get(cid) === tail) this.#chains.delete(cid);
    });
    return run;
  }
}
