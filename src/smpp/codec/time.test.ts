import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SmppStatusError } from './errors.js';
import { formatAbsoluteTime, formatRelativeTime, isValidSmppTime, parseSmppTime } from './time.js';

describe('SMPP time formats', () => {
  it('accepts NULL, absolute and relative times', () => {
    for (const s of [
      '',
      '240102150405000+',
      '991231235959948-',
      '000229000000000+',
      '000001020304000R',
      '990000000000000R',
    ]) {
      assert.equal(isValidSmppTime(s), true, s);
    }
  });
  it('rejects everything else', () => {
    for (const s of [
      '2401021504',
      '240102150405000',
      '240102150405000X',
      '240102150405049+',
      '241302150405000+',
      '240100150405000+',
      '240132150405000+',
      '230229150405000+',
      '240102240405000+',
      '240102156005000+',
      '240102150460000+',
      'a40102150405000+',
      '240102150405000+0',
      '00000102030400AR',
    ]) {
      assert.equal(isValidSmppTime(s), false, s);
    }
  });
  it('parses an absolute time with its UTC offset in quarter-hours', () => {
    const utc = parseSmppTime('240102150405300+');
    assert.deepStrictEqual(utc, {
      kind: 'absolute',
      date: new Date('2024-01-02T15:04:05.300Z'),
      offsetQuarterHours: 0,
    });
    const ahead = parseSmppTime('240102150405304+');
    assert.equal(ahead?.kind === 'absolute' && ahead.date.toISOString(), '2024-01-02T14:04:05.300Z');
    const behind = parseSmppTime('240102150405022-');
    assert.equal(behind?.kind === 'absolute' && behind.date.toISOString(), '2024-01-02T20:34:05.000Z');
    assert.equal(behind?.kind === 'absolute' && behind.offsetQuarterHours, -22);
  });
  it('parses a relative time against now', () => {
    const now = new Date('2024-01-31T00:00:00Z');
    const r = parseSmppTime('000001020304000R', now);
    assert.ok(r !== null && r.kind === 'relative');
    assert.equal(r.seconds, 86400 + 2 * 3600 + 3 * 60 + 4);
    assert.equal(r.date.toISOString(), '2024-02-01T02:03:04.000Z');
    assert.deepStrictEqual([r.years, r.months, r.days, r.hours, r.minutes, r.secs], [0, 0, 1, 2, 3, 4]);
    const year = parseSmppTime('010000000000000R', now);
    assert.equal(year?.kind === 'relative' && year.date.toISOString(), '2025-01-31T00:00:00.000Z');
  });
  it('NULL parses to null', () => {
    assert.equal(parseSmppTime(''), null);
  });
  it('a bad time throws SmppStatusError with the field status', () => {
    assert.throws(
      () => parseSmppTime('nope', undefined, 'schedule_delivery_time'),
      (e: unknown) => {
        return e instanceof SmppStatusError && e.commandStatus === 0x61 && e.field === 'schedule_delivery_time';
      },
    );
    assert.throws(
      () => parseSmppTime('nope'),
      (e: unknown) => e instanceof SmppStatusError && e.commandStatus === 0x62,
    );
  });
  it('formats absolute times', () => {
    const d = new Date('2024-01-02T15:04:05.378Z');
    assert.equal(formatAbsoluteTime(d), '240102150405300+');
    assert.equal(formatAbsoluteTime(d, 4), '240102160405304+');
    assert.equal(formatAbsoluteTime(d, -22), '240102093405322-');
    assert.throws(() => formatAbsoluteTime(d, 49), RangeError);
    assert.throws(() => formatAbsoluteTime(new Date('1999-12-31T23:00:00Z')), RangeError);
    assert.throws(() => formatAbsoluteTime(new Date(Number.NaN)), RangeError);
  });
  it('formats relative times', () => {
    assert.equal(formatRelativeTime(0), '000000000000000R');
    assert.equal(formatRelativeTime(86400 + 2 * 3600 + 3 * 60 + 4), '000001020304000R');
    assert.equal(formatRelativeTime(100 * 86400 - 1), '000099235959000R');
    assert.throws(() => formatRelativeTime(100 * 86400), RangeError);
    assert.throws(() => formatRelativeTime(-1), RangeError);
    assert.throws(() => formatRelativeTime(1.5), RangeError);
  });
  it('absolute times round-trip for any instant and offset (to the tenth of a second)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 2), max: Date.UTC(2099, 11, 30) }),
        fc.integer({ min: -48, max: 48 }),
        (ms, q) => {
          const s = formatAbsoluteTime(new Date(ms), q);
          assert.equal(isValidSmppTime(s), true);
          const parsed = parseSmppTime(s);
          assert.ok(parsed?.kind === 'absolute');
          assert.equal(parsed.date.getTime(), ms - (ms % 100));
          assert.equal(parsed.offsetQuarterHours, q);
        },
      ),
    );
  });
  it('relative times round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 * 86400 - 1 }), (secs) => {
        const r = parseSmppTime(formatRelativeTime(secs), new Date('2024-03-01T00:00:00Z'));
        assert.ok(r?.kind === 'relative');
        assert.equal(r.seconds, secs);
      }),
    );
  });
});
