// Structured logging: one line per event, with bound fields (session id, peer, system_id, message id…).
// JSON lines by default; with `log_format` set, Python logging's line (`%(asctime)s %(levelname)-8s …`) with the fields
// appended to the message as key=value. Lines are gathered and written once per tick; a disabled level costs a compare.

import { closeSync, openSync, writeSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { type DateFormatToken, type LogFormatToken, parseDateFormat, parseLogFormat } from '../config/formats.js';
import { strftime } from './strftime.js';

/** Python's level numbers; OFF logs nothing. */
export const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50, OFF: 100 } as const;

/** A level a line is logged at. */
export type LevelName = Exclude<keyof typeof LEVELS, 'OFF'>;

/** Structured fields of a log line. */
export type LogFields = Record<string, unknown>;

/** Where and how lines are written. */
export interface LoggerOptions {
  /** `log_level`: DEBUG, INFO, WARNING (WARN), ERROR, CRITICAL (FATAL), OFF (NOTSET). Default INFO. */
  level?: string;
  /** `%(name)s` and the JSON `name`: the server id. */
  name: string;
  /** Append to this file; null or absent: standard output. */
  file?: string | null;
  /** Python logging format; null or absent: JSON lines. */
  format?: string | null;
  /** strftime format of `%(asctime)s`. Default `%Y-%m-%d %H:%M:%S`. */
  dateFormat?: string;
  /** `log_privacy`: mask message content fields, keeping their length. */
  privacy?: boolean;
  /** Epoch milliseconds; default Date.now. */
  now?: () => number;
  /** Receives each batch of lines instead of stdout or the file (tests). */
  write?: (text: string) => void;
}

/** One line as a tap sees it: before rendering, with the bound fields and the call's fields merged (the call's win). */
export interface LogRecord {
  /** Epoch milliseconds. */
  at: number;
  level: LevelName;
  event: string;
  /** Raw values, not masked or serialised: a tap must choose what it keeps (never secrets or content). */
  fields: LogFields;
}

/** Receives the lines at or above the level it was added with; it must not throw (a throw is ignored) nor log. */
export type LogTap = (record: LogRecord) => void;

/** Field names whose values are message content, masked under `log_privacy`. */
export const CONTENT_FIELDS: ReadonlySet<string> = new Set(['short_message', 'message_payload', 'content', 'text']);

/** The keys every JSON line starts with; a field of the same name is written as `<name>_` so it cannot shadow them. */
const CORE_KEYS: ReadonlySet<string> = new Set(['ts', 'level', 'pid', 'name', 'event']);

/** Sinks with lines not yet written: flushed synchronously when the process exits, so no last line is lost. */
const open = new Set<Sink>();
let exitHookInstalled = false;

function flushAllAtExit(): void {
  for (const sink of open) sink.flush();
}

const loadedAt = Date.now();

/** Characters JSON must escape in a string (quote, backslash, controls, and lone surrogates to be safe). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Maps a `log_level` spelling to its number. */
export function levelNumber(level: string): number {
  const upper = level.toUpperCase();
  const alias: Record<string, keyof typeof LEVELS> = { WARN: 'WARNING', FATAL: 'CRITICAL', NOTSET: 'OFF' };
  const name = alias[upper] ?? upper;
  const n = (LEVELS as Record<string, number>)[name];
  if (n === undefined) throw new RangeError(`unknown log level ${JSON.stringify(level)}`);
  return n;
}

function serialise(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    // An SMPP status (SmppStatusError's commandStatus), an HTTP status, a Node system error's code (ECONNRESET…).
    const e = value as { commandStatus?: unknown; status?: unknown; code?: unknown };
    const status = e.commandStatus ?? e.status;
    if (typeof status === 'number' || typeof status === 'string') out.status = status;
    if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
    if (value.cause !== undefined && depth < 3) out.cause = serialise(value.cause, depth + 1);
    return out;
  }
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  return value;
}

