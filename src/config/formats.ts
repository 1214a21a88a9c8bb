// The grammar of the two Python logging settings Jasmin operators write: `log_format` (printf-style `%(attr)s`
// fields, as Python's logging.Formatter takes them) and `log_date_format` (strftime directives). It lives here so that
// a typo fails at load with file, section, key and line; the log layer compiles the same tokens into its formatter.

/** The record attributes a `log_format` may name, as Python's logging calls them. */
export const LOG_ATTRIBUTES = [
  'asctime',
  'created',
  'msecs',
  'relativeCreated',
  'levelname',
  'levelno',
  'name',
  'message',
  'process',
  'processName',
  'thread',
  'threadName',
] as const;

/** A record attribute a `log_format` may name. */
export type LogAttribute = (typeof LOG_ATTRIBUTES)[number];

const NUMERIC_ATTRIBUTES: ReadonlySet<string> = new Set([
  'created',
  'msecs',
  'relativeCreated',
  'levelno',
  'process',
  'thread',
]);

/** printf conversions we render: strings (`s r a`), integers (`d i u x X o`) and fixed-point (`f F`). */
export type LogConversion = 's' | 'r' | 'a' | 'd' | 'i' | 'u' | 'x' | 'X' | 'o' | 'f' | 'F';

const CONVERSIONS: ReadonlySet<string> = new Set(['s', 'r', 'a', 'd', 'i', 'u', 'x', 'X', 'o', 'f', 'F']);
const NUMERIC_CONVERSIONS: ReadonlySet<string> = new Set(['d', 'i', 'u', 'x', 'X', 'o', 'f', 'F']);

/** One piece of a `log_format`: literal text, or `%(attr)<flags><width>.<precision><conversion>`. */
export type LogFormatToken =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'field';
      readonly attr: LogAttribute;
      /** printf flags among `-` (left-align), `0` (zero-pad), `+`, ` ` and `#`. */
      readonly flags: string;
      readonly width: number | null;
      readonly precision: number | null;
      readonly conversion: LogConversion;
    };

/** A `log_format` or `log_date_format` that cannot be used; `offset` is where in the format the problem starts. */
export class LogFormatError extends Error {
  override readonly name = 'LogFormatError';
  /** 0-based position in the format string. */
  readonly offset: number;

  /** Builds the error. */
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

const FIELD = /^%\(([^)]*)\)([-0+ #]*)(\d+)?(?:\.(\d+))?(.)?/;

/** Parses a Python logging format (`%(asctime)s %(levelname)-8s %(message)s`); `%%` is a literal `%`. */
export function parseLogFormat(format: string): LogFormatToken[] {
  const tokens: LogFormatToken[] = [];
  let text = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c !== '%') {
      text += c;
      i++;
      continue;
    }
    if (format[i + 1] === '%') {
      text += '%';
      i += 2;
      continue;
    }
    const m = FIELD.exec(format.slice(i));
    if (m === null) {
      const what = i + 1 < format.length ? `"%${format[i + 1]}"` : 'a "%" at the end';
      throw new LogFormatError(`${what} is not a field: name an attribute as %(message)s, or write %% for "%"`, i);
    }
    const [whole, attr, flags, width, precision, conversion] = m;
    if (!(LOG_ATTRIBUTES as readonly string[]).includes(attr)) {
      throw new LogFormatError(`%(${attr}) is not a supported attribute (supported: ${LOG_ATTRIBUTES.join(', ')})`, i);
    }
    if (conversion === undefined || !CONVERSIONS.has(conversion)) {
      const got = conversion === undefined ? 'nothing' : `"${conversion}"`;
      throw new LogFormatError(
        `%(${attr}) must end with a conversion among ${[...CONVERSIONS].join(' ')} (got ${got})`,
        i,
      );
    }
    if (NUMERIC_CONVERSIONS.has(conversion) && !NUMERIC_ATTRIBUTES.has(attr)) {
      throw new LogFormatError(`%(${attr}) is text: format it with s, not ${conversion}`, i);
    }
    if (text !== '') tokens.push({ kind: 'text', text });
    text = '';
    tokens.push({
      kind: 'field',
      attr: attr as LogAttribute,
      flags,
      width: width === undefined ? null : Number(width),
      precision: precision === undefined ? null : Number(precision),
      conversion: conversion as LogConversion,
    });
    i += whole.length;
  }
  if (text !== '') tokens.push({ kind: 'text', text });
  return tokens;
}

