import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorRing } from './errors.js';

const entry = (n: number) => ({ at: n, level: 'error' as const, event: 'e', message: `m${n}` });

describe('ErrorRing', () => {
  it('keeps the last entries, oldest first, overwriting the oldest when full', () => {
    const ring = new ErrorRing(3);
    assert.deepEqual(ring.entries(), []);
    ring.record(entry(1));
    ring.record(entry(2));
    assert.deepEqual(
      ring.entries().map((e) => e.at),
      [1, 2],
    );
    for (let i = 3; i <= 7; i++) ring.record(entry(i));
    assert.deepEqual(
      ring.entries().map((e) => e.at),
      [5, 6, 7],
    );
  });

  it('holds 50 by default and refuses a capacity below 1', () => {
    const ring = new ErrorRing();
    for (let i = 0; i < 120; i++) ring.record(entry(i));
    assert.equal(ring.entries().length, 50);
    assert.equal(ring.entries()[0].at, 70);
    assert.throws(() => new ErrorRing(0), RangeError);
  });
});