function masked(value: unknown): string {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<masked ${value.length} octets>`;
  return `<masked ${String(value).length} chars>`;
}

/** A logger's bound fields, with their renderings for both line formats. */
interface Bound {
  readonly fields: LogFields;
  readonly json: string;
  readonly kv: string;
}

/** The shared destination of a logger and its children. */
class Sink {
  /** Lines at or above this level are written. */
  threshold: number;
  /** Lines at or above this level are built at all: the lower of the threshold and every tap's level. */
  gate: number;
  #taps: { level: number; tap: LogTap }[] = [];
  readonly name: string;
  readonly privacy: boolean;
  readonly now: () => number;
  readonly #file: string | null;
  readonly #format: LogFormatToken[] | null;
  readonly #date: DateFormatToken[];
  readonly #write: ((text: string) => void) | undefined;
  readonly #nameJson: string;
  #fd: number | null = null;
  #lastAt = -1;
  #lastIso = '';
  /** `%(asctime)s` of the last second rendered (dates without %f change once a second). */
  #ascSecond = Number.NaN;
  #ascText = '';
  readonly #ascPerSecond: boolean;
  #pending: string[] = [];
  #scheduled = false;
  #closed = false;

  constructor(options: LoggerOptions) {
    this.threshold = levelNumber(options.level ?? 'INFO');
    this.gate = this.threshold;
    this.name = options.name;
    this.privacy = options.privacy ?? false;
    this.now = options.now ?? Date.now;
    this.#file = options.file ?? null;
    this.#format = options.format ? parseLogFormat(options.format) : null;
    this.#date = parseDateFormat(options.dateFormat ?? '%Y-%m-%d %H:%M:%S');
    this.#write = options.write;
    this.#nameJson = JSON.stringify(this.name);
    this.#ascPerSecond = !this.#date.some((t) => t.kind === 'directive' && t.directive === 'f');
    if (this.#file !== null && this.#write === undefined) this.#fd = openSync(this.#file, 'a');
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', flushAllAtExit);
    }
  }

  setThreshold(threshold: number): void {
    this.threshold = threshold;
    this.#regate();
  }

  addTap(level: number, tap: LogTap): () => void {
    const entry = { level, tap };
    this.#taps = [...this.#taps, entry];
    this.#regate();
    return () => {
      this.#taps = this.#taps.filter((t) => t !== entry);
      this.#regate();
    };
  }

  #regate(): void {
    let gate = this.threshold;
    for (const t of this.#taps) gate = Math.min(gate, t.level);
    this.gate = gate;
  }

  #tapLine(level: LevelName, event: string, at: number, bound: Bound, fields: LogFields | undefined): void {
    let record: LogRecord | undefined;
    for (const t of this.#taps) {
      if (LEVELS[level] < t.level) continue;
      record ??= {
        at,
        level,
        event,
        fields: fields === undefined ? { ...bound.fields } : { ...bound.fields, ...fields },
      };
      try {
        t.tap(record);
      } catch {
        // A tap is a side view (the dashboard's last errors): it never stops the line or the caller.
      }
    }
  }

  line(level: LevelName, event: string, bound: Bound, fields: LogFields | undefined): void {
    if (this.#closed) return;
    const at = this.now();
    if (this.#taps.length > 0) this.#tapLine(level, event, at, bound, fields);
    if (LEVELS[level] < this.threshold) return;
    const text =
      this.#format === null
        ? this.#json(level, event, at, bound, fields)
        : this.#python(level, event, at, bound, fields);
    this.#pending.push(text);
    if (!this.#scheduled) {
      this.#scheduled = true;
      open.add(this);
      setImmediate(() => this.flush());
    }
  }

  /** Renders bound fields once per child logger: `,"k":v…` for JSON, ` k=v…` for the Python format. */
  render(fields: LogFields): Bound {
    let json = '';
    let kv = '';
    for (const k in fields) {
      json += this.#jsonField(k, fields[k]);
      kv += this.#kvField(k, fields[k]);
    }
    return { fields, json, kv };
  }

  #jsonField(key: string, raw: unknown): string {
    const value = this.#value(key, raw);
    if (value === undefined) return '';
    if (CORE_KEYS.has(key)) key = `${key}_`;
    const k = NEEDS_ESCAPE.test(key) ? JSON.stringify(key) : `"${key}"`;
    // Fast paths for what nearly every field is: a finite number, or a string with nothing to escape.
    if (typeof value === 'number' && Number.isFinite(value)) return `,${k}:${value}`;
    if (typeof value === 'string' && !NEEDS_ESCAPE.test(value)) return `,${k}:"${value}"`;
    return `,${k}:${JSON.stringify(value)}`;
  }

  #kvField(key: string, raw: unknown): string {
    const value = this.#value(key, raw);
    if (value === undefined) return '';
    let s = typeof value === 'string' ? value : JSON.stringify(value);
    if (s === '' || /[\s="]/.test(s)) s = JSON.stringify(s);
    return ` ${key}=${s}`;
  }

  #timestamp(at: number): string {
    if (at !== this.#lastAt) {
      this.#lastAt = at;
      this.#lastIso = new Date(at).toISOString();
    }
    return this.#lastIso;
  }

  #value(key: string, value: unknown): unknown {
    if (this.privacy && CONTENT_FIELDS.has(key) && value !== null && value !== undefined) {
      return masked(value);
    }
    return serialise(value);
  }

  #json(level: LevelName, event: string, at: number, bound: Bound, fields: LogFields | undefined): string {
    // Built as a string: keys in a fixed order, bound fields pre-rendered, values through JSON.stringify.
    let line = `{"ts":"${this.#timestamp(at)}","level":"${level}","pid":${process.pid},"name":${this.#nameJson},"event":${JSON.stringify(event)}${bound.json}`;
    if (fields !== undefined) {
      for (const k in fields) {
        if (!(k in bound.fields)) line += this.#jsonField(k, fields[k]);
      }
      // A field given at the call replaces a bound one of the same name (later wins, as in an object spread).
      if (bound.json !== '') for (const k in fields) if (k in bound.fields) line += this.#jsonField(k, fields[k]);
    }
    return `${line}}\n`;
  }

  #message(event: string, bound: Bound, fields: LogFields | undefined): string {
    let out = event + bound.kv;
    if (fields !== undefined) for (const k in fields) out += this.#kvField(k, fields[k]);
    return out;
  }

  #python(level: LevelName, event: string, at: number, bound: Bound, fields: LogFields | undefined): string {
    let out = '';
    let message: string | undefined;
    const date = new Date(at);
    for (const t of this.#format!) {
      if (t.kind === 'text') {
        out += t.text;
        continue;
      }
      let value: string | number;
      switch (t.attr) {
        case 'asctime':
          value = this.#asctime(at, date);
          break;
        case 'created':
          value = at / 1000;
          break;
        case 'msecs':
          value = at % 1000;
          break;
        case 'relativeCreated':
          value = at - loadedAt;
          break;
        case 'levelname':
          value = level;
          break;
        case 'levelno':
          value = LEVELS[level];
          break;
        case 'name':
          value = this.name;
          break;
        case 'message':
          message ??= this.#message(event, bound, fields);
          value = message;
          break;
        case 'process':
          value = process.pid;
          break;
        case 'processName':
          value = 'MainProcess';
          break;
        case 'thread':
          value = threadId;
          break;
        default:
          value = threadId === 0 ? 'MainThread' : `Thread-${threadId}`;
      }
      out += printf(value, t.flags, t.width, t.precision, t.conversion);
    }
    return `${out}\n`;
  }

  #asctime(at: number, date: Date): string {
    if (!this.#ascPerSecond) return strftime(this.#date, date);
    const second = Math.floor(at / 1000);
    if (second !== this.#ascSecond) {
      this.#ascSecond = second;
      this.#ascText = strftime(this.#date, date);
    }
    return this.#ascText;
  }

  flush(): void {
    this.#scheduled = false;
    open.delete(this);
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    try {
      if (this.#write !== undefined) this.#write(text);
      else if (this.#fd !== null) writeSync(this.#fd, text);
      else process.stdout.write(text);
    } catch (error) {
      // A log destination failing must never take the gateway down; say so once on stderr.
      process.stderr.write(`smppgate: cannot write log lines: ${(error as Error).message}\n`);
    }
  }

  reopen(): void {
    if (this.#fd === null || this.#file === null) return;
    this.flush();
    closeSync(this.#fd);
    this.#fd = openSync(this.#file, 'a');
  }

  async close(): Promise<void> {
    this.flush();
    this.#closed = true;
    if (this.#fd !== null) {
      closeSync(this.#fd);
      this.#fd = null;
    }
  }
}

/** Renders one `%(attr)…` field as Python's %-formatting does. */
export function printf(
  value: string | number,
  flags: string,
  width: number | null,
  precision: number | null,
  conversion: string,
): string {
  let s: string;
  const numeric = typeof value === 'number';
  switch (conversion) {
    case 'd':
    case 'i':
    case 'u':
      s = String(Math.trunc(Number(value)));
      break;
    case 'x':
      s = Math.trunc(Number(value)).toString(16);
      break;
    case 'X':
      s = Math.trunc(Number(value)).toString(16).toUpperCase();
      break;
    case 'o':
      s = Math.trunc(Number(value)).toString(8);
      break;
    case 'f':
    case 'F':
      s = Number(value).toFixed(precision ?? 6);
      break;
    case 'r':
    case 'a':
      s = numeric ? String(value) : `'${String(value)}'`;
      if (precision !== null) s = s.slice(0, precision);
      break;
    default:
      s = String(value);
      if (precision !== null) s = s.slice(0, precision);
  }
  const isNumberConversion = 'diuxXofF'.includes(conversion);
  if (isNumberConversion && !s.startsWith('-')) {
    if (flags.includes('+')) s = `+${s}`;
    else if (flags.includes(' ')) s = ` ${s}`;
  }
  if (width !== null && s.length < width) {
    if (flags.includes('-')) s = s.padEnd(width);
    else if (flags.includes('0') && isNumberConversion) {
      const sign = /^[+\- ]/.test(s) ? s[0] : '';
      s = sign + s.slice(sign.length).padStart(width - sign.length, '0');
    } else s = s.padStart(width);
  }
  return s;
}

/** A structured logger; children share the destination and add fields to every line. */
export class Logger {
  readonly #sink: Sink;
  readonly #bound: Bound;

  /** Use {@link createLogger}. */
  constructor(sink: Sink, bound: LogFields) {
    this.#sink = sink;
    this.#bound = sink.render(bound);
  }

  /** A logger whose every line also carries `fields`. */
  child(fields: LogFields): Logger {
    return new Logger(this.#sink, { ...this.#bound.fields, ...fields });
  }

  /** Whether a line at `level` would be written or tapped (to skip building costly fields). */
  enabled(level: LevelName): boolean {
    return LEVELS[level] >= this.#sink.gate;
  }

  debug(event: string, fields?: LogFields): void {
    if (LEVELS.DEBUG >= this.#sink.gate) this.#sink.line('DEBUG', event, this.#bound, fields);
  }

  info(event: string, fields?: LogFields): void {
    if (LEVELS.INFO >= this.#sink.gate) this.#sink.line('INFO', event, this.#bound, fields);
  }

  warn(event: string, fields?: LogFields): void {
    if (LEVELS.WARNING >= this.#sink.gate) this.#sink.line('WARNING', event, this.#bound, fields);
  }

  error(event: string, fields?: LogFields): void {
    if (LEVELS.ERROR >= this.#sink.gate) this.#sink.line('ERROR', event, this.#bound, fields);
  }

  critical(event: string, fields?: LogFields): void {
    if (LEVELS.CRITICAL >= this.#sink.gate) this.#sink.line('CRITICAL', event, this.#bound, fields);
  }

  /** Changes the threshold of this logger and all its relatives (SIGHUP reload). */
  setLevel(level: string): void {
    this.#sink.setThreshold(levelNumber(level));
  }

  /**
   * Hands every line at or above `level` (default WARNING) of this logger and all its relatives to `tap`, whatever
   * the written level is (a tap at WARNING still sees warnings under `log_level = ERROR` or OFF). Returns the
   * function that removes it.
   */
  addTap(tap: LogTap, level: LevelName = 'WARNING'): () => void {
    return this.#sink.addTap(LEVELS[level], tap);
  }

  /** Writes what is gathered now. */
  flush(): void {
    this.#sink.flush();
  }

  /** Closes and reopens the log file (after logrotate moved it). */
  reopen(): void {
    this.#sink.reopen();
  }

  /** Flushes and releases the destination; later lines are dropped. */
  close(): Promise<void> {
    return this.#sink.close();
  }
}

/** A logger for `options`; throws LogFormatError on a bad format, a file system error on an unopenable file. */
export function createLogger(options: LoggerOptions): Logger {
  return new Logger(new Sink(options), {});
}

/** A logger for a config section's `log_*` keys (`[smpp-server]` and the others that carry them). */
export function loggerFromSettings(
  settings: {
    log_level: string;
    log_file: string | null;
    log_format: string | null;
    log_date_format: string;
    log_privacy?: boolean;
  },
  name: string,
): Logger {
  return createLogger({
    level: settings.log_level,
    name,
    file: settings.log_file,
    format: settings.log_format,
    dateFormat: settings.log_date_format,
    privacy: settings.log_privacy ?? false,
  });
}

/** A logger that writes nothing: every call is one compare (its level is OFF, and stays so unless setLevel is called). */
export const nullLogger: Logger = createLogger({ name: 'null', level: 'OFF', write: () => {} });

/** An in-memory logger for tests, and what it has written. */
export interface MemoryLog {
  readonly logger: Logger;
  /** Every line written so far, without its newline (pending lines are flushed first). */
  lines(): string[];
  /** The lines parsed as JSON (the default format). */
  records(): Record<string, unknown>[];
  /** The records whose `event` is `event`. */
  events(event: string): Record<string, unknown>[];
}

/** A logger that keeps its lines in memory (level DEBUG and name `test` unless given): for tests. */
export function createMemoryLogger(options: Partial<LoggerOptions> = {}): MemoryLog {
  const written: string[] = [];
  const logger = createLogger({
    name: 'test',
    level: 'DEBUG',
    ...options,
    write: (text) => {
      for (const line of text.split('\n')) if (line !== '') written.push(line);
    },
  });
  const lines = (): string[] => {
    logger.flush();
    return [...written];
  };
  const records = (): Record<string, unknown>[] => lines().map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, records, events: (event) => records().filter((r) => r.event === event) };
}
