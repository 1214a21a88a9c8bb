// SMPP data_coding: what each value means, and text ↔ octets for the alphabets we can convert.
// SMPP 3.4 §5.2.19 defines 0x00–0x0E itself. Above that the octet is a GSM 03.38 data coding scheme (TS 23.038 §4):
// SMPP 3.4 names the 0xC0–0xFF groups, and SMSCs also send the general groups 0x10–0x7F (0x10 and 0x18 are the usual
// "flash" GSM and UCS-2), so we read those too rather than reject messages operators already send.

import { UnsupportedDataCodingError } from './errors.js';
import { decodeGsm7, encodeGsm7 } from './gsm7.js';
import { ASCII, CYRILLIC, decodeCharset, encodeCharset, HEBREW, LATIN1 } from './singleByte.js';
import { decodeUcs2, encodeUcs2 } from './ucs2.js';

/** The data_coding values SMPP 3.4 §5.2.19 names. */
export const DataCoding = {
  /** SMSC default alphabet; GSM 03.38 in smppgate. */
  SMSC_DEFAULT: 0x00,
  /** IA5 (CCITT T.50) / ASCII. */
  IA5: 0x01,
  /** Octet unspecified (8-bit binary). */
  OCTET_UNSPECIFIED: 0x02,
  /** Latin 1 (ISO-8859-1). */
  LATIN1: 0x03,
  /** Octet unspecified (8-bit binary), the value GSM 03.38 also reads as 8-bit data. */
  BINARY: 0x04,
  /** JIS (X 0208-1990). */
  JIS: 0x05,
  /** Cyrillic (ISO-8859-5). */
  CYRILLIC: 0x06,
  /** Latin/Hebrew (ISO-8859-8). */
  LATIN_HEBREW: 0x07,
  /** UCS-2 (ISO/IEC-10646), big-endian; UTF-16 in practice. */
  UCS2: 0x08,
  /** Pictogram encoding. */
  PICTOGRAM: 0x09,
  /** ISO-2022-JP (music codes). */
  ISO_2022_JP: 0x0a,
  /** Extended Kanji JIS (X 0212-1990). */
  EXTENDED_KANJI: 0x0d,
  /** KS C 5601. */
  KS_C_5601: 0x0e,
} as const;

/** One of the named SMPP data_coding values. */
export type DataCodingValue = (typeof DataCoding)[keyof typeof DataCoding];

/** The data_coding values decodeText always turns into a string (never bytes). */
export type TextDataCoding = 0x00 | 0x01 | 0x03 | 0x06 | 0x07 | 0x08;

/** The character set a data_coding value stands for. */
export type Alphabet =
  | 'gsm7'
  | 'ascii'
  | 'latin1'
  | 'binary'
  | 'ucs2'
  | 'cyrillic'
  | 'hebrew'
  | 'jis'
  | 'pictogram'
  | 'iso2022jp'
  | 'kanji'
  | 'ksc5601'
  | 'compressed'
  | 'reserved';

/** What a data_coding octet means: its alphabet and, for GSM 03.38 schemes that carry one, the message class. */
export interface DataCodingInfo {
  alphabet: Alphabet;
  /** GSM message class 0 (flash) to 3, or null when the value does not set one. */
  messageClass: 0 | 1 | 2 | 3 | null;
}

const SMPP_ALPHABETS: ReadonlyArray<Alphabet> = [
  'gsm7', // 0x00
  'ascii', // 0x01
  'binary', // 0x02
  'latin1', // 0x03
  'binary', // 0x04
  'jis', // 0x05
  'cyrillic', // 0x06
  'hebrew', // 0x07
  'ucs2', // 0x08
  'pictogram', // 0x09
  'iso2022jp', // 0x0A
  'reserved', // 0x0B
  'reserved', // 0x0C
  'kanji', // 0x0D
  'ksc5601', // 0x0E
  'reserved', // 0x0F
];

// TS 23.038 §4: bits 3..2 of the general and 0xF0 groups.
const GSM_ALPHABETS: ReadonlyArray<Alphabet> = ['gsm7', 'binary', 'ucs2', 'reserved'];

