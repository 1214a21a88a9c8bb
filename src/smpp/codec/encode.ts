// One generic encoder for every PDU, driven by the field lists of pdus.ts. It writes into one growable scratch
// buffer, fills command_length last (pg-protocol style) and hands back an exact-size copy; body-less PDUs are
// patched from a 16-octet template. Every value is validated against its field: a value that cannot be sent throws
// SmppStatusError with that field's status, so what we encode always decodes.

import { CommandId, type CommandName } from './commands.js';
import { compileEncoder, type EncodeHelpers, type FastEncoder } from './compile.js';
import { SmppStatusError } from './errors.js';
import type { DestAddress, FieldSpec, Pdu, UnsuccessSme } from './pdus.js';
import { PDU_FIELDS } from './pdus.js';
import { CommandStatus } from './status.js';
import { isValidSmppTime } from './time.js';
import { type Tlvs, tlvsSize, writeTlvs } from './tlv.js';

const HEADER_LENGTH = 16;
const MAX_LIST = 255;
const DEST_ADDRESS_MAX = 3 + 21; // dest_flag, ton, npi, destination_addr
const UNSUCCESS_SME_MAX = 2 + 21 + 4;

interface EncodeSpec {
  readonly id: number;
  readonly fields: readonly FieldSpec[];
  /** Largest size the mandatory fields can take: the scratch buffer is grown to it once, not per field. */
  readonly maxSize: number;
  /** The 16-octet header with command_length and command_id set (SMPP 3.4 §3.2). */
  readonly template: Buffer;
  /** Writes the mandatory fields (compiled from the field list). */
  readonly write: FastEncoder;
}

function maxSizeOf(field: FieldSpec): number {
  switch (field.kind) {
    case 'u8':
      return 1;
    case 'u32':
      return 4;
    case 'cstr':
    case 'time':
      return field.max;
    case 'sm':
      return 1 + field.max;
    case 'dest_address':
      return 1 + MAX_LIST * DEST_ADDRESS_MAX;
    case 'unsuccess_sme':
      return 1 + MAX_LIST * UNSUCCESS_SME_MAX;
  }
}

const SPECS = new Map<string, EncodeSpec>();

let out = Buffer.allocUnsafe(16 * 1024);

function ensure(size: number): void {
  if (size <= out.length) return;
  let n = out.length * 2;
  while (n < size) n *= 2;
  const next = Buffer.allocUnsafe(n);
  out.copy(next, 0, 0, out.length);
  out = next;
}

function invalid(status: number, field: string, detail: string): SmppStatusError {
  return new SmppStatusError(status, { field, detail });
}

function writeU8(pos: number, v: unknown, field: string, status: number): number {
  if (v === undefined) v = 0;
  if (typeof v !== 'number' || !(v >= 0 && v <= 0xff) || v !== Math.floor(v)) {
    throw invalid(status, field, `${String(v)} is not an integer in 0…255`);
  }
  out[pos] = v;
  return pos + 1;
}

function writeU32(pos: number, v: unknown, field: string, status: number): number {
  if (v === undefined) v = 0;
  if (typeof v !== 'number' || !(v >= 0 && v <= 0xffffffff) || v !== Math.floor(v)) {
    throw invalid(status, field, `${String(v)} is not an integer in 0…0xFFFFFFFF`);
  }
  out[pos] = v >>> 24;
  out[pos + 1] = (v >>> 16) & 0xff;
  out[pos + 2] = (v >>> 8) & 0xff;
  out[pos + 3] = v & 0xff;
  return pos + 4;
}

// SMPP 3.4 §3.1 C-octet string: Latin-1 octets then NUL, at most `max` octets in all.
function writeCString(pos: number, v: unknown, max: number, field: string, status: number): number {
  if (v === undefined) v = '';
  if (typeof v !== 'string') throw invalid(status, field, 'not a string');
  const n = v.length;
  if (n > max - 1) throw invalid(status, field, `${n} characters, at most ${max - 1} fit`);
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c === 0 || c > 0xff) throw invalid(status, field, `character ${i} is NUL or not Latin-1`);
    out[pos + i] = c;
  }
  out[pos + n] = 0;
  return pos + n + 1;
}

function writeDestAddresses(pos: number, v: unknown, status: number): number {
  if (v === undefined) v = [];
  if (!Array.isArray(v)) throw invalid(status, 'dest_address', 'not an array');
  if (v.length > MAX_LIST) throw invalid(status, 'number_of_dests', `${v.length} destinations, at most 255`);
  out[pos++] = v.length;
  for (const d of v as DestAddress[]) {
    const flag: unknown = d?.dest_flag;
    if (flag === 1 && 'destination_addr' in d) {
      out[pos++] = 1;
      pos = writeU8(pos, d.dest_addr_ton, 'dest_addr_ton', CommandStatus.ESME_RINVDSTTON);
      pos = writeU8(pos, d.dest_addr_npi, 'dest_addr_npi', CommandStatus.ESME_RINVDSTNPI);
      pos = writeCString(pos, d.destination_addr, 21, 'destination_addr', CommandStatus.ESME_RINVDSTADR);
    } else if (flag === 2 && 'dl_name' in d) {
      out[pos++] = 2;
      pos = writeCString(pos, d.dl_name, 21, 'dl_name', CommandStatus.ESME_RINVDLNAME);
    } else {
      throw invalid(CommandStatus.ESME_RINVDESTFLAG, 'dest_flag', 'each destination needs dest_flag 1 or 2');
    }
  }
  return pos;
}

