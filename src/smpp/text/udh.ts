// The User Data Header (TS 23.040 §9.2.3.24) at the start of short_message when esm_class has UDHI set
// (SMPP 3.4 §5.2.12, bit 6). Layout: UDHL (octets that follow in the header), then information elements, each
// IEI, IEDL, data.

import { UdhError } from './errors.js';

/** esm_class bit 6: short_message starts with a User Data Header. SMPP 3.4 §5.2.12 */
export const ESM_CLASS_UDHI = 0x40;

/** Information element identifiers smppgate reads. TS 23.040 §9.2.3.24 */
export const Iei = {
  /** Concatenated short messages, 8-bit reference. */
  CONCAT_8: 0x00,
  /** Application port addressing, 8-bit. */
  PORTS_8: 0x04,
  /** Application port addressing, 16-bit. */
  PORTS_16: 0x05,
  /** Concatenated short messages, 16-bit reference. */
  CONCAT_16: 0x08,
} as const;

/** One information element of a User Data Header. */
export interface UdhElement {
  iei: number;
  data: Buffer;
}

/** Where a part sits in a concatenated message. */
export interface ConcatInfo {
  /** Reference shared by every part of the message. */
  ref: number;
  /** Number of parts, 1..255. */
  total: number;
  /** This part's number, 1..total. */
  seq: number;
  /** Width of the reference in the header. */
  refBits: 8 | 16;
}

/** Application port addressing (WAP push, vCards, …). */
export interface PortInfo {
  destination: number;
  source: number;
  bits: 8 | 16;
}

/** A parsed User Data Header and the user data after it. */
export interface Udh {
  /** Octets the header takes at the start of short_message, the UDHL octet included (1 + UDHL). */
  headerLength: number;
  /** Every element in order, unknown ones included. */
  elements: UdhElement[];
  /** The concatenation element, when one is present and valid. */
  concat?: ConcatInfo;
  /** The port addressing element, when one is present and valid. */
  ports?: PortInfo;
  /** short_message after the header. */
  payload: Buffer;
}

/** True when esm_class says short_message starts with a UDH. SMPP 3.4 §5.2.12 */
export function hasUdhi(esmClass: number): boolean {
  return (esmClass & ESM_CLASS_UDHI) !== 0;
}

/**
 * Parses the UDH at the start of `bytes`. Unknown elements are kept and skipped. Following TS 23.040 §9.2.3.24, an
 * element with impossible values (concatenation with total 0, seq 0 or seq > total, or a wrong length) is ignored,
 * and when an element repeats, or an 8-bit and a 16-bit variant both appear, the last one wins. A header or element
 * that runs past the end of the message is a UdhError.
 */
export function parseUdh(bytes: Uint8Array): Udh {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length === 0) throw new UdhError('UDHI is set but short_message is empty');
  const udhl = buf[0];
  const headerLength = 1 + udhl;
  if (headerLength > buf.length) {
    throw new UdhError(`UDH length ${udhl} runs past the ${buf.length - 1} octets after it`);
  }
  const udh: Udh = { headerLength, elements: [], payload: buf.subarray(headerLength) };
  let at = 1;
  while (at < headerLength) {
    if (at + 2 > headerLength) throw new UdhError(`information element at octet ${at} has no length octet`);
    const iei = buf[at];
    const iedl = buf[at + 1];
    const end = at + 2 + iedl;
    if (end > headerLength) {
      throw new UdhError(`information element 0x${iei.toString(16)} at octet ${at} runs past the header`);
    }
    const data = buf.subarray(at + 2, end);
    udh.elements.push({ iei, data });
    readKnown(udh, iei, data);
    at = end;
  }
  return udh;
}

function readKnown(udh: Udh, iei: number, data: Buffer): void {
  switch (iei) {
    case Iei.CONCAT_8: // TS 23.040 §9.2.3.24.1
      if (data.length === 3) setConcat(udh, data[0], data[1], data[2], 8);
      break;
    case Iei.CONCAT_16: // TS 23.040 §9.2.3.24.8
      if (data.length === 4) setConcat(udh, data.readUInt16BE(0), data[2], data[3], 16);
      break;
    case Iei.PORTS_8: // TS 23.040 §9.2.3.24.3
      if (data.length === 2) udh.ports = { destination: data[0], source: data[1], bits: 8 };
      break;
    case Iei.PORTS_16: // TS 23.040 §9.2.3.24.4
      if (data.length === 4) udh.ports = { destination: data.readUInt16BE(0), source: data.readUInt16BE(2), bits: 16 };
      break;
  }
}

function setConcat(udh: Udh, ref: number, total: number, seq: number, refBits: 8 | 16): void {
  if (total === 0 || seq === 0 || seq > total) return;
  udh.concat = { ref, total, seq, refBits };
}

/** Builds a UDH (UDHL then each element) from information elements. */
export function buildUdh(elements: ReadonlyArray<UdhElement>): Buffer {
  const size = elements.reduce((n, e) => n + 2 + e.data.length, 0);
  if (size > 0xff) throw new RangeError(`UDH of ${size} octets does not fit a one-octet UDHL`);
  const out = Buffer.allocUnsafe(1 + size);
  out[0] = size;
  let at = 1;
  for (const { iei, data } of elements) {
    if (!Number.isInteger(iei) || iei < 0 || iei > 0xff) throw new RangeError(`IEI must be an octet, got ${iei}`);
    out[at] = iei;
    out[at + 1] = data.length;
    out.set(data, at + 2);
    at += 2 + data.length;
  }
  return out;
}

/** Builds the UDH of one part of a concatenated message: `05 00 03 ref total seq` or `06 08 04 refHi refLo total seq`. */
export function buildConcatUdh(ref: number, total: number, seq: number, refBits: 8 | 16 = 8): Buffer {
  const maxRef = refBits === 8 ? 0xff : 0xffff;
  if (!Number.isInteger(ref) || ref < 0 || ref > maxRef) {
    throw new RangeError(`${refBits}-bit concatenation reference must be 0..${maxRef}, got ${ref}`);
  }
  if (!Number.isInteger(total) || total < 1 || total > 0xff) throw new RangeError(`total must be 1..255, got ${total}`);
  if (!Number.isInteger(seq) || seq < 1 || seq > total) throw new RangeError(`seq must be 1..${total}, got ${seq}`);
  if (refBits === 8) return Buffer.from([0x05, Iei.CONCAT_8, 0x03, ref, total, seq]);
  return Buffer.from([0x06, Iei.CONCAT_16, 0x04, ref >> 8, ref & 0xff, total, seq]);
}
