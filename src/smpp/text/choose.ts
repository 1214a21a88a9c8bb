// Picking a data_coding for text, and counting the short messages it will take.

import { DataCoding, describeDataCoding, encodeText } from './dataCoding.js';
import { isGsm7 } from './gsm7.js';
import {
  octetsPerUnit,
  PART_LIMITS,
  planCuts,
  type SplitMethod,
  type TextUnit,
  unitOf,
  unitsPerPart,
} from './limits.js';
import { fitsCharset, LATIN1 } from './singleByte.js';

/** The data_coding values chooseEncoding picks from. */
export type ChosenCoding = typeof DataCoding.SMSC_DEFAULT | typeof DataCoding.LATIN1 | typeof DataCoding.UCS2;

/** Options of chooseEncoding. */
export interface ChooseOptions {
  /**
   * Allow Latin-1 (0x03) for text GSM cannot carry but ISO-8859-1 can. Off by default: many SMSCs mishandle 0x03
   * (they pass the octets on as if GSM, or reject it), so the safe default goes straight from GSM to UCS-2.
   */
  allowLatin1?: boolean;
}

/**
 * The smallest coding that represents the text: GSM 03.38 (0x00) when every character is in it, else Latin-1 (0x03)
 * if allowed and possible, else UCS-2 (0x08), which represents anything.
 */
export function chooseEncoding(text: string, opts: ChooseOptions = {}): ChosenCoding {
  if (isGsm7(text)) return DataCoding.SMSC_DEFAULT;
  if (opts.allowLatin1 && fitsCharset(text, LATIN1)) return DataCoding.LATIN1;
  return DataCoding.UCS2;
}

/** Options of countParts. */
export interface CountOptions extends ChooseOptions {
  /** How the message would be split; decides the room the header leaves. Default 'udh8'. */
  method?: SplitMethod;
  /** Count in this data_coding instead of the one chooseEncoding picks. */
  dataCoding?: number;
}

/** How many short messages a text takes, and in what. */
export interface PartCount {
  dataCoding: number;
  /** Short messages needed (for 'payload', the ones the SMSC will most likely make). May exceed 255. */
  parts: number;
  /** Units that fit in each part: the single-message limit when one part, the per-part limit otherwise. */
  unitsPerPart: number;
  /** Length of the whole text in units: septets (extension characters 2), UCS-2 code units, or octets. */
  totalUnits: number;
  /** The unit of unitsPerPart and totalUnits. */
  unit: TextUnit;
}

/**
 * Counts the short messages a text takes (what billing charges): GSM 160 alone / 153 per part (152 with a 16-bit
 * reference), UCS-2 70 / 67 (66), 8-bit and Latin-1 140 / 134 (133). Cuts are the ones splitText makes, so an escape
 * sequence or a surrogate pair that would straddle a boundary moves to the next part and can add one.
 * Throws UnrepresentableTextError when a forced dataCoding cannot carry the text.
 */
export function countParts(text: string, opts: CountOptions = {}): PartCount {
  const dataCoding = opts.dataCoding ?? chooseEncoding(text, opts);
  const unit = unitOf(describeDataCoding(dataCoding).alphabet, dataCoding);
  const encoded = encodeText(text, dataCoding);
  const totalUnits = encoded.length / octetsPerUnit(unit);
  const parts = planCuts(encoded, unit, opts.method ?? 'udh8').length - 1;
  const perPart = parts === 1 ? PART_LIMITS[unit].single : unitsPerPart(unit, opts.method ?? 'udh8');
  return { dataCoding, parts, unitsPerPart: perPart, totalUnits, unit };
}
