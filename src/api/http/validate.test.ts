import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from './errors.js';
import {
  expectBoolean,
  expectNullableNumber,
  expectNumber,
  expectObject,
  expectString,
  rejectForbiddenKeys,
  rejectUnknownKeys,
} from './validate.js';

function fails(fn: () => unknown, field: string, message: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HttpError);
    assert.equal(e.status, 400);
    assert.equal(e.field, field);
    assert.match(e.message, message);
    assert.ok(e.message.startsWith(`${field}: `), e.message);
    return true;
  });
}

describe('body field checks', () => {
  it('names the field of every failure', () => {
    fails(() => expectObject([], ''), 'body', /JSON object/);
    fails(() => expectObject(null, 'smpps_cred'), 'smpps_cred', /JSON object/);
    fails(() => rejectUnknownKeys({ a: 1, b: 2 }, ['a'], 'x'), 'x.b', /unknown field \(known: a\)/);
    fails(() => rejectUnknownKeys(JSON.parse('{"__proto__":1}'), ['__proto__'], ''), '__proto__', /unknown/);
    fails(
      () => rejectForbiddenKeys(JSON.parse('{"a":[{"constructor":1}]}'), 'settings'),
      'settings.a[0].constructor',
      /reserved/,
    );
    fails(() => expectString(1, 'uid'), 'uid', /must be a string/);
    fails(() => expectString('', 'uid', { minLength: 1, maxLength: 3 }), 'uid', /1–3 characters/);
    fails(() => expectString('a b', 'uid', { pattern: /^\w+$/, describe: 'letters' }), 'uid', /must be letters/);
    fails(() => expectBoolean('true', 'enabled'), 'enabled', /true or false/);
    fails(() => expectNumber('1', 'n'), 'n', /a number/);
    fails(() => expectNumber(1.5, 'n', { integer: true }), 'n', /whole number/);
    fails(() => expectNumber(-1, 'n', { min: 0 }), 'n', /≥ 0/);
    fails(() => expectNumber(0, 'n', { above: 0 }), 'n', /> 0/);
    fails(() => expectNumber(101, 'n', { max: 100 }), 'n', /≤ 100/);
    fails(() => expectNumber(Number.NaN, 'n'), 'n', /a number/);
    fails(() => expectNullableNumber(-1, 'q', { min: 0 }), 'q', /≥ 0 or null/);
  });

  it('returns valid values', () => {
    assert.deepEqual(expectObject({ a: 1 }, ''), { a: 1 });
    rejectUnknownKeys({ a: 1 }, ['a', 'b'], '');
    assert.equal(expectString('abc', 'f', { pattern: /^[a-c]+$/, maxLength: 3 }), 'abc');
    assert.equal(expectBoolean(false, 'f'), false);
    assert.equal(expectNumber(0, 'f', { min: 0, integer: true }), 0);
    assert.equal(expectNullableNumber(null, 'f'), null);
    assert.equal(expectNullableNumber(2.5, 'f', { above: 0 }), 2.5);
  });
});
