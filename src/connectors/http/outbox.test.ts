// HttpOutbox against a real HTTP application on a loopback port and the real SQLite store: form fields by POST and
// GET, order, retries on 500, a timeout and a missing ack body until success (exactly one success, nothing lost), the
// give-up after the expiry with its error line, durability across a store reopen, discovery of queues by prefix, the
// global in-flight bound, and stop() leaving an unanswered call queued.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MemoryLogger } from '../../smpp/session/log.js';
import { HttpOutbox, type HttpOutboxOptions, type OutboxTimers } from './outbox.js';
import { type App, startApp, tempStore, until } from './testing.js';

const cleanups: (() => Promise<void>)[] = [];
const CALL_TIMEOUT_MS = 30_000;

/**
 * Node's timers, except those armed for `ms` (the outbox's call timeout, a duration nothing else uses here): they are
 * held, and fired by the test once the application has the call that will never be answered, not after a wall-clock
 * wait that a slow machine's ordinary answers could also exceed.
 */
function heldTimeouts(ms: number) {
  const held = new Set<{ fn: () => void }>();
  const timers: OutboxTimers = {
    setTimeout: (fn, t) => {
      if (t !== ms) return setTimeout(fn, t).unref();
      const h = { fn };
      held.add(h);
      return h;
    },
    clearTimeout: (h) => {
      if (!held.delete(h as { fn: () => void })) clearTimeout(h as NodeJS.Timeout);
    },
  };
  return {
    timers,
    /** Call timeouts armed and not cleared. */
    live: () => held.size,
    fire: () => {
      const all = [...held];
      held.clear();
      for (const h of all) h.fn();
    },
  };
}

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(fallback?: Parameters<typeof startApp>[0]) {
  const app = await startApp(fallback);
  const db = tempStore();
  const logger = new MemoryLogger();
  cleanups.push(db.cleanup, app.close);
  const outboxes: HttpOutbox[] = [];
  const make = (options: Partial<HttpOutboxOptions> = {}) => {
    const o = new HttpOutbox({
      store: db.store(),
      logger,
      prefix: 'test:',
      retryDelayMs: 20,
      maxRetryDelayMs: 50,
      // Never reached by an answer on a loaded machine; the tests that need a call timeout fire it themselves.
      timeoutMs: CALL_TIMEOUT_MS,
      sweepMs: 50,
      stopGraceMs: 50,
      ...options,
    });
    outboxes.push(o);
    cleanups.push(() => o.stop());
    return o;
  };
  const pending = (target: string) => db.store().pendingDeliveries(`test:${target}`);
  return { app, db, logger, make, pending };
}

const call = (app: App, id: string, extra: Record<string, string> = {}) => ({
  url: app.url,
  method: 'POST' as const,
  fields: { id, ...extra },
});

