import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryLogger } from '../../log/index.js';
import { ErrorRing, errorEntryOfLog, logTap, redactSecrets } from './errors.js';

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

describe('logTap', () => {
  it("records a logger's WARNING and ERROR lines with their session and message ids", () => {
    const ring = new ErrorRing();
    const { logger } = createMemoryLogger({ level: 'ERROR', now: () => 1234 });
    logger.addTap(logTap(ring));
    const session = logger.child({ session: 'smpps_01-7', peer: '127.0.0.1' });
    session.info('bound', { system_id: 'acme' });
    session.warn('framing_error', { error: 'command_length 3 is below 16' });
    logger.child({ cid: 'up1', connector: 'smppc' }).warn('upstream_down', { reason: 'ECONNREFUSED', failures: 2 });
    logger.error('query_store_error', { session: 'smpps_01-8', message_id: 'm-42', error: new Error('disk I/O') });
    logger.warn('delivery_retry', { uid: 'u1' });
    assert.deepEqual(ring.entries(), [
      {
        at: 1234,
        level: 'warn',
        event: 'framing_error',
        message: 'session=smpps_01-7 peer=127.0.0.1 error="command_length 3 is below 16"',
        session: 'smpps_01-7',
      },
      {
        at: 1234,
        level: 'warn',
        event: 'upstream_down',
        message: 'cid=up1 connector=smppc reason=ECONNREFUSED failures=2',
      },
      {
        at: 1234,
        level: 'error',
        event: 'query_store_error',
        message: 'session=smpps_01-8 message_id=m-42 error="disk I/O"',
        session: 'smpps_01-8',
        message_id: 'm-42',
      },
    ]);
  });

  it('never shows a secret or message content', () => {
    const entry = errorEntryOfLog({
      at: 1,
      level: 'ERROR',
      event: 'connector_start_failed',
      fields: {
        cid: 'up1',
        password: 'hunter2',
        admin_token: 'tok-123',
        short_message: 'my pin is 4711',
        text: 'id:1 stat:DELIVRD text:my pin is 4711',
        payload: { content: 'x' },
        url: 'redis://:s3cr3t@10.0.0.1:6379/0',
        target: 'http://alice:wonderland@example.test/dlr?user=a&password=pw99&x=1',
        settings: { host: 'smsc', password: 'pw-in-object', port: 2775 },
        error: new Error('bind refused for http://bob:builder@example.test/?token=abc'),
      },
    });
    for (const secret of [
      'hunter2',
      'tok-123',
      '4711',
      's3cr3t',
      'wonderland',
      'pw99',
      'pw-in-object',
      'builder',
      'abc',
    ]) {
      assert.ok(!entry.message.includes(secret), `${secret} leaked: ${entry.message}`);
    }
    assert.match(entry.message, /cid=up1/);
    assert.match(entry.message, /url=redis:\/\/\*\*\*@10\.0\.0\.1:6379\/0/);
    assert.match(entry.message, /settings="?\{\\?"host\\?":\\?"smsc\\?",\\?"port\\?":2775\}/);
    assert.equal(redactSecrets('a?password=x&b=1'), 'a?password=***&b=1');
  });

  it('redacts a hostile value in linear time (bounded patterns: these took minutes with unbounded ones)', () => {
    for (const hostile of ['pass-'.repeat(40_000), 'a'.repeat(200_000), `${'x:'.repeat(50_000)}//`]) {
      const entry = errorEntryOfLog({ at: 1, level: 'ERROR', event: 'e', fields: { error: hostile } });
      assert.ok(entry.message.length <= 400);
    }
    assert.equal(redactSecrets(`${'a'.repeat(5000)} token=abc`), `${'a'.repeat(5000)} token=***`);
  });

  it('keeps each detail short', () => {
    const entry = errorEntryOfLog({
      at: 1,
      level: 'WARNING',
      event: 'e',
      fields: { a: 'x'.repeat(1000), b: 'y'.repeat(1000) },
    });
    assert.ok(entry.message.length <= 400, String(entry.message.length));
  });
});
