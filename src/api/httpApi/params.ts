// The arguments of Jasmin's HTTP API: read from the query string and the body (form-encoded or JSON), then checked
// the way Jasmin checks them — no arguments at all, then an unknown argument, then each known argument in Jasmin's
// order (missing when mandatory, or not matching its pattern) — so the first error a client sees is Jasmin's.
// Values are kept as octets: `content` with a coding we do not convert is passed upstream byte for byte.

import type { IncomingMessage } from 'node:http';
import { readBody } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import { HttpApiError, invalidArgument, missingArgument, shownName, unknownArgument } from './errors.js';

/** The arguments of one request: each name's first value, as octets. */
export type Args = Map<string, Buffer>;

/** Largest body the HTTP API reads (a long message in hex fits many times over). */
export const HTTP_API_BODY_LIMIT = 64 * 1024;

const HEX = /^[0-9a-f]{2}$/iu;

/** A `%` not followed by two hexadecimal digits, at `offset` in the component as written. */
export class MalformedEscapeError extends Error {
  override readonly name = 'MalformedEscapeError';
  readonly offset: number;

  /** Builds the error for the `%` at `offset`. */
  constructor(offset: number) {
    super(`malformed percent-encoding at character ${offset + 1}`);
    this.offset = offset;
  }
}

/**
 * Percent-decodes one form component to octets (`+` is a space). The input is the raw request as a latin1 string
 * (one character per octet, as Node gives `req.url`), so octets a client sent without encoding them come out
 * unchanged. A `%` not followed by two hexadecimal digits throws MalformedEscapeError: Jasmin (Twisted) would keep
 * it as written and send that text, but it is a client's encoding bug far more often than an intended `%`.
 */
export function decodeFormComponent(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2b) out.push(0x20);
    else if (c === 0x25) {
      if (!HEX.test(s.slice(i + 1, i + 3))) throw new MalformedEscapeError(i);
      out.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x100) out.push(c);
    else for (const b of Buffer.from(s[i], 'utf8')) out.push(b);
  }
  return Buffer.from(out);
}

const ESCAPE_HINT = 'A % must be followed by two hexadecimal digits; write a literal % as %25.';

/**
 * Adds the arguments of an `a=1&b=2` string to `args`; a name already present keeps its first value (as in Jasmin).
 * A malformed percent-escape is a 400 naming the argument.
 */
export function parseForm(text: string, args: Args): void {
  if (text === '') return;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    let name: string;
    try {
      name = decodeFormComponent(rawName).toString('utf8');
    } catch (error) {
      if (!(error instanceof MalformedEscapeError)) throw error;
      throw new HttpApiError(
        400,
        `Argument name [${shownName(rawName)}] is not valid: ${error.message}. ${ESCAPE_HINT}`,
      );
    }
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    let value: Buffer;
    try {
      value = decodeFormComponent(rawValue);
    } catch (error) {
      if (!(error instanceof MalformedEscapeError)) throw error;
      // The value as written from a few characters before the bad escape, so the client sees where it is.
      const from = Math.max(0, error.offset - 16);
      const shown = `${from > 0 ? '…' : ''}${rawValue.slice(from)}`;
      throw invalidArgument(name, shown, `${capitalised(error.message)}. ${ESCAPE_HINT}`);
    }
    if (!args.has(name)) args.set(name, value);
  }
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Adds the members of a JSON object body (strings, numbers, booleans) to `args`. */
function parseJsonArgs(text: string, args: Args): void {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpApiError(400, 'The request body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpApiError(400, 'The request body must be a JSON object of arguments.');
  }
  for (const [name, value] of Object.entries(body)) {
    if (args.has(name)) continue;
    if (typeof value === 'string') args.set(name, Buffer.from(value, 'utf8'));
    else if (typeof value === 'number' || typeof value === 'boolean') args.set(name, Buffer.from(String(value)));
    else throw invalidArgument(name, JSON.stringify(value) ?? '', 'A JSON argument must be a string or a number.');
  }
}

/** Reads the arguments of a request: the query string, then a form-encoded or JSON body (POST). */
export async function readArgs(req: IncomingMessage): Promise<Args> {
  const args: Args = new Map();
  // The raw query (not URL's, which re-encodes what the client left unencoded).
  const raw = req.url ?? '';
  const q = raw.indexOf('?');
  if (q >= 0) parseForm(raw.slice(q + 1).split('#')[0], args);
  if (req.method === 'GET' || req.method === 'HEAD') return args;
  let body: Buffer;
  try {
    body = await readBody(req, HTTP_API_BODY_LIMIT);
  } catch (error) {
    // The headers say whether the connection must close (a declared body too large is never read).
    if (error instanceof HttpError)
      throw new HttpApiError(error.status, error.message, undefined, { ...error.headers });
    throw error;
  }
  if (body.length === 0) return args;
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') parseJsonArgs(body.toString('utf8'), args);
  else parseForm(body.toString('latin1'), args);
  return args;
}

