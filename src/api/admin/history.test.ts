import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { messageFixture } from '../../store/conformance/suite.js';
import { MessageState } from '../../store/model.js';
import { parseTime } from './history.js';
import { openTestStore, startTestApi, type TestApi } from './testing.js';

describe('admin API: message history', () => {
  let api: TestApi;
  let cleanup: () => Promise<void>;
  const T = Date.parse('2026-11-25T10:00:00Z');
  const a = messageFixture('u1', 'c1', { submitted_at: T, destination_addr: '33600000001' });
  const b = messageFixture('u1', 'c1', { submitted_at: T + 1000, destination_addr: '33600000002' });
  const c = messageFixture('u2', 'c1', { submitted_at: T + 2000, destination_addr: '33600000001' });

  before(async () => {
    const opened = await openTestStore();
    cleanup = opened.cleanup;
    const store = opened.store;
    await store.acceptMessages([a, b, c]);
    await store.appendHistory([
      { message_id: a.id, at: T + 10, type: 'upstream', data: { cid: 'c1', outcome: 'accepted', upstream_id: 'X1' } },
      {
        message_id: a.id,
        at: T + 20,
        type: 'receipt',
        data: { cid: 'c1', state: MessageState.DELIVERED, stat: 'DELIVRD' },
      },
    ]);
    api = await startTestApi(store);
  });
  after(async () => {
    await api.close();
    await cleanup();
  });

  it('GET /api/v1/messages/{id}/history: the part and its events, oldest first; 404 for an unknown id', async () => {
    const r = await api.request('GET', `/api/v1/messages/${encodeURIComponent(a.id)}/history`);
    assert.equal(r.status, 200);
    const body = r.body as {
      message: { id: string; short_message: { text: string } };
      events: { type: string; at: number }[];
    };
    assert.equal(body.message.id, a.id);
    assert.equal(body.message.short_message.text, 'hello');
    assert.deepEqual(
      body.events.map((e) => [e.type, e.at]),
      [
        ['accepted', T],
        ['upstream', T + 10],
        ['receipt', T + 20],
      ],
    );
    const missing = await api.request('GET', '/api/v1/messages/nope/history');
    assert.equal(missing.status, 404);
    assert.equal((await api.request('GET', `/api/v1/messages/${a.id}/history`, undefined, null)).status, 401);
  });

  it('GET /api/v1/history: by user and time range, by destination, page by page', async () => {
    const ids = (r: { body: unknown }) =>
      (r.body as { items: { message: { id: string } }[] }).items.map((x) => x.message.id);
    const byUser = await api.request('GET', '/api/v1/history?uid=u1');
    assert.equal(byUser.status, 200);
    assert.deepEqual(ids(byUser), [b.id, a.id]);
    const ranged = await api.request('GET', `/api/v1/history?uid=u1&from=${T + 500}&to=2026-11-25T10:00:05Z`);
    assert.deepEqual(ids(ranged), [b.id]);
    const byDest = await api.request('GET', '/api/v1/history?destination=33600000001');
    assert.deepEqual(ids(byDest), [c.id, a.id]);
    const first = await api.request('GET', '/api/v1/history?destination=33600000001&limit=1');
    assert.deepEqual(ids(first), [c.id]);
    const cursor = (first.body as { next_cursor: string }).next_cursor;
    assert.equal(typeof cursor, 'string');
    const second = await api.request('GET', `/api/v1/history?destination=33600000001&limit=1&cursor=${cursor}`);
    assert.deepEqual(ids(second), [a.id]);
    assert.equal((second.body as { next_cursor: unknown }).next_cursor, null);
  });

  it('answers 400 naming the parameter at fault', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=x', 'limit'],
      ['from=yesterday', 'from'],
      ['to=2026-13-99', 'to'],
      [`from=${T + 10}&to=${T}`, 'from'],
      ['user=u1', 'user'],
      ['cursor=garbage', 'cursor'],
    ]) {
      const r = await api.request('GET', `/api/v1/history?${query}`);
      assert.equal(r.status, 400, query);
      assert.equal((r.body as { field: string }).field, field, query);
    }
  });

  it('GET /api/v1/stats: per-connector live state and queue', async () => {
    const r = await api.request('GET', '/api/v1/stats');
    assert.equal(r.status, 200);
    const body = r.body as { connectors: Record<string, { queued: number; state: string | null }>; users: object };
    assert.equal(body.connectors.c1.queued, 3);
    assert.equal(body.connectors.c1.state, null, 'no live state: the fake control knows no connector');
    assert.deepEqual(body.users, {});
  });
});

describe('parseTime', () => {
  it('takes epoch milliseconds and ISO 8601 dates', () => {
    assert.equal(parseTime('from', '1700000000000'), 1_700_000_000_000);
    assert.equal(parseTime('from', '2026-11-25T10:00:00Z'), Date.parse('2026-11-25T10:00:00Z'));
    assert.throws(() => parseTime('from', 'now'), /from: expected epoch/);
  });
});
