import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from './errors.js';
import { Router } from './router.js';

const reply = (tag: string) => () => ({ status: 200, body: tag });
const ctx = {} as never;

describe('Router', () => {
  const router = new Router()
    .add('GET', '/api/v1/users', reply('list'))
    .add('POST', '/api/v1/users', reply('create'))
    .add('GET', '/api/v1/users/:uid', reply('get'))
    .add('POST', '/api/v1/users/:uid/credit', reply('credit'));

  it('matches method and path and decodes parameters', () => {
    const m = router.match('GET', '/api/v1/users/a%20b');
    assert.deepEqual(m.params, { uid: 'a b' });
    assert.deepEqual(m.handler(ctx), { status: 200, body: 'get' });
    assert.deepEqual(router.match('POST', '/api/v1/users/u1/credit').params, { uid: 'u1' });
    assert.deepEqual(router.match('GET', '/api/v1/users/').handler(ctx), { status: 200, body: 'list' });
  });

  it('answers 404 for an unknown path and 405 with Allow for a known path under another method', () => {
    assert.throws(
      () => router.match('GET', '/api/v1/nope'),
      (e: unknown) => e instanceof HttpError && e.status === 404,
    );
    assert.throws(
      () => router.match('DELETE', '/api/v1/users'),
      (e: unknown) => e instanceof HttpError && e.status === 405 && e.headers.Allow === 'GET, POST',
    );
  });

  it('answers 400 for a parameter with bad percent-encoding', () => {
    assert.throws(
      () => router.match('GET', '/api/v1/users/%E0%A4'),
      (e: unknown) => e instanceof HttpError && e.status === 400 && e.field === 'uid',
    );
  });
});