function writeUnsuccessSmes(pos: number, v: unknown, status: number): number {
  if (v === undefined) v = [];
  if (!Array.isArray(v)) throw invalid(status, 'unsuccess_sme', 'not an array');
  if (v.length > MAX_LIST) throw invalid(status, 'no_unsuccess', `${v.length} entries, at most 255`);
  out[pos++] = v.length;
  for (const u of v as UnsuccessSme[]) {
    if (u === null || typeof u !== 'object') throw invalid(status, 'unsuccess_sme', 'not an object');
    pos = writeU8(pos, u.dest_addr_ton, 'dest_addr_ton', CommandStatus.ESME_RINVDSTTON);
    pos = writeU8(pos, u.dest_addr_npi, 'dest_addr_npi', CommandStatus.ESME_RINVDSTNPI);
    pos = writeCString(pos, u.destination_addr, 21, 'destination_addr', CommandStatus.ESME_RINVDSTADR);
    pos = writeU32(pos, u.error_status_code, 'error_status_code', status);
  }
  return pos;
}

// SMPP 3.4 §7.1.1: NULL or a 16-character absolute or relative time.
function writeTime(pos: number, v: unknown, max: number, field: string, status: number): number {
  if (typeof v === 'string' && !isValidSmppTime(v))
    throw invalid(status, field, `not an SMPP time: ${JSON.stringify(v)}`);
  return writeCString(pos, v, max, field, status);
}

// SMPP 3.4 §4.4.1: sm_length then the octets.
function writeSm(pos: number, v: unknown, max: number, field: string, status: number): number {
  if (v === undefined) {
    out[pos] = 0;
    return pos + 1;
  }
  if (!(v instanceof Uint8Array)) throw invalid(status, field, 'not a Buffer');
  if (v.length > max) throw invalid(status, 'sm_length', `${v.length} octets, at most ${max}`);
  out[pos] = v.length;
  out.set(v, pos + 1);
  return pos + 1 + v.length;
}

const WRITERS: EncodeHelpers = {
  u8: writeU8,
  u32: writeU32,
  cstr: writeCString,
  time: writeTime,
  sm: writeSm,
  dest_address: writeDestAddresses,
  unsuccess_sme: writeUnsuccessSmes,
};

function checkHeaderField(v: unknown, field: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 0xffffffff) || v !== Math.floor(v)) {
    throw invalid(CommandStatus.ESME_RSYSERR, field, `${String(v)} is not an integer in 0…0xFFFFFFFF`);
  }
  return v;
}

/**
 * Encodes a PDU to a new Buffer of exactly command_length octets. Throws SmppStatusError with the field's status
 * (ESME_RINVSRCADR, ESME_RINVMSGLEN, ESME_RINVPARLEN…) when a value cannot be sent as SMPP 3.4 defines it.
 * A mandatory field left undefined is sent as NULL (empty string, 0, empty message).
 */
export function encodePdu(pdu: Pdu): Buffer {
  const spec = SPECS.get(pdu.command);
  if (spec === undefined) {
    throw invalid(CommandStatus.ESME_RINVCMDID, 'command', `unknown command ${JSON.stringify(pdu.command)}`);
  }
  const status = checkHeaderField(pdu.command_status, 'command_status');
  const seq = checkHeaderField(pdu.sequence_number, 'sequence_number');
  const tlvs: Tlvs | undefined = pdu.tlvs;
  const fields = spec.fields;
  if (fields.length === 0 && tlvs === undefined) {
    // SMPP 3.4 §4.2, §4.3, §4.11: no body; copy the template and patch status and sequence.
    const b = Buffer.allocUnsafe(HEADER_LENGTH);
    spec.template.copy(b, 0);
    b.writeUInt32BE(status, 8);
    b.writeUInt32BE(seq, 12);
    return b;
  }
  ensure(spec.maxSize);
  let pos = spec.write(pdu);
  if (tlvs !== undefined) {
    if (tlvs === null || typeof tlvs !== 'object') {
      throw invalid(CommandStatus.ESME_RINVOPTPARAMVAL, 'tlvs', 'not an object');
    }
    const size = tlvsSize(tlvs);
    ensure(pos + size);
    pos = writeTlvs(out, pos, tlvs);
  }
  out.writeUInt32BE(pos, 0);
  out.writeUInt32BE(spec.id, 4);
  out.writeUInt32BE(status, 8);
  out.writeUInt32BE(seq, 12);
  const result = Buffer.allocUnsafe(pos);
  out.copy(result, 0, 0, pos);
  return result;
}

for (const [command, id] of Object.entries(CommandId) as [CommandName, number][]) {
  const fields: readonly FieldSpec[] = PDU_FIELDS[command];
  const template = Buffer.alloc(HEADER_LENGTH);
  template.writeUInt32BE(HEADER_LENGTH, 0);
  template.writeUInt32BE(id, 4);
  SPECS.set(command, {
    id,
    fields,
    maxSize: HEADER_LENGTH + fields.reduce((sum, f) => sum + maxSizeOf(f), 0),
    template,
    write: compileEncoder(command, fields, WRITERS),
  });
}
