import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { CommandStatus } from '../smpp/codec/index.js';
import { MessageState } from '../store/model.js';
import type { HistoryEvent } from '../store/store.js';
import { type GatewayEvent, GatewayEvents } from './events.js';
import { HistoryRecorder, type HistoryTimers, historyEventOf } from './history.js';
import { ManualWallClock, makeUser, memoryLogger, sqliteStoreWith } from './pipeline.fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Timers that fire only when the test says so. */
class ManualTimers implements HistoryTimers {
  #next = 1;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Fires every timer armed for `ms`. */
  fire(ms: number): number {
    let n = 0;
    for (const [id, t] of [...this.pending]) {
      if (t.ms !== ms) continue;
      this.pending.delete(id);
      t.fn();
      n++;
    }
    return n;
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function receipt(id: string, at: number): GatewayEvent {
  return {
    type: 'receipt',
    at,
    cid: 'c1',
    id,
    uid: 'u1',
    state: MessageState.DELIVERED,
    error_code: 0,
    forwarded: true,
  };
}

/** A store that records appendHistory calls and can be told to refuse them. */
function fakeStore() {
  const calls: HistoryEvent[][] = [];
  const prunes: number[] = [];
  let refuse = false;
  return {
    calls,
    prunes,
    set refuse(v: boolean) {
      refuse = v;
    },
    appendHistory: async (events: HistoryEvent[]) => {
      if (refuse) throw new Error('store down');
      calls.push(events);
    },
    pruneHistory: async (before: number) => {
      prunes.push(before);
      return 3;
    },
  };
}

describe('historyEventOf', () => {
  it('keeps upstream outcomes, receipts and receipt deliveries; not acceptances, refusals or MO', () => {
    assert.deepEqual(
      historyEventOf({
        type: 'upstream',
        at: 5,
        cid: 'c1',
        id: 'm1',
        uid: 'u1',
        outcome: 'rejected',
        status: CommandStatus.ESME_RINVDSTADR,
        attempts: 2,
      }),
      {
        message_id: 'm1',
        at: 5,
        type: 'upstream',
        data: { cid: 'c1', outcome: 'rejected', attempts: 2, status: 11, status_name: 'ESME_RINVDSTADR' },
      },
    );
    assert.deepEqual(historyEventOf(receipt('m2', 6))?.data, {
      cid: 'c1',
      state: 2,
      stat: 'DELIVRD',
      error_code: 0,
      forwarded: true,
    });
    const delivery = {
      type: 'delivery',
      at: 7,
      uid: 'u1',
      seq: 4,
      kind: 'receipt',
      session: 's-1',
      result: 'error',
      status: CommandStatus.ESME_RX_T_APPN,
      message_id: 'm3',
    } as const;
    assert.deepEqual(historyEventOf(delivery), {
      message_id: 'm3',
      at: 7,
      type: 'delivery',
      data: { kind: 'receipt', seq: 4, session: 's-1', result: 'error', status: 0x64, status_name: 'ESME_RX_T_APPN' },
    });
    assert.equal(historyEventOf({ ...delivery, kind: 'mo', message_id: undefined }), null);
    assert.equal(
      historyEventOf({ type: 'accepted', at: 1, uid: 'u', ids: ['m'], cid: 'c', route: 0, parts: 1, channel: 'smpps' }),
      null,
    );
    assert.equal(historyEventOf({ type: 'throttled', at: 1, uid: 'u', channel: 'smpps' }), null);
    assert.equal(historyEventOf({ type: 'mo', at: 1, cid: 'c', route: 0, target: 'smpps(u)' }), null);
  });
});

describe('HistoryRecorder', () => {
  it('writes one batch per flush interval, or at once when a batch fills', async () => {
    const bus = new GatewayEvents();
    const store = fakeStore();
    const timers = new ManualTimers();
    const recorder = new HistoryRecorder({
      store,
      events: bus,
      retentionSecs: 60,
      logger: memoryLogger(),
      timers,
      flushMs: 150,
      maxBatch: 100,
    });
    recorder.start();
    for (let i = 0; i < 10; i++) bus.emit(receipt(`m${i}`, i));
    await tick();
    assert.equal(store.calls.length, 0, 'nothing written before the interval');
    assert.equal(timers.fire(150), 1, 'one flush timer for ten events');
    await tick();
    assert.deepEqual(
      store.calls.map((c) => c.length),
      [10],
    );
    for (let i = 0; i < 250; i++) bus.emit(receipt(`n${i}`, i));
    await tick();
    assert.deepEqual(
      store.calls.map((c) => c.length),
      [10, 100, 150],
      'a full batch leaves without waiting, and what came while it was written goes in the next write',
    );
    bus.emit(receipt('last', 1));
    await recorder.stop();
    assert.deepEqual(
      store.calls.map((c) => c.length),
      [10, 100, 150, 1],
      'stop writes the rest',
    );
    assert.equal(recorder.counters().recorded, 261);
    bus.emit(receipt('late', 1));
    assert.equal(recorder.buffered, 0, 'unsubscribed after stop');
  });

  it('keeps a refused batch, waits for the timer to try again, and drops the newest beyond its bound', async () => {
    const bus = new GatewayEvents();
    const store = fakeStore();
    const timers = new ManualTimers();
    const logger = memoryLogger();
    const recorder = new HistoryRecorder({
      store,
      events: bus,
      retentionSecs: 60,
      logger,
      timers,
      flushMs: 150,
      maxBatch: 2,
      maxBuffered: 3,
    });
    recorder.start();
    store.refuse = true;
    bus.emit(receipt('a', 1));
    bus.emit(receipt('b', 2));
    await tick();
    assert.equal(recorder.counters().failed_writes, 1);
    bus.emit(receipt('c', 3));
    await tick();
    assert.equal(recorder.counters().failed_writes, 1, 'no new try before the timer');
    bus.emit(receipt('d', 4));
    assert.equal(recorder.counters().dropped, 1, 'd is beyond the bound');
    store.refuse = false;
    assert.equal(timers.fire(150), 1);
    await tick();
    assert.deepEqual(
      store.calls.flat().map((e) => e.message_id),
      ['a', 'b', 'c'],
    );
    assert.ok(logger.lines.some((l) => l.event === 'history_write_failed'));
    await recorder.stop();
  });

  it('prunes with the retention on its timer', async () => {
    const store = fakeStore();
    const timers = new ManualTimers();
    const clock = new ManualWallClock(1_000_000);
    const recorder = new HistoryRecorder({
      store,
      events: new GatewayEvents(),
      retentionSecs: 600,
      logger: memoryLogger(),
      timers,
      clock,
      pruneEveryMs: 300_000,
    });
    recorder.start();
    assert.equal(timers.fire(300_000), 1);
    await tick();
    assert.deepEqual(store.prunes, [1_000_000 - 600_000]);
    assert.equal(recorder.counters().pruned, 3);
    assert.equal(timers.pending.size, 1, 'the next prune is armed');
    await recorder.stop();
    assert.equal(timers.pending.size, 0);
  });

  it('records into SQLite what the store gives back as the message history', async () => {
    const { store, cleanup } = await sqliteStoreWith([await makeUser()]);
    cleanups.push(cleanup);
    const bus = new GatewayEvents();
    const recorder = new HistoryRecorder({ store, events: bus, retentionSecs: 60, logger: memoryLogger() });
    recorder.start();
    const { messageFixture } = await import('../store/conformance/suite.js');
    const m = messageFixture('u1', 'c1', { submitted_at: 1000 });
    await store.acceptMessages([m]);
    bus.emit({
      type: 'upstream',
      at: 1100,
      cid: 'c1',
      id: m.id,
      uid: 'u1',
      outcome: 'accepted',
      upstream_id: 'X',
      attempts: 1,
    });
    bus.emit(receipt(m.id, 1200));
    await recorder.stop();
    const h = await store.messageHistory(m.id);
    assert.deepEqual(
      h?.events.map((e) => [e.type, e.at]),
      [
        ['accepted', 1000],
        ['upstream', 1100],
        ['receipt', 1200],
      ],
    );
  });
});
