// strftime for `log_date_format`, over the tokens config/formats.ts parses: C locale, local time, as Python's
// time.strftime renders them on Linux.

import type { DateFormatToken } from '../config/formats.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function pad(n: number, width: number, flag: '' | '-' | '_' | '0', fill = '0'): string {
  const s = String(n);
  if (flag === '-') return s;
  const c = flag === '_' ? ' ' : flag === '0' ? '0' : fill;
  return s.length >= width ? s : c.repeat(width - s.length) + s;
}

function dayOfYear(d: Date): number {
  const start = new Date(d.getFullYear(), 0, 1);
  return (
    Math.round((new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() - start.getTime()) / 86_400_000) + 1
  );
}

/** ISO 8601 week number and week-based year. */
function isoWeek(d: Date): { week: number; year: number } {
  const t = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return { week: Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7), year: t.getUTCFullYear() };
}

function offset(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60), 2, '')}${pad(abs % 60, 2, '')}`;
}

function zoneName(d: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
    .formatToParts(d)
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

function directive(d: Date, letter: string, flag: '' | '-' | '_' | '0'): string {
  const h = d.getHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  switch (letter) {
    case 'a':
      return DAYS[d.getDay()].slice(0, 3);
    case 'A':
      return DAYS[d.getDay()];
    case 'b':
    case 'h':
      return MONTHS[d.getMonth()].slice(0, 3);
    case 'B':
      return MONTHS[d.getMonth()];
    case 'c':
      return `${directive(d, 'a', '')} ${directive(d, 'b', '')} ${directive(d, 'e', '')} ${directive(d, 'T', '')} ${d.getFullYear()}`;
    case 'C':
      return pad(Math.floor(d.getFullYear() / 100), 2, flag);
    case 'd':
      return pad(d.getDate(), 2, flag);
    case 'D':
    case 'x':
      return `${pad(d.getMonth() + 1, 2, '')}/${pad(d.getDate(), 2, '')}/${pad(d.getFullYear() % 100, 2, '')}`;
    case 'e':
      return pad(d.getDate(), 2, flag, ' ');
    case 'f':
      return pad(d.getMilliseconds() * 1000, 6, '');
    case 'F':
      return `${d.getFullYear()}-${pad(d.getMonth() + 1, 2, '')}-${pad(d.getDate(), 2, '')}`;
    case 'g':
      return pad(isoWeek(d).year % 100, 2, flag);
    case 'G':
      return String(isoWeek(d).year);
    case 'H':
      return pad(h, 2, flag);
    case 'I':
      return pad(h12, 2, flag);
    case 'j':
      return pad(dayOfYear(d), 3, flag);
    case 'k':
      return pad(h, 2, flag, ' ');
    case 'l':
      return pad(h12, 2, flag, ' ');
    case 'm':
      return pad(d.getMonth() + 1, 2, flag);
    case 'M':
      return pad(d.getMinutes(), 2, flag);
    case 'n':
      return '\n';
    case 'p':
      return h < 12 ? 'AM' : 'PM';
    case 'P':
      return h < 12 ? 'am' : 'pm';
    case 'R':
      return `${pad(h, 2, '')}:${pad(d.getMinutes(), 2, '')}`;
    case 's':
      return String(Math.floor(d.getTime() / 1000));
    case 'S':
      return pad(d.getSeconds(), 2, flag);
    case 't':
      return '\t';
    case 'T':
    case 'X':
      return `${pad(h, 2, '')}:${pad(d.getMinutes(), 2, '')}:${pad(d.getSeconds(), 2, '')}`;
    case 'u':
      return String(d.getDay() || 7);
    case 'U':
      return pad(Math.floor((dayOfYear(d) - 1 + 7 - d.getDay()) / 7), 2, flag);
    case 'V':
      return pad(isoWeek(d).week, 2, flag);
    case 'w':
      return String(d.getDay());
    case 'W':
      return pad(Math.floor((dayOfYear(d) - 1 + 7 - ((d.getDay() + 6) % 7)) / 7), 2, flag);
    case 'y':
      return pad(d.getFullYear() % 100, 2, flag);
    case 'Y':
      return String(d.getFullYear());
    case 'z':
      return offset(d);
    case 'Z':
      return zoneName(d);
    default:
      return '%';
  }
}

/** Renders a parsed `log_date_format` for `date` in local time. */
export function strftime(tokens: readonly DateFormatToken[], date: Date): string {
  let out = '';
  for (const t of tokens) out += t.kind === 'text' ? t.text : directive(date, t.directive, t.pad);
  return out;
}
