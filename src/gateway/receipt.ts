// Delivery receipts (SPEC.md §5): the receipt text we send to ESMEs, a liberal parser for the receipts upstream
// SMSCs send us, message states, the receipt levels of registered_delivery, and the message-id base handling that
// lets an upstream receipt find its message.
//
// The text is the de-facto format of SMPP 3.4 Appendix B, as Jasmin and most SMSCs write it:
//   id:<id> sub:001 dlvrd:<000|001> submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:<STATE> err:<nnn> text:<20 chars>
// sub and dlvrd are three digits as in Appendix B (`dlvrd:001` when delivered, else `000`), err is a decimal
// error code padded to three digits, dates are in the gateway's local time.

import { MessageState, type MessageStateValue } from '../store/model.js';

/** The 7-character state names of receipt texts, by message_state (SMPP 3.4 §5.2.28, Appendix B). */
export const RECEIPT_STATE_NAMES: Readonly<Record<MessageStateValue, string>> = {
  [MessageState.ENROUTE]: 'ENROUTE',
  [MessageState.DELIVERED]: 'DELIVRD',
  [MessageState.EXPIRED]: 'EXPIRED',
  [MessageState.DELETED]: 'DELETED',
  [MessageState.UNDELIVERABLE]: 'UNDELIV',
  [MessageState.ACCEPTED]: 'ACCEPTD',
  [MessageState.UNKNOWN]: 'UNKNOWN',
  [MessageState.REJECTED]: 'REJECTD',
};

// Names SMSCs write for the states, beyond the 7-character ones: the long names and a few common variants.
const STATE_ALIASES: Readonly<Record<string, MessageStateValue>> = {
  ENROUTE: MessageState.ENROUTE,
  DELIVRD: MessageState.DELIVERED,
  DELIVERED: MessageState.DELIVERED,
  EXPIRED: MessageState.EXPIRED,
  DELETED: MessageState.DELETED,
  UNDELIV: MessageState.UNDELIVERABLE,
  UNDELIVERABLE: MessageState.UNDELIVERABLE,
  UNDELIVERED: MessageState.UNDELIVERABLE,
  FAILED: MessageState.UNDELIVERABLE,
  ACCEPTD: MessageState.ACCEPTED,
  ACCEPTED: MessageState.ACCEPTED,
  UNKNOWN: MessageState.UNKNOWN,
  REJECTD: MessageState.REJECTED,
  REJECTED: MessageState.REJECTED,
};

/** The receipt-text name of a state (`DELIVRD` for 2). */
export function receiptStateName(state: MessageStateValue): string {
  return RECEIPT_STATE_NAMES[state];
}

/** The state of a receipt-text name, case-insensitive, long names and 1–8 accepted; null when unknown. */
export function stateFromReceiptName(name: string): MessageStateValue | null {
  const upper = name.trim().toUpperCase();
  const alias = STATE_ALIASES[upper];
  if (alias !== undefined) return alias;
  if (/^[1-8]$/.test(upper)) return Number(upper) as MessageStateValue;
  return null;
}

/**
 * True for final states: every state but ENROUTE. As in SMPP 5.0's state table, ACCEPTED and REJECTED are final;
 * UNKNOWN is taken as final too (the SMSC will not say more).
 */
export function isFinalState(state: MessageStateValue): boolean {
  return state !== MessageState.ENROUTE;
}

/** True for final states that mean the message reached the subscriber's side: DELIVERED, ACCEPTED. */
export function isSuccessState(state: MessageStateValue): boolean {
  return state === MessageState.DELIVERED || state === MessageState.ACCEPTED;
}

/**
 * Whether an ESME asked for a receipt in this state through registered_delivery (SMPP 3.4 §5.2.17).
 * Bits 0–1: 0 none, 1 final outcome (success or failure), 2 failure only, 3 (reserved) taken as 1.
 * Bit 4: intermediate notifications (ENROUTE). Other bits (SME acknowledgements) are ignored.
 */
export function wantsReceipt(registeredDelivery: number, state: MessageStateValue): boolean {
  if (!isFinalState(state)) return (registeredDelivery & 0x10) !== 0;
  switch (registeredDelivery & 0x03) {
    case 1:
    case 3:
      return true;
    case 2:
      return !isSuccessState(state);
    default:
      return false;
  }
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * The last second formatted: every receipt formats its done date (now) and its submit date (a moment ago), and the
 * local-time getters cost more than the rest of the receipt. Keyed by the whole second, which is exact: time zone
 * offsets are whole seconds, so the local minute never changes within a second.
 */
let dateCacheSecond = Number.NaN;
let dateCacheText = '';

/** YYMMDDhhmm in the gateway's local time. */
export function formatReceiptDate(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second === dateCacheSecond) return dateCacheText;
  const d = new Date(epochMs);
  const text =
    two(d.getFullYear() % 100) + two(d.getMonth() + 1) + two(d.getDate()) + two(d.getHours()) + two(d.getMinutes());
  if (Number.isFinite(second)) {
    dateCacheSecond = second;
    dateCacheText = text;
  }
  return text;
}

