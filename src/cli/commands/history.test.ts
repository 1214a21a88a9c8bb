import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTestStore, startTestApi, type TestApi } from '../../api/admin/testing.js';
import { messageFixture } from '../../store/conformance/suite.js';
import { MessageState } from '../../store/model.js';
import { cli } from '../cli.fixtures.js';
import { parseWhen } from './history.js';
import { renderStats } from './stats.js';

describe('smppgate history', () => {
  let api: TestApi;
  let cleanup: () => Promise<void>;
  let conn: string[];
  const now = Date.now();
  const old = messageFixture('u1', 'c1', { submitted_at: now - 3 * 3_600_000, destination_addr: '33600000009' });
  const recent = messageFixture('u1', 'c1', { submitted_at: now - 60_000, destination_addr: '33600000001' });
  const other = messageFixture('u2', 'c2', { submitted_at: now - 30_000, destination_addr: '33600000001' });

  before(async () => {
    const opened = await openTestStore();
    cleanup = opened.cleanup;
    await opened.store.acceptMessages([old, recent, other]);
    await opened.store.appendHistory([
      {
        message_id: recent.id,
        at: now - 59_000,
        type: 'upstream',
        data: { cid: 'c1', outcome: 'accepted', upstream_id: 'UP9' },
      },
      {
        message_id: recent.id,
        at: now - 58_000,
        type: 'receipt',
        data: { cid: 'c1', state: MessageState.DELIVERED, stat: 'DELIVRD' },
      },
    ]);
    api = await startTestApi(opened.store);
    conn = ['--url', api.url, '--token', api.token];
  });
  after(async () => {
    await api.close();
    await cleanup();
  });

  it('shows one message with its events and times', async () => {
    const r = await cli(['history', recent.id, ...conn]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^message_id\\s+${recent.id}$`, 'm'));
    assert.match(r.stdout, /^AT\s+EVENT\s+DETAILS$/m);
    assert.match(r.stdout, /\saccepted\s+uid=u1 cid=c1 route=0/);
    assert.match(r.stdout, /\supstream\s+cid=c1 outcome=accepted upstream_id=UP9$/m);
    assert.match(r.stdout, /\sreceipt\s+cid=c1 state=2 stat=DELIVRD$/m);
    const json = JSON.parse((await cli(['history', recent.id, '--json', ...conn])).stdout);
    assert.deepEqual(
      json.events.map((e: { type: string }) => e.type),
      ['accepted', 'upstream', 'receipt'],
    );
    const missing = await cli(['history', 'nope', ...conn]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /message "nope" not found/);
  });

  it("lists a user's messages since a time, and a destination's, newest first, page by page", async () => {
    const hour = await cli(['history', '--user', 'u1', '--since', '1h', ...conn]);
    assert.equal(hour.code, 0, hour.stderr);
    assert.match(hour.stdout, /^SUBMITTED_AT\s+MESSAGE_ID\s+UID\s+DESTINATION\s+CID\s+STATUS\s+STATE\s+LAST_EVENT$/m);
    assert.ok(hour.stdout.includes(recent.id));
    assert.ok(!hour.stdout.includes(old.id), 'older than an hour');
    assert.match(hour.stdout, /receipt \d{4}-/);
    const all = await cli(['history', '--user', 'u1', ...conn]);
    assert.ok(all.stdout.indexOf(recent.id) < all.stdout.indexOf(old.id), 'newest first');
    const dest = await cli(['history', '--to', '33600000001', '--limit', '1', ...conn]);
    assert.ok(dest.stdout.includes(other.id));
    const next = /more: add --cursor (\S+)/.exec(dest.stdout);
    assert.ok(next !== null, dest.stdout);
    const page2 = await cli(['history', '--to', '33600000001', '--limit', '1', '--cursor', next[1], ...conn]);
    assert.ok(page2.stdout.includes(recent.id));
    assert.ok(!page2.stdout.includes('more:'));
  });

  it('refuses a command line that asks nothing or too much', async () => {
    assert.equal((await cli(['history', ...conn])).code, 2);
    assert.equal((await cli(['history', 'x', '--user', 'u1', ...conn])).code, 2);
    const bad = await cli(['history', '--user', 'u1', '--since', 'yesterday', ...conn]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since: expected a duration/);
    const limit = await cli(['history', '--user', 'u1', '--limit', '0', ...conn]);
    assert.equal(limit.code, 1);
    assert.match(limit.stderr, /limit/);
  });
});

describe('parseWhen', () => {
  it('reads durations back from now, epoch milliseconds and ISO dates', () => {
    assert.equal(parseWhen('since', '90s', 100_000), 10_000);
    assert.equal(parseWhen('since', '2h', 10_000_000), 10_000_000 - 7_200_000);
    assert.equal(parseWhen('since', '1700000000000', 0), 1_700_000_000_000);
    assert.equal(parseWhen('since', '2026-11-25T10:00:00Z', 0), Date.parse('2026-11-25T10:00:00Z'));
  });
});

describe('smppgate stats', () => {
  it('prints the server, counters, users and connectors as tables', async () => {
    const text = renderStats({
      started_at: 0,
      smpps: { connected_count: 2, submit_sm_count: 9 },
      counters: { mt_accepted: 9, mt_refused: 1 },
      users: {
        u1: {
          bind_count: 3,
          unbind_count: 1,
          bound_connections_count: { bind_transmitter: 1, bind_receiver: 0, bind_transceiver: 1 },
          submit_sm_request_count: 10,
          submit_sm_count: 9,
          throttling_error_count: 1,
          other_submit_error_count: 0,
          elink_count: 2,
          deliver_sm_count: 4,
          data_sm_count: 0,
          last_activity_at: 0,
        },
      },
      queues: { c1: 5 },
      connectors: { c1: { state: 'bound', binds: 2, queued: 5, oldest_age_secs: 3, last_error: null } },
    });
    assert.equal(
      text,
      [
        'Server',
        'started_at             1970-01-01T00:00:00.000Z',
        'smpps.connected_count  2',
        'smpps.submit_sm_count  9',
        '',
        'Counters',
        'mt_accepted  9',
        'mt_refused   1',
        '',
        'Users',
        'UID  TX  RX  TRX  BINDS  SUBMITS  ACCEPTED  THROTTLED  ERRORS  DELIVER_SM  LAST_ACTIVITY',
        'u1   1   0   1    3      10       9         1          0       4           1970-01-01T00:00:00.000Z',
        '',
        'Connectors',
        'CID  STATE  BINDS  QUEUED  OLDEST_S  LAST_ERROR',
        'c1   bound  2      5       3         -',
        '',
      ].join('\n'),
    );
    assert.match(renderStats({ started_at: 0, smpps: {} }), /^Users\n\(none\)$/m);
  });

  it('reads GET /api/v1/stats, with --json as it is', async () => {
    const opened = await openTestStore();
    const api = await startTestApi(opened.store);
    try {
      const conn = ['--url', api.url, '--token', api.token];
      const r = await cli(['stats', ...conn]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^smpps\.submit_sm_count\s+9$/m);
      assert.match(r.stdout, /^Connectors\n\(none\)$/m);
      const json = JSON.parse((await cli(['stats', '--json', ...conn])).stdout);
      assert.deepEqual(Object.keys(json).sort(), ['connectors', 'counters', 'queues', 'smpps', 'started_at', 'users']);
    } finally {
      await api.close();
      await opened.cleanup();
    }
  });
});
