// Several gateway processes on one Redis (issue #7): real `smppgate start` processes, a redis-server and the fake
// SMSC, all on loopback ports the OS picked. A message accepted on one node goes upstream through whichever node holds
// the connector and its receipt reaches the ESME bound on another; two nodes racing on a user's last credit never
// overspend; killing the node that holds the connector moves it within the lease time, losing and duplicating nothing.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../../src/gateway/password.js';
import type { PduOf } from '../../src/smpp/codec/index.js';
import { defaultMtMessagingCredential, defaultSmppsCredential } from '../../src/store/model.js';
import { openRedisStore } from '../../src/store/redis/redisStore.js';
import { Esme } from '../helpers/esme.js';
import { redisUnavailable, startRedis, type TestRedis } from '../helpers/redisServer.js';
import { type FakeSmsc, smscConnector, startSmsc } from '../helpers/smsc.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'cluster-admin-token-0123456789abcdef';
const PREFIX = 'cl:';

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One `smppgate start` process. */
interface GatewayProcess {
  name: string;
  child: ChildProcess;
  smpp: number;
  admin: number;
  lines: Array<Record<string, unknown>>;
}

function portOf(address: unknown): number {
  const m = /:(\d+)$/.exec(String(address));
  if (m === null) throw new Error(`no port in ${String(address)}`);
  return Number(m[1]);
}

async function startNode(dir: string, name: string, redisUrl: string): Promise<GatewayProcess> {
  const config = join(dir, `${name}.cfg`);
  writeFileSync(
    config,
    `[smpp-server]\nid = smpps_${name}\nbind = 127.0.0.1\nport = 0\nlog_level = INFO\n\n` +
      `[store]\nbackend = redis\nurl = ${redisUrl}\nkey_prefix = ${PREFIX}\nconnector_lease = 2\nclaim_timeout = 3\n\n` +
      `[gateway]\nnode_id = ${name}\n\n[admin]\nbind = 127.0.0.1\nport = 0\ntoken = ${TOKEN}\n\n` +
      '[http-api]\nbind = 127.0.0.1\nport = 0\n',
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', config], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const started = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`node ${name} exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (parsed.event === 'started') resolve(parsed);
    });
  });
  const s = await started;
  return { name, child, smpp: portOf(s.smpp), admin: portOf(s.admin), lines };
}