/** The first `n` code points of `s` (a surrogate pair is one), without splitting the whole string when it is long. */
export function firstCodePoints(s: string, n: number): string {
  if (s.length <= n) return s;
  // n code points take at most 2n code units: a pair cut at the end of the slice is past the n-th code point.
  return Array.from(s.slice(0, 2 * n))
    .slice(0, n)
    .join('');
}

/** Reads YYMMDDhhmm or YYMMDDhhmmss (local time, years 2000–2099) to epoch ms; null when it is not a date. */
export function parseReceiptDate(s: string): number | null {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/.exec(s);
  if (m === null) return null;
  const [y, mo, d, h, mi, se] = [
    2000 + Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6] ?? '0'),
  ];
  const date = new Date(y, mo - 1, d, h, mi, se);
  if (date.getMonth() !== mo - 1 || date.getDate() !== d || h > 23 || mi > 59 || se > 59) return null;
  return date.getTime();
}

/** What a receipt text says. Times are epoch ms. */
export interface ReceiptFields {
  id: string;
  /** Messages submitted; default 1. */
  sub?: number;
  /** Messages delivered; default 1 for DELIVERED, else 0. */
  dlvrd?: number;
  submitDate: number;
  doneDate: number;
  state: MessageStateValue;
  /** Network or SMPP error code; default 0. */
  err?: number;
  /** The message text; its first 20 characters are kept. */
  text?: string;
}

/** Formats the receipt text sent to ESMEs in deliver_sm short_message. */
export function formatReceipt(f: ReceiptFields): string {
  const three = (n: number) => String(Math.max(0, Math.trunc(n))).padStart(3, '0');
  const dlvrd = f.dlvrd ?? (f.state === MessageState.DELIVERED ? 1 : 0);
  // Cut by code points so that a surrogate pair is never split.
  const text = firstCodePoints(f.text ?? '', 20);
  return (
    `id:${f.id} sub:${three(f.sub ?? 1)} dlvrd:${three(dlvrd)} ` +
    `submit date:${formatReceiptDate(f.submitDate)} done date:${formatReceiptDate(f.doneDate)} ` +
    `stat:${receiptStateName(f.state)} err:${three(f.err ?? 0)} text:${text}`
  );
}

/** A receipt text as an upstream wrote it; every field but id may be missing (null). */
export interface ParsedReceipt {
  id: string;
  sub: number | null;
  dlvrd: number | null;
  submitDate: number | null;
  doneDate: number | null;
  /** The stat field as written. */
  stat: string | null;
  /** The state it names, null when missing or not a known name. */
  state: MessageStateValue | null;
  /** The err field as written (decimal, sometimes hex). */
  err: string | null;
  /** err as a number (decimal, or hex with 0x), null when absent or neither. */
  errorCode: number | null;
  text: string | null;
}

type Key = 'id' | 'sub' | 'dlvrd' | 'submit' | 'done' | 'stat' | 'err' | 'text';

const KEY = /(^|\s)(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err|text)\s*:/gi;

function keyOf(raw: string): Key {
  const k = raw.toLowerCase();
  if (k.startsWith('submit')) return 'submit';
  if (k.startsWith('done')) return 'done';
  return k as Key;
}

function firstToken(v: string): string {
  return v.trim().split(/\s+/, 1)[0] ?? '';
}

function intOrNull(v: string | undefined): number | null {
  if (v === undefined) return null;
  const t = firstToken(v);
  return /^\d+$/.test(t) ? Number(t) : null;
}

/**
 * Parses an upstream receipt text liberally: fields in any order, keys in any case (`Id:`, `Text:`), `submit_date`
 * for `submit date`, missing fields, 10- or 12-digit dates, `text:` with spaces. Everything after `text:` is the
 * text, except fields that were not seen before it (some SMSCs put text first). Null when there is no id.
 */
export function parseReceipt(s: string): ParsedReceipt | null {
  const values = receiptValues(s);
  const idValue = values.get('id');
  const id = idValue === undefined ? '' : firstToken(idValue);
  if (id === '') return null;
  const date = (k: Key) => {
    const v = values.get(k);
    return v === undefined ? null : parseReceiptDate(firstToken(v));
  };
  const { stat, err, errorCode } = statusOf(values);
  const textValue = values.get('text');
  return {
    id,
    sub: intOrNull(values.get('sub')),
    dlvrd: intOrNull(values.get('dlvrd')),
    submitDate: date('submit'),
    doneDate: date('done'),
    stat,
    state: stat === null ? null : stateFromReceiptName(stat),
    err,
    errorCode,
    text: textValue === undefined ? null : textValue.replace(/^\s+/, '').replace(/[\s\0]+$/, ''),
  };
}

