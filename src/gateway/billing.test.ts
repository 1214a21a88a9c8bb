import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { billMessage, checkCredit, fromMicros, toMicros } from './billing.js';

describe('toMicros / fromMicros', () => {
  test('decimal spelling is exact', () => {
    assert.equal(toMicros(0.1), 100_000);
    assert.equal(toMicros(0.7), 700_000);
    assert.equal(toMicros(1.005), 1_005_000);
    assert.equal(toMicros(123.456789), 123_456_789);
    assert.equal(toMicros(0), 0);
    assert.equal(toMicros(5e-7), 1, 'half rounds away from zero');
    assert.equal(toMicros(4.9e-7), 0);
    assert.equal(toMicros(1.0000005), 1_000_001);
    assert.equal(toMicros(1.0000004999), 1_000_000);
    assert.equal(toMicros(-0.0000015), -2);
    assert.equal(toMicros(-1e-9), 0);
    assert.equal(toMicros(1e9), 1e15);
    assert.equal(toMicros(2.5e-5), 25);
  });

  test('refuses what cannot be an amount', () => {
    assert.throws(() => toMicros(Number.NaN), RangeError);
    assert.throws(() => toMicros(Number.POSITIVE_INFINITY), RangeError);
    assert.throws(() => toMicros(1e10), RangeError, 'beyond 2^53 micro-units');
  });

  test('round trip for any micro-unit amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e15, max: 1e15 }), (m) => {
        assert.equal(toMicros(fromMicros(m)), m);
      }),
    );
  });
});

describe('billMessage', () => {
  test('unrated: a free message costs nothing and still counts its parts', () => {
    assert.deepEqual(billMessage(0, 3, null), {
      parts: 3,
      partPrice: 0,
      partNow: 0,
      partRest: 0,
      total: 0,
      now: 0,
      rest: 0,
      smsCount: 3,
    });
  });

  test('rated, everything at acceptance when early_percent is unset or 100', () => {
    const bill = billMessage(0.035, 1, null);
    assert.equal(bill.total, 35_000);
    assert.equal(bill.now, 35_000);
    assert.equal(bill.rest, 0);
    assert.deepEqual(billMessage(0.035, 1, 100), bill);
  });

  test('per part: a long message costs parts × rate, with no float drift', () => {
    const bill = billMessage(0.1, 3, null);
    assert.equal(bill.partPrice, 100_000);
    assert.equal(bill.total, 300_000);
    assert.equal(fromMicros(bill.total), 0.3, 'not 0.30000000000000004');
    assert.equal(bill.smsCount, 3);
  });

  test('early percent: charged now and the rest at upstream acceptance', () => {
    const bill = billMessage(1, 2, 25);
    assert.equal(bill.partNow, 250_000);
    assert.equal(bill.partRest, 750_000);
    assert.equal(bill.now, 500_000);
    assert.equal(bill.rest, 1_500_000);
    assert.equal(bill.total, 2_000_000);
    const none = billMessage(1, 1, 0);
    assert.equal(none.now, 0);
    assert.equal(none.rest, 1_000_000);
  });

  test('rounding: the early share rounds half up per part, the rest makes the price exact', () => {
    const third = billMessage(0.00001, 1, 33.333333); // 10 µ × 33.333333 % = 3.3333333 µ
    assert.equal(third.partNow, 3);
    assert.equal(third.partRest, 7);
    const half = billMessage(0.000001, 1, 50); // 1 µ × 50 % = 0.5 µ → 1
    assert.equal(half.partNow, 1);
    assert.equal(half.partRest, 0);
    const odd = billMessage(0.000003, 5, 50); // 1.5 µ → 2 per part
    assert.equal(odd.now, 10);
    assert.equal(odd.rest, 5);
    assert.equal(odd.total, 15);
    assert.equal(billMessage(0.0000014, 1, null).partPrice, 1, 'rates finer than 1 µ round to the micro-unit');
  });

  test('now + rest is always the price, per part and in total', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 1, max: 255 }),
        fc.option(fc.integer({ min: 0, max: 100_000_000 }), { nil: null }),
        (micros, parts, microPercent) => {
          const percent = microPercent === null ? null : microPercent / 1e6;
          const bill = billMessage(fromMicros(micros), parts, percent);
          assert.equal(bill.partPrice, micros);
          assert.equal(bill.partNow + bill.partRest, bill.partPrice);
          assert.equal(bill.now + bill.rest, bill.total);
          assert.equal(bill.total, micros * parts);
          assert.ok(bill.partNow >= 0 && bill.partRest >= 0);
        },
      ),
    );
  });

  test('refuses bad inputs', () => {
    assert.throws(() => billMessage(-0.01, 1, null), RangeError);
    assert.throws(() => billMessage(0.01, 0, null), RangeError);
    assert.throws(() => billMessage(0.01, 1.5, null), RangeError);
    assert.throws(() => billMessage(0.01, 1, 101), RangeError);
    assert.throws(() => billMessage(0.01, 1, -1), RangeError);
    assert.throws(() => billMessage(Number.NaN, 1, null), RangeError);
  });
});

describe('checkCredit', () => {
  const unlimited = { balance: null, sms_count: null };

  test('unlimited quotas accept anything', () => {
    assert.deepEqual(checkCredit(unlimited, billMessage(1000, 10, null)), { ok: true });
  });

  test('the balance must cover the whole price, even with an early percent', () => {
    const bill = billMessage(0.4, 3, 10); // total 1.2, now 0.12
    assert.deepEqual(checkCredit({ balance: 1.2, sms_count: null }, bill), { ok: true });
    const short = checkCredit({ balance: 1.199999, sms_count: null }, bill);
    assert.equal(short.ok, false);
    assert.match(short.ok ? '' : short.reason, /balance 1\.199999 does not cover 1\.2 \(3 part/);
  });

  test('a free message needs no balance', () => {
    assert.deepEqual(checkCredit({ balance: 0, sms_count: null }, billMessage(0, 2, null)), { ok: true });
    assert.deepEqual(checkCredit({ balance: -5, sms_count: null }, billMessage(0, 1, null)), { ok: true });
  });

  test('sms_count must cover every part', () => {
    assert.deepEqual(checkCredit({ balance: null, sms_count: 3 }, billMessage(0, 3, null)), { ok: true });
    const short = checkCredit({ balance: null, sms_count: 2 }, billMessage(0, 3, null));
    assert.equal(short.ok, false);
    assert.match(short.ok ? '' : short.reason, /sms_count 2 does not cover 3/);
  });

  test('balance is checked before sms_count', () => {
    const result = checkCredit({ balance: 0, sms_count: 0 }, billMessage(1, 1, null));
    assert.match(result.ok ? '' : result.reason, /^balance/);
  });
});