/**
 * strftime directives we render, with what each gives (C locale, as Python's time.strftime on Linux). Also accepted:
 * glibc's padding flags between `%` and the letter: `-` (none), `_` (spaces), `0` (zeros), e.g. `%-d`.
 */
export const DATE_DIRECTIVES = {
  a: 'weekday, abbreviated (Mon)',
  A: 'weekday (Monday)',
  b: 'month, abbreviated (Jan)',
  B: 'month (January)',
  c: 'date and time (%a %b %e %H:%M:%S %Y)',
  C: 'century (20)',
  d: 'day of the month, 01–31',
  D: 'date as %m/%d/%y',
  e: 'day of the month, space-padded',
  f: 'microseconds, 000000–999999',
  F: 'date as %Y-%m-%d',
  g: 'ISO 8601 week-based year, 2 digits',
  G: 'ISO 8601 week-based year',
  h: 'same as %b',
  H: 'hour, 00–23',
  I: 'hour, 01–12',
  j: 'day of the year, 001–366',
  k: 'hour, space-padded 0–23',
  l: 'hour, space-padded 1–12',
  m: 'month, 01–12',
  M: 'minute, 00–59',
  n: 'newline',
  p: 'AM or PM',
  P: 'am or pm',
  R: 'time as %H:%M',
  s: 'seconds since the epoch',
  S: 'second, 00–59',
  t: 'tab',
  T: 'time as %H:%M:%S',
  u: 'weekday, 1 (Monday)–7',
  U: 'week of the year, Sunday first, 00–53',
  V: 'ISO 8601 week, 01–53',
  w: 'weekday, 0 (Sunday)–6',
  W: 'week of the year, Monday first, 00–53',
  x: 'date as %m/%d/%y',
  X: 'time as %H:%M:%S',
  y: 'year, 2 digits',
  Y: 'year',
  z: 'UTC offset, +hhmm',
  Z: 'time zone name',
  '%': 'a literal %',
} as const;

/** A strftime directive letter we render. */
export type DateDirective = keyof typeof DATE_DIRECTIVES;

/** One piece of a `log_date_format`: literal text or a directive with an optional glibc padding flag. */
export type DateFormatToken =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'directive'; readonly directive: DateDirective; readonly pad: '' | '-' | '_' | '0' };

/** Parses a strftime format (`%Y-%m-%d %H:%M:%S`); an unknown directive is a LogFormatError. */
export function parseDateFormat(format: string): DateFormatToken[] {
  const tokens: DateFormatToken[] = [];
  let text = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c !== '%') {
      text += c;
      i++;
      continue;
    }
    let j = i + 1;
    let pad: '' | '-' | '_' | '0' = '';
    const f = format[j];
    if (f === '-' || f === '_' || f === '0') {
      pad = f;
      j++;
    }
    const d = format[j];
    if (d === undefined) throw new LogFormatError('a "%" at the end: write %% for "%"', i);
    if (!Object.hasOwn(DATE_DIRECTIVES, d)) {
      throw new LogFormatError(
        `"%${d}" is not a supported date directive (supported: ${Object.keys(DATE_DIRECTIVES)
          .map((k) => `%${k}`)
          .join(' ')})`,
        i,
      );
    }
    if (d === '%') {
      text += '%';
    } else {
      if (text !== '') tokens.push({ kind: 'text', text });
      text = '';
      tokens.push({ kind: 'directive', directive: d as DateDirective, pad });
    }
    i = j + 1;
  }
  if (text !== '') tokens.push({ kind: 'text', text });
  return tokens;
}