describe('HttpOutbox', () => {
  it('posts form fields, then removes the call', async () => {
    const { app, make, pending, logger } = await setup();
    const outbox = make();
    outbox.start();
    await outbox.enqueue('a', call(app, 'm1', { from: '+336 12', content: 'héllo & ünïcode ✓' }), Date.now() + 60_000);
    await app.waitFor(1);
    assert.equal(app.received[0].method, 'POST');
    assert.deepEqual(app.received[0].fields, { id: 'm1', from: '+336 12', content: 'héllo & ünïcode ✓' });
    await until(async () => (await pending('a')) === 0, 2000, 'the ack');
    assert.equal(outbox.counters().sent, 1);
    assert.ok(logger.lines.some((l) => l.event === 'http_call_done' && l.fields.message_id === 'm1'));
  });

  it('sends GET fields in the query string, after any query the URL has', async () => {
    const { app, make } = await setup();
    const outbox = make();
    outbox.start();
    await outbox.enqueue(
      'a',
      { url: `${app.url}?key=k1`, method: 'GET', fields: { id: 'g1', to: '1234' } },
      Date.now() + 60_000,
    );
    await app.waitFor(1);
    assert.equal(app.received[0].method, 'GET');
    assert.deepEqual(app.received[0].fields, { key: 'k1', id: 'g1', to: '1234' });
  });

  it('keeps order per target with concurrency 1', async () => {
    const { app, make } = await setup();
    const outbox = make();
    const expiry = Date.now() + 60_000;
    await outbox.enqueueAll(
      Array.from({ length: 20 }, (_, i) => ({ target: 'a', call: call(app, `m${i}`), expiresAt: expiry })),
    );
    outbox.start();
    await app.waitFor(20);
    assert.deepEqual(
      app.received.map((r) => r.fields.id),
      Array.from({ length: 20 }, (_, i) => `m${i}`),
    );
  });

  it('retries after a 500 and a timeout until the application accepts: exactly one success, nothing lost', async () => {
    const { app, make, pending, logger } = await setup();
    app.script.push({ status: 500, body: 'boom' }, 'hang');
    const timeouts = heldTimeouts(CALL_TIMEOUT_MS);
    // Target named: a discovered target's queue (and its health) is forgotten by the first sweep that finds it idle.
    const outbox = make({ timers: timeouts.timers, targets: ['a'] });
    outbox.start();
    await outbox.enqueue('a', call(app, 'm1'), Date.now() + 60_000);
    await outbox.enqueue('a', call(app, 'm2'), Date.now() + 60_000);
    await app.waitFor(2);
    assert.equal(app.received[1].answer, 'hang');
    assert.equal(timeouts.live(), 1, "only the unanswered call's timeout is armed");
    timeouts.fire();
    await until(async () => (await pending('a')) === 0, 5000, 'both calls acked');
    const answers = app.received.map((r) => `${r.fields.id}:${r.answer === 'hang' ? 'hang' : r.answer.status}`);
    assert.deepEqual(answers, ['m1:500', 'm1:hang', 'm1:200', 'm2:200']);
    assert.equal(outbox.counters().sent, 2);
    assert.equal(outbox.counters().failed, 2);
    const retries = logger.lines.filter((l) => l.event === 'http_call_retry');
    assert.deepEqual(
      retries.map((l) => [l.fields.message_id, l.fields.attempt]),
      [
        ['m1', 1],
        ['m1', 2],
      ],
    );
    assert.match(String(retries[0].fields.reason), /HTTP 500/);
    assert.match(String(retries[1].fields.reason), /no answer within 30000 ms/);
    assert.deepEqual(outbox.health('a'), { failing: false, lastError: 'no answer within 30000 ms' });
  });

  it('requires the ack body when asked (Jasmin: 200 without ACK/Jasmin is a failure)', async () => {
    const { app, make, pending } = await setup();
    app.script.push({ status: 200, body: 'Error connecting to DB' });
    const outbox = make({ ackBody: 'ACK/Jasmin' });
    outbox.start();
    await outbox.enqueue('a', call(app, 'm1'), Date.now() + 60_000);
    await until(async () => (await pending('a')) === 0, 3000, 'the ack');
    assert.equal(app.received.length, 2);
    assert.equal(outbox.counters().failed, 1);
  });

  it('gives up after the expiry, with an error line naming the message id, and moves on', async () => {
    const { app, make, pending, logger } = await setup({ status: 503 });
    const outbox = make({ retryDelayMs: 30, maxRetryDelayMs: 30 });
    outbox.start();
    await outbox.enqueue('a', call(app, 'old'), Date.now() + 250);
    await until(() => logger.lines.some((l) => l.event === 'http_call_given_up'), 3000, 'the give-up');
    const line = logger.lines.find((l) => l.event === 'http_call_given_up');
    assert.equal(line?.level, 'error');
    assert.equal(line?.fields.message_id, 'old');
    assert.equal(line?.fields.target, 'a');
    assert.ok((line?.fields.attempts as number) >= 2);
    assert.equal(await pending('a'), 0);
    assert.equal(outbox.counters().givenUp, 1);
    app.fallback = { status: 200 };
    await outbox.enqueue('a', call(app, 'next'), Date.now() + 60_000);
    await until(() => app.received.some((r) => r.fields.id === 'next' && r.answer !== 'hang'), 2000, 'the next call');
  });

  it('keeps calls across a restart: queued before a crash, sent by the next process', async () => {
    const { app, db, make, logger } = await setup();
    const first = make();
    await first.enqueue('a', call(app, 'm1'), Date.now() + 60_000);
    await first.enqueue('b', call(app, 'm2'), Date.now() + 60_000);
    const store = await db.reopen();
    assert.equal(app.received.length, 0);
    const second = new HttpOutbox({ store, logger, prefix: 'test:', sweepMs: 50, retryDelayMs: 20 });
    cleanups.push(() => second.stop());
    second.start(); // no targets named: the sweep finds test:a and test:b
    await app.waitFor(2);
    assert.deepEqual(app.received.map((r) => r.fields.id).sort(), ['m1', 'm2']);
    await until(
      async () => (await store.pendingDeliveries('test:a')) + (await store.pendingDeliveries('test:b')) === 0,
    );
  });

  it('serves only its own targets and prefix', async () => {
    const { app, make } = await setup();
    const mine = make({ targets: ['a'] });
    const other = make({ prefix: 'other:' });
    await mine.enqueue('b', call(app, 'not-mine'), Date.now() + 60_000);
    await other.enqueue('a', call(app, 'other-prefix'), Date.now() + 60_000);
    await mine.enqueue('a', call(app, 'mine'), Date.now() + 60_000);
    mine.start();
    await app.waitFor(1);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(
      app.received.map((r) => r.fields.id),
      ['mine'],
    );
  });

  it('bounds calls in flight over all targets', async () => {
    const { app, make } = await setup('hang');
    const outbox = make({ maxInFlight: 2, concurrency: 5 });
    outbox.start();
    for (const t of ['a', 'b', 'c']) {
      for (let i = 0; i < 3; i++) await outbox.enqueue(t, call(app, `${t}${i}`), Date.now() + 60_000);
    }
    await app.waitFor(2);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(app.received.length, 2);
    assert.equal(outbox.counters().inFlight, 2);
  });

  it('stop() aborts an unanswered call and leaves it queued for the next start', async () => {
    const { app, make, pending } = await setup();
    app.script.push('hang');
    const timeouts = heldTimeouts(CALL_TIMEOUT_MS);
    const outbox = make({ timers: timeouts.timers });
    outbox.start();
    await outbox.enqueue('a', call(app, 'm1'), Date.now() + 60_000);
    await app.waitFor(1);
    // The call timeout never fires here: stop() resolving at all shows it aborted the call after its grace.
    await outbox.stop();
    assert.equal(timeouts.live(), 0);
    assert.equal(await pending('a'), 1);
    assert.equal(outbox.counters().failed, 0);
    outbox.start();
    await until(async () => (await pending('a')) === 0, 2000, 'the call after restart');
    assert.equal(app.received.length, 2);
  });

  it('refuses a call that is not an http(s) URL before storing it', async () => {
    const { make, pending } = await setup();
    const outbox = make();
    await assert.rejects(
      outbox.enqueue('a', { url: 'ftp://x/', method: 'POST', fields: {} }, Date.now() + 1000),
      TypeError,
    );
    await assert.rejects(
      outbox.enqueue('a', { url: 'nope', method: 'POST', fields: {} }, Date.now() + 1000),
      TypeError,
    );
    assert.equal(await pending('a'), 0);
  });
});
