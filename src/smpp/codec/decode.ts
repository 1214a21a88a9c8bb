// One generic decoder for every PDU, driven by the field lists of pdus.ts. The body is read from a window bounded by
// the PDU's own command_length (cloudhopper style), so a bad field can never read into the next PDU. Recoverable
// problems throw SmppDecodeError with the field's own status; nothing else is thrown but SmppFramingError for a
// frame too short to hold a header.

import { CommandId, type CommandName, isResponse } from './commands.js';
import { compileDecoder, type FastDecoder, type FastHelpers } from './compile.js';
import { SmppDecodeError, SmppFramingError } from './errors.js';
import { readLatin1 } from './latin1.js';
import { type DestAddress, type FieldSpec, PDU_FIELDS, type Pdu, type UnsuccessSme } from './pdus.js';
import { CommandStatus } from './status.js';
import { isValidSmppTime } from './time.js';
import { decodeTlvs, isTlvProblem } from './tlv.js';

/** SMPP 3.4 §3.2: the header is four 4-octet integers. */
export const HEADER_LENGTH = 16;

interface CommandSpec {
  readonly command: CommandName;
  readonly id: number;
  readonly fields: readonly FieldSpec[];
  readonly response: boolean;
  /** The compiled fast path for well-formed PDUs of this command. */
  readonly fast: FastDecoder;
}

// command_ids are small (≤ 0x1FF) with or without the response bit: two dense arrays beat a Map on the hot path.
const ID_SPACE = 0x200;
const REQUESTS: (CommandSpec | undefined)[] = new Array(ID_SPACE).fill(undefined);
const RESPONSES: (CommandSpec | undefined)[] = new Array(ID_SPACE).fill(undefined);

function specOf(id: number): CommandSpec | undefined {
  const low = id & 0x7fffffff;
  if (low >= ID_SPACE) return undefined;
  return (id & 0x80000000) !== 0 ? RESPONSES[low] : REQUESTS[low];
}

const EMPTY = Buffer.alloc(0);

/** The value a response's missing field gets (liberal decode of short error responses). */
function emptyValue(field: FieldSpec): unknown {
  switch (field.kind) {
    case 'u8':
    case 'u32':
      return 0;
    case 'cstr':
    case 'time':
      return '';
    case 'sm':
      return EMPTY;
    case 'dest_address':
    case 'unsuccess_sme':
      return [];
  }
}

/** Index of the NUL ending a C-octet string at `pos`, within `max` octets and before `end`; -1 if none. */
function findNul(buf: Buffer, pos: number, end: number, max: number): number {
  const limit = Math.min(pos + max, end);
  for (let i = pos; i < limit; i++) if (buf[i] === 0) return i;
  return -1;
}

// The state of a failed read: set by the readers below, turned into one SmppDecodeError by decodePdu.
let errStatus = 0;
let errField = '';
let errDetail = '';

function fail(status: number, field: string, detail: string): number {
  errStatus = status;
  errField = field;
  errDetail = detail;
  return -1;
}

// Each reader returns the new position or -1 (after fail()); the value goes to `value`.
let value: unknown;

function readCString(buf: Buffer, pos: number, end: number, max: number, field: string, status: number): number {
  const nul = findNul(buf, pos, end, max);
  if (nul < 0) {
    return fail(
      status,
      field,
      end - pos < max ? 'no NUL terminator before the end of the PDU' : `longer than ${max - 1} characters`,
    );
  }
  value = nul === pos ? '' : readLatin1(buf, pos, nul);
  return nul + 1;
}

// SMPP 3.4 §4.5.1.1: number_of_dests, then per destination dest_flag 1 (SME address) or 2 (distribution list).
function readDestAddresses(buf: Buffer, pos: number, end: number): number {
  if (pos >= end) return fail(CommandStatus.ESME_RINVCMDLEN, 'number_of_dests', 'missing');
  const count = buf[pos++];
  const list: DestAddress[] = [];
  for (let i = 0; i < count; i++) {
    if (pos >= end) return fail(CommandStatus.ESME_RINVNUMDESTS, 'number_of_dests', `${count} announced, ${i} present`);
    const flag = buf[pos++];
    if (flag === 1) {
      if (end - pos < 2) return fail(CommandStatus.ESME_RINVCMDLEN, 'dest_addr_ton', 'missing');
      const ton = buf[pos];
      const npi = buf[pos + 1];
      pos = readCString(buf, pos + 2, end, 21, 'destination_addr', CommandStatus.ESME_RINVDSTADR);
      if (pos < 0) return -1;
      list.push({ dest_flag: 1, dest_addr_ton: ton, dest_addr_npi: npi, destination_addr: value as string });
    } else if (flag === 2) {
      pos = readCString(buf, pos, end, 21, 'dl_name', CommandStatus.ESME_RINVDLNAME);
      if (pos < 0) return -1;
      list.push({ dest_flag: 2, dl_name: value as string });
    } else {
      return fail(CommandStatus.ESME_RINVDESTFLAG, 'dest_flag', `${flag} is neither 1 (SME address) nor 2 (list)`);
    }
  }
  value = list;
  return pos;
}

