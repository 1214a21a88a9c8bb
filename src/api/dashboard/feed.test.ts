import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveFeed, type LiveFrame, ratesBetween } from './feed.js';
import type { DashboardTotals } from './source.js';
import { FakeSource } from './testing.js';

const totals = (mt_accepted: number, sent_upstream: number | null): DashboardTotals => ({
  mt_accepted,
  mt_refused: 0,
  sent_upstream,
  receipts: {},
  mo: 0,
  deliveries: 0,
});

function feedOver(source: FakeSource) {
  return new LiveFeed({ source, now: () => source.clock });
}

function parseFrame(frame: string): LiveFrame {
  assert.match(frame, /^event: snapshot\ndata: .*\n\n$/s);
  return JSON.parse(frame.slice(frame.indexOf('data: ') + 6, -2)) as LiveFrame;
}

describe('rates', () => {
  it('are counter deltas per second; a counter that went back counts as zero', () => {
    assert.deepEqual(ratesBetween(totals(100, 40), totals(150, 60), 2), { in: 25, out: 10 });
    assert.deepEqual(ratesBetween(totals(100, 40), totals(90, 40), 1), { in: 0, out: 0 });
    assert.deepEqual(ratesBetween(totals(0, null), totals(10, null), 1), { in: 10, out: null });
    assert.deepEqual(ratesBetween(totals(0, null), totals(10, 5), 1), { in: 10, out: 0 });
    assert.deepEqual(ratesBetween(totals(0, 0), totals(10, 5), 0), { in: 0, out: 0 });
  });
});

describe('LiveFeed', () => {
  it('reads only the counters while nobody watches, yet keeps the chart history', async () => {
    const source = new FakeSource();
    const feed = feedOver(source);
    for (let i = 0; i < 5; i++) {
      source.totals_.mt_accepted += 30;
      source.clock += 1000;
      await feed.tick();
    }
    assert.equal(source.snapshots, 0, 'no snapshot for nobody');
    assert.equal(source.totalsReads, 5);
    assert.deepEqual(
      feed.history().map((p) => p.in),
      [30, 30, 30, 30],
    );
    assert.equal(feed.latest(), null);
  });

  it('takes one snapshot per tick for all viewers, and each gets the same frame with the rates', async () => {
    const source = new FakeSource();
    const feed = feedOver(source);
    await feed.tick();
    const a: string[] = [];
    const b: string[] = [];
    const unsubscribeA = feed.subscribe((f) => a.push(f));
    feed.subscribe((f) => b.push(f));
    await feed.tick(); // absorbs the tick the first subscription kicked off, if still running
    const before = source.snapshots;
    source.totals_.mt_accepted += 500;
    source.totals_.sent_upstream = (source.totals_.sent_upstream ?? 0) + 200;
    source.clock += 2000;
    await feed.tick();
    assert.equal(source.snapshots, before + 1, 'one snapshot for two viewers');
    assert.equal(a.at(-1), b.at(-1), 'the very same text');
    const frame = parseFrame(a.at(-1)!);
    assert.deepEqual(frame.rates, { in: 250, out: 100 });
    assert.equal(frame.point.in, 250);
    assert.equal(frame.snapshot.totals.mt_accepted, 500);
    unsubscribeA();
    const n = a.length;
    source.clock += 1000;
    await feed.tick();
    assert.equal(a.length, n, 'an unsubscribed viewer gets nothing');
    assert.equal(feed.viewers, 1);
  });

  it('drops chart points older than ten minutes', async () => {
    const source = new FakeSource();
    const feed = feedOver(source);
    for (let i = 0; i < 700; i++) {
      source.clock += 1000;
      await feed.tick();
    }
    const points = feed.history();
    assert.ok(points.length <= 601 && points.length >= 599, `${points.length} points`);
    assert.ok(points[0].at >= source.clock - 600_000);
  });

  it('absorbs a tick requested while one runs, and survives a failing source', async () => {
    const source = new FakeSource();
    const warnings: string[] = [];
    const feed = new LiveFeed({
      source,
      now: () => source.clock,
      logger: { info() {}, warn: (e) => warnings.push(e), error() {} },
    });
    await Promise.all([feed.tick(), feed.tick(), feed.tick()]);
    assert.equal(source.totalsReads, 1);
    source.failure = new Error('store down');
    await feed.tick();
    await feed.tick();
    assert.deepEqual(warnings, ['dashboard.snapshot.failed'], 'logged once per outage');
    source.failure = null;
    source.clock += 1000;
    await feed.tick();
    assert.equal(feed.history().length, 1);
  });

  it('start() ticks on a timer that does not hold the process, close() stops it', async () => {
    const source = new FakeSource();
    const feed = new LiveFeed({ source, intervalMs: 10 });
    feed.start();
    await new Promise((r) => setTimeout(r, 60));
    feed.close();
    const ticks = feed.ticks;
    assert.ok(ticks >= 2, `${ticks} ticks`);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(feed.ticks, ticks);
  });
});