async function connectorState(node: GatewayProcess): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${node.admin}/api/v1/connectors/up`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const body = (await res.json()) as { state?: { state?: string } };
  return body.state?.state ?? 'unknown';
}

async function holderOf(nodes: GatewayProcess[]): Promise<GatewayProcess | undefined> {
  for (const n of nodes) {
    if (n.child.exitCode === null && n.child.signalCode === null && (await connectorState(n)) === 'bound') return n;
  }
  return undefined;
}

const deliverSms = (e: Esme) => e.received.filter((p) => p.command === 'deliver_sm') as PduOf<'deliver_sm'>[];
const receiptIds = (e: Esme) =>
  deliverSms(e)
    .filter((p) => (p.esm_class & 0x3c) === 0x04)
    .map((p) => String(p.tlvs?.receipted_message_id ?? ''));

describe('several gateway nodes on one Redis', { skip: redisUnavailable() ?? false }, () => {
  let dir: string;
  let redis: TestRedis;
  let smsc: FakeSmsc;
  const nodes: GatewayProcess[] = [];
  const esmes: Esme[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smppgate-cluster-'));
    redis = await startRedis({ persistence: 'none' });
    smsc = await startSmsc({ receipts: { delayMs: 10 } });
    const store = await openRedisStore({ url: redis.url, keyPrefix: PREFIX, nodeId: 'provisioner' });
    await store.createGroup({ gid: 'g', enabled: true });
    for (const [uid, balance] of [
      ['u1', null],
      ['u2', 0.5],
    ] as const) {
      const mt = defaultMtMessagingCredential();
      mt.quotas.balance = balance;
      await store.createUser({
        uid,
        gid: 'g',
        username: uid,
        enabled: true,
        password_hash: await hashPassword('secret'),
        smpps_cred: defaultSmppsCredential(),
        mt_messaging_cred: mt,
      });
    }
    await store.putConnector(
      smscConnector('up', smsc.port, {
        reconnect_delay_secs: 0.1,
        reconnect_max_delay_secs: 0.5,
      }),
    );
    await store.putMtRoute({ order: 0, type: 'default', connectors: ['up'], filters: [], rate: 0.01 });
    await store.close();
    nodes.push(await startNode(dir, 'a', redis.url), await startNode(dir, 'b', redis.url));
  });

  after(async () => {
    for (const e of esmes) e.destroy();
    const running = nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
    const exits = running.map((n) => new Promise((r) => n.child.once('exit', r)));
    for (const n of running) n.child.kill('SIGKILL');
    await Promise.all(exits);
    await smsc.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function bind(node: GatewayProcess, user: string, type: 'transmitter' | 'receiver' | 'transceiver') {
    const e = await Esme.connect({ port: node.smpp });
    esmes.push(e);
    const resp = await e.bind(type, user, 'secret');
    assert.equal(resp.command_status, 0, `bind ${user} on ${node.name}`);
    return e;
  }

  it('runs the connector on exactly one node; the others stand by', async () => {
    await until('one node bound upstream', async () => (await holderOf(nodes)) !== undefined);
    const states = await Promise.all(nodes.map(connectorState));
    assert.deepEqual(states.sort(), ['bound', 'standby']);
  });

  it('a message accepted on node A gets its receipt on the ESME bound on node B', async () => {
    const [a, b] = nodes;
    const tx = await bind(a, 'u1', 'transmitter');
    const rx = await bind(b, 'u1', 'receiver');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = (await tx.submit({
        registered_delivery: 1,
        short_message: Buffer.from(`x${i}`),
      })) as PduOf<'submit_sm_resp'>;
      assert.equal(r.command_status, 0);
      ids.push(r.message_id);
    }
    await until('10 receipts on node B', () => receiptIds(rx).length >= 10);
    assert.deepEqual(receiptIds(rx).sort(), [...ids].sort());
    assert.equal(deliverSms(tx).length, 0, 'never to a transmitter');
    // Receipts kept while no receiver is bound, then receivers on both nodes at once: the user's queue is served by
    // one node at a time, each receipt once.
    rx.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const later: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = (await tx.submit({
        registered_delivery: 1,
        short_message: Buffer.from(`y${i}`),
      })) as PduOf<'submit_sm_resp'>;
      assert.equal(r.command_status, 0);
      later.push(r.message_id);
    }
    const check = await openRedisStore({ url: redis.url, keyPrefix: PREFIX, nodeId: 'checker1' });
    try {
      await until('20 receipts kept', async () => (await check.pendingDeliveries('u1')) === 20);
    } finally {
      await check.close();
    }
    const [r1, r2] = await Promise.all([bind(a, 'u1', 'receiver'), bind(b, 'u1', 'receiver')]);
    await until('20 receipts over both receivers', () => receiptIds(r1).length + receiptIds(r2).length >= 20);
    await new Promise((r) => setTimeout(r, 1500));
    const all = [...receiptIds(r1), ...receiptIds(r2)];
    assert.equal(all.length, 20, `each receipt once over two nodes (${all.length - 20} duplicates)`);
    assert.deepEqual(all.sort(), [...later].sort());
    r1.destroy();
    r2.destroy();
    tx.destroy();
  });

  it("two nodes racing on one user's last credit never overspend", async () => {
    const [a, b] = nodes;
    const ea = await bind(a, 'u2', 'transmitter');
    const eb = await bind(b, 'u2', 'transmitter');
    // Balance 0.5 at 0.01 a message: room for exactly 50; 80 are tried at once from both nodes.
    const answers = await Promise.all([
      ...Array.from({ length: 40 }, () => ea.submit({ short_message: Buffer.from('race') })),
      ...Array.from({ length: 40 }, () => eb.submit({ short_message: Buffer.from('race') })),
    ]);
    const ok = answers.filter((r) => r.command_status === 0).length;
    assert.equal(ok, 50, `accepted ${ok}, the credit allowed 50`);
    const store = await openRedisStore({ url: redis.url, keyPrefix: PREFIX, nodeId: 'checker' });
    try {
      assert.equal((await store.getUser('u2'))?.mt_messaging_cred.quotas.balance, 0);
    } finally {
      await store.close();
    }
    ea.destroy();
    eb.destroy();
  });

  it('kill -9 of the node holding the connector: another takes it within the lease, nothing lost or doubled', async () => {
    const holder = await holderOf(nodes);
    assert.ok(holder !== undefined);
    const survivor = nodes.find((n) => n !== holder)!;
    const e = await bind(survivor, 'u1', 'transceiver');
    // A slow SMSC, so that the holder has parts in flight (claimed, unanswered) when it dies.
    smsc.setLatency(300);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = (await e.submit({
        registered_delivery: 1,
        short_message: Buffer.from(`k${i}`),
      })) as PduOf<'submit_sm_resp'>;
      assert.equal(r.command_status, 0);
      ids.push(r.message_id);
    }
    await until('some sent upstream', () => smsc.submits.length > 10 + 10);
    holder.child.kill('SIGKILL');
    const killedAt = Date.now();
    smsc.setLatency(0);
    await until('the survivor bound upstream', async () => (await connectorState(survivor)) === 'bound', 15_000);
    const tookOverMs = Date.now() - killedAt;
    assert.ok(tookOverMs < 2000 + 5000, `took over after ${tookOverMs} ms (lease 2 s)`);
    await until('30 receipts', () => new Set(receiptIds(e).filter((id) => ids.includes(id))).size === 30, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    const mine = receiptIds(e).filter((id) => ids.includes(id));
    assert.equal(mine.length, 30, `each receipt once (${mine.length - 30} duplicates)`);
    e.destroy();
  });
});