/** How one argument is checked: mandatory or not, and the pattern its text must match. */
interface ArgSpec {
  mandatory: boolean;
  pattern?: RegExp;
  /** Said after Jasmin's "has an invalid value" message. */
  hint?: string;
}

// Jasmin's patterns; usernames and passwords may be longer than Jasmin's 16 characters (ours are any length).
const TO = { mandatory: true, pattern: /^\+?\d{1,20}$/u, hint: 'Digits with an optional leading +, at most 20.' };
const FROM = { mandatory: false, pattern: /^[^\0]{1,20}$/u, hint: 'At most 20 characters.' };
const CODING = {
  mandatory: false,
  pattern: /^(0|1|2|3|4|5|6|7|8|9|10|13|14)$/u,
  hint: 'One of 0–10, 13, 14.',
};
const USERNAME = { mandatory: true, pattern: /^.{1,64}$/su };
const PASSWORD = { mandatory: true, pattern: /^.{1,64}$/su };
const PRIORITY = { mandatory: false, pattern: /^[0-3]$/u, hint: 'One of 0, 1, 2, 3.' };
const SDT = {
  mandatory: false,
  pattern: /^\d{13}\d{2}[-+R]$/u,
  hint: 'An SMPP time YYMMDDhhmmsstnnp (SMPP 3.4 §7.1.1).',
};
const VALIDITY = { mandatory: false, pattern: /^\d{1,9}$/u, hint: 'A number of minutes.' };
const TAGS = { mandatory: false, pattern: /^\d{1,9}(,\d{1,9})*$/u, hint: 'Comma-separated integer tags.' };
const OPTIONAL = { mandatory: false };

/** /send's arguments, in the order Jasmin checks them. */
const SEND_SPEC: ReadonlyMap<string, ArgSpec> = new Map<string, ArgSpec>([
  ['to', TO],
  ['from', FROM],
  ['coding', CODING],
  ['username', USERNAME],
  ['password', PASSWORD],
  ['priority', PRIORITY],
  ['sdt', SDT],
  ['validity-period', VALIDITY],
  ['dlr', { mandatory: false, pattern: /^(yes|no)$/u, hint: 'yes or no.' }],
  ['dlr-url', { mandatory: false, pattern: /^https?:\/\/[^\s]+$/iu, hint: 'An http:// or https:// URL.' }],
  ['dlr-level', { mandatory: false, pattern: /^[1-3]$/u, hint: '1 (SMS-C), 2 (terminal) or 3 (both).' }],
  ['dlr-method', { mandatory: false, pattern: /^(get|post)$/iu, hint: 'GET or POST.' }],
  ['tags', TAGS],
  ['content', OPTIONAL],
  ['hex-content', OPTIONAL],
]);

/** /rate's arguments, in Jasmin's order. */
const RATE_SPEC: ReadonlyMap<string, ArgSpec> = new Map<string, ArgSpec>([
  ['to', TO],
  ['from', FROM],
  ['coding', CODING],
  ['username', USERNAME],
  ['password', PASSWORD],
  ['priority', PRIORITY],
  ['validity-period', VALIDITY],
  ['tags', TAGS],
  ['content', OPTIONAL],
  ['hex-content', OPTIONAL],
]);

/** /balance's arguments. */
const BALANCE_SPEC: ReadonlyMap<string, ArgSpec> = new Map<string, ArgSpec>([
  ['username', USERNAME],
  ['password', PASSWORD],
]);

/** Jasmin's argument check: none at all, unknown ones, then each known one in order. */
function validate(args: Args, spec: ReadonlyMap<string, ArgSpec>): void {
  if (args.size === 0) {
    throw new HttpApiError(400, 'Mandatory arguments not found, please refer to the HTTPAPI specifications.');
  }
  for (const name of args.keys()) if (!spec.has(name)) throw unknownArgument(name);
  for (const [name, rule] of spec) {
    const value = args.get(name);
    if (value === undefined) {
      if (rule.mandatory) throw missingArgument(name);
      continue;
    }
    if (rule.pattern !== undefined) {
      const text = value.toString('utf8');
      if (!rule.pattern.test(text)) throw invalidArgument(name, text, rule.hint);
    }
  }
}

