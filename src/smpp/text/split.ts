// Splitting a long message into short messages: with a concatenation UDH (TS 23.040 §9.2.3.24.1/.8), with the SAR
// TLVs (SMPP 3.4 §5.3.2.22–24), or not at all, whole in message_payload (SMPP 3.4 §5.3.2.32).
// GSM text stays unpacked, one septet per octet, as SMPP carries it; the SMSC packs it after the UDH with fill bits.

import { chooseEncoding } from './choose.js';
import { DataCoding, describeDataCoding, encodeText, isBinaryCoding } from './dataCoding.js';
import { MessageTooLongError } from './errors.js';
import { MAX_PARTS, MAX_PAYLOAD_OCTETS, planCuts, type SplitMethod, type TextUnit, unitOf } from './limits.js';
import { buildConcatUdh } from './udh.js';

/** The SAR TLVs of one part. SMPP 3.4 §5.3.2.22–24 */
export interface SarInfo {
  sar_msg_ref_num: number;
  sar_total_segments: number;
  sar_segment_seqnum: number;
}

/** One short message to send: the fields it sets in submit_sm / deliver_sm. */
export interface MessagePart {
  /** short_message, UDH included when esmClassUdhi; empty for method 'payload'. */
  short_message: Buffer;
  /** Set esm_class bit 6 (UDHI, 0x40) for this part. */
  esmClassUdhi: boolean;
  data_coding: number;
  /** The SAR TLVs, for method 'sar' when there is more than one part. */
  sar?: SarInfo;
  /** For method 'payload': the whole encoded message, for the message_payload TLV. */
  message_payload?: Buffer;
}

/** The parts of a message, in order, and how they are carried. */
export interface SplitResult {
  method: SplitMethod;
  data_coding: number;
  parts: MessagePart[];
}

/** Options of splitText and splitBinary. */
export interface SplitOptions {
  /** Default 'udh8'. */
  method?: SplitMethod;
  /**
   * Concatenation reference, shared by every part (the caller owns the counter): 0..255 for 'udh8', 0..65535 for
   * 'udh16' and 'sar'. Needed only when the message takes more than one part.
   */
  ref?: number;
}

/** Options of splitText. */
export interface SplitTextOptions extends SplitOptions {
  /** Encode in this data_coding instead of the one chooseEncoding picks. */
  dataCoding?: number;
  /** Let chooseEncoding pick Latin-1 (see ChooseOptions). */
  allowLatin1?: boolean;
}

/** Options of splitBinary. */
export interface SplitBinaryOptions extends SplitOptions {
  /** An 8-bit data_coding (0x02, 0x04, or a GSM 03.38 8-bit scheme such as 0xF5). Default 0x04. */
  dataCoding?: number;
}

/**
 * Encodes text and splits it into short messages. A text that fits one message gets no UDH and no SAR TLVs. Parts
 * never cut a GSM escape sequence or a UTF-16 surrogate pair. Throws UnrepresentableTextError when a forced
 * dataCoding cannot carry the text, MessageTooLongError past 255 parts (or 65535 octets for 'payload').
 */
export function splitText(text: string, opts: SplitTextOptions = {}): SplitResult {
  const dataCoding = opts.dataCoding ?? chooseEncoding(text, opts);
  if (isBinaryCoding(dataCoding)) {
    throw new TypeError(`data_coding 0x${dataCoding.toString(16)} is 8-bit binary: use splitBinary`);
  }
  const unit = unitOf(describeDataCoding(dataCoding).alphabet, dataCoding);
  return splitEncoded(encodeText(text, dataCoding), unit, dataCoding, opts);
}

/** Splits 8-bit binary data into short messages: 140 octets alone, 134 (udh8) or 133 (udh16, sar) per part. */
export function splitBinary(bytes: Uint8Array, opts: SplitBinaryOptions = {}): SplitResult {
  const dataCoding = opts.dataCoding ?? DataCoding.BINARY;
  if (!isBinaryCoding(dataCoding)) {
    throw new TypeError(`data_coding 0x${dataCoding.toString(16)} is not 8-bit binary: use splitText`);
  }
  return splitEncoded(encodeText(bytes, dataCoding), 'octet', dataCoding, opts);
}

function splitEncoded(encoded: Buffer, unit: TextUnit, dataCoding: number, opts: SplitOptions): SplitResult {
  const method = opts.method ?? 'udh8';
  if (method === 'payload') {
    if (encoded.length > MAX_PAYLOAD_OCTETS) {
      throw new MessageTooLongError(`${encoded.length} octets exceed the ${MAX_PAYLOAD_OCTETS} message_payload holds`);
    }
    const part = { short_message: Buffer.alloc(0), esmClassUdhi: false, data_coding: dataCoding };
    return { method, data_coding: dataCoding, parts: [{ ...part, message_payload: encoded }] };
  }
  const cuts = planCuts(encoded, unit, method);
  const total = cuts.length - 1;
  if (total === 1) {
    return {
      method,
      data_coding: dataCoding,
      parts: [{ short_message: encoded, esmClassUdhi: false, data_coding: dataCoding }],
    };
  }
  if (total > MAX_PARTS) {
    throw new MessageTooLongError(`message needs ${total} parts; a concatenated message has at most ${MAX_PARTS}`);
  }
  const ref = checkRef(opts.ref, method);
  const parts: MessagePart[] = [];
  for (let seq = 1; seq <= total; seq++) {
    const body = encoded.subarray(cuts[seq - 1], cuts[seq]);
    if (method === 'sar') {
      const sar = { sar_msg_ref_num: ref, sar_total_segments: total, sar_segment_seqnum: seq };
      parts.push({ short_message: body, esmClassUdhi: false, data_coding: dataCoding, sar });
    } else {
      const udh = buildConcatUdh(ref, total, seq, method === 'udh8' ? 8 : 16);
      parts.push({ short_message: Buffer.concat([udh, body]), esmClassUdhi: true, data_coding: dataCoding });
    }
  }
  return { method, data_coding: dataCoding, parts };
}

function checkRef(ref: number | undefined, method: SplitMethod): number {
  const max = method === 'udh8' ? 0xff : 0xffff;
  if (ref === undefined) throw new TypeError(`a message of several parts needs opts.ref (0..${max}) for ${method}`);
  if (!Number.isInteger(ref) || ref < 0 || ref > max) {
    throw new RangeError(`reference for ${method} must be 0..${max}, got ${ref}`);
  }
  return ref;
}
