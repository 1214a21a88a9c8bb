// The dashboard's "last errors" panel: a fixed-size ring of the most recent warnings and errors. Whatever sees a
// problem records it here (the composition root taps the logger's WARNING and ERROR lines into it with `logTap`; the
// tally records upstream refusals and failed deliveries from the gateway's events; the dashboard source records
// connector errors as they change), so the panel never grows with traffic and never needs the log file.

import type { LogRecord, LogTap } from '../../log/index.js';

/** How bad a recorded problem is. */
export type ErrorLevel = 'warn' | 'error';

/** One recorded problem. */
export interface ErrorEntry {
  /** Epoch milliseconds. */
  at: number;
  level: ErrorLevel;
  /** The structured event name (`connector_error`, `mt_internal_error` …). */
  event: string;
  /** Human-readable detail. */
  message: string;
  /** The SMPP session the problem concerns, when known. */
  session?: string;
  /** Our message_id the problem concerns, when known. */
  message_id?: string;
}

/** The default number of entries kept. */
export const DEFAULT_ERROR_CAPACITY = 50;

/** A ring buffer of the last `capacity` problems, newest last. */
export class ErrorRing {
  readonly #capacity: number;
  readonly #entries: (ErrorEntry | undefined)[];
  #next = 0;
  #size = 0;

  /** Keeps the last `capacity` entries (at least 1). */
  constructor(capacity = DEFAULT_ERROR_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a whole number ≥ 1');
    this.#capacity = capacity;
    this.#entries = new Array<ErrorEntry | undefined>(capacity);
  }

  /** Records a problem, overwriting the oldest when full. */
  record(entry: ErrorEntry): void {
    this.#entries[this.#next] = entry;
    this.#next = (this.#next + 1) % this.#capacity;
    if (this.#size < this.#capacity) this.#size++;
  }

  /** The entries kept, oldest first. */
  entries(): ErrorEntry[] {
    const out: ErrorEntry[] = [];
    const start = (this.#next - this.#size + this.#capacity) % this.#capacity;
    for (let i = 0; i < this.#size; i++) {
      const e = this.#entries[(start + i) % this.#capacity];
      if (e !== undefined) out.push(e);
    }
    return out;
  }
}

/** Log events the ring already gets from the gateway's events (the tally words them better): not tapped twice. */
export const TALLIED_LOG_EVENTS: ReadonlySet<string> = new Set(['delivery_retry', 'mo_not_routed']);

/** Field names never shown: credentials of any kind. */
const SECRET_KEY = /pass(word|wd)?|secret|token|auth|cookie|credential|api_?key|private/iu;

/** Field names whose values are message content (or may carry it): never shown, whatever log_privacy says. */
const CONTENT_KEYS: ReadonlySet<string> = new Set([
  'short_message',
  'message_payload',
  'content',
  'hex_content',
  'text',
  'payload',
  'body',
]);

/** Longest value shown, and longest detail. */
const VALUE_MAX = 160;
const MESSAGE_MAX = 400;

/** Longest text redacted (what is shown, 160, plus room for a URL user part): the rest of a value is dropped first. */
const REDACT_MAX = 512;

/**
 * Hides credentials inside a text: `scheme://user:pass@host` and `password=…`-like query or key=value pairs. Every
 * quantifier is bounded, so a hostile value (an error echoing a client's input) costs linear time, never quadratic.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]{0,31}:\/\/)[^/@\s]{0,256}@/giu, '$1***@')
    .replace(/\b([\w-]{0,32}(?:pass(?:word|wd)?|secret|token|api_?key)[\w-]{0,32})=[^&\s"',;]*/giu, '$1=***');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A field's value as shown: errors by their message, objects as JSON without secret keys, all redacted and clipped. */
function shown(value: unknown): string {
  let text: string;
  if (value instanceof Error) text = value.message;
  else if (typeof value === 'string') text = value;
  else if (Buffer.isBuffer(value) || value instanceof Uint8Array) text = `<${value.length} octets>`;
  else if (typeof value === 'object' && value !== null) {
    try {
      text = JSON.stringify(value, (k, v) =>
        SECRET_KEY.test(k) || CONTENT_KEYS.has(k) ? undefined : typeof v === 'bigint' ? String(v) : v,
      );
    } catch {
      text = '[unserialisable]';
    }
  } else text = String(value);
  text = clip(redactSecrets(text.length > REDACT_MAX ? text.slice(0, REDACT_MAX) : text), VALUE_MAX);
  return text === '' || /[\s="]/u.test(text) ? JSON.stringify(text) : text;
}

/** A WARNING or ERROR log line as a ring entry: its session and message ids kept, secrets and content left out. */
export function errorEntryOfLog(record: LogRecord): ErrorEntry {
  const { fields } = record;
  const parts: string[] = [];
  let session: string | undefined;
  let messageId: string | undefined;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value === undefined || value === null) continue;
    if (SECRET_KEY.test(key) || CONTENT_KEYS.has(key)) continue;
    if (key === 'session' && typeof value === 'string') session = value;
    else if (key === 'message_id' && typeof value === 'string') messageId = value;
    parts.push(`${key}=${shown(value)}`);
  }
  const entry: ErrorEntry = {
    at: record.at,
    level: record.level === 'WARNING' ? 'warn' : 'error',
    event: record.event,
    message: clip(parts.join(' '), MESSAGE_MAX),
  };
  if (session !== undefined) entry.session = session;
  if (messageId !== undefined) entry.message_id = messageId;
  return entry;
}

/** A logger tap (`logger.addTap(logTap(ring))`) that records WARNING and ERROR lines in `ring`, but not `ignore`d events. */
export function logTap(ring: ErrorRing, ignore: ReadonlySet<string> = TALLIED_LOG_EVENTS): LogTap {
  return (record) => {
    if (record.level === 'DEBUG' || record.level === 'INFO' || ignore.has(record.event)) return;
    ring.record(errorEntryOfLog(record));
  };
}
