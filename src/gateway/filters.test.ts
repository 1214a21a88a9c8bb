import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RouteFilter } from '../store/model.js';
import {
  compileRegex,
  FilterRegexError,
  MAX_REGEX_LENGTH,
  matchesAll,
  matchesFilter,
  parseFilterDate,
  parseFilterTime,
  type RoutingContext,
  regexMatches,
  validateRegex,
} from './filters.js';

/** A context at a local time (the filters read local time, so the test is independent of the machine's zone). */
function ctx(over: Partial<RoutingContext> = {}): RoutingContext {
  return {
    uid: 'u1',
    gid: 'g1',
    source_addr: 'MyBrand',
    destination_addr: '33612345678',
    content: 'Hello world',
    tags: [7, 42],
    now: new Date(2025, 5, 15, 12, 30, 0).getTime(),
    ...over,
  };
}

function rejection(pattern: string): string | null {
  try {
    validateRegex(pattern, 'filters[0].regex');
    return null;
  } catch (err) {
    assert.ok(err instanceof FilterRegexError);
    assert.equal(err.filter, 'filters[0].regex');
    assert.equal(err.pattern, pattern);
    assert.ok(err.message.includes('filters[0].regex'));
    return err.reason;
  }
}

describe('validateRegex', () => {
  test('accepts the patterns operators write', () => {
    for (const p of [
      '^336',
      '^(33|34|39)\\d+$',
      '^\\+?(44|0044)7\\d{9}$',
      '^(?:\\+|00)?33[67]\\d{8}$',
      '.*STOP.*',
      '(\\d{3})+',
      '^[A-Za-z0-9 ]{1,11}$',
      '[(]+',
      '\\(a+\\)+',
      'a{2}b{1,3}',
      '^[0-3]$',
      '(?:ab)*c',
      '(?<cc>\\d{2})\\d+',
      'x{,3}',
    ]) {
      assert.equal(rejection(p), null, p);
    }
  });

  test('rejects nested quantifiers and quantified alternations', () => {
    for (const p of [
      '(a+)+',
      '(a*)*',
      '(a+)*b',
      '^(\\d+)+$',
      '(?:a+){2,}',
      '(a?){30}',
      '(a{1,5}){2}',
      '((a+)b)+',
      '(a|aa)*',
      '(x|y)+',
      '([a-z]+\\.)+com',
      '(.*a){12}',
      '(a+?)+',
    ]) {
      assert.equal(rejection(p), 'nested_quantifier', p);
    }
  });

  test('rejects invalid syntax (including Python-only syntax) and over-long patterns', () => {
    assert.equal(rejection('(abc'), 'invalid');
    assert.equal(rejection('a)|(b'), 'invalid');
    assert.equal(rejection('(?P<x>a)'), 'invalid');
    assert.equal(rejection('(?i)stop'), 'invalid');
    assert.equal(rejection('a'.repeat(MAX_REGEX_LENGTH)), null);
    assert.equal(rejection('a'.repeat(MAX_REGEX_LENGTH + 1)), 'too_long');
  });

  test('an accepted pattern runs fast on hostile input', () => {
    const re = compileRegex('^(\\d{3})+$', 'f');
    const start = performance.now();
    re.test(`${'1'.repeat(10_000)}x`);
    assert.ok(performance.now() - start < 100);
  });
});

describe('regex semantics (Jasmin re.match)', () => {
  test('matches at the start, need not cover the whole value', () => {
    assert.equal(regexMatches('336', '33612345678'), true);
    assert.equal(regexMatches('336', '4433612345678'), false);
    assert.equal(regexMatches('336$', '33612345678'), false);
    assert.equal(regexMatches('.*STOP', 'please STOP'), true);
    assert.equal(regexMatches('a|b', 'b'), true, 'alternation stays inside the anchor');
    assert.equal(regexMatches('x|b', 'ab'), false);
  });

  test('is compiled once', () => {
    assert.equal(compileRegex('^77', 'f'), compileRegex('^77', 'f'));
  });

  test('a rejected pattern matches nothing instead of running', () => {
    assert.equal(regexMatches('(a+)+', 'aaaa'), false);
    assert.equal(regexMatches('(', '('), false);
  });
});

describe('date and time parsing', () => {
  test('dates', () => {
    assert.equal(parseFilterDate('2025-06-15'), 20250615);
    assert.equal(parseFilterDate('2024-02-29'), 20240229);
    assert.equal(parseFilterDate('2025-02-29'), null);
    assert.equal(parseFilterDate('2025-13-01'), null);
    assert.equal(parseFilterDate('25-06-15'), null);
  });

  test('times', () => {
    assert.equal(parseFilterTime('00:00:00'), 0);
    assert.equal(parseFilterTime('23:59:59'), 86399);
    assert.equal(parseFilterTime('08:30'), 30600);
    assert.equal(parseFilterTime('24:00:00'), null);
    assert.equal(parseFilterTime('8:30:00'), null);
  });
});

