// The single-octet character sets SMPP 3.4 §5.2.19 names: IA5 (ASCII), ISO-8859-1, ISO-8859-5 (Cyrillic) and
// ISO-8859-8 (Latin/Hebrew). Each is a 256-entry table from octet to code point; -1 marks an octet the set leaves
// undefined, which is a decode error rather than a guess.

import { TextDecodeError, UnrepresentableTextError } from './errors.js';

/** An octet → code point table for a single-octet character set, with its reverse. */
export interface SingleByteCharset {
  /** The data_coding this set is used for (reported in errors). */
  readonly dataCoding: number;
  /** Code point of each octet, -1 where the set defines none. */
  readonly decode: Int32Array;
  /** Octet of each code point the set defines. */
  readonly encode: ReadonlyMap<number, number>;
}

function charset(dataCoding: number, codePointOf: (octet: number) => number): SingleByteCharset {
  const decode = new Int32Array(256);
  const encode = new Map<number, number>();
  for (let octet = 0; octet < 256; octet++) {
    const cp = codePointOf(octet);
    decode[octet] = cp;
    if (cp >= 0) encode.set(cp, octet);
  }
  return { dataCoding, decode, encode };
}

/** IA5 / US-ASCII (data_coding 0x01): octets 0x00–0x7F only. */
export const ASCII = charset(0x01, (o) => (o < 0x80 ? o : -1));

/** ISO-8859-1 (data_coding 0x03): every octet is the code point of the same value. */
export const LATIN1 = charset(0x03, (o) => o);

/** ISO-8859-5, Latin/Cyrillic (data_coding 0x06). */
export const CYRILLIC = charset(0x06, (o) => {
  if (o <= 0xa0 || o === 0xad) return o;
  if (o === 0xf0) return 0x2116; // NUMERO SIGN
  if (o === 0xfd) return 0x00a7; // SECTION SIGN
  return o + 0x0360; // Ё..Ќ, Ў..я, ё..ќ, ў, џ
});

/** ISO-8859-8, Latin/Hebrew (data_coding 0x07), visual order as the standard defines it. */
export const HEBREW = charset(0x07, (o) => {
  if (o <= 0xa0) return o;
  if (o === 0xaa) return 0x00d7; // MULTIPLICATION SIGN
  if (o === 0xba) return 0x00f7; // DIVISION SIGN
  if (o >= 0xa2 && o <= 0xbe) return o;
  if (o === 0xdf) return 0x2017; // DOUBLE LOW LINE
  if (o >= 0xe0 && o <= 0xfa) return o - 0xe0 + 0x05d0; // alef..tav
  if (o === 0xfd) return 0x200e; // LEFT-TO-RIGHT MARK
  if (o === 0xfe) return 0x200f; // RIGHT-TO-LEFT MARK
  return -1;
});

/** True when every character of the text has an octet in the set. */
export function fitsCharset(text: string, set: SingleByteCharset): boolean {
  for (let i = 0; i < text.length; i++) {
    if (!set.encode.has(text.charCodeAt(i))) return false;
  }
  return true;
}

/** Encodes text in a single-octet set; a character outside it is an UnrepresentableTextError. */
export function encodeCharset(text: string, set: SingleByteCharset): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) {
    const octet = set.encode.get(text.charCodeAt(i));
    if (octet === undefined) {
      const cp = text.codePointAt(i) ?? 0;
      throw new UnrepresentableTextError(String.fromCodePoint(cp), i, set.dataCoding);
    }
    out[i] = octet;
  }
  return out;
}

/** Decodes octets of a single-octet set; an octet the set leaves undefined is a TextDecodeError. */
export function decodeCharset(bytes: Uint8Array, set: SingleByteCharset): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const cp = set.decode[bytes[i]];
    if (cp < 0) throw new TextDecodeError(`octet 0x${bytes[i].toString(16)} is not defined`, set.dataCoding, i);
    out += String.fromCharCode(cp);
  }
  return out;
}
