// The connector manager on a real SQLite store: runs the started records by type (smppc against the fake SMSC, sim,
// a registered type), start/stop/reload, live state, expiry of held messages, and leases shared by two managers.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type FakeSmsc, startSmsc } from '../../test/helpers/smsc.js';
import { silentLogger } from '../smpp/session/index.js';
import type { ConnectorRecord } from '../store/model.js';
import type { SqliteStore } from '../store/sqlite/sqliteStore.js';
import {
  type Connector,
  type ConnectorContext,
  type ConnectorLeases,
  ConnectorManager,
  type ConnectorManagerOptions,
} from './manager.js';
import { SmppcSettingsError } from './smppc/settings.js';
import { parts, RecordingEvents, sleep, tempStore, testClock, until } from './smppc/testing.js';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function setup(): Promise<{ store: SqliteStore; events: RecordingEvents }> {
  const { store, cleanup } = tempStore();
  cleanups.push(cleanup);
  return { store, events: new RecordingEvents() };
}

async function smsc(): Promise<FakeSmsc> {
  const s = await startSmsc();
  cleanups.push(() => s.close());
  return s;
}

function manager(options: ConnectorManagerOptions): ConnectorManager {
  const m = new ConnectorManager({ logger: silentLogger, clock: testClock, expiryIntervalMs: 0, ...options });
  cleanups.push(() => m.close());
  return m;
}

function smppcRecord(cid: string, port: number, started = true, extra: Record<string, unknown> = {}): ConnectorRecord {
  return {
    cid,
    type: 'smppc',
    started,
    settings: {
      host: '127.0.0.1',
      port,
      system_id: cid,
      reconnect_delay_secs: 0.02,
      reconnect_max_delay_secs: 0.1,
      poll_ms: 10,
      ...extra,
    },
  };
}

/** A connector of a registered type that records what the manager asks of it. */
function recordingFactory(log: string[]): (ctx: ConnectorContext) => Connector {
  return (ctx) => {
    let running = false;
    return {
      start: async () => {
        running = true;
        log.push(`start ${ctx.record.cid}`);
      },
      stop: async () => {
        running = false;
        log.push(`stop ${ctx.record.cid}`);
      },
      notify: () => log.push(`notify ${ctx.record.cid}`),
      isUp: () => running,
      state: () => ({ state: running ? 'running' : 'stopped', binds: 0, last_error: null }),
    };
  };
}

describe('ConnectorManager', () => {
  it('runs the started records by type and reports their live state', async () => {
    const { store, events } = await setup();
    const upstream = await smsc();
    await store.putConnector(smppcRecord('up', upstream.port));
    await store.putConnector({ cid: 'sim', type: 'sim', started: true, settings: { latency_ms: 0 } });
    await store.putConnector(smppcRecord('idle', upstream.port, false));
    await store.putConnector({ cid: 'hook', type: 'http', started: true, settings: {} });
    const log: string[] = [];
    const m = manager({ store, events });
    m.register('http', recordingFactory(log));
    await m.load();
    assert.throws(() => m.register('other', recordingFactory(log)), /before load/);
    await until(() => m.isUp('up'), 'smppc bound');
    const states = m.states();
    assert.equal(states.up.state, 'bound');
    assert.equal(states.up.binds, 1);
    assert.equal(states.sim.state, 'running');
    assert.equal(states.idle.state, 'stopped');
    assert.equal(states.hook.state, 'running');
    assert.equal(m.isUp('idle'), false);
    assert.equal(m.isUp('nope'), false);
    assert.deepEqual(log, ['start hook']);
    await store.acceptMessages(parts('up', 2));
    m.notify('up');
    m.notify('hook');
    await until(() => events.of('accepted').length === 2, 'two acceptances');
    assert.deepEqual(log, ['start hook', 'notify hook']);
    await m.close();
    assert.deepEqual(log, ['start hook', 'notify hook', 'stop hook']);
    assert.equal(m.states().up.state, 'stopped');
  });

  it('refuses a duplicate type, and reports a record it cannot run', async () => {
    const { store, events } = await setup();
    const m = manager({ store, events });
    assert.throws(() => m.register('smppc', recordingFactory([])), /already registered/);
    await store.putConnector({ cid: 'bad', type: 'smppc', started: true, settings: { host: 'h', port: 1 } });
    await store.putConnector({ cid: 'web', type: 'http', started: true, settings: {} });
    await m.load();
    assert.match(m.states().bad.last_error ?? '', /system_id/);
    assert.match(m.states().web.last_error ?? '', /no connector of type http/);
    await assert.rejects(m.start('bad'), SmppcSettingsError);
    await assert.rejects(m.start('missing'), /does not exist/);
  });

  it('starts, stops and reloads one connector while the others keep running', async () => {
    const { store, events } = await setup();
    const upstream = await smsc();
    await store.putConnector(smppcRecord('a', upstream.port, false));
    await store.putConnector(smppcRecord('b', upstream.port));
    const m = manager({ store, events });
    await m.load();
    await until(() => m.isUp('b'), 'b bound');
    await store.setConnectorStarted('a', true);
    await m.start('a');
    await until(() => m.isUp('a'), 'a bound');
    const connections = upstream.counters.connections;
    // Unchanged record: left alone (no rebind).
    await m.reload('a');
    assert.equal(upstream.counters.connections, connections);
    // Changed settings: stopped and started again with them.
    await store.putConnector(smppcRecord('a', upstream.port, true, { bind_count: 2 }));
    await m.reload('a');
    await until(() => m.states().a.binds === 2, 'a with two binds');
    await m.stop('a');
    assert.equal(m.states().a.state, 'stopped');
    assert.equal(m.isUp('b'), true, 'b untouched');
    await until(() => upstream.sessions().filter((s) => s.systemId === 'a').length === 0, "a's sessions gone");
    // Started flag off, then the record removed.
    await store.setConnectorStarted('b', false);
    await m.reload('b');
    assert.equal(m.states().b.state, 'stopped');
    await store.deleteConnector('b');
    await m.reload('b');
    assert.equal(m.states().b, undefined);
  });

  it('expires held messages of every connector once and reports each as expired', async () => {
    const { store, events } = await setup();
    await store.putConnector(smppcRecord('down', 9, false));
    const past = Date.now() - 1;
    const held = [...parts('down', 2, { expires_at: past }), ...parts('other', 1, { expires_at: past })];
    const keep = parts('down', 1, { expires_at: Date.now() + 60_000 });
    await store.acceptMessages([...held, ...keep]);
    const m = manager({ store, events, expiryIntervalMs: 20 });
    await m.load();
    await until(() => events.of('expired').length === 3, 'three expiries');
    assert.deepEqual(
      events
        .of('expired')
        .map((o) => `${o.cid}/${o.id}`)
        .sort(),
      held.map((h) => `${h.cid}/${h.id}`).sort(),
    );
    assert.equal(await store.queueDepth('down'), 1);
    assert.equal(await m.expireNow(), 0, 'each part expires once');
  });
});