// SMPP 3.4 §4.5.2.1: no_unsuccess, then per failed destination ton, npi, address and error_status_code.
function readUnsuccessSmes(buf: Buffer, pos: number, end: number): number {
  if (pos >= end) return fail(CommandStatus.ESME_RINVCMDLEN, 'no_unsuccess', 'missing');
  const count = buf[pos++];
  const list: UnsuccessSme[] = [];
  for (let i = 0; i < count; i++) {
    if (end - pos < 2) return fail(CommandStatus.ESME_RINVCMDLEN, 'unsuccess_sme', `${count} announced, ${i} present`);
    const ton = buf[pos];
    const npi = buf[pos + 1];
    pos = readCString(buf, pos + 2, end, 21, 'destination_addr', CommandStatus.ESME_RINVDSTADR);
    if (pos < 0) return -1;
    const address = value as string;
    if (end - pos < 4) return fail(CommandStatus.ESME_RINVCMDLEN, 'error_status_code', 'missing');
    const code = ((buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
    pos += 4;
    list.push({ dest_addr_ton: ton, dest_addr_npi: npi, destination_addr: address, error_status_code: code });
  }
  value = list;
  return pos;
}

function readField(buf: Buffer, pos: number, end: number, field: FieldSpec): number {
  switch (field.kind) {
    case 'u8':
      if (pos >= end) return fail(CommandStatus.ESME_RINVCMDLEN, field.name, 'missing');
      value = buf[pos];
      return pos + 1;
    case 'u32':
      if (end - pos < 4) return fail(CommandStatus.ESME_RINVCMDLEN, field.name, 'missing');
      value = ((buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
      return pos + 4;
    case 'cstr':
      return readCString(buf, pos, end, field.max, field.name, field.status);
    case 'time': {
      // SMPP 3.4 §7.1.1: NULL or exactly 16 characters in the absolute or relative format.
      const next = readCString(buf, pos, end, field.max, field.name, field.status);
      if (next < 0) return -1;
      if (next - pos > 1 && !isValidSmppTime(value as string)) {
        return fail(field.status, field.name, `not an SMPP time: ${JSON.stringify(value)}`);
      }
      return next;
    }
    case 'sm': {
      // SMPP 3.4 §4.4.1: sm_length (0–254) then that many octets; the message is a view of the frame, not a copy.
      if (pos >= end) return fail(CommandStatus.ESME_RINVCMDLEN, 'sm_length', 'missing');
      const len = buf[pos++];
      if (len > field.max) return fail(field.status, 'sm_length', `${len} is over ${field.max}`);
      if (len > end - pos) return fail(field.status, 'sm_length', `${len} runs past the end of the PDU`);
      value = len === 0 ? EMPTY : buf.subarray(pos, pos + len);
      return pos + len;
    }
    case 'dest_address':
      return readDestAddresses(buf, pos, end);
    case 'unsuccess_sme':
      return readUnsuccessSmes(buf, pos, end);
  }
}

function decodeError(id: number, seq: number): SmppDecodeError {
  return new SmppDecodeError(errStatus, id, seq, { field: errField, detail: errDetail });
}

/**
 * The reference decoder: walks the field table, throws SmppDecodeError with the failing field's status, and reads
 * error responses liberally. decodePdu calls it only when the compiled fast path declines a frame.
 */
function decodeBody(frame: Buffer, spec: CommandSpec, length: number, status: number, seq: number): Pdu {
  const id = spec.id;
  const pdu: Record<string, unknown> = { command: spec.command, command_status: status, sequence_number: seq };
  const fields = spec.fields;
  // SMPP 3.4 §4: an error response's body may be absent; we also accept a bare ESME_ROK response (deliver_sm_resp
  // and data_sm_resp are often sent that way).
  const liberal = spec.response && status !== 0;
  let pos = HEADER_LENGTH;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    if (pos >= length && spec.response) {
      for (; i < fields.length; i++) pdu[fields[i].name] = emptyValue(fields[i]);
      break;
    }
    const next = readField(frame, pos, length, field);
    if (next < 0) {
      if (!liberal) throw decodeError(id, seq);
      for (; i < fields.length; i++) pdu[fields[i].name] = emptyValue(fields[i]);
      return pdu as Pdu;
    }
    pdu[field.name] = value;
    pos = next;
  }
  value = undefined;
  if (pos < length) {
    // SMPP 3.4 §3.2.4: whatever follows the mandatory fields is TLVs.
    const tlvs = decodeTlvs(frame, pos, length);
    if (isTlvProblem(tlvs)) {
      if (liberal) return pdu as Pdu;
      fail(tlvs.status, tlvs.field, tlvs.detail);
      throw decodeError(id, seq);
    }
    pdu.tlvs = tlvs;
  }
  return pdu as Pdu;
}

/** Throws the error for a frame whose header no body decoder can take: too short, unknown id or bad length. */
function headerError(frame: Buffer): never {
  const size = frame.length;
  if (size < HEADER_LENGTH) throw new SmppFramingError(size, `a frame of ${size} octets cannot hold a PDU header`);
  const length = frame.readUInt32BE(0);
  const id = frame.readUInt32BE(4);
  const seq = frame.readUInt32BE(12);
  if (length < HEADER_LENGTH) throw new SmppFramingError(length, `command_length ${length} is under 16`);
  if (specOf(id) === undefined) {
    fail(CommandStatus.ESME_RINVCMDID, 'command_id', `unknown command_id 0x${id.toString(16).padStart(8, '0')}`);
  } else {
    fail(
      CommandStatus.ESME_RINVCMDLEN,
      'command_length',
      `command_length ${length} but the frame holds ${size} octets`,
    );
  }
  throw decodeError(id, seq);
}

/**
 * Decodes one PDU frame (`frame` holds exactly command_length octets, as the Framer yields them). Throws
 * SmppDecodeError (recoverable: answer with `commandStatus`) or, for a frame shorter than a header, SmppFramingError.
 * A response with a non-zero status is read liberally: whatever is missing or unreadable gets its empty value.
 */
export function decodePdu(frame: Buffer): Pdu {
  const length = frame.length;
  if (length >= HEADER_LENGTH) {
    const id = ((frame[4] << 24) | (frame[5] << 16) | (frame[6] << 8) | frame[7]) >>> 0;
    const spec = specOf(id);
    if (spec !== undefined && ((frame[0] << 24) | (frame[1] << 16) | (frame[2] << 8) | frame[3]) >>> 0 === length) {
      const status = ((frame[8] << 24) | (frame[9] << 16) | (frame[10] << 8) | frame[11]) >>> 0;
      const seq = ((frame[12] << 24) | (frame[13] << 16) | (frame[14] << 8) | frame[15]) >>> 0;
      return spec.fast(frame, length, status, seq) ?? decodeBody(frame, spec, length, status, seq);
    }
  }
  return headerError(frame);
}

/** decodePdu through the reference decoder only (tests compare it with the fast path). */
export function decodePduReference(frame: Buffer): Pdu {
  const length = frame.length;
  const spec = length >= HEADER_LENGTH ? specOf(frame.readUInt32BE(4)) : undefined;
  if (spec === undefined || frame.readUInt32BE(0) !== length) return headerError(frame);
  return decodeBody(frame, spec, length, frame.readUInt32BE(8), frame.readUInt32BE(12));
}

const FAST_HELPERS: FastHelpers = {
  readLatin1,
  isValidSmppTime,
  readDestAddresses,
  readUnsuccessSmes,
  take() {
    const v = value;
    value = undefined;
    return v;
  },
  readTlvs(buf, pos, end) {
    const tlvs = decodeTlvs(buf, pos, end);
    return isTlvProblem(tlvs) ? undefined : tlvs;
  },
  EMPTY,
};

for (const [command, id] of Object.entries(CommandId) as [CommandName, number][]) {
  const fields: readonly FieldSpec[] = PDU_FIELDS[command];
  const spec: CommandSpec = {
    command,
    id,
    fields,
    response: isResponse(id),
    fast: compileDecoder(command, fields, FAST_HELPERS),
  };
  (spec.response ? RESPONSES : REQUESTS)[id & 0x7fffffff] = spec;
}
