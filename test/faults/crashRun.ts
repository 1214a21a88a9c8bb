// kill -9 of the gateway at full load, then a restart on the same store (issue #8): the scenario and its counts,
// run on SQLite by crash.test.ts and on Redis by crashRedis.test.ts (a test file each, so each has its own time).
//
// The real `smppgate start` runs as a child process with an smppc connector to the fake SMSC (in this process: it
// records every submit with its text and sends a DELIVRD receipt for each, resending a receipt until the gateway
// answers it ESME_ROK). An ESME load of several transceiver binds keeps a full window of submit_sm asking for receipts,
// each with a unique text. While the load runs the gateway is killed with SIGKILL a few times at random moments and
// started again on the same store; the ESME binds again by itself. Once the load stopped and everything settled:
//   - every text that got submit_sm_resp ESME_ROK reached the SMSC at least once (at-least-once: copies counted);
//   - every receipt the SMSC produced reached the ESME, matched by the text it quotes, and, for the messages whose
//     ROK the ESME read, by our message_id (receipted_message_id);
//   - receipts the ESME got twice (a deliver_sm answered but not yet acknowledged in the store when the gateway died is
//     sent again: docs/receipts.md's at-least-once) are printed, and bounded by two delivery windows per user (200)
//     per kill: one awaiting the ESME's answer, one answered whose removal from the store is on its way;
//   - every receipt says DELIVRD with the message_id the ESME was given (no second, different receipt).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../src/gateway/password.js';
import { defaultMtMessagingCredential, defaultSmppsCredential, type Store } from '../../src/store/index.js';
import { openRedisStore } from '../../src/store/redis/redisStore.js';
import { openSqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { startRedis, type TestRedis } from '../helpers/redisServer.js';
import { type FakeSmsc, smscConnector, startSmsc } from '../helpers/smsc.js';
import { CrashLoad } from './crashLoad.js';
import { type GatewayProcess, startGatewayProcess } from './gatewayProcess.js';

const TOKEN = 'crash-admin-token-0123456789abcdef';
/**
 * Kills per backend. Redis gets two: a node restarted with the id of one that died waits for that id's lease to lapse
 * (10 s, docs/redis.md), which would take a third of the time budget per kill.
 */
const KILLS = { sqlite: 3, redis: 2 } as const;
const BINDS = 4;
const WINDOW = 50;
/**
 * Deliveries of one user sent and not yet durably acknowledged: the composition root gives the DeliveryEngine one
 * session's outbound window ([smpp-server] window_size, 100 by default) per user, and answered deliveries whose
 * removal from the store is on its way are bounded by another window. So a kill can make the ESME get at most this
 * many receipts a second time.
 */
const DELIVERY_WINDOW = 2 * 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

async function provision(store: Store, smscPort: number): Promise<void> {
  await store.createGroup({ gid: 'g', enabled: true });
  await store.createUser({
    uid: 'u1',
    gid: 'g',
    username: 'crash',
    enabled: true,
    password_hash: await hashPassword('secret'),
    smpps_cred: defaultSmppsCredential(),
    mt_messaging_cred: defaultMtMessagingCredential(),
  });
  await store.putConnector(
    smscConnector('up', smscPort, {
      bind: 'transceiver',
      bind_count: 2,
      window: 100,
      reconnect_delay_secs: 0.1,
      reconnect_max_delay_secs: 0.5,
    }),
  );
  await store.putMtRoute({ order: 0, type: 'default', connectors: ['up'], filters: [], rate: 0 });
}

/** What one run counted. */
interface Figures {
  backend: string;
  kills: number;
  accepted: number;
  reachedUpstream: number;
  lostUpstream: number;
  upstreamCopies: number;
  upstreamNotAcked: number;
  /** One per upstream copy: the SMSC sends a receipt for each submit it accepted. */
  receiptsProduced: number;
  /** Messages the SMSC sent at least one receipt for. */
  messagesReceipted: number;
  settleMs: number;
  receiptsDelivered: number;
  lostReceipts: number;
  wrongId: number;
  esmeDuplicates: number;
  notDelivrd: number;
  unanswered: number;
  refused: string;
  seconds: number;
}

function printFigures(f: Figures): void {
  console.log(
    [
      `kill -9 at full load, ${f.backend}: ${f.kills} kills, ESME ${BINDS} binds × W=${WINDOW}, ${f.seconds.toFixed(1)} s ` +
        `(all upstream and receipted ${(f.settleMs / 1000).toFixed(1)} s after the load stopped)`,
      '| accepted (ROK) | reached upstream | lost upstream | upstream duplicates | upstream, ROK never read | ' +
        'receipts produced (messages) | receipts delivered | lost receipts | wrong message_id | ' +
        'duplicate receipts to ESME | unanswered submits | refused |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      `| ${f.accepted} | ${f.reachedUpstream} | ${f.lostUpstream} | ${f.upstreamCopies} | ${f.upstreamNotAcked} | ` +
        `${f.receiptsProduced} (${f.messagesReceipted}) | ${f.receiptsDelivered} | ${f.lostReceipts} | ${f.wrongId} | ${f.esmeDuplicates} | ` +
        `${f.unanswered} | ${f.refused || '–'} |`,
    ].join('\n'),
  );
}

export async function crashRun(backend: 'sqlite' | 'redis'): Promise<void> {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `smppgate-crash-${backend}-`));
  const logFile = join(dir, 'gateway.log');
  const smsc: FakeSmsc = await startSmsc({ receipts: { delayMs: 200, retryMs: 300 } });
  let redis: TestRedis | undefined;
  let gw: GatewayProcess | undefined;
  const load = new CrashLoad({
    port: () => (gw?.alive ? gw.smpp : undefined),
    binds: BINDS,
    window: WINDOW,
    systemId: 'crash',
    password: 'secret',
    prefix: backend === 'sqlite' ? 'S' : 'R',
  });
  try {
    let storeSection: string;
    if (backend === 'redis') {
      redis = await startRedis({ persistence: 'always' });
      const store = await openRedisStore({ url: redis.url, keyPrefix: 'cr:', nodeId: 'provisioner' });
      await provision(store, smsc.port);
      await store.close();
      // The same node id on every restart, as a host restarting its gateway has: it takes back its own claims.
      storeSection =
        `[store]\nbackend = redis\nurl = ${redis.url}\nkey_prefix = cr:\nconnector_lease = 2\nclaim_timeout = 3\n\n` +
        '[gateway]\nnode_id = a\n';
    } else {
      const store = openSqliteStore({ path: join(dir, 'data') });
      await provision(store, smsc.port);
      await store.close();
      storeSection = `[store]\npath = ${join(dir, 'data')}\n`;
    }
    const config = join(dir, 'smppgate.cfg');
    writeFileSync(
      config,
      `[smpp-server]\nid = smpps_crash\nbind = 127.0.0.1\nport = 0\nlog_file = ${logFile}\nlog_level = INFO\n\n` +
        `${storeSection}\n[admin]\nbind = 127.0.0.1\nport = 0\ntoken = ${TOKEN}\n\n[http-api]\nbind = 127.0.0.1\nport = 0\n`,
    );
    gw = await startGatewayProcess({ config, logFile });
    load.start();
    const killedAfter: number[] = [];
    const killedAt: number[] = [];
    const restartMs: number[] = [];
    const atKill: string[] = [];
    for (let k = 0; k < KILLS[backend]; k++) {
      // Full load first: every bind bound and messages flowing through this run of the gateway.
      const before = load.accepted.size;
      assert.ok(
        await until(() => load.bound === BINDS && load.accepted.size > before + 500, 20_000),
        `load resumed after restart ${k} (bound ${load.bound}, accepted ${load.accepted.size - before})`,
      );
      const wait = 500 + Math.floor(Math.random() * 1500);
      await sleep(wait);
      killedAfter.push(wait);
      await gw.kill();
      killedAt.push(Date.now());
      atKill.push(
        `${load.accepted.size} accepted/${smsc.counters.submits} upstream/${smsc.counters.receiptsAcked} receipts acked`,
      );
      gw = await startGatewayProcess({ config, logFile });
      restartMs.push(Date.now() - killedAt[k]);
    }
    const before = load.accepted.size;
    assert.ok(await until(() => load.bound === BINDS && load.accepted.size > before + 500, 20_000), 'load resumed');
    await load.stopSubmitting();

    // Quiescence: every accepted text upstream and every upstream text's receipt at the ESME, or 40 s (a loaded machine).
    const upstream = new Map<string, number>();
    let scanned = 0;
    const scan = () => {
      for (; scanned < smsc.submits.length; scanned++) {
        const s = smsc.submits[scanned];
        if (s.status !== 0 || s.pdu.command !== 'submit_sm') continue;
        const text = s.pdu.short_message.toString('latin1');
        upstream.set(text, (upstream.get(text) ?? 0) + 1);
      }
    };
    const esmeTexts = new Map<string, number>();
    let taken = 0;
    const takeReceipts = () => {
      for (; taken < load.receipts.length; taken++) {
        const t = load.receipts[taken].text;
        esmeTexts.set(t, (esmeTexts.get(t) ?? 0) + 1);
      }
    };
    const settled = () => {
      scan();
      takeReceipts();
      for (const text of load.accepted.keys()) if (!upstream.has(text)) return false;
      for (const text of upstream.keys()) if (!esmeTexts.has(text)) return false;
      return true;
    };
    const stoppedAt = Date.now();
    await until(settled, 40_000);
    const settleMs = Date.now() - stoppedAt;
    await sleep(1500); // late copies
    scan();
    takeReceipts();

    let reached = 0;
    for (const text of load.accepted.keys()) if (upstream.has(text)) reached++;
    let copies = 0;
    let notAcked = 0;
    let delivered = 0;
    for (const [text, n] of upstream) {
      copies += n - 1;
      if (!load.accepted.has(text)) notAcked++;
      if (esmeTexts.has(text)) delivered++;
    }
    let wrongId = 0;
    for (const r of load.receipts) {
      const id = load.accepted.get(r.text);
      if (id !== undefined && id !== r.messageId) wrongId++;
    }
    const figures: Figures = {
      backend: backend === 'redis' ? 'Redis (appendfsync always)' : 'SQLite',
      kills: KILLS[backend],
      accepted: load.accepted.size,
      reachedUpstream: reached,
      lostUpstream: load.accepted.size - reached,
      upstreamCopies: copies,
      upstreamNotAcked: notAcked,
      receiptsProduced: copies + upstream.size,
      messagesReceipted: upstream.size,
      settleMs,
      receiptsDelivered: delivered,
      lostReceipts: upstream.size - delivered,
      wrongId,
      esmeDuplicates: load.receipts.length - esmeTexts.size,
      notDelivrd: load.receipts.filter((r) => r.stat !== 'DELIVRD').length,
      unanswered: load.unanswered,
      refused: [...load.refused].map(([s, n]) => `0x${s.toString(16)}×${n}`).join(' '),
      seconds: (Date.now() - t0) / 1000,
    };
    printFigures(figures);
    console.log(
      `kills after ${killedAfter.join(', ')} ms of full load; listening again ${restartMs.join(', ')} ms after each; at each kill: ${atKill.join('; ')}; SMSC: ${JSON.stringify(smsc.counters)}; ` +
        `ESME connects ${load.connects}, bind refusals ${load.bindRefusals}`,
    );
    // Where the ESME's duplicate receipts came: the run of the gateway (0 = before the first kill) of each copy.
    const runOf = (at: number) => killedAt.filter((k) => k <= at).length;
    const firstAt = new Map<string, number>();
    const dupRuns = new Map<string, number>();
    for (const r of load.receipts) {
      const first = firstAt.get(r.text);
      if (first === undefined) firstAt.set(r.text, r.at);
      else {
        const k = `${runOf(first)}→${runOf(r.at)}`;
        dupRuns.set(k, (dupRuns.get(k) ?? 0) + 1);
      }
    }
    if (dupRuns.size > 0)
      console.log(`duplicate receipts by gateway run (first→copy): ${JSON.stringify([...dupRuns])}`);
    const lost = [...load.accepted.keys()].filter((t) => !upstream.has(t));
    if (lost.length > 0) {
      const ids = lost.slice(0, 5).map((t) => load.accepted.get(t) ?? '');
      const lines = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => ids.some((id) => l.includes(id)));
      console.log(`lost upstream, first: ${lost.slice(0, 5).join(' ')} (${ids.join(' ')})\n${lines.join('\n')}`);
    }
    assert.ok(figures.accepted > 1000, `a real load (${figures.accepted} accepted)`);
    assert.equal(figures.lostUpstream, 0, `accepted but never upstream: ${lost.slice(0, 10).join(' ')}`);
    assert.equal(
      figures.lostReceipts,
      0,
      `receipts produced but never at the ESME: ${[...upstream.keys()]
        .filter((t) => !esmeTexts.has(t))
        .slice(0, 10)
        .join(' ')}`,
    );
    assert.equal(figures.wrongId, 0, 'receipts carry the message_id the ESME was given');
    assert.equal(figures.notDelivrd, 0, 'every receipt says DELIVRD, as the SMSC did');
    assert.ok(
      figures.esmeDuplicates <= KILLS[backend] * DELIVERY_WINDOW,
      `duplicate receipts to the ESME (${figures.esmeDuplicates}) only from deliveries in flight at a kill`,
    );
  } finally {
    await load.close();
    // kill, not a drain: a drain waits for the receipts still held (up to 10 s each), and is not what is tested here.
    await gw?.kill();
    await smsc.close();
    await redis?.stop();
    // SMPPGATE_CRASH_KEEP=1 keeps the gateway's log and store for a look after a failure.
    if (process.env.SMPPGATE_CRASH_KEEP === '1') console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
