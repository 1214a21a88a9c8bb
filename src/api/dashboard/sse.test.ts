import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sseComment, sseFrame, sseRetry } from './sse.js';

describe('SSE framing', () => {
  it('frames one event with its type and id, ending with the blank line that dispatches it', () => {
    assert.equal(
      sseFrame({ event: 'snapshot', id: '7', data: '{"a":1}' }),
      'event: snapshot\nid: 7\ndata: {"a":1}\n\n',
    );
    assert.equal(sseFrame({ data: 'x' }), 'data: x\n\n');
  });

  it('turns every kind of line break in the payload into its own data line', () => {
    assert.equal(sseFrame({ data: 'a\nb\r\nc\rd' }), 'data: a\ndata: b\ndata: c\ndata: d\n\n');
    assert.equal(sseFrame({ data: '' }), 'data: \n\n');
    assert.equal(sseFrame({ data: 'end\n' }), 'data: end\ndata: \n\n');
  });

  it('refuses a line break in the event name or id, which would inject fields', () => {
    assert.throws(() => sseFrame({ event: 'a\ndata: evil', data: 'x' }), RangeError);
    assert.throws(() => sseFrame({ id: '1\r2', data: 'x' }), RangeError);
  });

  it('writes the retry delay and comments on their own', () => {
    assert.equal(sseRetry(2000.7), 'retry: 2000\n\n');
    assert.equal(sseComment('hi\nthere'), ': hi there\n\n');
  });
});
