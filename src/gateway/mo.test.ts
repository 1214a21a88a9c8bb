// MoRouter on the real SQLite store, through the real SMPP server and DeliveryEngine to a raw ESME on a loopback port:
// MO reach the user's receiver with every field and TLV as the SMSC sent them, wait while it is offline and arrive in
// order when it binds, long MO pass through as parts that stay together on round-robin routes; round-robin, failover
// and filters pick targets; what cannot be routed is refused with ESME_RX_R_APPN and a warn line, never kept silently;
// the ReceiptEngine answers the SMSC ROK only once the MO is stored.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Esme } from '../../test/helpers/esme.js';
import { CommandStatus, type Pdu, type PduOf } from '../smpp/codec/index.js';
import { SmppServer } from '../smpp/server/server.js';
import { buildConcatUdh, ESM_CLASS_UDHI, encodeText } from '../smpp/text/index.js';
import type { MoRoute, RouteFilter } from '../store/model.js';
import type { GatewayPrincipal } from './accounts.js';
import { DeliveryEngine } from './delivery.js';
import { GatewayEvents } from './events.js';
import { Gateway } from './gateway.js';
import { type HttpMoHandoff, MoRejectedError, MoRouter, type MoRouterOptions, type RoutedMo } from './mo.js';
import { makeUser, memoryLogger, PASSWORD, sqliteStoreWith } from './pipeline.fixtures.js';
import { ReceiptEngine } from './receipts.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type DeliverSm = PduOf<'deliver_sm'>;

/** An MO deliver_sm from an upstream SMSC. */
function mo(overrides: Partial<DeliverSm> = {}): DeliverSm {
  return {
    command: 'deliver_sm',
    command_status: 0,
    sequence_number: 7,
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '33600000001',
    dest_addr_ton: 0,
    dest_addr_npi: 0,
    destination_addr: '1234',
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from('hello'),
    ...overrides,
  };
}

/** Part `seq` of `total` of a UDH (8-bit reference) long MO. */
function udhPart(ref: number, total: number, seq: number, text: string, extra: Partial<DeliverSm> = {}): DeliverSm {
  const udh = buildConcatUdh(ref, total, seq, 8);
  return mo({ esm_class: ESM_CLASS_UDHI, short_message: Buffer.concat([udh, Buffer.from(text)]), ...extra });
}

const route = (order: number, type: MoRoute['type'], targets: MoRoute['targets'], filters: RouteFilter[] = []) => ({
  order,
  type,
  targets,
  filters,
});
const smpps = (username: string) => ({ kind: 'smpps' as const, username });

async function setup(routes: MoRoute[], options: Partial<MoRouterOptions> = {}) {
  const { store, cleanup } = await sqliteStoreWith(
    [
      await makeUser(),
      await makeUser({ uid: 'u2', username: 'user2' }),
      await makeUser({ uid: 'u3', username: 'user3' }),
    ],
    [],
  );
  cleanups.push(cleanup);
  for (const r of routes) await store.putMoRoute(r);
  const logger = memoryLogger();
  const gateway = new Gateway({ store, logger });
  const server = new SmppServer<GatewayPrincipal>({
    id: 'smpps_01',
    bind: '127.0.0.1',
    port: 0,
    authenticate: gateway.authenticator,
    handlers: gateway.handlers,
    timers: { enquireLinkMs: 0, inactivityMs: 0, sessionInitMs: 10_000, responseMs: 2000, pduReadMs: 0 },
    bindSlowdown: { baseMs: 1, maxMs: 1 },
  });
  gateway.attachServer(server);
  const port = (await server.listen()).tcp!.port;
  const engine = new DeliveryEngine({
    store,
    pickSession: (uid) => server.nextReceiver(uid),
    logger,
    retryBaseMs: 50,
    sweepMs: 50,
  });
  engine.start();
  const router = new MoRouter({ store, logger, dlrExpirySecs: 600, onQueued: (uid) => engine.notify(uid), ...options });
  const receipts = new ReceiptEngine({
    store,
    connectorSettings: () => ({}),
    dlrExpirySecs: 600,
    logger,
    onMo: (cid, pdu) => router.route(cid, pdu),
  });
  const esmes: Esme[] = [];
  cleanups.push(async () => {
    await engine.stop();
    for (const e of esmes) e.destroy();
    await server.close();
    await gateway.close();
  });
  const bind = async (user = 'user1', type: 'receiver' | 'transceiver' = 'receiver') => {
    const esme = await Esme.connect({ port });
    esmes.push(esme);
    assert.equal((await esme.bind(type, user, PASSWORD)).command_status, 0);
    engine.notifyBound(user === 'user1' ? 'u1' : user === 'user2' ? 'u2' : 'u3');
    return esme;
  };
  return { store, logger, router, receipts, bind };
}