describe('matchesFilter', () => {
  test('transparent matches everything', () => {
    assert.equal(matchesFilter({ type: 'transparent' }, ctx()), true);
  });

  test('user, group and connector compare ids; a missing id never matches', () => {
    assert.equal(matchesFilter({ type: 'user', uid: 'u1' }, ctx()), true);
    assert.equal(matchesFilter({ type: 'user', uid: 'u2' }, ctx()), false);
    assert.equal(matchesFilter({ type: 'user', uid: 'u1' }, ctx({ uid: undefined })), false);
    assert.equal(matchesFilter({ type: 'group', gid: 'g1' }, ctx()), true);
    assert.equal(matchesFilter({ type: 'group', gid: 'g2' }, ctx()), false);
    assert.equal(matchesFilter({ type: 'connector', cid: 'smsc1' }, ctx({ cid: 'smsc1' })), true);
    assert.equal(matchesFilter({ type: 'connector', cid: 'smsc1' }, ctx({ cid: 'smsc2' })), false);
    assert.equal(matchesFilter({ type: 'connector', cid: 'smsc1' }, ctx()), false);
  });

  test('source, destination and content regexes', () => {
    assert.equal(matchesFilter({ type: 'source_addr', regex: '^My' }, ctx()), true);
    assert.equal(matchesFilter({ type: 'source_addr', regex: '^Your' }, ctx()), false);
    assert.equal(matchesFilter({ type: 'destination_addr', regex: '^336' }, ctx()), true);
    assert.equal(matchesFilter({ type: 'destination_addr', regex: '^337' }, ctx()), false);
    assert.equal(matchesFilter({ type: 'short_message', regex: 'Hello' }, ctx()), true);
    assert.equal(matchesFilter({ type: 'short_message', regex: '.*world' }, ctx()), true);
    assert.equal(matchesFilter({ type: 'short_message', regex: 'world' }, ctx()), false);
    // Binary content is matched as latin1 bytes.
    const bytes = Buffer.from([0x05, 0x00, 0x03, 0xff]).toString('latin1');
    assert.equal(matchesFilter({ type: 'short_message', regex: '\\x05\\x00\\x03' }, ctx({ content: bytes })), true);
  });

  test('date interval, inclusive, in local time', () => {
    const f = (from: string, to: string): RouteFilter => ({ type: 'date_interval', from, to });
    assert.equal(matchesFilter(f('2025-06-01', '2025-06-30'), ctx()), true);
    assert.equal(matchesFilter(f('2025-06-15', '2025-06-15'), ctx()), true);
    assert.equal(matchesFilter(f('2025-06-16', '2025-06-30'), ctx()), false);
    assert.equal(matchesFilter(f('2025-01-01', '2025-06-14'), ctx()), false);
    const lastSecond = new Date(2025, 5, 15, 23, 59, 59).getTime();
    const nextDay = new Date(2025, 5, 16, 0, 0, 0).getTime();
    assert.equal(matchesFilter(f('2025-06-01', '2025-06-15'), ctx({ now: lastSecond })), true);
    assert.equal(matchesFilter(f('2025-06-01', '2025-06-15'), ctx({ now: nextDay })), false);
    assert.equal(matchesFilter(f('bad', '2025-06-30'), ctx()), false);
  });

  test('time interval, inclusive, in local time, spanning midnight when from > to', () => {
    const f = (from: string, to: string): RouteFilter => ({ type: 'time_interval', from, to });
    const at = (h: number, m: number, s = 0) => ctx({ now: new Date(2025, 5, 15, h, m, s).getTime() });
    assert.equal(matchesFilter(f('08:00:00', '18:00:00'), at(12, 30)), true);
    assert.equal(matchesFilter(f('08:00:00', '18:00:00'), at(8, 0)), true);
    assert.equal(matchesFilter(f('08:00:00', '18:00:00'), at(18, 0)), true);
    assert.equal(matchesFilter(f('08:00:00', '18:00:00'), at(18, 0, 1)), false);
    assert.equal(matchesFilter(f('08:00:00', '18:00:00'), at(7, 59, 59)), false);
    assert.equal(matchesFilter(f('22:00:00', '06:00:00'), at(23, 0)), true);
    assert.equal(matchesFilter(f('22:00:00', '06:00:00'), at(0, 0)), true);
    assert.equal(matchesFilter(f('22:00:00', '06:00:00'), at(5, 59)), true);
    assert.equal(matchesFilter(f('22:00:00', '06:00:00'), at(12, 0)), false);
    assert.equal(matchesFilter(f('22:00:00', '06:00:00'), at(6, 0, 1)), false);
  });

  test('tag', () => {
    assert.equal(matchesFilter({ type: 'tag', tag: 42 }, ctx()), true);
    assert.equal(matchesFilter({ type: 'tag', tag: 43 }, ctx()), false);
    assert.equal(matchesFilter({ type: 'tag', tag: 42 }, ctx({ tags: [] })), false);
  });

  test('matchesAll needs every filter; an empty list matches', () => {
    assert.equal(matchesAll([], ctx()), true);
    assert.equal(
      matchesAll(
        [
          { type: 'user', uid: 'u1' },
          { type: 'destination_addr', regex: '^33' },
        ],
        ctx(),
      ),
      true,
    );
    assert.equal(
      matchesAll(
        [
          { type: 'user', uid: 'u1' },
          { type: 'destination_addr', regex: '^34' },
        ],
        ctx(),
      ),
      false,
    );
  });
});
