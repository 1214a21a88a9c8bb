// How much text fits in one short message, and where a long one may be cut. TS 23.040 §9.2.3.24.1: a part carries
// 140 octets of user data, less the UDH; an escape sequence and a UCS-2 character must not be split.

import type { Alphabet } from './dataCoding.js';
import { UnsupportedDataCodingError } from './errors.js';
import { GSM7_ESCAPE } from './gsm7.js';
import { isHighSurrogate, isLowSurrogate } from './ucs2.js';

/** How a long message is carried: UDH with an 8- or 16-bit reference, SAR TLVs, or whole in message_payload. */
export type SplitMethod = 'udh8' | 'udh16' | 'sar' | 'payload';

/** What a message's length is counted in: GSM septets, UCS-2 code units, or octets (8-bit and Latin-1 alike). */
export type TextUnit = 'septet' | 'ucs2' | 'octet';

/**
 * Units per part: alone (no UDH), after an 8-bit reference UDH (6 octets), after a 16-bit one (7 octets).
 * 140 octets = 160 septets = 70 UCS-2 units; a 6-octet UDH leaves 153 septets (with 1 fill bit), 67 units, 134 octets;
 * a 7-octet UDH leaves 152 septets, 66 units (an odd UDH wastes an octet), 133 octets. TS 23.040 §9.2.3.24.1
 */
export const PART_LIMITS = {
  septet: { single: 160, udh8: 153, udh16: 152 },
  ucs2: { single: 70, udh8: 67, udh16: 66 },
  octet: { single: 140, udh8: 134, udh16: 133 },
} as const;

/** Most parts a concatenation header (or sar_total_segments) can number. */
export const MAX_PARTS = 255;

/** Most octets the message_payload TLV can hold (its length is 16 bits). SMPP 3.4 §5.3.2.32 */
export const MAX_PAYLOAD_OCTETS = 0xffff;

/** The unit a data_coding's alphabet is measured in; throws UnsupportedDataCodingError for one we cannot split. */
export function unitOf(alphabet: Alphabet, dataCoding: number): TextUnit {
  switch (alphabet) {
    case 'gsm7':
      return 'septet';
    case 'ucs2':
      return 'ucs2';
    case 'ascii':
    case 'latin1':
    case 'cyrillic':
    case 'hebrew':
    case 'binary':
      return 'octet';
    default:
      throw new UnsupportedDataCodingError(dataCoding, `cannot split ${alphabet} content`);
  }
}

/**
 * Units per part when a message must be split. SAR parts are sized for a 16-bit reference: the SMSC rebuilds a UDH
 * for the air interface and a 16-bit sar_msg_ref_num only fits the 7-octet one. 'payload' is counted the way an
 * SMSC most commonly splits message_payload, with an 8-bit reference UDH.
 */
export function unitsPerPart(unit: TextUnit, method: SplitMethod): number {
  return method === 'udh16' || method === 'sar' ? PART_LIMITS[unit].udh16 : PART_LIMITS[unit].udh8;
}

/** Octets one unit takes in unpacked SMPP short_message (a GSM septet travels in one octet). */
export function octetsPerUnit(unit: TextUnit): number {
  return unit === 'ucs2' ? 2 : 1;
}

/**
 * Where to cut encoded content (unpacked GSM, UTF-16BE or octets) into parts: the offsets [0, …, length]. Fits in
 * one part: no cut. Otherwise parts are filled greedily, never cutting after a GSM escape or inside a surrogate pair.
 */
export function planCuts(encoded: Uint8Array, unit: TextUnit, method: SplitMethod): number[] {
  const width = octetsPerUnit(unit);
  if (encoded.length <= PART_LIMITS[unit].single * width) return [0, encoded.length];
  const room = unitsPerPart(unit, method) * width;
  const cuts = [0];
  let at = 0;
  while (at < encoded.length) {
    let end = Math.min(at + room, encoded.length);
    if (end < encoded.length && !canCutAt(encoded, unit, end)) end -= width;
    cuts.push(end);
    at = end;
  }
  return cuts;
}

function canCutAt(encoded: Uint8Array, unit: TextUnit, at: number): boolean {
  if (unit === 'septet') return encoded[at - 1] !== GSM7_ESCAPE;
  if (unit === 'ucs2') {
    const before = (encoded[at - 2] << 8) | encoded[at - 1];
    const after = (encoded[at] << 8) | encoded[at + 1];
    return !(isHighSurrogate(before) && isLowSurrogate(after));
  }
  return true;
}
