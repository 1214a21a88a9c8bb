// Issue #8: an upstream that flaps. An ESME sends at a steady rate asking for receipts while the fake SMSC cuts every
// upstream connection every 2–5 s (seeded random gaps, so a failing run replays from its seed). Then the test stops
// sending, lets everything settle and counts: every accepted message reached the SMSC, every receipt the SMSC made
// reached the gateway, and the ESME got exactly one receipt per accepted message — none missing, none twice.
//
// FLAP_SECONDS (default 60), FLAP_RATE (messages/s, default 100) and FLAP_SEED (default 8) tune the run.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sqliteStoreWith } from '../../src/gateway/pipeline.fixtures.js';
import { seededRandom } from '../helpers/random.js';
import { CountingEsme, type NodeWorld, percentile, printTable, startNodeWorld, until } from './wholeNode.js';

const SECONDS = Number(process.env.FLAP_SECONDS ?? 60);
const RATE = Number(process.env.FLAP_RATE ?? 100);
const SEED = Number(process.env.FLAP_SEED ?? 8);

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('fault: upstream flapping', () => {
  it(`the SMSC cuts every connection every 2–5 s for ${SECONDS} s: nothing lost, no duplicate receipt`, {
    timeout: SECONDS * 1000 + 120_000,
  }, async () => {
    const { store, cleanup } = await sqliteStoreWith([], []);
    cleanups.push(cleanup);
    const w: NodeWorld = await startNodeWorld(store, {
      // Receipts 50 ms after the submit, so many are in flight at each cut; an unacknowledged one is sent again after
      // 300 ms (a real SMSC retries too).
      smsc: { receipts: { delayMs: 50, retryMs: 300 }, latencyMs: 2 },
      connector: { window: 50 },
    });
    cleanups.push(() => w.close());
    const esme = await CountingEsme.bind(w.port);
    cleanups.push(async () => esme.close());

    // The cutter: kills every upstream connection after a seeded 2–5 s gap, until the sending stops.
    const random = seededRandom(SEED);
    let cuts = 0;
    let cutting = true;
    let cutTimer: NodeJS.Timeout | undefined;
    const scheduleCut = () => {
      cutTimer = setTimeout(
        () => {
          if (!cutting) return;
          cuts++;
          w.smsc.kill();
          scheduleCut();
        },
        2000 + random() * 3000,
      );
    };
    scheduleCut();
    cleanups.push(async () => clearTimeout(cutTimer));

    // The ESME: RATE messages a second, paced on the wall clock, each with its number in the text.
    const started = Date.now();
    const inflight = new Set<Promise<unknown>>();
    let sent = 0;
    while (Date.now() - started < SECONDS * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE);
      for (; sent < due; sent++) {
        const p = esme.submit(`flap ${sent}`);
        inflight.add(p);
        void p.then(() => inflight.delete(p));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(inflight);
    console.log(`flapping: sending done after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    cutting = false;
    clearTimeout(cutTimer);

    const accepted = esme.acceptedIds();
    const settleFrom = Date.now();
    // Quiesce: every accepted message receipted, and every receipt the SMSC made acknowledged by the gateway.
    let esmeDoneSecs = Number.NaN;
    await until(
      'every receipt at the ESME and every SMSC receipt acknowledged',
      () => {
        const counts = esme.receiptCounts();
        const esmeDone = accepted.every((id) => counts.has(id));
        if (esmeDone && Number.isNaN(esmeDoneSecs)) esmeDoneSecs = (Date.now() - settleFrom) / 1000;
        return esmeDone && w.smsc.counters.receiptsAcked >= w.smsc.counters.receipts;
      },
      35_000,
    ).catch(() => {}); // counted and asserted below, with the figures printed first
    const settleSecs = (Date.now() - settleFrom) / 1000;
    // Anything still owed or duplicated (an SMSC resend, a delivery retry) has time to arrive before counting.
    await new Promise((r) => setTimeout(r, 1500));

    const upstream = new Map<string, number>();
    for (const s of w.smsc.submits) {
      if (s.status !== 0) continue;
      const text = s.pdu.command === 'submit_sm' ? s.pdu.short_message.toString() : '';
      upstream.set(text, (upstream.get(text) ?? 0) + 1);
    }
    const acceptedTexts = esme.outcomes.flatMap((o, i) => (o.status === 0 ? [`flap ${i}`] : []));
    const notUpstream = acceptedTexts.filter((t) => !upstream.has(t)).length;
    const dupUpstream = [...upstream.values()].reduce((n, c) => n + (c - 1), 0);
    const counts = esme.receiptCounts();
    const missing = accepted.filter((id) => !counts.has(id)).length;
    const dupReceipts = [...counts.values()].reduce((n, c) => n + (c - 1), 0);
    const acceptedSet = new Set(accepted);
    const strangers = [...counts.keys()].filter((id) => !acceptedSet.has(id)).length;
    const refused = esme.outcomes.filter((o) => o.status !== 0);
    const latencies = esme.outcomes.filter((o) => o.status === 0).map((o) => o.ms);
    printTable(`flapping: ${SECONDS} s at ${RATE}/s, cuts every 2–5 s (seed ${SEED})`, [
      {
        sent,
        accepted: accepted.length,
        refused: refused.length,
        'upstream submits': w.smsc.submits.filter((s) => s.status === 0).length,
        'duplicates upstream': dupUpstream,
        'not sent upstream': notUpstream,
        'SMSC receipts': w.smsc.counters.receipts,
        'SMSC receipt resends': w.smsc.counters.receiptResends,
        'receipts at ESME': [...counts.values()].reduce((a, b) => a + b, 0),
        missing,
        'duplicate receipts': dupReceipts,
        cuts,
        'ESME receipts done s': esmeDoneSecs,
        'SMSC receipts acked s': settleSecs,
        'upstream binds': w.smsc.counters.binds,
        'submit p50 ms': percentile(latencies, 50),
        'submit p99 ms': percentile(latencies, 99),
      },
    ]);

    assert.ok(cuts >= Math.floor(SECONDS / 5), `the SMSC cut the connections ${cuts} times`);
    assert.deepEqual(
      refused.slice(0, 5).map((o) => o.error ?? o.status),
      [],
      'the gateway accepts while its upstream flaps',
    );
    assert.equal(notUpstream, 0, 'every accepted message reached the SMSC');
    assert.equal(w.smsc.counters.receiptsAcked, w.smsc.counters.receipts, 'every SMSC receipt taken by the gateway');
    assert.equal(missing, 0, 'every accepted message got its receipt at the ESME');
    assert.equal(dupReceipts, 0, 'no receipt reached the ESME twice');
    assert.equal(strangers, 0, 'no receipt for an id the ESME was never given');
  });
});
