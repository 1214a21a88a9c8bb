import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { messageFixture } from '../../store/conformance/suite.js';
import { MessageState } from '../../store/model.js';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqliteStore.js';
import { FakeControl } from '../admin/testing.js';
import { ErrorRing } from './errors.js';
import { createDashboardSource, historyStep, UnknownConnectorError } from './source.js';

describe('createDashboardSource', () => {
  let dir: string;
  let store: SqliteStore;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smppgate-dash-source-'));
    store = openSqliteStore({ path: dir });
    await store.putConnector({ cid: 'up1', type: 'smppc', started: true, settings: {} });
    await store.putConnector({ cid: 'sim', type: 'sim', started: false, settings: {} });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('merges binds with their windows, connectors with live state and queue, and the counters', async () => {
    const control = new FakeControl();
    control.binds = [
      { session_id: 'b', uid: 'u1', username: 'alice', bind_type: 'receiver', peer: '127.0.0.1:2', bound_at: 20 },
      { session_id: 'a', uid: 'u1', username: 'alice', bind_type: 'transceiver', peer: '127.0.0.1:1', bound_at: 10 },
    ];
    control.states = { up1: { state: 'bound', binds: 2, last_error: null } };
    await store.acceptMessages([messageFixture('u1', 'up1'), messageFixture('u1', 'up1')]);
    const source = createDashboardSource({
      control,
      store,
      server: { sessions: () => [{ id: 'a', inflight: 3, outstanding: 1 }] },
      tally: { read: () => ({ sent_upstream: 7, receipts: { DELIVRD: 5 }, mo: 2 }) },
      now: () => 1234,
    });
    const snap = await source.snapshot();
    assert.equal(snap.at, 1234);
    assert.equal(snap.started_at, 1_700_000_000_000);
    assert.deepEqual(
      snap.binds.map((b) => [b.session_id, b.window]),
      [
        ['a', { inbound: 3, outbound: 1 }],
        ['b', null],
      ],
      'oldest bind first; a session the server no longer lists has no window',
    );
    assert.deepEqual(snap.connectors, [
      { cid: 'sim', type: 'sim', started: false, state: 'not running', binds: 0, last_error: null, queue: 0 },
      { cid: 'up1', type: 'smppc', started: true, state: 'bound', binds: 2, last_error: null, queue: 2 },
    ]);
    assert.deepEqual(snap.totals, {
      mt_accepted: 9,
      mt_refused: 1,
      sent_upstream: 7,
      receipts: { DELIVRD: 5 },
      mo: 2,
      deliveries: 0,
    });
    assert.deepEqual(await source.totals(), snap.totals);
  });

  it('reads a costly queue depth less often, in proportion to what the last read cost', async () => {
    // A manual monotonic clock: a read "costs" what it advances the clock by, and waits are clock steps, so the
    // pacing is checked without depending on how busy the machine is.
    let clock = 1000;
    let reads = 0;
    let costMs = 20;
    const slowStore = {
      getMessage: store.getMessage.bind(store),
      listConnectors: store.listConnectors.bind(store),
      getConnector: store.getConnector.bind(store),
      setConnectorStarted: store.setConnectorStarted.bind(store),
      queueDepths: async () => {
        reads++;
        clock += costMs;
        return { up1: reads };
      },
    };
    const monotonic = () => clock;
    const source = createDashboardSource({ control: new FakeControl(), store: slowStore, monotonic });
    const [a, b] = await Promise.all([source.snapshot(), source.snapshot()]);
    assert.equal(reads, 1, 'concurrent snapshots share one read');
    clock += 30;
    const c = await source.snapshot();
    assert.equal(reads, 1, 'a 20 ms read is not repeated 30 ms later');
    assert.equal(c.connectors.find((x) => x.cid === 'up1')?.queue, 1);
    assert.equal(a.connectors.find((x) => x.cid === 'up1')?.queue, b.connectors.find((x) => x.cid === 'up1')?.queue);
    clock += 20 * 50;
    await source.snapshot();
    assert.equal(reads, 2, 'read again once 50 times its cost has passed');

    costMs = 0;
    const fast = createDashboardSource({ control: new FakeControl(), store: slowStore, monotonic });
    await fast.snapshot();
    clock += 1;
    await fast.snapshot();
    assert.equal(reads, 4, 'a cheap read is repeated at every snapshot');
  });

  it('says what it does not count instead of showing zeros', async () => {
    const totals = await createDashboardSource({ control: new FakeControl(), store }).totals();
    assert.equal(totals.sent_upstream, null);
    assert.equal(totals.mo, null);
  });

  it('records a connector error once, when it first shows', async () => {
    const control = new FakeControl();
    const errors = new ErrorRing();
    let now = 100;
    const source = createDashboardSource({ control, store, errors, now: () => now });
    control.states = { up1: { state: 'unbound', binds: 0, last_error: 'ECONNREFUSED 127.0.0.1:2775' } };
    await source.snapshot();
    now = 200;
    await source.snapshot();
    control.states = { up1: { state: 'bound', binds: 1, last_error: null } };
    await source.snapshot();
    control.states = { up1: { state: 'unbound', binds: 0, last_error: 'ECONNREFUSED 127.0.0.1:2775' } };
    now = 300;
    const snap = await source.snapshot();
    assert.deepEqual(
      snap.errors.map((e) => [e.at, e.event, e.message]),
      [
        [100, 'connector_error', 'up1: ECONNREFUSED 127.0.0.1:2775'],
        [300, 'connector_error', 'up1: ECONNREFUSED 127.0.0.1:2775'],
      ],
    );
  });

  it('starts and stops a connector durably first, as the admin API does, and refuses an unknown one', async () => {
    const control = new FakeControl();
    const source = createDashboardSource({ control, store });
    await source.stopConnector('up1');
    assert.equal((await store.getConnector('up1'))?.started, false);
    await source.startConnector('up1');
    assert.equal((await store.getConnector('up1'))?.started, true);
    assert.deepEqual(control.calls, ['stopConnector up1', 'startConnector up1']);
    await assert.rejects(source.stopConnector('nope'), UnknownConnectorError);
    assert.deepEqual(control.calls, ['stopConnector up1', 'startConnector up1'], 'nothing asked of the gateway');
  });

  it('looks a message up with its stored history, in time order', async () => {
    const m = messageFixture('u1', 'up1', { destination_addr: '33611111111' });
    await store.acceptMessages([m]);
    await store.appendHistory([
      {
        message_id: m.id,
        at: m.submitted_at + 30,
        type: 'receipt',
        data: { state: MessageState.DELIVERED, error_code: 0 },
      },
      {
        message_id: m.id,
        at: m.submitted_at + 10,
        type: 'upstream',
        data: { outcome: 'accepted', upstream_id: 'U-1', cid: 'up1' },
      },
    ]);
    const found = await createDashboardSource({ control: new FakeControl(), store }).lookupMessage(m.id);
    assert.ok(found !== null);
    assert.equal(found.history_source, 'history');
    assert.equal(found.message.id, m.id);
    assert.equal(found.message.short_message.text, 'hello');
    assert.deepEqual(
      found.history.map((s) => s.event),
      ['accepted', 'upstream accepted', 'receipt'],
    );
    assert.equal(found.history[0].detail, 'route 0 → up1 · SRC → 33611111111');
    assert.equal(found.history[1].detail, 'accepted by up1, upstream id U-1');
    assert.equal(found.history[2].detail, 'DELIVERED from ?');
    assert.equal(await createDashboardSource({ control: new FakeControl(), store }).lookupMessage('nope'), null);
  });

  it('falls back to the message record when the store keeps no history', async () => {
    const m = messageFixture('u1', 'up1', {
      status: 'final',
      state: MessageState.UNDELIVERABLE,
      upstream_id: 'X9',
      attempts: 1,
      error_code: 34,
    });
    m.final_at = m.submitted_at + 500;
    m.updated_at = m.submitted_at + 100;
    await store.acceptMessages([m]);
    const noHistory = {
      getMessage: store.getMessage.bind(store),
      queueDepths: store.queueDepths.bind(store),
      listConnectors: store.listConnectors.bind(store),
      getConnector: store.getConnector.bind(store),
      setConnectorStarted: store.setConnectorStarted.bind(store),
    };
    const found = await createDashboardSource({ control: new FakeControl(), store: noHistory }).lookupMessage(m.id);
    assert.ok(found !== null);
    assert.equal(found.history_source, 'record');
    assert.deepEqual(
      found.history.map((s) => [s.at - m.submitted_at, s.event]),
      [
        [0, 'accepted'],
        [0, 'routed'],
        [100, 'sent'],
        [500, 'receipt'],
      ],
    );
    assert.match(found.history[3].detail, /UNDELIVERABLE err 34/);
  });

  it('tells each history event as a sentence, naming statuses and states', () => {
    const step = (type: 'upstream' | 'receipt' | 'delivery', data: Record<string, unknown>) =>
      historyStep({ message_id: 'm', at: 5, type, data });
    assert.deepEqual(step('upstream', { outcome: 'rejected', status: 0x58, cid: 'c', attempts: 3 }), {
      at: 5,
      event: 'upstream rejected',
      detail: 'refused by c: ESME_RTHROTTLED (attempt 3)',
    });
    assert.equal(
      step('receipt', { cid: 'c', state: 5, stat: 'UNDELIV', error_code: 12, forwarded: true }).detail,
      'UNDELIV from c err 12, queued for the ESME',
    );
    assert.deepEqual(step('delivery', { kind: 'receipt', seq: 4, session: 's9', result: 'timeout' }), {
      at: 5,
      event: 'delivery timeout',
      detail: 'receipt to session s9: no response',
    });
    assert.equal(step('upstream', { outcome: 'accepted', upstream_id: 'X' }).detail, 'upstream_id=X', 'unknown shape');
  });
});
