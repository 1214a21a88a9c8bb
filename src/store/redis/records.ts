// How the Redis store lays out its records and back. A message part is two keys: a hash of the fields the scripts
// read or move (status, cid, schedule and expiry times, owner…), every value short so that Redis keeps the hash in
// its compact listpack encoding, and a blob of what never moves (JSON, a newline, then short_message's bytes; JSON
// never holds a raw newline). Numbers are spelled as JavaScript does (String/Number round-trip every double
// exactly); null is an absent field.

import type { DeliveryRecord, HttpDlr, MessageRecord, UserRecord } from '../model.js';
import { fromMicros } from '../money.js';
import type { MessagePatch } from '../store.js';

/** The parts of a message that never change after acceptance, kept as one JSON field. */
interface Immutable {
  id: string;
  route_order: number;
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
  service_type: string;
  esm_class: number;
  protocol_id: number;
  priority_flag: number;
  data_coding: number;
  tlvs: string | null;
  part: MessageRecord['part'];
  rate: number;
  submitted_at: number;
  tags: number[];
  /** HTTP API receipt target; absent for SMPP messages. */
  dlr?: HttpDlr;
}

/** Hash field name of each patchable message field. */
const PATCH_FIELDS = {
  status: 'status',
  state: 'state',
  upstream_id: 'up',
  error_code: 'err',
  attempts: 'att',
  final_at: 'fin',
  charged: 'chg',
  schedule_at: 'sa',
  cid: 'cid',
} as const satisfies Record<keyof MessagePatch, string>;

/** A new message part as the accept script takes it: its blob, and its hash fields (name, value, …). */
export function messageLayout(m: MessageRecord): { blob: Buffer; fields: string[] } {
  const d: Immutable = {
    id: m.id,
    route_order: m.route_order,
    source_addr_ton: m.source_addr_ton,
    source_addr_npi: m.source_addr_npi,
    source_addr: m.source_addr,
    dest_addr_ton: m.dest_addr_ton,
    dest_addr_npi: m.dest_addr_npi,
    destination_addr: m.destination_addr,
    service_type: m.service_type,
    esm_class: m.esm_class,
    protocol_id: m.protocol_id,
    priority_flag: m.priority_flag,
    data_coding: m.data_coding,
    tlvs: m.tlvs === null ? null : m.tlvs.toString('base64'),
    part: m.part,
    rate: m.rate,
    submitted_at: m.submitted_at,
    tags: m.tags,
  };
  if (m.dlr !== undefined && m.dlr !== null) d.dlr = m.dlr;
  const json = JSON.stringify(d);
  const blob = Buffer.allocUnsafe(Buffer.byteLength(json) + 1 + m.short_message.length);
  const at = blob.write(json);
  blob[at] = NEWLINE;
  m.short_message.copy(blob, at + 1);
  const f: string[] = [
    'uid',
    m.uid,
    'cid',
    m.cid,
    'status',
    m.status,
    'state',
    String(m.state),
    'err',
    String(m.error_code),
    'att',
    String(m.attempts),
    'chg',
    String(m.charged),
    'rd',
    String(m.registered_delivery),
    'ua',
    String(m.updated_at),
    'dst',
    m.destination_addr,
  ];
  if (m.upstream_id !== null) f.push('up', m.upstream_id);
  if (m.final_at !== null) f.push('fin', String(m.final_at));
  if (m.schedule_at !== null) f.push('sa', String(m.schedule_at));
  if (m.expires_at !== null) f.push('ea', String(m.expires_at));
  return { blob, fields: f };
}

const NEWLINE = 0x0a;

/** A patch as the patch script's arguments: id, field/value pairs to set, fields to delete (nulls). */
export function patchArgs(id: string, patch: MessagePatch): Array<string> {
  const set: string[] = [];
  const del: string[] = [];
  for (const [key, field] of Object.entries(PATCH_FIELDS)) {
    const value = (patch as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (value === null) del.push(field);
    else set.push(field, String(value));
  }
  return [id, String(set.length / 2), ...set, String(del.length), ...del];
}

/** A flat HGETALL reply (field, value, …) as a map of Buffers. */
export function pairs(flat: Buffer[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i].toString(), flat[i + 1]);
  return out;
}