const isDeliver = (p: Pdu): p is DeliverSm => p.command === 'deliver_sm';
const delivered = (e: Esme) => e.received.filter(isDeliver);
const texts = (e: Esme) => delivered(e).map((p) => p.short_message.toString('latin1'));

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('MoRouter: MO to SMPP users', () => {
  it('gives the bound receiver the deliver_sm as the SMSC sent it: fields, UDH bytes, TLVs', async () => {
    const t = await setup([route(0, 'default', [smpps('user1')])]);
    const esme = await t.bind();
    const udh = buildConcatUdh(0x42, 2, 1, 8);
    const text = encodeText('Привет', 0x08);
    const pdu = mo({
      source_addr_ton: 2,
      source_addr_npi: 3,
      dest_addr_ton: 4,
      dest_addr_npi: 5,
      esm_class: ESM_CLASS_UDHI | 0x80,
      protocol_id: 0x41,
      priority_flag: 1,
      data_coding: 0x08,
      short_message: Buffer.concat([udh, text]),
      tlvs: {
        network_error_code: { network_type: 3, error_code: 0x1234 },
        source_port: 9200,
        user_message_reference: 77,
        unknown: [{ tag: 0x1501, value: Buffer.from([1, 2, 3]) }],
      },
    });
    assert.equal(await t.receipts.delivered('smsc1', pdu), CommandStatus.ESME_ROK);
    await until('the deliver_sm', () => delivered(esme).length === 1);
    const got = delivered(esme)[0];
    const { sequence_number: _a, ...want } = pdu;
    const { sequence_number: _b, ...have } = got;
    assert.deepEqual(have, want);
    assert.ok(t.logger.lines.some((l) => l.event === 'mo_routed' && l.fields.uid === 'u1' && l.fields.part === '1/2'));
  });

  it('keeps SAR TLVs and message_payload; a data_sm MO becomes a deliver_sm carrying its message_payload', async () => {
    const t = await setup([route(0, 'default', [smpps('user1')])]);
    const esme = await t.bind();
    const sar = mo({
      short_message: Buffer.from('part one '),
      tlvs: { sar_msg_ref_num: 513, sar_total_segments: 2, sar_segment_seqnum: 1 },
    });
    const dataSm: PduOf<'data_sm'> = {
      command: 'data_sm',
      command_status: 0,
      sequence_number: 9,
      service_type: '',
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: '33600000002',
      dest_addr_ton: 0,
      dest_addr_npi: 0,
      destination_addr: '1234',
      esm_class: 0,
      registered_delivery: 0,
      data_coding: 0x03,
      tlvs: { message_payload: Buffer.from('long payload ü', 'latin1') },
    };
    await t.router.route('smsc1', sar);
    await t.router.route('smsc1', dataSm);
    await until('two deliver_sm', () => delivered(esme).length === 2);
    const [a, b] = delivered(esme);
    assert.deepEqual(a.tlvs, sar.tlvs);
    assert.equal(a.short_message.toString(), 'part one ');
    assert.equal(b.source_addr, '33600000002');
    assert.equal(b.data_coding, 0x03);
    assert.equal(b.short_message.length, 0);
    assert.deepEqual(b.tlvs?.message_payload, Buffer.from('long payload ü', 'latin1'));
  });

  it('keeps MO while the user is offline, then delivers every one in order when it binds (parts as parts)', async () => {
    const t = await setup([route(0, 'default', [smpps('user1')])]);
    const sent = [
      mo({ short_message: Buffer.from('first') }),
      udhPart(9, 3, 2, 'B'),
      udhPart(9, 3, 3, 'C'),
      udhPart(9, 3, 1, 'A'),
      mo({ short_message: Buffer.from('last') }),
    ];
    for (const p of sent) assert.equal(await t.receipts.delivered('smsc1', p), CommandStatus.ESME_ROK);
    assert.equal(await t.store.pendingDeliveries('u1'), 5);
    const esme = await t.bind();
    await until('five deliver_sm', () => delivered(esme).length === 5);
    assert.deepEqual(
      delivered(esme).map((p) => p.short_message),
      sent.map((p) => p.short_message),
    );
    await until('the queue emptied', async () => (await t.store.pendingDeliveries('u1')) === 0);
  });

  it('round-robin spreads MO over its users, while the parts of one long MO stay with one user', async () => {
    const t = await setup([
      route(0, 'default', [smpps('user1')]),
      route(10, 'roundrobin', [smpps('user2'), smpps('user3')]),
    ]);
    const u2 = await t.bind('user2');
    const u3 = await t.bind('user3');
    for (const text of ['m1', 'm2', 'm3', 'm4'])
      await t.router.route('smsc1', mo({ short_message: Buffer.from(text) }));
    for (const seq of [1, 2, 3]) await t.router.route('smsc1', udhPart(200, 3, seq, `p${seq}`));
    await until('seven deliver_sm', () => delivered(u2).length + delivered(u3).length === 7);
    const all = [...texts(u2), ...texts(u3)];
    const whole = (xs: string[]) => xs.filter((x) => x.startsWith('m'));
    assert.deepEqual(whole(texts(u2)).length, 2);
    assert.deepEqual(whole(texts(u3)).length, 2);
    const partsAt = [u2, u3].filter((e) => texts(e).some((x) => x.endsWith('p1')));
    assert.equal(partsAt.length, 1);
    assert.deepEqual(
      texts(partsAt[0])
        .filter((x) => !x.startsWith('m'))
        .map((x) => x.slice(-2)),
      ['p1', 'p2', 'p3'],
    );
    assert.equal(all.length, 7);
  });

  it('failover takes the first user with a receiver bound, else the first', async () => {
    const bound = new Set<string>(['user3']);
    const t = await setup([route(0, 'failover', [smpps('user2'), smpps('user3')])], {
      hasReceiver: (u) => bound.has(u),
    });
    await t.router.route('smsc1', mo({ short_message: Buffer.from('to user3') }));
    bound.clear();
    await t.router.route('smsc1', mo({ short_message: Buffer.from('to user2') }));
    assert.equal(await t.store.pendingDeliveries('u3'), 1);
    assert.equal(await t.store.pendingDeliveries('u2'), 1);
  });

  it('filters on origin connector, source, destination and decoded content pick the route', async () => {
    const t = await setup([
      route(0, 'default', [smpps('user1')]),
      route(40, 'static', [smpps('user2')], [{ type: 'connector', cid: 'smsc2' }]),
      route(30, 'static', [smpps('user3')], [{ type: 'short_message', regex: '^STOP' }]),
      route(
        20,
        'static',
        [smpps('user2')],
        [
          { type: 'source_addr', regex: '^44' },
          { type: 'destination_addr', regex: '^5555$' },
        ],
      ),
    ]);
    await t.router.route('smsc2', mo({ short_message: Buffer.from('anything') })); // u2 by connector
    await t.router.route('smsc1', mo({ data_coding: 0x08, short_message: encodeText('STOP ✓', 0x08) })); // u3
    await t.router.route('smsc1', mo({ source_addr: '447700', destination_addr: '5555' })); // u2
    await t.router.route('smsc1', mo({ source_addr: '447700', destination_addr: '55556' })); // default u1
    assert.equal(await t.store.pendingDeliveries('u2'), 2);
    assert.equal(await t.store.pendingDeliveries('u3'), 1);
    assert.equal(await t.store.pendingDeliveries('u1'), 1);
  });
});

