// Issue #8: the store full or briefly unavailable, on the whole path (ESME → GatewayNode → smppc → fake SMSC).
//
// (a) SQLite with a small `[store] max_size`: with the upstream down, messages pile up until the database is full;
//     new submits then get ESME_RMSGQFUL (not ROK, not a crash, not a hang), the messages already accepted still go
//     out once the upstream is back and their receipts reach the ESME, and once the queue has drained submits are
//     accepted again by themselves.
// (b) Redis killed (SIGKILL, append-only file fsynced on every write) for a few seconds then started again, while
//     an ESME keeps sending: submits during the outage get ESME_RSYSERR / ESME_RMSGQFUL at once (well inside the
//     ESME's timeout), everything accepted before or after is delivered with its receipt, and submits succeed again
//     without restarting the gateway.
//     And Redis paused (CLIENT PAUSE ALL, STORE_PAUSE_SECS, default 8: up but not answering): every submit is
//     answered within an ESME's 10 s timeout, nothing accepted is lost, submits succeed again, and no part refused to
//     the ESME is sent anyway ("refused but sent" must be 0: a store write carries a deadline and Redis refuses to
//     run it later, so a submit the store timed out on is not kept when the pause ends; docs/faults.md).
// (c) A real full disk: SQLite on an 8 MiB tmpfs mounted for the test (root only; skipped, saying why, elsewhere), a
//     ballast file leaving a little room. The upstream is up, so parts are in flight when the disk fills: submits
//     get ESME_RMSGQFUL, and once the ballast is removed (an operator freeing space) everything accepted is delivered
//     and receipted and submits are accepted again, without a restart.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { openRedisStore } from '../../src/store/redis/redisStore.js';
import { openSqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { redisUnavailable, startRedis } from '../helpers/redisServer.js';
import {
  CountingEsme,
  type NodeWorld,
  percentile,
  printTable,
  type SubmitOutcome,
  startNodeWorld,
  statusName,
  until,
} from './wholeNode.js';

const ESME_RMSGQFUL = 0x14;
/** How long Redis is paused (STORE_PAUSE_SECS, default 8). */
const PAUSE_SECS = Number(process.env.STORE_PAUSE_SECS ?? 8);
const ESME_RSYSERR = 0x08;

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tally(outcomes: readonly SubmitOutcome[]): string {
  const by = new Map<string, number>();
  for (const o of outcomes) by.set(statusName(o.status), (by.get(statusName(o.status)) ?? 0) + 1);
  return [...by].map(([k, v]) => `${k} ${v}`).join(', ');
}

/** Waits until every id has a receipt at the ESME; returns how many are still missing (0 when all came). */
async function receiptsFor(esme: CountingEsme, ids: readonly string[], ms: number): Promise<number> {
  const missing = () => {
    const counts = esme.receiptCounts();
    return ids.filter((id) => !counts.has(id)).length;
  };
  await until('every receipt', () => missing() === 0, ms).catch(() => {});
  return missing();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Redis (`persistence`), a gateway node on it with its fake SMSC, and a counting ESME; all stopped after the file. */
async function redisNode(persistence: 'always' | 'none', keyPrefix: string) {
  const redis = await startRedis({ persistence });
  cleanups.push(() => redis.stop());
  const store = await openRedisStore({ url: redis.url, keyPrefix, nodeId: 'n1' });
  cleanups.push(() => store.close());
  await store.createGroup({ gid: 'g1', enabled: true });
  const w: NodeWorld = await startNodeWorld(store, { smsc: { receipts: { delayMs: 20, retryMs: 300 } } });
  cleanups.push(() => w.close());
  const esme = await CountingEsme.bind(w.port);
  cleanups.push(async () => esme.close());
  return { redis, w, esme };
}

/** An ESME sending `<label> <i>` every `everyMs` until stop(); phases[i] is the phase submit i was sent in. */
interface PhasedSender {
  readonly label: string;
  readonly phases: string[];
  phase: string;
  /** Stops sending and waits for every submit's answer (or its timeout). */
  stop(): Promise<void>;
}

function phasedSender(esme: CountingEsme, label: string, everyMs: number, timeoutMs?: number): PhasedSender {
  let sending = true;
  const inflight = new Set<Promise<unknown>>();
  const sender: PhasedSender = {
    label,
    phases: [],
    phase: 'before',
    stop: async () => {
      sending = false;
      await loop;
      await Promise.all(inflight);
    },
  };
  const loop = (async () => {
    for (let i = 0; sending; i++) {
      sender.phases.push(sender.phase);
      const p = esme.submit(`${label} ${i}`, timeoutMs);
      inflight.add(p);
      void p.then(() => inflight.delete(p));
      await sleep(everyMs);
    }
  })();
  return sender;
}

/** What a Redis outage run came to once the receipts had time to arrive. */
interface Settled {
  outcomes: readonly SubmitOutcome[];
  of(phase: string): SubmitOutcome[];
  accepted: number;
  /** Accepted (ROK) but never seen by the SMSC. */
  notUpstream: number;
  /** Refused to the ESME yet sent to the SMSC. */
  refusedButSent: number;
  missing: number;
  dup: number;
  /** ESME acknowledgements the store could not record, so their receipts are sent again. */
  acksUnrecorded: number;
}

async function settle(w: NodeWorld, esme: CountingEsme, sender: PhasedSender): Promise<Settled> {
  const outcomes = esme.outcomes;
  const accepted = esme.acceptedIds();
  const missing = await receiptsFor(esme, accepted, 40_000);
  await sleep(1000);
  const upstreamTexts = new Set(
    w.smsc.submits.flatMap((s) =>
      s.status === 0 && s.pdu.command === 'submit_sm' ? [s.pdu.short_message.toString()] : [],
    ),
  );
  const sent = (i: number) => upstreamTexts.has(`${sender.label} ${i}`);
  return {
    outcomes,
    of: (phase) => outcomes.filter((_, i) => sender.phases[i] === phase),
    accepted: accepted.length,
    notUpstream: outcomes.filter((o, i) => o.status === 0 && !sent(i)).length,
    refusedButSent: outcomes.filter((o, i) => o.status !== 0 && sent(i)).length,
    missing,
    dup: [...esme.receiptCounts().values()].reduce((n, c) => n + c - 1, 0),
    acksUnrecorded: w.log.lines.filter((l) => l.event === 'delivery_ack_failed').length,
  };
}

/**
 * What both Redis outages must keep: every submit answered ROK, RSYSERR or RMSGQFUL; the last `recent` submits
 * accepted (no gateway restart); everything accepted sent upstream and receipted. A receipt the ESME acknowledged
 * while Redis was down cannot be removed from its queue, so it is sent again once Redis is back (store-and-forward
 * is at-least-once): each duplicate must be one of those.
 */
function assertNothingLost(r: Settled, recent: number): void {
  assert.deepEqual(
    r.outcomes.filter((o) => ![0, ESME_RSYSERR, ESME_RMSGQFUL].includes(o.status)).map((o) => o.error ?? o.status),
    [],
    'every submit answered ROK, ESME_RSYSERR or ESME_RMSGQFUL within the ESME timeout',
  );
  const lastAfter = r.of('after').slice(-recent);
  assert.equal(tally(lastAfter), `ROK ${lastAfter.length}`, 'accepting again without a restart of the gateway');
  assert.equal(r.notUpstream, 0, 'every accepted message reached the SMSC');
  assert.equal(r.missing, 0, 'every accepted message got its receipt');
  assert.ok(r.dup <= r.acksUnrecorded, `${r.dup} duplicate receipts, ${r.acksUnrecorded} acknowledgements unrecorded`);
}

describe('fault: the store full or unavailable', () => {
  it('SQLite max_size reached: ESME_RMSGQFUL, accepted messages still delivered, accepting again once drained', {
    timeout: 110_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smppgate-full-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    // The schema first, to learn its size; then the store reopened with room for some hundreds of messages.
    const first = openSqliteStore({ path: dir });
    await first.createGroup({ gid: 'g1', enabled: true });
    await first.close();
    const maxBytes = statSync(join(dir, 'smppgate.db')).size + 256 * 1024;
    const store = openSqliteStore({ path: dir, maxBytes });
    cleanups.push(() => store.close());
    // History kept 1 s, so that the recorder's prune (every 5 minutes in service, run by hand below) frees the rows
    // of finished messages: max_size counts them too, and only their removal makes room for new ones.
    const w: NodeWorld = await startNodeWorld(store, {
      smsc: { receipts: { delayMs: 20, retryMs: 300 } },
      historyRetentionSecs: 1,
    });
    cleanups.push(() => w.close());
    const esme = await CountingEsme.bind(w.port);
    cleanups.push(async () => esme.close());

    // Upstream down: nothing leaves, so every accepted message stays in the store.
    w.smsc.setDown(true);
    w.smsc.kill();
    await until('the connector down', () => !w.node.connectors.isUp('up1'));

    // Fill: ten at a time until the store says full, then a few more to see it keeps saying so.
    let firstFull = -1;
    for (let i = 0; i < 20_000 && (firstFull < 0 || esme.outcomes.length < firstFull + 50); i += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, k) => esme.submit(`fill ${i + k}`)));
      if (firstFull < 0 && batch.some((o) => o.status === ESME_RMSGQFUL)) firstFull = esme.outcomes.length;
    }
    const fillOutcomes = [...esme.outcomes];
    const accepted = esme.acceptedIds();
    const fullLatencies = fillOutcomes.filter((o) => o.status === ESME_RMSGQFUL).map((o) => o.ms);
    const depthFull = await store.queueDepth('up1');
    assert.ok(firstFull > 0, `the store became full (${tally(fillOutcomes)})`);
    assert.deepEqual(
      fillOutcomes
        .filter((o) => o.status !== 0 && o.status !== ESME_RMSGQFUL)
        .map((o) => o.error ?? statusName(o.status)),
      [],
      'every submit answered ROK or ESME_RMSGQFUL',
    );
    assert.ok(
      fillOutcomes.slice(firstFull).every((o) => o.status === ESME_RMSGQFUL),
      `once full, refused (${tally(fillOutcomes.slice(firstFull))})`,
    );

    // Upstream back: the accepted messages go out and their receipts come back, although the store is full.
    const upAt = Date.now();
    w.smsc.setDown(false);
    const missing = await receiptsFor(esme, accepted, 60_000);
    const drainSecs = (Date.now() - upAt) / 1000;
    const upstreamTexts = new Set(
      w.smsc.submits.flatMap((s) =>
        s.status === 0 && s.pdu.command === 'submit_sm' ? [s.pdu.short_message.toString()] : [],
      ),
    );
    const notUpstream = fillOutcomes.filter((o, i) => o.status === 0 && !upstreamTexts.has(`fill ${i}`)).length;

    // Drained: the finished messages still fill the store until history's prune removes them; then new submits are
    // accepted again by themselves (space reused), and delivered.
    await until('the queue drained', async () => (await store.queueDepth('up1')) === 0, 10_000).catch(() => {});
    const beforePrune = await esme.submit('drained, not pruned');
    await new Promise((r) => setTimeout(r, 1100)); // older than the 1 s retention
    const pruned = (await w.node.history?.prune()) ?? 0;
    let reopenedAfter = -1;
    const again: SubmitOutcome[] = [];
    const againFrom = Date.now();
    while (Date.now() - againFrom < 15_000) {
      const o = await esme.submit('after the drain');
      again.push(o);
      if (o.status === 0) {
        reopenedAfter = (Date.now() - againFrom) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const afterIds = await Promise.all(Array.from({ length: 50 }, (_, k) => esme.submit(`after ${k}`)));
    const afterMissing = await receiptsFor(
      esme,
      afterIds.flatMap((o) => (o.id === undefined ? [] : [o.id])),
      20_000,
    );
    const dup = [...esme.receiptCounts().values()].reduce((n, c) => n + c - 1, 0);
    printTable(`store full (SQLite max_size ${Math.round(maxBytes / 1024)} KiB, upstream down while filling)`, [
      {
        submits: fillOutcomes.length,
        accepted: accepted.length,
        'queue depth when full': depthFull,
        RMSGQFUL: fillOutcomes.filter((o) => o.status === ESME_RMSGQFUL).length,
        other: fillOutcomes.filter((o) => o.status !== 0 && o.status !== ESME_RMSGQFUL).length,
        'RMSGQFUL p50 ms': percentile(fullLatencies, 50),
        'RMSGQFUL p99 ms': percentile(fullLatencies, 99),
        'not sent upstream': notUpstream,
        'receipts missing': missing,
        'drain s': drainSecs,
        'drained, not pruned': statusName(beforePrune.status),
        'rows pruned': pruned,
        'accepting again after s': reopenedAfter,
        'after-drain ROK': afterIds.filter((o) => o.status === 0).length,
        'after-drain receipts missing': afterMissing,
        'duplicate receipts': dup,
      },
    ]);
    assert.equal(notUpstream, 0, 'every accepted message reached the SMSC');
    assert.equal(missing, 0, 'every accepted message got its receipt at the ESME');
    assert.ok(reopenedAfter >= 0, `accepting again once drained (${tally(again)})`);
    assert.equal(tally(afterIds), 'ROK 50', 'submits after the drain accepted');
    assert.equal(afterMissing, 0, 'and receipted');
    assert.equal(dup, 0, 'no duplicate receipt');
  });

  it('Redis killed for 3 s then back: quick ESME_RSYSERR meanwhile, nothing accepted lost, accepting again', {
    skip: redisUnavailable() ?? false,
    timeout: 110_000,
  }, async () => {
    const { redis, w, esme } = await redisNode('always', 'full:');
    // The ESME: 50 submits a second throughout.
    const sender = phasedSender(esme, 'redis', 20);
    await sleep(3000);
    sender.phase = 'outage';
    await redis.kill();
    await sleep(3000);
    await redis.restart();
    const backAt = Date.now();
    sender.phase = 'after';
    // Accepting again: wait for the first ROK sent after the restart, then keep sending a while.
    await until(
      'an ROK after the restart',
      () => esme.outcomes.some((o, i) => sender.phases[i] === 'after' && o.status === 0),
      20_000,
    ).catch(() => {});
    const recoveredSecs = (Date.now() - backAt) / 1000;
    await sleep(3000);
    await sender.stop();

    const r = await settle(w, esme, sender);
    const refusedMs = r
      .of('outage')
      .filter((o) => o.status !== 0)
      .map((o) => o.ms);
    printTable('store unavailable (Redis SIGKILL for 3 s, then restarted; ESME at 50/s)', [
      {
        'before ROK': tally(r.of('before')),
        'during outage': tally(r.of('outage')),
        'after restart': tally(r.of('after')),
        'refusal p50 ms': percentile(refusedMs, 50),
        'refusal max ms': percentile(refusedMs, 100),
        'first ROK after restart s': recoveredSecs,
        accepted: r.accepted,
        'not sent upstream': r.notUpstream,
        'receipts missing': r.missing,
        'duplicate receipts': r.dup,
        'acks unrecorded': r.acksUnrecorded,
      },
    ]);
    assert.ok(refusedMs.length > 0, `submits during the outage refused (${tally(r.of('outage'))})`);
    assertNothingLost(r, 50);
  });

  it(`Redis paused ${PAUSE_SECS} s: every submit answered within the ESME timeout, nothing accepted lost, accepting again`, {
    skip: redisUnavailable() ?? false,
    timeout: 110_000,
  }, async () => {
    const { redis, w, esme } = await redisNode('none', 'pause:');
    const raw = new Redis(redis.url);
    cleanups.push(async () => void raw.disconnect());
    // The ESME: 20 submits a second, each given an ESME's usual 10 s to be answered.
    const sender = phasedSender(esme, 'pause', 50, 10_000);
    await sleep(2000);
    sender.phase = 'paused';
    await raw.call('CLIENT', 'PAUSE', String(PAUSE_SECS * 1000), 'ALL');
    await sleep(PAUSE_SECS * 1000);
    sender.phase = 'after';
    await sleep(5000);
    await sender.stop();

    const r = await settle(w, esme, sender);
    const pausedMs = r.of('paused').map((o) => o.ms);
    printTable(`store unavailable (Redis CLIENT PAUSE ALL ${PAUSE_SECS} s; ESME at 20/s, 10 s timeout)`, [
      {
        before: tally(r.of('before')),
        'during pause': tally(r.of('paused')),
        'after pause': tally(r.of('after')),
        'answer p50 ms (pause)': percentile(pausedMs, 50),
        'answer max ms (pause)': percentile(pausedMs, 100),
        accepted: r.accepted,
        'not sent upstream': r.notUpstream,
        'refused but sent': r.refusedButSent,
        'receipts missing': r.missing,
        'duplicate receipts': r.dup,
        'acks unrecorded': r.acksUnrecorded,
      },
    ]);
    assert.equal(r.refusedButSent, 0, 'no part refused to the ESME was sent upstream (a refusal means not kept)');
    assertNothingLost(r, 20);
  });

  it('a real full disk (tmpfs): ESME_RMSGQFUL, then once space is freed everything accepted drains, no restart', {
    skip: tinyFsUnavailable() ?? false,
    timeout: 110_000,
  }, async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'smppgate-tinyfs-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
    assert.equal(mounted.status, 0, `mount: ${mounted.stderr}`);
    cleanups.push(async () => {
      spawnSync('umount', ['-l', mnt]);
      rmSync(mnt, { recursive: true, force: true });
    });
    const store = openSqliteStore({ path: join(mnt, 'db') });
    cleanups.push(() => store.close());
    await store.createGroup({ gid: 'g1', enabled: true });
    const w: NodeWorld = await startNodeWorld(store, {
      smsc: { receipts: { delayMs: 200, retryMs: 300 }, latencyMs: 20 },
      historyRetentionSecs: 3600,
    });
    cleanups.push(() => w.close());
    const esme = await CountingEsme.bind(w.port);
    cleanups.push(async () => esme.close());
    // Ballast: all but ~400 KiB of the file system.
    const ballast = join(mnt, 'ballast');
    const free = () => {
      const f = statfsSync(mnt);
      return f.bavail * f.bsize;
    };
    writeFileSync(ballast, Buffer.alloc(Math.max(0, free() - 400 * 1024)));

    // Submits (100 a second, upstream up) until the disk is full, then 3 s more of them.
    let fullAt = -1;
    const inflight = new Set<Promise<unknown>>();
    for (let i = 0; i < 20_000 && (fullAt < 0 || Date.now() - fullAt < 3000); i++) {
      const p = esme.submit(`disk ${i}`).then((o) => {
        if (o.status === ESME_RMSGQFUL && fullAt < 0) fullAt = Date.now();
      });
      inflight.add(p);
      void p.then(() => inflight.delete(p));
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(inflight);
    const fillOutcomes = [...esme.outcomes];
    const freeWhenFull = free();
    // Stay full a while: longer than the connector's retries of an outcome it could not record (about 8 s).
    await new Promise((r) => setTimeout(r, 10_000));
    const duringFull = await esme.submit('still full');

    rmSync(ballast);
    const freedAt = Date.now();
    let reopenedAfter = -1;
    while (Date.now() - freedAt < 15_000) {
      const o = await esme.submit('space freed');
      if (o.status === 0) {
        reopenedAfter = (Date.now() - freedAt) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const accepted = esme.acceptedIds();
    const missing = await receiptsFor(esme, accepted, 40_000);
    const upstreamTexts = new Set(
      w.smsc.submits.flatMap((s) =>
        s.status === 0 && s.pdu.command === 'submit_sm' ? [s.pdu.short_message.toString()] : [],
      ),
    );
    const notUpstream = fillOutcomes.filter((o, i) => o.status === 0 && !upstreamTexts.has(`disk ${i}`)).length;
    const dup = [...esme.receiptCounts().values()].reduce((n, c) => n + c - 1, 0);
    const acksUnrecorded = w.log.lines.filter((l) => l.event === 'delivery_ack_failed').length;
    const stuck = w.log.lines.filter((l) => l.event === 'outcome_unrecorded' || l.event === 'release_failed').length;
    printTable('disk full (SQLite on an 8 MiB tmpfs, ballast leaving 400 KiB; upstream up)', [
      {
        submits: fillOutcomes.length,
        outcomes: tally(fillOutcomes),
        'free when full KiB': Math.round(freeWhenFull / 1024),
        'still full 10 s later': statusName(duringFull.status),
        'accepting again after s': reopenedAfter,
        accepted: accepted.length,
        'not sent upstream': notUpstream,
        'receipts missing': missing,
        'duplicate receipts': dup,
        'acks unrecorded': acksUnrecorded,
        'outcomes/releases unrecorded': stuck,
      },
    ]);
    assert.ok(fullAt > 0, `the disk became full (${tally(fillOutcomes)})`);
    assert.deepEqual(
      fillOutcomes.filter((o) => ![0, ESME_RSYSERR, ESME_RMSGQFUL].includes(o.status)).map((o) => o.error ?? o.status),
      [],
      'every submit answered ROK, ESME_RSYSERR or ESME_RMSGQFUL',
    );
    assert.equal(duringFull.status, ESME_RMSGQFUL, 'a full disk is ESME_RMSGQFUL');
    assert.ok(reopenedAfter >= 0, 'accepting again once space is freed');
    assert.equal(notUpstream, 0, 'every accepted message reached the SMSC');
    assert.equal(missing, 0, 'every accepted message got its receipt');
    assert.ok(dup <= acksUnrecorded, `${dup} duplicate receipts, ${acksUnrecorded} acknowledgements unrecorded`);
    assert.equal(stuck, 0, 'no outcome given up while the connector runs (its part would wait for a restart)');
  });
});

/** Why a tmpfs cannot be mounted here (not root, no mount permission), or null when it can. */
function tinyFsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'a tmpfs mount needs Linux';
  if (process.getuid?.() !== 0) return 'mounting a tiny tmpfs needs root; max_size covers SQLITE_FULL instead';
  const probe = mkdtempSync(join(tmpdir(), 'smppgate-mountprobe-'));
  try {
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
    if (r.status !== 0) return `cannot mount a tmpfs here: ${String(r.stderr).trim()}`;
    spawnSync('umount', [probe]);
    return null;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
