// toMicros's fast path against the decimal-spelling reading it stands in for.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decimalMicros, toMicros } from './money.js';

describe('toMicros fast path', () => {
  test('gives what the decimal spelling gives, for any double and any micro-unit amount near it', () => {
    fc.assert(
      fc.property(fc.double({ min: -5e9, max: 5e9, noNaN: true }), (amount) => {
        assert.equal(toMicros(amount), decimalMicros(amount), String(amount));
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -5e15, max: 5e15 }), fc.integer({ min: -3, max: 3 }), (micros, ulps) => {
        // A micro-unit amount and the doubles a few steps either side of it.
        let amount = micros / 1e6;
        for (let i = 0; i < Math.abs(ulps); i++) amount = nextDouble(amount, ulps > 0);
        assert.equal(toMicros(amount), decimalMicros(amount), String(amount));
      }),
      { numRuns: 20_000 },
    );
    for (const amount of [0, -0, 0.1, 0.7, 1.005, 5e-7, 4.9e-7, -0.0000015, 2 ** 32 - 0.5, 2 ** 32, 4294.967296]) {
      assert.equal(toMicros(amount), decimalMicros(amount), String(amount));
    }
  });
});

function nextDouble(x: number, up: boolean): number {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  let bits = b.getBigUint64(0);
  if (x === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  bits += x > 0 === up ? 1n : -1n;
  b.setBigUint64(0, bits);
  return b.getFloat64(0);
}