/** Leases in memory shared by several nodes, with the time-to-live they would have in Redis. */
class MemoryLeases {
  readonly #holders = new Map<string, { node: string; until: number }>();

  /** One node's view; `paused` makes it stop renewing (a hung node). */
  node(name: string): ConnectorLeases & { paused: boolean } {
    const holders = this.#holders;
    const view = {
      paused: false,
      async acquire(cid: string, ttlMs: number): Promise<boolean> {
        const h = holders.get(cid);
        if (h !== undefined && h.until > Date.now() && h.node !== name) return false;
        holders.set(cid, { node: name, until: Date.now() + ttlMs });
        return true;
      },
      async renew(cid: string, ttlMs: number): Promise<boolean> {
        const h = holders.get(cid);
        const ours = h !== undefined && h.node === name && h.until > Date.now();
        if (ours && !view.paused) h.until = Date.now() + ttlMs;
        return ours;
      },
      async release(cid: string): Promise<void> {
        if (holders.get(cid)?.node === name) holders.delete(cid);
      },
    };
    return view;
  }

  holder(cid: string): string | undefined {
    const h = this.#holders.get(cid);
    return h !== undefined && h.until > Date.now() ? h.node : undefined;
  }
}

describe('ConnectorManager with leases', () => {
  it('runs a connector on one node only, and on the other once the holder stops renewing', async () => {
    const { store, events } = await setup();
    await store.putConnector({ cid: 'sim', type: 'sim', started: true, settings: { latency_ms: 0, poll_ms: 10 } });
    const leases = new MemoryLeases();
    const viewA = leases.node('A');
    const viewB = leases.node('B');
    const taken: string[] = [];
    const a = manager({
      store,
      events,
      leases: viewA,
      leaseTtlMs: 150,
      onLeaseAcquired: (cid) => taken.push(`A:${cid}`),
    });
    const b = manager({
      store,
      events,
      leases: viewB,
      leaseTtlMs: 150,
      onLeaseAcquired: (cid) => taken.push(`B:${cid}`),
    });
    await a.load();
    await b.load();
    assert.equal(a.states().sim.state, 'running');
    assert.equal(b.states().sim.state, 'standby');
    assert.deepEqual(taken, ['A:sim'], 'told of the lease it took (so the receipt cache is dropped), not of renewals');
    await sleep(250);
    assert.equal(leases.holder('sim'), 'A', 'renewed past its first TTL');
    assert.equal(b.states().sim.state, 'standby');
    // Messages are carried by the holder.
    await store.acceptMessages(parts('sim', 3));
    a.notify('sim');
    b.notify('sim');
    await until(() => events.of('accepted').length === 3, 'three acceptances');
    viewA.paused = true;
    await until(() => b.states().sim.state === 'running', 'B takes over', 3000);
    await until(() => a.states().sim.state !== 'running', 'A stopped', 3000);
    assert.equal(leases.holder('sim'), 'B');
    assert.deepEqual(taken, ['A:sim', 'B:sim']);
    assert.equal(a.isUp('sim'), false);
    assert.equal(b.isUp('sim'), true);
    // Stopping releases the lease at once.
    await b.stop('sim');
    assert.equal(leases.holder('sim'), undefined);
  });

  it('stops a connector whose lease cannot be renewed (store unreachable)', async () => {
    const { store, events } = await setup();
    await store.putConnector({ cid: 'sim', type: 'sim', started: true, settings: { latency_ms: 0 } });
    let reachable = true;
    const leases: ConnectorLeases = {
      acquire: async () => reachable,
      renew: async () => {
        if (!reachable) throw new Error('connection refused');
        return true;
      },
      release: async () => {},
    };
    const m = manager({ store, events, leases, leaseTtlMs: 90 });
    await m.load();
    assert.equal(m.states().sim.state, 'running');
    reachable = false;
    await until(() => m.states().sim.state === 'standby', 'stopped on a failed renew', 2000);
    reachable = true;
    await until(() => m.states().sim.state === 'running', 'running again once the lease is back', 2000);
  });
});