/** Reads a data_coding octet: SMPP 3.4 §5.2.19 for 0x00–0x0F, GSM 03.38 (TS 23.038 §4) data coding groups above. */
export function describeDataCoding(dataCoding: number): DataCodingInfo {
  if (!Number.isInteger(dataCoding) || dataCoding < 0 || dataCoding > 0xff) {
    throw new RangeError(`data_coding must be an octet, got ${dataCoding}`);
  }
  if (dataCoding < 0x10) return { alphabet: SMPP_ALPHABETS[dataCoding], messageClass: null };
  const group = dataCoding >> 4;
  const messageClass = (dataCoding & 0x03) as 0 | 1 | 2 | 3;
  if (group <= 0x7) {
    // General data coding (00xx) and automatic deletion (01xx) groups: bit 5 compressed, bit 4 class meaningful.
    if (dataCoding & 0x20) return { alphabet: 'compressed', messageClass: null };
    return {
      alphabet: GSM_ALPHABETS[(dataCoding >> 2) & 0x03],
      messageClass: dataCoding & 0x10 ? messageClass : null,
    };
  }
  if (group <= 0xb) return { alphabet: 'reserved', messageClass: null };
  if (group === 0xc || group === 0xd) return { alphabet: 'gsm7', messageClass: null }; // message waiting, GSM 7-bit
  if (group === 0xe) return { alphabet: 'ucs2', messageClass: null }; // message waiting, UCS-2
  // 0xF0 group: data coding / message class; bit 2 = 8-bit data, else GSM 7-bit.
  return { alphabet: dataCoding & 0x04 ? 'binary' : 'gsm7', messageClass };
}

/** True when the data_coding carries 8-bit binary data rather than text. */
export function isBinaryCoding(dataCoding: number): boolean {
  return describeDataCoding(dataCoding).alphabet === 'binary';
}

/**
 * Decodes short_message (or message_payload) octets. Text alphabets give a string; binary codings give the same
 * octets back as a Buffer, untouched. GSM 03.38 is taken unpacked, as SMPP carries it (see gsm7.ts for packed).
 * Throws TextDecodeError for octets invalid in the alphabet, UnsupportedDataCodingError for one we cannot convert.
 */
export function decodeText(bytes: Uint8Array, dataCoding: TextDataCoding): string;
export function decodeText(bytes: Uint8Array, dataCoding: number): string | Buffer;
export function decodeText(bytes: Uint8Array, dataCoding: number): string | Buffer {
  const { alphabet } = describeDataCoding(dataCoding);
  switch (alphabet) {
    case 'gsm7':
      return decodeGsm7(bytes, dataCoding);
    case 'ascii':
      return decodeCharset(bytes, ASCII);
    case 'latin1':
      return decodeCharset(bytes, LATIN1);
    case 'cyrillic':
      return decodeCharset(bytes, CYRILLIC);
    case 'hebrew':
      return decodeCharset(bytes, HEBREW);
    case 'ucs2':
      return decodeUcs2(bytes, dataCoding);
    case 'binary':
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    default:
      throw unsupported(dataCoding, alphabet);
  }
}

/**
 * Encodes content for a data_coding. Text alphabets take a string and throw UnrepresentableTextError for a character
 * they lack (never a silent `?`); binary codings take octets and return them untouched. GSM 03.38 comes out unpacked.
 */
export function encodeText(content: string | Uint8Array, dataCoding: number): Buffer {
  const { alphabet } = describeDataCoding(dataCoding);
  if (alphabet === 'binary') {
    if (typeof content === 'string') {
      throw new TypeError(`data_coding 0x${dataCoding.toString(16)} is 8-bit binary: pass octets, not text`);
    }
    return Buffer.isBuffer(content) ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  }
  if (typeof content !== 'string') {
    throw new TypeError(`data_coding 0x${dataCoding.toString(16)} is a text alphabet (${alphabet}): pass a string`);
  }
  switch (alphabet) {
    case 'gsm7':
      return encodeGsm7(content, dataCoding);
    case 'ascii':
      return encodeCharset(content, ASCII);
    case 'latin1':
      return encodeCharset(content, LATIN1);
    case 'cyrillic':
      return encodeCharset(content, CYRILLIC);
    case 'hebrew':
      return encodeCharset(content, HEBREW);
    case 'ucs2':
      return encodeUcs2(content);
    default:
      throw unsupported(dataCoding, alphabet);
  }
}

function unsupported(dataCoding: number, alphabet: Alphabet): UnsupportedDataCodingError {
  const why =
    alphabet === 'reserved'
      ? 'reserved value'
      : alphabet === 'compressed'
        ? 'compressed text (TS 23.042) is not supported'
        : `the ${alphabet} alphabet cannot be converted; pass its octets through untouched`;
  return new UnsupportedDataCodingError(dataCoding, why);
}
