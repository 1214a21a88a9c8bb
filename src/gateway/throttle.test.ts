import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Throttle } from './throttle.js';

/** How many of `count` takes, spaced `stepMs` apart from `start`, succeed. */
function admitted(t: Throttle, key: string, rate: number, count: number, stepMs: number, start = 0): number {
  let ok = 0;
  for (let i = 0; i < count; i++) if (t.take(key, 1, rate, start + i * stepMs)) ok++;
  return ok;
}

describe('Throttle', () => {
  test('starts full: a burst of rate × 0.25 s (at least 1), then refused', () => {
    const t = new Throttle();
    assert.equal(admitted(t, 'u1', 100, 40, 0), 25);
    assert.equal(admitted(new Throttle(), 'u1', 4, 5, 0), 1);
    assert.equal(admitted(new Throttle(), 'u1', 0.5, 3, 0), 1);
    assert.equal(new Throttle({ burstSeconds: 1 }).capacity(10), 10);
  });

  test('refills at the rate: sustained traffic is paced at rate per second', () => {
    const t = new Throttle();
    // 10 msg/s offered at 50 msg/s (every 20 ms) for 10 s: about 10 × 10 + the initial burst of 2.5.
    const ok = admitted(t, 'u1', 10, 500, 20);
    assert.ok(ok >= 100 && ok <= 103, `admitted ${ok}`);
  });

  test('traffic at exactly the rate is never refused', () => {
    const t = new Throttle();
    assert.equal(admitted(t, 'u1', 50, 1000, 20), 1000);
    const slow = new Throttle();
    assert.equal(admitted(slow, 'u2', 0.5, 10, 2000), 10);
  });

  test('a refused take costs nothing; tokens come back with time', () => {
    const t = new Throttle();
    assert.equal(t.take('u', 1, 1, 0), true);
    assert.equal(t.take('u', 1, 1, 500), false);
    assert.equal(t.take('u', 1, 1, 999), false);
    assert.equal(t.take('u', 1, 1, 1000), true);
  });

  test('keys are independent (one bucket per user across its binds)', () => {
    const t = new Throttle();
    assert.equal(t.take('smpps:u1', 1, 1, 0), true);
    assert.equal(t.take('smpps:u1', 1, 1, 0), false);
    assert.equal(t.take('smpps:u2', 1, 1, 0), true);
    assert.equal(t.take('http:u1', 1, 1, 0), true);
  });

  test('null or 0 is unlimited', () => {
    const t = new Throttle();
    assert.equal(admitted(t, 'u', 0, 10_000, 0), 10_000);
    for (let i = 0; i < 1000; i++) assert.equal(t.take('u', 1, null, 0), true);
    assert.equal(t.size, 0, 'unlimited takes keep no state');
  });

  test('taking n at once, and more than the burst when the bucket is full (then in debt)', () => {
    const t = new Throttle();
    assert.equal(t.take('u', 20, 100, 0), true);
    assert.equal(t.take('u', 6, 100, 0), false);
    assert.equal(t.take('u', 5, 100, 0), true);
    const big = new Throttle();
    assert.equal(big.take('u', 10, 2, 0), true, 'a full bucket admits a take larger than its capacity');
    assert.equal(big.take('u', 1, 2, 4000), false, 'still paying the debt: -9 + 8 tokens');
    assert.equal(big.take('u', 1, 2, 5000), true);
  });

  test('a rate change takes effect at once', () => {
    const t = new Throttle();
    assert.equal(admitted(t, 'u', 100, 25, 0), 25);
    assert.equal(t.take('u', 1, 100, 10), true); // 1 token refilled in 10 ms at 100/s
    // Lowered to 1/s: the bucket shrinks to 1 token and refills slowly.
    assert.equal(t.take('u', 1, 1, 20), false);
    assert.equal(t.take('u', 1, 1, 1100), true);
    assert.equal(t.take('u', 1, 1, 1200), false);
  });

  test('a clock stepping back refills nothing', () => {
    const t = new Throttle();
    assert.equal(t.take('u', 1, 1, 10_000), true);
    assert.equal(t.take('u', 1, 1, 5_000), false);
    assert.equal(t.take('u', 1, 1, 10_500), false);
    assert.equal(t.take('u', 1, 1, 11_000), true);
  });

  test('reset gives a fresh burst', () => {
    const t = new Throttle();
    assert.equal(t.take('u', 1, 1, 0), true);
    t.reset('u');
    assert.equal(t.take('u', 1, 1, 0), true);
  });

  test('bounded: idle keys are swept when too many are tracked, busy ones kept', () => {
    const t = new Throttle({ maxKeys: 100 });
    for (let i = 0; i < 100; i++) t.take(`idle${i}`, 1, 10, 0);
    assert.equal(t.size, 100);
    t.take('busy', 1, 10, 0); // none has refilled at t=0: the oldest is dropped
    assert.ok(t.size <= 100);
    for (let i = 0; i < 50; i++) t.take(`later${i}`, 1, 10, 60_000); // everything older has refilled: swept
    assert.ok(t.size <= 51, `size ${t.size}`);
  });
});