/**
 * What matching a receipt needs of its text, read as parseReceipt reads it (id, state, error) without the dates, counts
 * and text it would also work out. Null when there is no id.
 */
export function parseReceiptStatus(
  s: string,
): Pick<ParsedReceipt, 'id' | 'stat' | 'state' | 'err' | 'errorCode'> | null {
  const values = receiptValues(s);
  const idValue = values.get('id');
  const id = idValue === undefined ? '' : firstToken(idValue);
  if (id === '') return null;
  const { stat, err, errorCode } = statusOf(values);
  return { id, stat, state: stat === null ? null : stateFromReceiptName(stat), err, errorCode };
}

function statusOf(values: Map<Key, string>): { stat: string | null; err: string | null; errorCode: number | null } {
  const statValue = values.get('stat');
  const stat = statValue === undefined ? null : firstToken(statValue) || null;
  const errValue = values.get('err');
  const err = errValue === undefined ? null : firstToken(errValue) || null;
  let errorCode: number | null = null;
  if (err !== null && /^\d+$/.test(err)) errorCode = Number(err);
  else if (err !== null && /^0x[0-9a-f]+$/i.test(err)) errorCode = Number.parseInt(err.slice(2), 16);
  return { stat, err, errorCode };
}

/** Each field's raw value by key (see parseReceipt for which occurrences count). */
function receiptValues(s: string): Map<Key, string> {
  const marks: { key: Key; start: number; end: number }[] = [];
  const seen = new Set<Key>();
  for (const m of s.matchAll(KEY)) {
    const key = keyOf(m[2]);
    // A repeated field, or a field name inside the text that was already given, is part of a value.
    if (seen.has(key) || (seen.has('text') && key === 'text')) continue;
    seen.add(key);
    const start = (m.index ?? 0) + m[1].length;
    marks.push({ key, start, end: (m.index ?? 0) + m[0].length });
  }
  const values = new Map<Key, string>();
  marks.forEach((mark, i) => {
    const next = marks[i + 1];
    values.set(mark.key, s.slice(mark.end, next === undefined ? s.length : next.start));
  });
  return values;
}

// ---------------------------------------------------------------------------------------------------------------
// Upstream message ids

/**
 * How a connector's receipts write the ids its submit_sm_resp gave:
 * - `same`: the same string (Jasmin's dlr_msgid 0);
 * - `dec_to_hex`: receipts in decimal, submit_sm_resp in hex (Jasmin's dlr_msgid 1);
 * - `hex_to_dec`: receipts in hex, submit_sm_resp in decimal (Jasmin's dlr_msgid 2).
 */
export type UpstreamIdBase = 'same' | 'dec_to_hex' | 'hex_to_dec';

/** A connector's message-id handling for the receipt map. */
export interface UpstreamIdOptions {
  base: UpstreamIdBase;
  /** Drop leading zeros (`000123` = `123`); always done when a base conversion is configured. */
  stripLeadingZeros?: boolean;
  /** Compare ids case-insensitively (`479AB700` = `479ab700`); always done for hex conversions. */
  ignoreCase?: boolean;
}

function canonicalNumber(id: string, radix: 10 | 16): string | null {
  const t = id.trim();
  const digits = radix === 16 ? /^(0x)?[0-9a-f]+$/i : /^[0-9]+$/;
  if (!digits.test(t)) return null;
  const value = BigInt(radix === 16 ? (t.toLowerCase().startsWith('0x') ? t : `0x${t}`) : t);
  return value.toString(radix);
}

/** The receipt-map key of an id the upstream returned in submit_sm_resp. */
export function submitRespIdKey(id: string, options: UpstreamIdOptions): string {
  switch (options.base) {
    case 'same':
      return sameKey(id.trim(), options);
    case 'dec_to_hex':
      return canonicalNumber(id, 16) ?? id.trim();
    case 'hex_to_dec':
      return canonicalNumber(id, 10) ?? id.trim();
  }
}

/** The receipt-map key of the id an upstream receipt carries, converted to the submit_sm_resp base; null if invalid. */
export function receiptIdKey(id: string, options: UpstreamIdOptions): string | null {
  const t = id.trim();
  if (t === '') return null;
  switch (options.base) {
    case 'same':
      return sameKey(t, options);
    case 'dec_to_hex': {
      const dec = canonicalNumber(t, 10);
      return dec === null ? null : BigInt(dec).toString(16);
    }
    case 'hex_to_dec': {
      const hex = canonicalNumber(t, 16);
      return hex === null ? null : BigInt(`0x${hex}`).toString(10);
    }
  }
}

function sameKey(id: string, options: UpstreamIdOptions): string {
  const cased = options.ignoreCase ? id.toLowerCase() : id;
  return options.stripLeadingZeros ? stripZeros(cased) : cased;
}

function stripZeros(id: string): string {
  const stripped = id.replace(/^0+/, '');
  return stripped === '' && id !== '' ? '0' : stripped;
}
