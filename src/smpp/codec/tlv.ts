// Optional parameters (TLVs) of SMPP 3.4 §5.3: one table, name → tag and value type. Decode and encode of the TLV
// part of a body live here; tags not in the table (vendor tags 0x1400–0x3FFF and any other) are kept raw, in order,
// and written back byte for byte.

import { SmppStatusError } from './errors.js';
import { readLatin1 } from './latin1.js';
import { CommandStatus } from './status.js';

/** How a TLV's value is stored: integers, C-octet string (max incl. NUL), octets (min…max), a struct, or no value. */
export type TlvType =
  | { readonly kind: 'u8' }
  | { readonly kind: 'u16' }
  | { readonly kind: 'u32' }
  | { readonly kind: 'cstr'; readonly max: number }
  | { readonly kind: 'octets'; readonly min: number; readonly max: number }
  | { readonly kind: 'network_error_code' }
  | { readonly kind: 'flag' };

const u8 = { kind: 'u8' } as const;
const u16 = { kind: 'u16' } as const;
const u32 = { kind: 'u32' } as const;

/** SMPP 3.4 §5.3.2: every standard optional parameter, name → tag and type. */
export const TLV_TABLE = {
  dest_addr_subunit: { tag: 0x0005, type: u8 }, // §5.3.2.1
  dest_network_type: { tag: 0x0006, type: u8 }, // §5.3.2.3
  dest_bearer_type: { tag: 0x0007, type: u8 }, // §5.3.2.5
  dest_telematics_id: { tag: 0x0008, type: u16 }, // §5.3.2.7
  source_addr_subunit: { tag: 0x000d, type: u8 }, // §5.3.2.2
  source_network_type: { tag: 0x000e, type: u8 }, // §5.3.2.4
  source_bearer_type: { tag: 0x000f, type: u8 }, // §5.3.2.6
  source_telematics_id: { tag: 0x0010, type: u8 }, // §5.3.2.8
  qos_time_to_live: { tag: 0x0017, type: u32 }, // §5.3.2.9
  payload_type: { tag: 0x0019, type: u8 }, // §5.3.2.10
  additional_status_info_text: { tag: 0x001d, type: { kind: 'cstr', max: 256 } }, // §5.3.2.11
  receipted_message_id: { tag: 0x001e, type: { kind: 'cstr', max: 65 } }, // §5.3.2.12
  ms_msg_wait_facilities: { tag: 0x0030, type: u8 }, // §5.3.2.13
  privacy_indicator: { tag: 0x0201, type: u8 }, // §5.3.2.14
  source_subaddress: { tag: 0x0202, type: { kind: 'octets', min: 2, max: 23 } }, // §5.3.2.15
  dest_subaddress: { tag: 0x0203, type: { kind: 'octets', min: 2, max: 23 } }, // §5.3.2.16
  user_message_reference: { tag: 0x0204, type: u16 }, // §5.3.2.17
  user_response_code: { tag: 0x0205, type: u8 }, // §5.3.2.18
  source_port: { tag: 0x020a, type: u16 }, // §5.3.2.20
  destination_port: { tag: 0x020b, type: u16 }, // §5.3.2.21
  sar_msg_ref_num: { tag: 0x020c, type: u16 }, // §5.3.2.22
  language_indicator: { tag: 0x020d, type: u8 }, // §5.3.2.19
  sar_total_segments: { tag: 0x020e, type: u8 }, // §5.3.2.23
  sar_segment_seqnum: { tag: 0x020f, type: u8 }, // §5.3.2.24
  sc_interface_version: { tag: 0x0210, type: u8 }, // §5.3.2.25
  callback_num_pres_ind: { tag: 0x0302, type: u8 }, // §5.3.2.37
  callback_num_atag: { tag: 0x0303, type: { kind: 'octets', min: 0, max: 65 } }, // §5.3.2.38
  number_of_messages: { tag: 0x0304, type: u8 }, // §5.3.2.39
  callback_num: { tag: 0x0381, type: { kind: 'octets', min: 4, max: 19 } }, // §5.3.2.36
  dpf_result: { tag: 0x0420, type: u8 }, // §5.3.2.28
  set_dpf: { tag: 0x0421, type: u8 }, // §5.3.2.29
  ms_availability_status: { tag: 0x0422, type: u8 }, // §5.3.2.30
  network_error_code: { tag: 0x0423, type: { kind: 'network_error_code' } }, // §5.3.2.31
  message_payload: { tag: 0x0424, type: { kind: 'octets', min: 0, max: 0xffff } }, // §5.3.2.32
  delivery_failure_reason: { tag: 0x0425, type: u8 }, // §5.3.2.33
  more_messages_to_send: { tag: 0x0426, type: u8 }, // §5.3.2.34
  message_state: { tag: 0x0427, type: u8 }, // §5.3.2.35
  ussd_service_op: { tag: 0x0501, type: u8 }, // §5.3.2.44 (one octet)
  display_time: { tag: 0x1201, type: u8 }, // §5.3.2.26
  sms_signal: { tag: 0x1203, type: u16 }, // §5.3.2.40
  ms_validity: { tag: 0x1204, type: u8 }, // §5.3.2.27
  alert_on_message_delivery: { tag: 0x130c, type: { kind: 'flag' } }, // §5.3.2.41 (no value)
  its_reply_type: { tag: 0x1380, type: u8 }, // §5.3.2.42
  its_session_info: { tag: 0x1383, type: { kind: 'octets', min: 2, max: 2 } }, // §5.3.2.43
} as const satisfies Record<string, { tag: number; type: TlvType }>;