function num(h: Map<string, Buffer>, field: string): number {
  return Number((h.get(field) as Buffer).toString());
}

function numOrNull(h: Map<string, Buffer>, field: string): number | null {
  const v = h.get(field);
  return v === undefined ? null : Number(v.toString());
}

/** A message part as a script returns it: its hash's fields then `_b` and its blob (a flat array of Buffers). */
export function parseMessage(flat: Buffer[]): MessageRecord {
  const h = pairs(flat);
  const blob = h.get('_b') as Buffer;
  const nl = blob.indexOf(NEWLINE);
  const d = JSON.parse(blob.toString('utf8', 0, nl)) as Immutable;
  const up = h.get('up');
  return {
    id: d.id,
    uid: (h.get('uid') as Buffer).toString(),
    cid: (h.get('cid') as Buffer).toString(),
    route_order: d.route_order,
    source_addr_ton: d.source_addr_ton,
    source_addr_npi: d.source_addr_npi,
    source_addr: d.source_addr,
    dest_addr_ton: d.dest_addr_ton,
    dest_addr_npi: d.dest_addr_npi,
    destination_addr: d.destination_addr,
    service_type: d.service_type,
    esm_class: d.esm_class,
    protocol_id: d.protocol_id,
    priority_flag: d.priority_flag,
    registered_delivery: num(h, 'rd'),
    data_coding: d.data_coding,
    short_message: Buffer.from(blob.subarray(nl + 1)),
    tlvs: d.tlvs === null ? null : Buffer.from(d.tlvs, 'base64'),
    part: d.part,
    schedule_at: numOrNull(h, 'sa'),
    expires_at: numOrNull(h, 'ea'),
    rate: d.rate,
    charged: num(h, 'chg'),
    status: (h.get('status') as Buffer).toString() as MessageRecord['status'],
    state: num(h, 'state') as MessageRecord['state'],
    upstream_id: up === undefined ? null : up.toString(),
    error_code: num(h, 'err'),
    attempts: num(h, 'att'),
    submitted_at: d.submitted_at,
    updated_at: num(h, 'ua'),
    final_at: numOrNull(h, 'fin'),
    tags: d.tags,
    ...(d.dlr === undefined ? {} : { dlr: d.dlr }),
  };
}

/** The user record JSON as kept in the `j` field: the moving quotas (kept apart as integers) set to null. */
export function userJson(u: UserRecord): string {
  const copy = structuredClone(u);
  copy.mt_messaging_cred.quotas.balance = null;
  copy.mt_messaging_cred.quotas.sms_count = null;
  return JSON.stringify(copy);
}

/** A user from its `j` field and its balance (µ) and sms_count fields (absent: unlimited). */
export function parseUser(j: string, b: string | null | undefined, s: string | null | undefined): UserRecord {
  const u = JSON.parse(j) as UserRecord;
  u.mt_messaging_cred.quotas.balance = b === null || b === undefined ? null : fromMicros(Number(b));
  u.mt_messaging_cred.quotas.sms_count = s === null || s === undefined ? null : Number(s);
  return u;
}

/** JSON with Buffers kept as `{ $b64 }`, so delivery payloads carry bytes exactly (as the SQLite store keeps them). */
export function payloadJson(value: unknown): string {
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return Buffer.isBuffer(raw) ? { $b64: raw.toString('base64') } : v;
  });
}

/** The inverse of {@link payloadJson}. */
export function parsePayload(text: string): Record<string, unknown> {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && Object.keys(v).length === 1) {
      const b64 = (v as { $b64?: unknown }).$b64;
      if (typeof b64 === 'string') return Buffer.from(b64, 'base64');
    }
    return v;
  }) as Record<string, unknown>;
}

/** A delivery from its hash as a script returns it (flat strings, with `seq` appended). */
export function parseDelivery(flat: string[]): DeliveryRecord {
  const h = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) h.set(flat[i], flat[i + 1]);
  const get = (f: string) => h.get(f) as string;
  return {
    seq: Number(get('seq')),
    uid: get('u'),
    kind: get('k') as DeliveryRecord['kind'],
    payload: parsePayload(get('p')),
    created_at: Number(get('c')),
    expires_at: Number(get('x')),
    attempts: Number(get('a')),
    next_attempt_at: Number(get('n')),
  };
}
