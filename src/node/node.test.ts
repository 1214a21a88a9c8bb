import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Esme } from '../../test/helpers/esme.js';
import { defaultRoute, makeUser, memoryLogger, PASSWORD, sqliteStoreWith } from '../gateway/pipeline.fixtures.js';
import type { PduOf } from '../smpp/codec/index.js';
import type { Store } from '../store/index.js';
import { GatewayNode } from './node.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function startNode(): Promise<{ node: GatewayNode; store: Store; port: number }> {
  const { store, cleanup } = await sqliteStoreWith([await makeUser()], [defaultRoute(0, 'up1')]);
  await store.putConnector({ cid: 'up1', type: 'smppc', started: false, settings: { dlr_msgid_base: 'hex_to_dec' } });
  const node = new GatewayNode({
    store,
    logger: memoryLogger(),
    dlrExpirySecs: 600,
    server: {
      id: 'smpps_01',
      bind: '127.0.0.1',
      port: 0,
      timers: { enquireLinkMs: 0, inactivityMs: 0, sessionInitMs: 10_000, responseMs: 2000, pduReadMs: 0 },
      bindSlowdown: { baseMs: 1, maxMs: 1 },
    },
    delivery: { sweepMs: 60_000 },
  });
  const port = (await node.listen()).tcp!.port;
  cleanups.push(async () => {
    await node.close();
    await cleanup();
  });
  return { node, store, port };
}

const receiptOf = (upstreamId: string) =>
  ({
    command: 'deliver_sm',
    command_status: 0,
    sequence_number: 1,
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '33600000001',
    dest_addr_ton: 0,
    dest_addr_npi: 0,
    destination_addr: '999',
    esm_class: 0x04,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from(
      `id:${upstreamId} sub:001 dlvrd:001 submit date:2611251200 done date:2611251201 stat:DELIVRD err:000 text:hello`,
    ),
  }) as PduOf<'deliver_sm'>;

describe('GatewayNode', () => {
  it('a receipt for an ESME that binds later reaches it at bind time, through the id base of its connector', async () => {
    const { node, store, port } = await startNode();
    const tx = await Esme.connect({ port });
    cleanups.push(async () => tx.destroy());
    assert.equal((await tx.bind('transmitter', 'user1', PASSWORD)).command_status, 0);
    const resp = (await tx.submit({ registered_delivery: 1 })) as PduOf<'submit_sm_resp'>;
    assert.equal(resp.command_status, 0);
    const [claimed] = await store.claimMessages('up1', 10, Date.now());
    assert.equal(claimed?.id, resp.message_id);
    // The SMSC answered 255 in decimal and writes receipts in hex (hex_to_dec): the node loaded that setting.
    await node.receipts.submitted('up1', claimed, { kind: 'accepted', upstreamId: '255' });
    assert.equal(await node.receipts.delivered('up1', receiptOf('ff')), 0);
    assert.equal(await store.pendingDeliveries('u1'), 1, 'kept while no receiver is bound');
    assert.equal(tx.received.filter((p) => p.command === 'deliver_sm').length, 0, 'never to a transmitter');

    // The delivery sweep is a minute away: only the bind notice can bring the receipt now.
    const rx = await Esme.connect({ port });
    cleanups.push(async () => rx.destroy());
    assert.equal((await rx.bind('receiver', 'user1', PASSWORD)).command_status, 0);
    await until('the receipt', () => rx.received.some((p) => p.command === 'deliver_sm'));
    const got = rx.received.find((p) => p.command === 'deliver_sm') as PduOf<'deliver_sm'>;
    assert.equal(got.esm_class & 0x3c, 0x04);
    assert.equal(got.tlvs?.receipted_message_id, resp.message_id);
    await until('acked', async () => (await store.pendingDeliveries('u1')) === 0);

    const binds = await node.control().listBinds();
    assert.deepEqual(binds.map((b) => b.bind_type).sort(), ['receiver', 'transmitter']);
    assert.ok(binds.every((b) => b.bound_at > 0));
  });

  it('runs the connectors of the store: a stopped one reports stopped, never a fake state', async () => {
    const { node } = await startNode();
    const states = await node.control().connectorStates();
    assert.equal(states.up1?.state ?? 'stopped', 'stopped');
    assert.equal(states.up1?.binds ?? 0, 0);
  });
});
