// Reconnect delays of an upstream bind: exponential from the initial delay up to the maximum, with jitter so that
// the binds of many connectors (or many gateway nodes) that lost one SMSC at once do not all come back together.

/**
 * The wait before reconnect attempt number `failures` (1 = after the first failure): initial × 2^(failures−1), capped
 * at max, then drawn uniformly from its upper half ("equal jitter"). `random` returns [0, 1).
 */
export function reconnectDelayMs(failures: number, initialMs: number, maxMs: number, random: () => number): number {
  const exponent = Math.min(Math.max(0, failures - 1), 30);
  const base = Math.min(maxMs, initialMs * 2 ** exponent);
  return Math.round(base / 2 + random() * (base / 2));
}