describe('MoRouter: what cannot be routed', () => {
  it('no route: ESME_RX_R_APPN with a warn line naming why; nothing kept, never ROK', async () => {
    const t = await setup([route(10, 'static', [smpps('user1')], [{ type: 'destination_addr', regex: '^9' }])]);
    const error = await t.router.route('smsc1', mo()).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof MoRejectedError);
    assert.equal(error.commandStatus, CommandStatus.ESME_RX_R_APPN);
    assert.equal(error.reason, 'no_route');
    const line = t.logger.lines.find((l) => l.event === 'mo_rejected');
    assert.equal(line?.level, 'warn');
    assert.equal(line?.fields.reason, 'no_route');
    assert.equal(line?.fields.destination_addr, '1234');
    assert.notEqual(await t.receipts.delivered('smsc1', mo()), CommandStatus.ESME_ROK);
    assert.equal(await t.store.pendingDeliveries('u1'), 0);
  });

  it('reports every MO to the gateway events: routed with its route and target, refused with none', async () => {
    const events = new GatewayEvents();
    const seen: unknown[] = [];
    events.listen((e) => {
      if (e.type === 'mo') seen.push([e.cid, e.route, e.target]);
    });
    const t = await setup([route(10, 'static', [smpps('user1')], [{ type: 'destination_addr', regex: '^9' }])], {
      events,
    });
    await t.router.route('smsc1', mo({ destination_addr: '999' }));
    await t.router.route('smsc1', mo()).catch(() => {});
    assert.deepEqual(seen, [
      ['smsc1', 10, 'smpps(user1)'],
      ['smsc1', null, null],
    ]);
  });

  it('a route naming an unknown user, an unknown connector or a non-HTTP connector is refused', async () => {
    const t = await setup([
      route(0, 'default', [smpps('ghost')]),
      route(10, 'static', [{ kind: 'http', cid: 'nohttp' }], [{ type: 'destination_addr', regex: '^1$' }]),
      route(20, 'static', [{ kind: 'http', cid: 'smsc9' }], [{ type: 'destination_addr', regex: '^2$' }]),
    ]);
    await t.store.putConnector({ cid: 'smsc9', type: 'smppc', started: false, settings: {} });
    const reasons: string[] = [];
    for (const dst of ['1234', '1', '2']) {
      await t.router.route('smsc1', mo({ destination_addr: dst })).catch((e: unknown) => {
        assert.ok(e instanceof MoRejectedError);
        reasons.push(e.reason);
      });
    }
    assert.deepEqual(reasons, ['unknown_user', 'unknown_connector', 'not_http_connector']);
    assert.equal(t.logger.lines.filter((l) => l.event === 'mo_rejected').length, 3);
  });

  it('a store failure is not a rejection: the SMSC is answered a temporary error and sends it again', async () => {
    const t = await setup([route(0, 'default', [smpps('user1')])]);
    const failing = Object.create(t.store) as typeof t.store;
    failing.enqueueDeliveries = () => Promise.reject(new Error('disk full'));
    const router = new MoRouter({ store: failing, logger: t.logger, dlrExpirySecs: 60, onQueued: () => {} });
    const error = await router.route('smsc1', mo()).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof Error && !(error instanceof MoRejectedError));
    const receipts = new ReceiptEngine({
      store: t.store,
      connectorSettings: () => ({}),
      dlrExpirySecs: 60,
      logger: t.logger,
      onMo: (cid, pdu) => router.route(cid, pdu),
    });
    assert.equal(await receipts.delivered('smsc1', mo()), CommandStatus.ESME_RX_T_APPN);
  });
});