/** The name of a standard SMPP 3.4 optional parameter. */
export type TlvName = keyof typeof TLV_TABLE;

/** SMPP 3.4 §5.3.2.31 network_error_code: network type (1 = ANSI-136, 2 = IS-95, 3 = GSM, …) and its error code. */
export interface NetworkErrorCode {
  network_type: number;
  error_code: number;
}

/** A TLV kept as raw bytes: an unknown or vendor tag, or a repeat of a known tag. */
export interface RawTlv {
  tag: number;
  value: Buffer;
}

type ValueOfType<T extends TlvType> = T extends { kind: 'u8' | 'u16' | 'u32' }
  ? number
  : T extends { kind: 'cstr' }
    ? string
    : T extends { kind: 'octets' }
      ? Buffer
      : T extends { kind: 'network_error_code' }
        ? NetworkErrorCode
        : true;

/** The value type of one standard TLV. */
export type TlvValue<N extends TlvName> = ValueOfType<(typeof TLV_TABLE)[N]['type']>;

/**
 * The optional parameters of a PDU: standard ones by name (encoded in key order; decoded in wire order), plus
 * `unknown`: tags we do not know (vendor tags 0x1400–0x3FFF…) and repeats of a known tag, in arrival order, written
 * back byte for byte after the named ones.
 */
export type Tlvs = { [N in TlvName]?: TlvValue<N> } & { unknown?: RawTlv[] };

interface TlvEntry {
  readonly name: TlvName;
  readonly tag: number;
  readonly type: TlvType;
}

const ENTRIES: readonly TlvEntry[] = Object.entries(TLV_TABLE).map(([name, { tag, type }]) => ({
  name: name as TlvName,
  tag,
  type,
}));

const BY_TAG = new Map<number, TlvEntry>(ENTRIES.map((e) => [e.tag, e]));
const BY_NAME = new Map<string, TlvEntry>(ENTRIES.map((e) => [e.name, e]));

/** The standard TLV's name for a tag, or undefined. */
export function tlvName(tag: number): TlvName | undefined {
  return BY_TAG.get(tag)?.name;
}

/** Where a TLV problem was found: status, TLV name (or tag), detail. Returned, not thrown, so the caller adds the header. */
export interface TlvProblem {
  status: number;
  field: string;
  detail: string;
}

const EMPTY = Buffer.alloc(0);

function hexTag(tag: number): string {
  return `0x${tag.toString(16).padStart(4, '0')}`;
}

/**
 * Decodes the TLVs in `buf[pos, end)` (SMPP 3.4 §3.2.4). Returns the Tlvs, or a TlvProblem: a TLV header cut short
 * → ESME_RINVOPTPARSTREAM, a length past the end or wrong for its type → ESME_RINVPARLEN. Values of octet TLVs are
 * zero-copy views of `buf`.
 */
