import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { bearerToken, createBearerCheck } from './auth.js';

function withAuth(authorization: string | undefined): IncomingMessage {
  return { headers: authorization === undefined ? {} : { authorization } } as IncomingMessage;
}

describe('bearer auth', () => {
  it('reads the token of a Bearer header, scheme case-insensitive', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer  abc '), 'abc');
    assert.equal(bearerToken('Basic abc'), null);
    assert.equal(bearerToken('Bearer'), null);
    assert.equal(bearerToken('Bearer a b'), null);
    assert.equal(bearerToken(undefined), null);
  });

  it('accepts exactly the expected token', () => {
    const check = createBearerCheck('s3cret');
    assert.equal(check(withAuth('Bearer s3cret')), true);
    assert.equal(check(withAuth('Bearer s3cre')), false);
    assert.equal(check(withAuth('Bearer s3crett')), false);
    assert.equal(check(withAuth('Bearer S3cret')), false);
    assert.equal(check(withAuth('s3cret')), false);
    assert.equal(check(withAuth(undefined)), false);
  });

  it('refuses an empty expected token', () => {
    assert.throws(() => createBearerCheck(''), RangeError);
  });
});
