import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestUrl } from './target.js';

describe('requestUrl', () => {
  it('never throws, and keeps a path that looks like a host a path', () => {
    for (const target of ['//', '/\\', '//[', '//%', '//x', '/a?b=1', '*', 'http://evil/x?y=1', '', '/%zz']) {
      assert.doesNotThrow(() => requestUrl({ url: target }), target);
    }
    assert.equal(requestUrl({ url: '//users' })?.pathname, '//users');
    assert.equal(requestUrl({ url: '/api/v1/users?x=1' })?.searchParams.get('x'), '1');
    assert.equal(requestUrl({ url: 'http://evil/x' })?.pathname, '/x');
    assert.equal(requestUrl({ url: undefined })?.pathname, '/');
  });
});