export function decodeTlvs(buf: Buffer, pos: number, end: number): Tlvs | TlvProblem {
  const tlvs: Record<string, unknown> = {};
  let unknown: RawTlv[] | undefined;
  while (pos < end) {
    if (end - pos < 4) {
      return {
        status: CommandStatus.ESME_RINVOPTPARSTREAM,
        field: 'tlv',
        detail: `${end - pos} byte(s) left, a TLV header needs 4`,
      };
    }
    const tag = (buf[pos] << 8) | buf[pos + 1];
    const len = (buf[pos + 2] << 8) | buf[pos + 3];
    pos += 4;
    const entry = BY_TAG.get(tag);
    const field = entry?.name ?? hexTag(tag);
    if (len > end - pos) {
      return {
        status: CommandStatus.ESME_RINVPARLEN,
        field,
        detail: `length ${len} runs past the end of the PDU (${end - pos} byte(s) left)`,
      };
    }
    if (entry === undefined || tlvs[entry.name] !== undefined) {
      unknown ??= [];
      unknown.push({ tag, value: buf.subarray(pos, pos + len) });
      pos += len;
      continue;
    }
    const type = entry.type;
    let value: unknown;
    let bad = false;
    switch (type.kind) {
      case 'u8':
        bad = len !== 1;
        value = buf[pos];
        break;
      case 'u16':
        bad = len !== 2;
        value = (buf[pos] << 8) | buf[pos + 1];
        break;
      case 'u32':
        bad = len !== 4;
        value = ((buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
        break;
      case 'cstr': {
        // Liberal: a value without its NUL terminator is taken whole (common in receipted_message_id).
        let nul = buf.indexOf(0, pos);
        if (nul < 0 || nul >= pos + len) nul = pos + len;
        bad = nul - pos > type.max - 1;
        value = bad ? '' : readLatin1(buf, pos, nul);
        break;
      }
      case 'octets':
        bad = len < type.min || len > type.max;
        value = len === 0 ? EMPTY : buf.subarray(pos, pos + len);
        break;
      case 'network_error_code':
        bad = len !== 3;
        value = { network_type: buf[pos], error_code: (buf[pos + 1] << 8) | buf[pos + 2] };
        break;
      case 'flag':
        bad = len !== 0;
        value = true;
        break;
    }
    if (bad) {
      return { status: CommandStatus.ESME_RINVPARLEN, field, detail: `length ${len} is wrong for ${type.kind}` };
    }
    tlvs[entry.name] = value;
    pos += len;
  }
  if (unknown !== undefined) tlvs.unknown = unknown;
  return tlvs as Tlvs;
}

/** True when decodeTlvs returned a problem rather than TLVs. */
export function isTlvProblem(result: Tlvs | TlvProblem): result is TlvProblem {
  return typeof (result as TlvProblem).status === 'number' && typeof (result as TlvProblem).detail === 'string';
}

function encodeError(status: number, field: string, detail: string): SmppStatusError {
  return new SmppStatusError(status, { field, detail });
}

/**
 * Bytes the TLVs take on the wire (validating each value); throws SmppStatusError on a value that cannot be sent
 * or a name that is not an SMPP 3.4 TLV.
 */
export function tlvsSize(tlvs: Tlvs): number {
  let size = 0;
  const record = tlvs as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    const value = record[name];
    if (value === undefined || name === 'unknown') continue;
    const entry = BY_NAME.get(name);
    if (entry === undefined) {
      throw encodeError(CommandStatus.ESME_RINVOPTPARAMVAL, name, 'not an SMPP 3.4 TLV (send raw tags in `unknown`)');
    }
    size += 4 + valueSize(entry, value);
  }
  const unknown = tlvs.unknown;
  if (unknown !== undefined) {
    if (!Array.isArray(unknown)) throw encodeError(CommandStatus.ESME_RINVOPTPARAMVAL, 'unknown', 'not an array');
    for (const raw of unknown) {
      if (
        raw === null ||
        typeof raw !== 'object' ||
        !Number.isInteger(raw.tag) ||
        raw.tag < 0 ||
        raw.tag > 0xffff ||
        !Buffer.isBuffer(raw.value) ||
        raw.value.length > 0xffff
      ) {
        throw encodeError(
          CommandStatus.ESME_RINVOPTPARAMVAL,
          'unknown',
          'each entry needs a tag 0…0xFFFF and a Buffer',
        );
      }
      size += 4 + raw.value.length;
    }
  }
  return size;
}

function checkInt(entry: TlvEntry, value: unknown, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw encodeError(CommandStatus.ESME_RINVOPTPARAMVAL, entry.name, `not an integer in 0…${max}`);
  }
}

