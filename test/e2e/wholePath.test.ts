// The whole path over real TCP: an ESME → a gateway node (SQLite store, smppc connector) → the fake SMSC → receipts
// and MO back to the ESME. What issue #5 asks to see end to end: a receipt per part of long messages, an SMSC that
// kills the connection mid-window (no loss, no duplicate receipt to the ESME), expiry while the SMSC is down giving
// failure receipts, and MO to an SMPP user that binds late, in order.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  defaultRoute,
  makeUser,
  memoryLogger,
  PASSWORD,
  sqliteStoreWith,
} from '../../src/gateway/pipeline.fixtures.js';
import { GatewayNode } from '../../src/node/node.js';
import type { Pdu, PduOf } from '../../src/smpp/codec/index.js';
import { splitText } from '../../src/smpp/text/index.js';
import type { Store } from '../../src/store/index.js';
import { Esme } from '../helpers/esme.js';
import { type FakeSmsc, type SmscOptions, smscConnector, startSmsc } from '../helpers/smsc.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface World {
  node: GatewayNode;
  store: Store;
  smsc: FakeSmsc;
  port: number;
}

async function world(smscOptions: SmscOptions = {}, connector: Record<string, unknown> = {}): Promise<World> {
  const smsc = await startSmsc({ receipts: { delayMs: 5 }, ...smscOptions });
  const { store, cleanup } = await sqliteStoreWith([await makeUser()], [defaultRoute(0, 'up1')]);
  await store.putConnector(
    smscConnector('up1', smsc.port, {
      bind: 'transceiver',
      reconnect_delay_secs: 0.05,
      reconnect_max_delay_secs: 0.2,
      response_timeout_secs: 2,
      ...connector,
    }),
  );
  await store.putMoRoute({ order: 0, type: 'default', targets: [{ kind: 'smpps', username: 'user1' }], filters: [] });
  const node = new GatewayNode({
    store,
    logger: memoryLogger(),
    dlrExpirySecs: 600,
    server: {
      id: 'smpps_e2e',
      bind: '127.0.0.1',
      port: 0,
      timers: { enquireLinkMs: 0, inactivityMs: 0, sessionInitMs: 10_000, responseMs: 2000, pduReadMs: 0 },
      bindSlowdown: { baseMs: 1, maxMs: 1 },
    },
    delivery: { sweepMs: 200, retryBaseMs: 50, retryMaxMs: 200 },
  });
  const port = (await node.listen()).tcp!.port;
  cleanups.push(async () => {
    await node.close();
    await smsc.close();
    await cleanup();
  });
  await until('the connector bound', () => node.connectors.isUp('up1'));
  return { node, store, smsc, port };
}

async function esme(port: number, type: 'transceiver' | 'receiver' | 'transmitter' = 'transceiver'): Promise<Esme> {
  const e = await Esme.connect({ port });
  cleanups.push(async () => e.destroy());
  assert.equal((await e.bind(type, 'user1', PASSWORD)).command_status, 0);
  return e;
}

const receiptsOf = (e: Esme) => e.received.filter((p) => p.command === 'deliver_sm') as PduOf<'deliver_sm'>[];
const ridOf = (p: PduOf<'deliver_sm'>) => String(p.tlvs?.receipted_message_id ?? '');
const statOf = (p: PduOf<'deliver_sm'>) => /stat:(\w+)/.exec(p.short_message.toString('latin1'))?.[1];

async function submitParts(e: Esme, text: string, dataCoding: number): Promise<string[]> {
  const { parts } = splitText(text, { dataCoding, method: 'udh8', ref: 0x42 });
  const ids: string[] = [];
  for (const part of parts) {
    const resp = (await e.submit({
      esm_class: part.esmClassUdhi ? 0x40 : 0,
      data_coding: part.data_coding,
      registered_delivery: 1,
      short_message: part.short_message,
    })) as PduOf<'submit_sm_resp'>;
    assert.equal(resp.command_status, 0);
    ids.push(resp.message_id);
  }
  return ids;
}

