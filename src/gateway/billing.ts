// Billing of MT messages (SPEC.md §3 quotas, §4.3): the route's rate per message part, the early-percent split and
// the sms_count consumed. Pure arithmetic: the atomic balance move is the store's job, given the amounts here.
//
// Money is handled in integer micro-units (1e-6 of the balance's unit) so that sums are exact: decimal inputs are
// rounded to the micro-unit from their decimal spelling (0.1 is exactly 100000 µ, not 0.1000000000000000055…),
// half away from zero. The early split is rounded per part, half up, and the rest is what remains of the part's
// price, so `now + rest` is always exactly the price and a long message costs exactly parts × rate.
//
// Credit rule (Jasmin's): a rated message is accepted when the balance covers its WHOLE price (every part, early
// share and rest), and the early share is charged at once; the rest is charged when the upstream accepts each part.
// A free message (rate 0) needs no balance. sms_count, when set, must cover the number of parts and is consumed
// per part.

import type { MtQuotas } from '../store/model.js';
import { fromMicros, toMicros } from '../store/money.js';

export { fromMicros, MICROS_PER_UNIT, toMicros } from '../store/money.js';

/** What a message costs and when, in integer micro-units. */
export interface Bill {
  /** Message parts billed (and sms_count consumed). */
  parts: number;
  /** Price of one part (the route's rate). */
  partPrice: number;
  /** Charged per part at acceptance. */
  partNow: number;
  /** Charged per part when the upstream accepts that part. */
  partRest: number;
  /** parts × partPrice: the balance must cover this to accept the message. */
  total: number;
  /** parts × partNow: taken from the balance at acceptance. */
  now: number;
  /** parts × partRest: taken as the upstream accepts the parts. */
  rest: number;
  /** sms_count consumed: one per part. */
  smsCount: number;
}

/**
 * Bills a message of `parts` parts under a route `rate` (per part, ≥ 0) with the user's `early_percent` (0–100,
 * null = 100: everything at acceptance). RangeError on a negative rate, a percent outside 0–100 or parts < 1.
 */
export function billMessage(rate: number, parts: number, earlyPercent: number | null): Bill {
  if (!Number.isSafeInteger(parts) || parts < 1) throw new RangeError(`parts must be an integer ≥ 1: ${parts}`);
  const partPrice = toMicros(rate);
  if (partPrice < 0) throw new RangeError(`negative rate: ${rate}`);
  const percent = earlyPercent ?? 100;
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new RangeError(`early_percent must be 0–100: ${earlyPercent}`);
  }
  // percent in micro-percent keeps fractional percents exact; 1e8 micro-percent = 100 %.
  const microPercent = BigInt(toMicros(percent));
  const partNow = Number((BigInt(partPrice) * microPercent + 50_000_000n) / 100_000_000n);
  const partRest = partPrice - partNow;
  const total = partPrice * parts;
  if (!Number.isSafeInteger(total)) throw new RangeError(`price too large: ${rate} × ${parts}`);
  return { parts, partPrice, partNow, partRest, total, now: partNow * parts, rest: partRest * parts, smsCount: parts };
}

/** Whether the user's quotas allow a bill, with a reason for the logs when they do not (ESME_RSYSERR). */
export type CreditCheck = { ok: true } | { ok: false; reason: string };

/** Checks balance (must cover the whole price of a rated message) then sms_count (must cover the parts). */
export function checkCredit(quotas: Pick<MtQuotas, 'balance' | 'sms_count'>, bill: Bill): CreditCheck {
  if (quotas.balance !== null && bill.total > 0) {
    const balance = toMicros(quotas.balance);
    if (balance < bill.total) {
      return {
        ok: false,
        reason: `balance ${fromMicros(balance)} does not cover ${fromMicros(bill.total)} (${bill.parts} part(s))`,
      };
    }
  }
  if (quotas.sms_count !== null && quotas.sms_count < bill.smsCount) {
    return { ok: false, reason: `sms_count ${quotas.sms_count} does not cover ${bill.smsCount} part(s)` };
  }
  return { ok: true };
}
