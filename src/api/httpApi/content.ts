// From `content` / `hex-content` and `coding` to the short messages /send submits (SPEC.md §4.6): text is encoded
// in the asked coding (or the smallest of GSM 03.38 and UCS-2 when none is asked), octets are passed untouched, and
// what does not fit one message is split with a UDH (8-bit reference) or the SAR TLVs, as `[http-api]
// long_content_split` says. Parts never cut a GSM escape or a surrogate pair (src/smpp/text/limits.ts).

import type { Tlvs } from '../../smpp/codec/index.js';
import {
  buildConcatUdh,
  chooseEncoding,
  describeDataCoding,
  ESM_CLASS_UDHI,
  encodeText,
  UnrepresentableTextError,
} from '../../smpp/text/index.js';
import { planCuts, type TextUnit, unitOf } from '../../smpp/text/limits.js';
import { HttpApiError, invalidArgument } from './errors.js';
import type { MessageArgs } from './params.js';

/** One short message of a /send request. */
export interface ContentPart {
  short_message: Buffer;
  /** 0, or UDHI (0x40) when short_message starts with a concatenation UDH. */
  esm_class: number;
  /** The SAR TLVs (SMPP 3.4 §5.3.2.22–24) when split with `sar`. */
  tlvs?: Tlvs;
}

/** A message ready to submit: its data_coding and its parts in order. */
export interface BuiltContent {
  dataCoding: number;
  parts: ContentPart[];
}

/** How long content is split and how far (`[http-api]` long_content_split and long_content_max_parts). */
export interface SplitSettings {
  split: 'udh' | 'sar';
  maxParts: number;
  /** The next concatenation reference (0–255 for udh, 0–65535 for sar). */
  nextRef: (max: number) => number;
}

const TEXT_ALPHABETS: ReadonlySet<string> = new Set(['gsm7', 'ascii', 'latin1', 'cyrillic', 'hebrew', 'ucs2']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The octets to send and their data_coding, before any split. */
export function encodeContent(args: Pick<MessageArgs, 'coding' | 'content' | 'hexContent'>): {
  bytes: Buffer;
  dataCoding: number;
} {
  if (args.hexContent !== null) return { bytes: args.hexContent, dataCoding: args.coding ?? 0 };
  const raw = args.content ?? Buffer.alloc(0);
  const alphabet = args.coding === null ? 'auto' : describeDataCoding(args.coding).alphabet;
  // A coding we do not convert (binary, JIS, pictograms…): the octets go as they came, as Jasmin sends them.
  if (alphabet !== 'auto' && !TEXT_ALPHABETS.has(alphabet)) {
    return { bytes: raw, dataCoding: args.coding ?? 0 };
  }
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw invalidArgument('content', raw.toString('latin1'), 'Text content must be UTF-8; send octets as hex-content.');
  }
  const dataCoding = args.coding ?? chooseEncoding(text);
  try {
    return { bytes: encodeText(text, dataCoding), dataCoding };
  } catch (error) {
    if (!(error instanceof UnrepresentableTextError)) throw error;
    throw invalidArgument(
      'content',
      text,
      `Coding ${dataCoding} cannot carry it (${error.message}); use coding 8 (UCS-2) or leave coding out.`,
    );
  }
}

/** The unit a data_coding's length is measured in; octets for one we cannot measure (as the pipeline counts). */
function unitFor(bytes: Buffer, dataCoding: number): TextUnit {
  let unit: TextUnit;
  try {
    unit = unitOf(describeDataCoding(dataCoding).alphabet, dataCoding);
  } catch {
    unit = 'octet';
  }
  return unit === 'ucs2' && bytes.length % 2 !== 0 ? 'octet' : unit;
}

/**
 * Encodes and splits the content of a request. Refuses (400 naming `content`) text its coding cannot carry and a
 * message of more parts than `maxParts`.
 */
export function buildContent(args: Pick<MessageArgs, 'coding' | 'content' | 'hexContent'>, settings: SplitSettings) {
  const { bytes, dataCoding } = encodeContent(args);
  const method = settings.split === 'sar' ? 'sar' : 'udh8';
  const cuts = planCuts(bytes, unitFor(bytes, dataCoding), method);
  const total = cuts.length - 1;
  const argument = args.hexContent !== null ? 'hex-content' : 'content';
  if (total > settings.maxParts) {
    throw new HttpApiError(
      400,
      `Argument [${argument}] is too long: it needs ${total} parts, more than long_content_max_parts (${settings.maxParts}).`,
      argument,
    );
  }
  if (total === 1) return { dataCoding, parts: [{ short_message: bytes, esm_class: 0 }] } satisfies BuiltContent;
  const ref = settings.nextRef(method === 'sar' ? 0xffff : 0xff);
  const parts: ContentPart[] = [];
  for (let seq = 1; seq <= total; seq++) {
    const body = bytes.subarray(cuts[seq - 1], cuts[seq]);
    if (method === 'sar') {
      // SMPP 3.4 §5.3.2.22–24
      const tlvs: Tlvs = { sar_msg_ref_num: ref, sar_total_segments: total, sar_segment_seqnum: seq };
      parts.push({ short_message: Buffer.from(body), esm_class: 0, tlvs });
    } else {
      const udh = buildConcatUdh(ref, total, seq, 8);
      parts.push({ short_message: Buffer.concat([udh, body]), esm_class: ESM_CLASS_UDHI });
    }
  }
  return { dataCoding, parts } satisfies BuiltContent;
}
