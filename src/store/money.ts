// Money in integer micro-units (1e-6 of the balance's unit), so that sums are exact. Kept in the store layer because
// the store keeps balances this way and every layer above converts through these same two functions.
// Decimal inputs are rounded from their decimal spelling (0.1 is exactly 100000 µ, not 0.1000000000000000055…),
// half away from zero.

/** Micro-units per unit of balance. */
export const MICROS_PER_UNIT = 1_000_000;

const DECIMAL = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

/** Below 2^32 one micro-unit is wider than a double's spacing: at most one micro-unit amount rounds to a double. */
const FAST_LIMIT = 2 ** 32;

/** Rounds a decimal amount to integer micro-units (half away from zero); RangeError when not finite or too large. */
export function toMicros(amount: number): number {
  if (!Number.isFinite(amount)) throw new RangeError(`not a finite amount: ${amount}`);
  // Fast path, the same answer without a regex and BigInts (the hot path converts every rate and charge): when a
  // whole number x of micro-units gives back the amount, x·10⁻⁶ is the only micro-unit decimal that rounds to it, so
  // it is the amount's shortest spelling or has the same value, and the decimal reading below would find x too.
  const abs = Math.abs(amount);
  if (abs < FAST_LIMIT) {
    const x = Math.round(abs * MICROS_PER_UNIT);
    if (x / MICROS_PER_UNIT === abs) return amount < 0 && x !== 0 ? -x : x;
  }
  return decimalMicros(amount);
}

/** toMicros by the amount's decimal spelling (exported for the test that holds the fast path to it). */
export function decimalMicros(amount: number): number {
  if (!Number.isFinite(amount)) throw new RangeError(`not a finite amount: ${amount}`);
  const m = DECIMAL.exec(Math.abs(amount).toString());
  if (m === null) throw new RangeError(`not a decimal amount: ${amount}`);
  const fraction = m[2] ?? '';
  const digits = BigInt(m[1] + fraction);
  // amount = digits × 10^shift µ
  const shift = Number(m[3] ?? '0') - fraction.length + 6;
  let micros: bigint;
  if (shift >= 0) {
    micros = digits * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    micros = (digits + divisor / 2n) / divisor;
  }
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`amount too large: ${amount}`);
  const n = Number(micros);
  return amount < 0 && n !== 0 ? -n : n;
}

/** The decimal amount of integer micro-units (the nearest double, e.g. 1500000 → 1.5). */
export function fromMicros(micros: number): number {
  return micros / MICROS_PER_UNIT;
}