describe('MoRouter: MO to HTTP connectors', () => {
  it('hands the MO to the HTTP side with its id and origin, and resolves only once that kept it', async () => {
    const kept: { cid: string; mo: RoutedMo }[] = [];
    let release: () => void = () => {};
    const http: HttpMoHandoff = {
      keep: (cid, m) =>
        new Promise<void>((resolve) => {
          release = () => {
            kept.push({ cid, mo: m });
            resolve();
          };
        }),
    };
    let n = 0;
    const t = await setup([route(0, 'default', [{ kind: 'http', cid: 'app' }])], {
      http,
      idGenerator: () => `mo${++n}`,
    });
    await t.store.putConnector({ cid: 'app', type: 'http', started: true, settings: { url: 'http://127.0.0.1:1/' } });
    let answered: number | null = null;
    const pending = t.receipts.delivered('smsc1', mo()).then((s) => {
      answered = s;
    });
    await until('the hand-off', () => n === 1);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(answered, null, 'answered before the HTTP side kept the MO');
    release();
    await pending;
    assert.equal(answered, CommandStatus.ESME_ROK);
    assert.equal(kept[0].cid, 'app');
    assert.equal(kept[0].mo.id, 'mo1');
    assert.equal(kept[0].mo.originCid, 'smsc1');
  });

  it('failover between HTTP connectors follows isConnectorUp', async () => {
    const kept: string[] = [];
    const t = await setup(
      [
        route(0, 'failover', [
          { kind: 'http', cid: 'a' },
          { kind: 'http', cid: 'b' },
        ]),
      ],
      { http: { keep: async (cid) => void kept.push(cid) }, isConnectorUp: (cid) => cid === 'b' },
    );
    for (const cid of ['a', 'b']) {
      await t.store.putConnector({ cid, type: 'http', started: true, settings: { url: 'http://127.0.0.1:1/' } });
    }
    await t.router.route('smsc1', mo());
    assert.deepEqual(kept, ['b']);
  });
});