describe('whole path: ESME → gateway → upstream SMSC → receipts and MO back', () => {
  it('a 3-part UCS-2 and a 4-part GSM message: each part sent upstream and receipted on its own', async () => {
    const w = await world();
    const e = await esme(w.port);
    const ucs2 = await submitParts(e, 'Привет, мир! '.repeat(14), 0x08);
    const gsm = await submitParts(e, 'The quick brown fox jumps over the lazy dog. '.repeat(12), 0x00);
    assert.equal(ucs2.length, 3);
    assert.equal(gsm.length, 4);
    await until('7 receipts', () => receiptsOf(e).length >= 7);
    assert.deepEqual(receiptsOf(e).map(ridOf).sort(), [...ucs2, ...gsm].sort());
    assert.ok(receiptsOf(e).every((p) => statOf(p) === 'DELIVRD'));
    assert.equal(w.smsc.submits.length, 7, 'one submit_sm upstream per part');
    // Every part went upstream with its UDH untouched.
    assert.ok(w.smsc.submits.every((s) => (s.pdu.esm_class & 0x40) === 0x40));
  });

  it('the SMSC kills every connection mid-window: every message gets exactly one receipt, none lost', async () => {
    const w = await world({ receipts: { delayMs: 20 }, latencyMs: 5 }, { window: 50 });
    const e = await esme(w.port);
    const ids: string[] = [];
    const submits: Promise<Pdu>[] = [];
    for (let i = 0; i < 200; i++)
      submits.push(e.submit({ registered_delivery: 1, short_message: Buffer.from(`m${i}`) }));
    let killed = 0;
    const killer = setInterval(() => {
      if (killed < 3 && w.smsc.submits.length > 30 * (killed + 1)) {
        killed++;
        w.smsc.kill();
      }
    }, 5);
    cleanups.push(async () => clearInterval(killer));
    for (const r of await Promise.all(submits)) {
      assert.equal(r.command_status, 0);
      ids.push((r as PduOf<'submit_sm_resp'>).message_id);
    }
    await until('200 receipts', () => new Set(receiptsOf(e).map(ridOf)).size === 200, 30_000);
    clearInterval(killer);
    assert.ok(killed >= 1, 'the SMSC dropped the connection at least once mid-window');
    // Let anything still owed or duplicated arrive, then count.
    await new Promise((r) => setTimeout(r, 500));
    const rids = receiptsOf(e).map(ridOf);
    assert.equal(rids.length, 200, `no duplicate receipt to the ESME (${rids.length - 200} extra)`);
    assert.deepEqual([...rids].sort(), [...ids].sort());
  });

  it('the SMSC down: held, then expired at validity with an EXPIRED receipt, never sent', async () => {
    const w = await world();
    w.smsc.setDown(true);
    w.smsc.kill();
    await until('the connector down', () => !w.node.connectors.isUp('up1'));
    const e = await esme(w.port);
    const resp = (await e.submit({
      registered_delivery: 1,
      validity_period: '000000000001000R', // one second, relative (SMPP 3.4 §7.1.1)
    })) as PduOf<'submit_sm_resp'>;
    assert.equal(resp.command_status, 0);
    await until('the EXPIRED receipt', () => receiptsOf(e).length === 1, 15_000);
    const [r] = receiptsOf(e);
    assert.equal(ridOf(r), resp.message_id);
    assert.equal(statOf(r), 'EXPIRED');
    assert.equal(w.smsc.submits.length, 0, 'never sent');
  });

  it('MO for an ESME that binds later arrive in order once a receiver binds; a transmitter gets none', async () => {
    const w = await world();
    const tx = await esme(w.port, 'transmitter');
    for (let i = 0; i < 5; i++) {
      const status = await w.smsc.sendMo({
        source_addr: '33611111111',
        destination_addr: '999',
        short_message: `mo ${i}`,
      });
      assert.equal(status, 0, 'answered ROK once kept');
    }
    assert.equal(tx.received.filter((p) => p.command === 'deliver_sm').length, 0);
    const rx = await esme(w.port, 'receiver');
    await until('5 MO', () => receiptsOf(rx).length === 5);
    assert.deepEqual(
      receiptsOf(rx).map((p) => p.short_message.toString()),
      ['mo 0', 'mo 1', 'mo 2', 'mo 3', 'mo 4'],
    );
    assert.ok(receiptsOf(rx).every((p) => (p.esm_class & 0x3c) === 0));
  });
});
