// A stored message part as the admin API shows it (SPEC.md §6 message history): every field of the record, the
// octets as hex, and the text when the data_coding can be decoded (the UDH, when esm_class says there is one, shown
// apart). Decoding is for the operator's eyes only; the stored bytes are never changed.

import { decodeText } from '../../smpp/text/dataCoding.js';
import { hasUdhi, parseUdh } from '../../smpp/text/udh.js';
import { type MessageRecord, MessageState, type MessageStateValue } from '../../store/model.js';

/** The content of a message part, as hex and (when decodable) text. */
export interface ContentView {
  /** short_message octets, UDH included, as hex. */
  hex: string;
  /** The User Data Header as hex, when esm_class has UDHI. */
  udh: string | null;
  /** The text after the UDH, or null for binary or undecodable content. */
  text: string | null;
}

/** A message part in an admin answer. */
export interface MessageView extends Omit<MessageRecord, 'short_message' | 'tlvs'> {
  short_message: ContentView;
  /** Optional parameters passed upstream, as hex. */
  tlvs: string | null;
  /** The SMPP message_state name (SMPP 3.4 §5.2.28): ENROUTE, DELIVERED, … */
  state_name: string;
}

const STATE_NAMES = new Map<MessageStateValue, string>(
  Object.entries(MessageState).map(([name, value]) => [value, name] as const),
);

/** Hex and, when possible, text of short_message. */
export function contentView(bytes: Buffer, esmClass: number, dataCoding: number): ContentView {
  let udh: Buffer | null = null;
  let payload = bytes;
  if (hasUdhi(esmClass)) {
    try {
      const parsed = parseUdh(bytes);
      udh = bytes.subarray(0, parsed.headerLength);
      payload = parsed.payload;
    } catch {
      // A malformed header: show the octets only.
      return { hex: bytes.toString('hex'), udh: null, text: null };
    }
  }
  let text: string | null = null;
  try {
    const decoded = decodeText(payload, dataCoding);
    text = typeof decoded === 'string' ? decoded : null;
  } catch {
    text = null;
  }
  return { hex: bytes.toString('hex'), udh: udh === null ? null : udh.toString('hex'), text };
}

/** The admin view of a stored message part. */
export function messageView(m: MessageRecord): MessageView {
  const { short_message, tlvs, ...rest } = m;
  return {
    ...rest,
    short_message: contentView(short_message, m.esm_class, m.data_coding),
    tlvs: tlvs === null ? null : tlvs.toString('hex'),
    state_name: STATE_NAMES.get(m.state) ?? 'UNKNOWN',
  };
}