function valueSize(entry: TlvEntry, value: unknown): number {
  const type = entry.type;
  switch (type.kind) {
    case 'u8':
      checkInt(entry, value, 0xff);
      return 1;
    case 'u16':
      checkInt(entry, value, 0xffff);
      return 2;
    case 'u32':
      checkInt(entry, value, 0xffffffff);
      return 4;
    case 'cstr': {
      if (typeof value !== 'string') throw encodeError(CommandStatus.ESME_RINVOPTPARAMVAL, entry.name, 'not a string');
      if (value.length > type.max - 1) {
        throw encodeError(CommandStatus.ESME_RINVPARLEN, entry.name, `longer than ${type.max - 1} characters`);
      }
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c === 0 || c > 0xff) {
          throw encodeError(CommandStatus.ESME_RINVOPTPARAMVAL, entry.name, 'characters must be Latin-1 and not NUL');
        }
      }
      return value.length + 1;
    }
    case 'octets':
      if (!Buffer.isBuffer(value)) throw encodeError(CommandStatus.ESME_RINVOPTPARAMVAL, entry.name, 'not a Buffer');
      if (value.length < type.min || value.length > type.max) {
        throw encodeError(CommandStatus.ESME_RINVPARLEN, entry.name, `length must be ${type.min}…${type.max}`);
      }
      return value.length;
    case 'network_error_code': {
      const v = value as NetworkErrorCode;
      if (v === null || typeof v !== 'object') {
        throw encodeError(CommandStatus.ESME_RINVOPTPARAMVAL, entry.name, 'not {network_type, error_code}');
      }
      checkInt(entry, v.network_type, 0xff);
      checkInt(entry, v.error_code, 0xffff);
      return 3;
    }
    case 'flag':
      if (value !== true) throw encodeError(CommandStatus.ESME_RINVOPTPARAMVAL, entry.name, 'must be true or absent');
      return 0;
  }
}

/**
 * Writes the TLVs (already checked by tlvsSize) at `pos`: the named ones in the object's key order (a decoded PDU's
 * keep their wire order), then the raw ones. Returns the new position.
 */
export function writeTlvs(out: Buffer, pos: number, tlvs: Tlvs): number {
  const record = tlvs as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    const value = record[name];
    if (value === undefined || name === 'unknown') continue;
    const entry = BY_NAME.get(name)!;
    out[pos] = entry.tag >>> 8;
    out[pos + 1] = entry.tag & 0xff;
    const start = pos + 4;
    let p = start;
    const type = entry.type;
    switch (type.kind) {
      case 'u8':
        out[p++] = value as number;
        break;
      case 'u16':
        out[p++] = (value as number) >>> 8;
        out[p++] = (value as number) & 0xff;
        break;
      case 'u32':
        out.writeUInt32BE(value as number, p);
        p += 4;
        break;
      case 'cstr': {
        const s = value as string;
        for (let i = 0; i < s.length; i++) out[p++] = s.charCodeAt(i);
        out[p++] = 0;
        break;
      }
      case 'octets':
        p += (value as Buffer).copy(out, p);
        break;
      case 'network_error_code': {
        const v = value as NetworkErrorCode;
        out[p++] = v.network_type;
        out[p++] = v.error_code >>> 8;
        out[p++] = v.error_code & 0xff;
        break;
      }
      case 'flag':
        break;
    }
    const len = p - start;
    out[pos + 2] = len >>> 8;
    out[pos + 3] = len & 0xff;
    pos = p;
  }
  const unknown = tlvs.unknown;
  if (unknown !== undefined) {
    for (const raw of unknown) {
      out[pos] = raw.tag >>> 8;
      out[pos + 1] = raw.tag & 0xff;
      out[pos + 2] = raw.value.length >>> 8;
      out[pos + 3] = raw.value.length & 0xff;
      pos += 4 + raw.value.copy(out, pos + 4);
    }
  }
  return pos;
}
