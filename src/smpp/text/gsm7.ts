// GSM 03.38 (3GPP TS 23.038) default alphabet and its extension table, unpacked and packed.
// SMPP carries GSM text unpacked: one septet per octet in short_message (SMPP 3.4 §5.2.19, data_coding 0x00). The
// packed form (eight septets in seven octets) is what the air interface uses and what some SMSCs want on the wire.

import { TextDecodeError, UnrepresentableTextError } from './errors.js';

/** The escape septet that switches the next septet to the extension table. TS 23.038 §6.2.1.1 */
export const GSM7_ESCAPE = 0x1b;

const CR = 0x0d;
const SMSC_DEFAULT = 0x00;

// TS 23.038 §6.2.1: the default alphabet, index = septet. 0x1B (escape) is a placeholder, never a character.
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

// TS 23.038 §6.2.1.1: the extension table, reached through 0x1B.
const EXTENSION: ReadonlyArray<readonly [number, string]> = [
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
];

const basicEncode = new Map<number, number>();
for (let septet = 0; septet < 128; septet++) {
  if (septet !== GSM7_ESCAPE) basicEncode.set(BASIC.charCodeAt(septet), septet);
}
const extensionEncode = new Map<number, number>(EXTENSION.map(([septet, ch]) => [ch.charCodeAt(0), septet]));
const extensionDecode = new Map<number, string>(EXTENSION.map(([septet, ch]) => [septet, ch]));

/** Septets one UTF-16 code unit takes in GSM 03.38: 1 (default alphabet), 2 (extension table) or 0 (not in GSM). */
export function gsm7CharSeptets(codeUnit: number): 0 | 1 | 2 {
  if (basicEncode.has(codeUnit)) return 1;
  if (extensionEncode.has(codeUnit)) return 2;
  return 0;
}

/** True when every character of the text is in the GSM 03.38 default alphabet or its extension table. */
export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (gsm7CharSeptets(text.charCodeAt(i)) === 0) return false;
  }
  return true;
}

/** Length of the text in septets (extension characters count 2); throws UnrepresentableTextError if not GSM. */
export function gsm7Length(text: string, dataCoding = SMSC_DEFAULT): number {
  let septets = 0;
  for (let i = 0; i < text.length; i++) {
    const n = gsm7CharSeptets(text.charCodeAt(i));
    if (n === 0) throw unrepresentable(text, i, dataCoding);
    septets += n;
  }
  return septets;
}

/**
 * Encodes text as unpacked GSM 03.38 septets (one per octet, as SMPP carries them); never substitutes `?`.
 * `dataCoding` is only reported in errors (a GSM 03.38 scheme such as 0xF0 also lands here).
 */
export function encodeGsm7(text: string, dataCoding = SMSC_DEFAULT): Buffer {
  const out = Buffer.allocUnsafe(gsm7Length(text, dataCoding));
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const cu = text.charCodeAt(i);
    const basic = basicEncode.get(cu);
    if (basic !== undefined) {
      out[o++] = basic;
    } else {
      out[o++] = GSM7_ESCAPE;
      out[o++] = extensionEncode.get(cu)!;
    }
  }
  return out;
}

/**
 * Decodes unpacked GSM 03.38 septets. As TS 23.038 §6.2.1.1 asks of a receiver, an escape followed by a septet the
 * extension table does not define shows that septet's default character, and an escape with nothing after it (or a
 * second escape, reserved for a further table) shows a space. An octet above 0x7F is a TextDecodeError.
 */
export function decodeGsm7(septets: Uint8Array, dataCoding = SMSC_DEFAULT): string {
  let out = '';
  for (let i = 0; i < septets.length; i++) {
    const s = septets[i];
    if (s > 0x7f) throw new TextDecodeError('octet above 0x7F in GSM 7-bit text', dataCoding, i);
    if (s !== GSM7_ESCAPE) {
      out += BASIC[s];
      continue;
    }
    if (i + 1 >= septets.length) {
      out += ' ';
      continue;
    }
    const next = septets[++i];
    if (next > 0x7f) throw new TextDecodeError('octet above 0x7F in GSM 7-bit text', dataCoding, i);
    out += next === GSM7_ESCAPE ? ' ' : (extensionDecode.get(next) ?? BASIC[next]);
  }
  return out;
}

