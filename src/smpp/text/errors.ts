// The typed errors of the text layer. Each has its own `name`, so a caller can tell them apart without parsing
// messages; all extend SmppTextError so one `instanceof` catches the whole family.

/** Base class of every error thrown by the SMPP text layer. */
export class SmppTextError extends Error {
  override name = 'SmppTextError';
}

/** A character of the text has no representation in the asked data_coding (never replaced by `?`). */
export class UnrepresentableTextError extends SmppTextError {
  override name = 'UnrepresentableTextError';
  /** The offending character (a whole code point, so possibly two UTF-16 code units). */
  readonly char: string;
  /** Its index (in UTF-16 code units) in the text. */
  readonly index: number;
  /** The data_coding that was asked for. */
  readonly dataCoding: number;

  constructor(char: string, index: number, dataCoding: number, options?: ErrorOptions) {
    const cp = char.codePointAt(0) ?? 0;
    const hex = cp.toString(16).toUpperCase().padStart(4, '0');
    super(`character U+${hex} at index ${index} cannot be encoded with data_coding 0x${hexByte(dataCoding)}`, options);
    this.char = char;
    this.index = index;
    this.dataCoding = dataCoding;
  }
}

/** The bytes are not valid in the data_coding they were given with (odd UCS-2 length, an octet out of range, …). */
export class TextDecodeError extends SmppTextError {
  override name = 'TextDecodeError';
  /** The data_coding the bytes were decoded with. */
  readonly dataCoding: number;
  /** Offset of the first bad octet. */
  readonly offset: number;

  constructor(message: string, dataCoding: number, offset: number, options?: ErrorOptions) {
    super(`data_coding 0x${hexByte(dataCoding)}: ${message} (at octet ${offset})`, options);
    this.dataCoding = dataCoding;
    this.offset = offset;
  }
}

/** The data_coding is reserved, compressed, or an alphabet this layer cannot convert (JIS, Kanji, KS C 5601, …). */
export class UnsupportedDataCodingError extends SmppTextError {
  override name = 'UnsupportedDataCodingError';
  /** The data_coding that was asked for. */
  readonly dataCoding: number;

  constructor(dataCoding: number, reason: string, options?: ErrorOptions) {
    super(`data_coding 0x${hexByte(dataCoding)}: ${reason}`, options);
    this.dataCoding = dataCoding;
  }
}

/** A User Data Header that does not fit the message or whose elements overrun it. */
export class UdhError extends SmppTextError {
  override name = 'UdhError';
}

/** The message needs more parts than a concatenation header can number (255), or more octets than a TLV holds. */
export class MessageTooLongError extends SmppTextError {
  override name = 'MessageTooLongError';
}

function hexByte(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
