// SMPP 3.4 §7.1.1 time formats. A time field is NULL (empty) or 16 characters:
//   absolute  YYMMDDhhmmsstnnp  t = tenths of a second, nn = quarter-hours from UTC (00–48), p = '+' or '-'
//   relative  YYMMDDhhmmss000R  an amount of time from now (SMPP 3.4 §7.1.1.2)

import { SmppStatusError } from './errors.js';
import { CommandStatus } from './status.js';

/** A parsed SMPP time: an absolute instant, or an amount of time from `now`. */
export type SmppTime =
  | { kind: 'absolute'; date: Date; offsetQuarterHours: number }
  | {
      kind: 'relative';
      /** The whole amount in seconds from `now` (calendar-aware for years and months). */
      seconds: number;
      /** `now` plus the amount. */
      date: Date;
      years: number;
      months: number;
      days: number;
      hours: number;
      minutes: number;
      secs: number;
    };

/** Fields that hold an SMPP time, each with the status a bad value earns. */
export type SmppTimeField = 'schedule_delivery_time' | 'validity_period' | 'final_date';

const TIME_STATUS: Readonly<Record<SmppTimeField, number>> = {
  schedule_delivery_time: CommandStatus.ESME_RINVSCHED,
  validity_period: CommandStatus.ESME_RINVEXPIRY,
  final_date: CommandStatus.ESME_RSYSERR,
};

const DIGIT_0 = 0x30;
const PLUS = 0x2b;
const MINUS = 0x2d;
const R = 0x52;

function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - DIGIT_0;
  const b = s.charCodeAt(i + 1) - DIGIT_0;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** True for an empty string or a well-formed 16-character absolute or relative SMPP time (no allocation). */
export function isValidSmppTime(s: string): boolean {
  if (s.length === 0) return true;
  if (s.length !== 16) return false;
  const yy = twoDigits(s, 0);
  const mo = twoDigits(s, 2);
  const dd = twoDigits(s, 4);
  const hh = twoDigits(s, 6);
  const mi = twoDigits(s, 8);
  const ss = twoDigits(s, 10);
  const t = twoDigits(s, 12); // t and the first digit of nn
  const n2 = s.charCodeAt(14) - DIGIT_0;
  if (yy < 0 || mo < 0 || dd < 0 || hh < 0 || mi < 0 || ss < 0 || t < 0 || n2 < 0 || n2 > 9) return false;
  const p = s.charCodeAt(15);
  if (p === R) return true; // relative: any amount of each unit (SMPP 3.4 §7.1.1.2)
  if (p !== PLUS && p !== MINUS) return false;
  const nn = (t % 10) * 10 + n2;
  if (nn > 48) return false;
  if (mo < 1 || mo > 12 || dd < 1 || dd > daysInMonth(2000 + yy, mo)) return false;
  return hh <= 23 && mi <= 59 && ss <= 59;
}

/**
 * Parses an SMPP time field: null for NULL (empty), the instant for an absolute time, the amount (and `now` plus
 * it) for a relative one. Throws SmppStatusError with the field's status (ESME_RINVSCHED, ESME_RINVEXPIRY) when bad.
 */
export function parseSmppTime(
  s: string,
  now: Date = new Date(),
  field: SmppTimeField = 'validity_period',
): SmppTime | null {
  if (s.length === 0) return null;
  if (!isValidSmppTime(s)) {
    throw new SmppStatusError(TIME_STATUS[field], { field, detail: `not an SMPP time: ${JSON.stringify(s)}` });
  }
  const yy = twoDigits(s, 0);
  const mo = twoDigits(s, 2);
  const dd = twoDigits(s, 4);
  const hh = twoDigits(s, 6);
  const mi = twoDigits(s, 8);
  const ss = twoDigits(s, 10);
  const p = s.charCodeAt(15);
  if (p === R) {
    const date = new Date(
      Date.UTC(
        now.getUTCFullYear() + yy,
        now.getUTCMonth() + mo,
        now.getUTCDate() + dd,
        now.getUTCHours() + hh,
        now.getUTCMinutes() + mi,
        now.getUTCSeconds() + ss,
        now.getUTCMilliseconds(),
      ),
    );
    return {
      kind: 'relative',
      seconds: Math.round((date.getTime() - now.getTime()) / 1000),
      date,
      years: yy,
      months: mo,
      days: dd,
      hours: hh,
      minutes: mi,
      secs: ss,
    };
  }
  const tenths = s.charCodeAt(12) - DIGIT_0;
  const quarters = twoDigits(s, 13) * (p === MINUS ? -1 : 1);
  // The digits are local time `quarters` quarter-hours ahead of UTC.
  const local = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss, tenths * 100);
  return { kind: 'absolute', date: new Date(local - quarters * 15 * 60_000), offsetQuarterHours: quarters };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** Formats an instant as an absolute SMPP time (years 2000–2099), written in the given quarter-hour offset (-48…48). */
export function formatAbsoluteTime(date: Date, offsetQuarterHours = 0): string {
  if (!Number.isInteger(offsetQuarterHours) || offsetQuarterHours < -48 || offsetQuarterHours > 48) {
    throw new RangeError(`offsetQuarterHours must be an integer in -48…48, got ${offsetQuarterHours}`);
  }
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('invalid Date');
  const local = new Date(ms + offsetQuarterHours * 15 * 60_000);
  const year = local.getUTCFullYear();
  if (year < 2000 || year > 2099) throw new RangeError(`year ${year} cannot be written in an SMPP time`);
  return (
    pad2(year - 2000) +
    pad2(local.getUTCMonth() + 1) +
    pad2(local.getUTCDate()) +
    pad2(local.getUTCHours()) +
    pad2(local.getUTCMinutes()) +
    pad2(local.getUTCSeconds()) +
    String(Math.floor(local.getUTCMilliseconds() / 100)) +
    pad2(Math.abs(offsetQuarterHours)) +
    (offsetQuarterHours < 0 ? '-' : '+')
  );
}

/** Formats a whole number of seconds (up to 99 days 23:59:59) as a relative SMPP time `0000DDhhmmss000R`. */
export function formatRelativeTime(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds >= 100 * 86_400) {
    throw new RangeError(`relative time must be a whole number of seconds under 100 days, got ${seconds}`);
  }
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `0000${pad2(days)}${pad2(hours)}${pad2(minutes)}${pad2(seconds % 60)}000R`;
}