/** Fill bits needed after a User Data Header of `udhOctets` octets so the text starts on a septet boundary. TS 23.040 §9.2.3.24 */
export function gsm7FillBits(udhOctets: number): number {
  return (7 - ((udhOctets * 8) % 7)) % 7;
}

/**
 * Packs septets into octets, least significant bit first, after `fillBits` zero bits (the fill that follows a UDH).
 * SMPP counts octets, not septets, so the unused bits at the end are ambiguous; TS 23.038 §6.1.2.3.1 resolves it:
 * when exactly 7 bits are spare they hold a CR (not zeros, which would read as `@`), and when the text itself ends
 * with a CR on an octet boundary a second CR is added. unpackGsm7 without a count undoes the first rule.
 */
export function packGsm7(septets: Uint8Array, fillBits = 0): Buffer {
  if (!Number.isInteger(fillBits) || fillBits < 0 || fillBits > 6) {
    throw new RangeError(`fillBits must be 0..6, got ${fillBits}`);
  }
  for (let i = 0; i < septets.length; i++) {
    if (septets[i] > 0x7f) throw new RangeError(`septet ${i} is 0x${septets[i].toString(16)}, above 0x7F`);
  }
  let count = septets.length;
  const bits = fillBits + 7 * count;
  let pad = -1;
  if (bits % 8 === 1 || (bits % 8 === 0 && count > 0 && septets[count - 1] === CR)) {
    pad = CR;
    count++;
  }
  const out = Buffer.alloc(Math.ceil((fillBits + 7 * count) / 8));
  let bit = fillBits;
  for (let i = 0; i < count; i++) {
    const v = i < septets.length ? septets[i] : pad;
    const byte = bit >> 3;
    const shift = bit & 7;
    out[byte] |= (v << shift) & 0xff;
    if (shift > 1) out[byte + 1] |= v >> (8 - shift);
    bit += 7;
  }
  return out;
}

/**
 * Unpacks septets from packed octets, skipping `fillBits` leading bits. Give `septetCount` when it is known (a
 * TP-UDL); without it every whole septet is read, and a CR filling exactly the last 7 bits is taken as the padding
 * TS 23.038 §6.1.2.3.1 prescribes and dropped.
 */
export function unpackGsm7(packed: Uint8Array, fillBits = 0, septetCount?: number): Buffer {
  if (!Number.isInteger(fillBits) || fillBits < 0 || fillBits > 6) {
    throw new RangeError(`fillBits must be 0..6, got ${fillBits}`);
  }
  const available = Math.max(0, packed.length * 8 - fillBits);
  const whole = Math.floor(available / 7);
  if (septetCount !== undefined && (!Number.isInteger(septetCount) || septetCount < 0 || septetCount > whole)) {
    throw new TextDecodeError(`${septetCount} septets do not fit in ${packed.length} octets`, SMSC_DEFAULT, 0);
  }
  let count = septetCount ?? whole;
  const out = Buffer.allocUnsafe(count);
  let bit = fillBits;
  for (let i = 0; i < count; i++) {
    const byte = bit >> 3;
    const shift = bit & 7;
    let v = packed[byte] >> shift;
    if (shift > 1) v |= packed[byte + 1] << (8 - shift);
    out[i] = v & 0x7f;
    bit += 7;
  }
  if (septetCount === undefined && count > 0 && available % 7 === 0 && out[count - 1] === CR) count--;
  return out.subarray(0, count);
}

function unrepresentable(text: string, index: number, dataCoding: number): UnrepresentableTextError {
  const cp = text.codePointAt(index) ?? 0;
  return new UnrepresentableTextError(String.fromCodePoint(cp), index, dataCoding);
}