function text(args: Args, name: string): string | null {
  const v = args.get(name);
  return v === undefined ? null : v.toString('utf8');
}

function number(args: Args, name: string): number | null {
  const v = text(args, name);
  return v === null ? null : Number(v);
}

/** Who asks: the `username` and `password` arguments. */
export interface Credentials {
  username: string;
  password: string;
}

/** What a message is made of: the arguments /send and /rate share. */
export interface MessageArgs extends Credentials {
  to: string;
  /** null when absent (the user's default source address, if any, applies). */
  from: string | null;
  /** Jasmin's `coding` (the data_coding value); null when absent: the gateway picks GSM 03.38 or UCS-2. */
  coding: number | null;
  /** `content` as octets (UTF-8 text for the text codings), or null. */
  content: Buffer | null;
  /** `hex-content` decoded, or null. */
  hexContent: Buffer | null;
  priority: number | null;
  /** `validity-period` in minutes. */
  validityMinutes: number | null;
  tags: number[];
}

/** Where `/send` receipts go, as asked with `dlr`, `dlr-url`, `dlr-level`, `dlr-method`. */
export interface DlrArgs {
  url: string;
  method: 'GET' | 'POST';
  level: 1 | 2 | 3;
}

/** /send's arguments, checked. */
export interface SendArgs extends MessageArgs {
  /** `sdt`: an SMPP time string. */
  sdt: string | null;
  dlr: DlrArgs | null;
}

function decodeHex(args: Args): Buffer | null {
  const raw = text(args, 'hex-content');
  if (raw === null) return null;
  const hex = raw.trim();
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/iu.test(hex)) {
    throw new HttpApiError(400, `Invalid hex-content data: '${hex.slice(0, 64)}'`, 'hex-content');
  }
  return Buffer.from(hex, 'hex');
}

function messageArgs(args: Args, contentMandatory: boolean): MessageArgs {
  const content = args.get('content') ?? null;
  const hasHex = args.has('hex-content');
  if (content !== null && hasHex) {
    throw new HttpApiError(400, 'content and hex-content cannot be used both in same request.', 'content');
  }
  if (contentMandatory && content === null && !hasHex) {
    throw new HttpApiError(400, 'content or hex-content not present.', 'content');
  }
  const tags = text(args, 'tags');
  return {
    username: text(args, 'username') ?? '',
    password: text(args, 'password') ?? '',
    to: text(args, 'to') ?? '',
    from: text(args, 'from'),
    coding: number(args, 'coding'),
    content,
    hexContent: decodeHex(args),
    priority: number(args, 'priority'),
    validityMinutes: number(args, 'validity-period'),
    tags: tags === null ? [] : tags.split(',').map(Number),
  };
}

/**
 * Checks /send's arguments. Receipts: `dlr-url` or `dlr-level` imply `dlr=yes`, even over `dlr=no` (as in Jasmin); `dlr-level` defaults
 * to 1 and `dlr-method` to POST; `dlr=yes` without a `dlr-url` is refused (Jasmin would quietly send no receipt).
 */
export function sendArgs(args: Args): SendArgs {
  validate(args, SEND_SPEC);
  const base = messageArgs(args, true);
  const url = text(args, 'dlr-url');
  const wanted = text(args, 'dlr') === 'yes' || url !== null || args.has('dlr-level');
  let dlr: DlrArgs | null = null;
  if (wanted) {
    if (url === null) throw missingArgument('dlr-url');
    try {
      new URL(url);
    } catch {
      throw invalidArgument('dlr-url', url, 'An http:// or https:// URL.');
    }
    dlr = {
      url,
      method: (text(args, 'dlr-method') ?? 'POST').toUpperCase() as 'GET' | 'POST',
      level: (number(args, 'dlr-level') ?? 1) as 1 | 2 | 3,
    };
  }
  return { ...base, sdt: text(args, 'sdt'), dlr };
}

/** Checks /rate's arguments (content is optional: an empty message). */
export function rateArgs(args: Args): MessageArgs {
  validate(args, RATE_SPEC);
  return messageArgs(args, false);
}

/** Checks /balance's arguments. */
export function balanceArgs(args: Args): Credentials {
  validate(args, BALANCE_SPEC);
  return { username: text(args, 'username') ?? '', password: text(args, 'password') ?? '' };
}
