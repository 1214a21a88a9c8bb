// UCS-2 as SMPP carries it (data_coding 0x08): big-endian 16-bit code units. Real senders put UTF-16 there, so a
// character outside the BMP travels as its surrogate pair, two code units, and comes back unchanged.

import { TextDecodeError } from './errors.js';

const UCS2 = 0x08;

/** Encodes text as UTF-16BE code units; surrogate pairs (and even lone surrogates) pass through unchanged. */
export function encodeUcs2(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

/** Decodes UTF-16BE code units; an odd number of octets is a TextDecodeError (reporting `dataCoding`). */
export function decodeUcs2(bytes: Uint8Array, dataCoding = UCS2): string {
  if (bytes.length % 2 !== 0) {
    throw new TextDecodeError('odd number of octets in UCS-2 text', dataCoding, bytes.length - 1);
  }
  return Buffer.from(bytes).swap16().toString('utf16le');
}

/** True for a UTF-16 high (leading) surrogate code unit. */
export function isHighSurrogate(codeUnit: number): boolean {
  return codeUnit >= 0xd800 && codeUnit <= 0xdbff;
}

/** True for a UTF-16 low (trailing) surrogate code unit. */
export function isLowSurrogate(codeUnit: number): boolean {
  return codeUnit >= 0xdc00 && codeUnit <= 0xdfff;
}
