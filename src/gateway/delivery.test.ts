// DeliveryEngine over the real SMPP server (loopback, port 0) and the real SQLite store, with our raw ESME: receipts
// reach the bound ESME exactly, wait while it is offline and arrive in order when it binds, are spread round-robin
// over receiver binds (never a transmitter), are retried on an error status or no response without unbinding, and
// never reach another user.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Esme } from '../../test/helpers/esme.js';
import { CommandStatus, type Pdu, type PduOf } from '../smpp/codec/index.js';
import { SmppServer } from '../smpp/server/server.js';
import { MessageState } from '../store/model.js';
import type { GatewayPrincipal } from './accounts.js';
import {
  DeliveryEngine,
  type DeliveryEngineOptions,
  DeliveryPayloadError,
  deliverSmOf,
  deliveryPayload,
} from './delivery.js';
import { Gateway } from './gateway.js';
import { defaultRoute, makeUser, memoryLogger, PASSWORD, sqliteStoreWith } from './pipeline.fixtures.js';
import { formatReceiptDate } from './receipt.js';
import { type DeliverSmFields, ReceiptEngine } from './receipts.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(engineOptions: Partial<DeliveryEngineOptions> = {}, responseMs = 2000) {
  const { store, cleanup } = await sqliteStoreWith(
    [await makeUser(), await makeUser({ uid: 'u2', username: 'user2' })],
    [defaultRoute(0, 'c1')],
  );
  cleanups.push(cleanup);
  const logger = memoryLogger();
  const gateway = new Gateway({ store, logger });
  const server = new SmppServer<GatewayPrincipal>({
    id: 'smpps_01',
    bind: '127.0.0.1',
    port: 0,
    authenticate: gateway.authenticator,
    handlers: gateway.handlers,
    timers: { enquireLinkMs: 0, inactivityMs: 0, sessionInitMs: 10_000, responseMs, pduReadMs: 0 },
    bindSlowdown: { baseMs: 1, maxMs: 1 },
  });
  gateway.attachServer(server);
  const port = (await server.listen()).tcp!.port;
  const engine = new DeliveryEngine({
    store,
    pickSession: (uid) => server.nextReceiver(uid),
    logger,
    retryBaseMs: 50,
    retryMaxMs: 200,
    sweepMs: 100,
    ...engineOptions,
  });
  engine.start();
  const esmes: Esme[] = [];
  cleanups.push(async () => {
    await engine.stop();
    for (const e of esmes) e.destroy();
    await server.close();
    await gateway.close();
  });
  const bind = async (type: 'receiver' | 'transmitter' | 'transceiver', user = 'user1') => {
    const esme = await Esme.connect({ port });
    esmes.push(esme);
    const resp = await esme.bind(type, user, PASSWORD);
    assert.equal(resp.command_status, 0);
    return esme;
  };
  const enqueue = async (uid: string, texts: string[]) => {
    await store.enqueueDeliveries(
      texts.map((t) => ({
        uid,
        kind: 'mo' as const,
        payload: deliveryPayload(moFields(t)),
        created_at: Date.now(),
        expires_at: Date.now() + 60_000,
      })),
    );
    engine.notify(uid);
  };
  return { store, logger, server, engine, bind, enqueue, port };
}

function moFields(text: string): DeliverSmFields {
  return {
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
    short_message: Buffer.from(text),
  };
}

const isDeliver = (p: Pdu): p is PduOf<'deliver_sm'> => p.command === 'deliver_sm';
const texts = (e: Esme) => e.received.filter(isDeliver).map((p) => p.short_message.toString());

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('DeliveryEngine: receipts to the bound ESME', () => {
  it('an accepted then delivered message gives the ESME its receipt with the exact text and TLVs', async () => {
    const t = await setup();
    const esme = await t.bind('transceiver');
    const resp = await esme.submit({ registered_delivery: 1, short_message: Buffer.from('hello world') });
    assert.equal(resp.command_status, 0);
    const messageId = (resp as PduOf<'submit_sm_resp'>).message_id;
    const receipts = new ReceiptEngine({
      store: t.store,
      connectorSettings: () => ({}),
      dlrExpirySecs: 600,
      logger: t.logger,
      onQueued: (uid) => t.engine.notify(uid),
    });
    const m = await t.store.getMessage(messageId);
    await receipts.submitted('c1', m!, { kind: 'accepted', upstreamId: 'UP1' });
    const upstream: PduOf<'deliver_sm'> = {
      ...moFields('id:UP1 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:'),
      command: 'deliver_sm',
      command_status: 0,
      sequence_number: 9,
      esm_class: 0x04,
    };
    assert.equal(await receipts.delivered('c1', upstream), 0);
    const done = (await t.store.getMessage(messageId))!;
    const pdu = (await esme.waitFor(isDeliver)) as PduOf<'deliver_sm'>;
    assert.equal(
      pdu.short_message.toString(),
      `id:${messageId} sub:001 dlvrd:001 submit date:${formatReceiptDate(done.submitted_at)} ` +
        `done date:${formatReceiptDate(done.final_at!)} stat:DELIVRD err:000 text:hello world`,
    );
    assert.equal(pdu.esm_class, 0x04);
    assert.deepEqual(
      [
        pdu.source_addr_ton,
        pdu.source_addr_npi,
        pdu.source_addr,
        pdu.dest_addr_ton,
        pdu.dest_addr_npi,
        pdu.destination_addr,
      ],
      [1, 1, '33612345678', 1, 1, '12345'],
    );
    assert.deepEqual(pdu.tlvs, { receipted_message_id: messageId, message_state: MessageState.DELIVERED });
    await until('ack', async () => (await t.store.pendingDeliveries('u1')) === 0);
  });

  it('keeps everything while the ESME is offline, then delivers it all in order once it binds', async () => {
    const t = await setup({ windowPerUser: 3 });
    const sent = Array.from({ length: 12 }, (_, i) => `mo ${i}`);
    await t.enqueue('u1', sent.slice(0, 6));
    const tx = await t.bind('transmitter');
    await t.enqueue('u1', sent.slice(6));
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(await t.store.pendingDeliveries('u1'), 12, 'nothing lost, nothing sent to a transmitter');
    assert.deepEqual(texts(tx), []);
    const rx = await t.bind('receiver');
    t.engine.notifyBound('u1');
    await until('12 deliveries', () => texts(rx).length === 12);
    assert.deepEqual(texts(rx), sent);
    await until('acks', async () => (await t.store.pendingDeliveries('u1')) === 0);
  });

  it('sends deliveries read one window ahead while the next look at the store is on its way (in order, once)', async () => {
    // A store whose looks after the first wait (a loaded Redis answers in tens of ms): freed slots must not wait.
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let inner: DeliveryEngineOptions['store'] | undefined;
    let looks = 0;
    const slow: DeliveryEngineOptions['store'] = {
      peekDeliveries: async (...a) => {
        if (inner === undefined) return [];
        if (looks++ > 0) await gate;
        return inner.peekDeliveries(...a);
      },
      ackDelivery: async (...a) => inner?.ackDelivery(...a),
      retryDelivery: async (...a) => inner?.retryDelivery(...a),
      expireDeliveries: async (...a) => (inner === undefined ? [] : inner.expireDeliveries(...a)),
      usersWithDeliveries: async () => [],
    };
    const t = await setup({ windowPerUser: 2, store: slow });
    cleanups.push(async () => release()); // first of the cleanups, so a failure here does not leave stop() waiting
    const rx = await t.bind('receiver');
    const sent = Array.from({ length: 8 }, (_, i) => `s${i}`);
    await t.store.enqueueDeliveries(
      sent.map((text) => ({
        uid: 'u1',
        kind: 'mo' as const,
        payload: deliveryPayload(moFields(text)),
        created_at: Date.now(),
        expires_at: Date.now() + 60_000,
      })),
    );
    inner = t.store;
    t.engine.notify('u1');
    // The first look read two windows: the second window goes out as the first is answered, with no look done.
    await until('4 deliveries from one look', () => texts(rx).length === 4);
    assert.equal(looks, 2, 'the second look is still waiting');
    assert.deepEqual(texts(rx), sent.slice(0, 4));
    release();
    await until('8 deliveries', () => texts(rx).length === 8);
    await until('removed', async () => (await t.store.pendingDeliveries('u1')) === 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(texts(rx), sent, 'in order, each once');
  });

  it('frees a window slot once the ESME answers while the store removes it, up to another window (sent once each)', async () => {
    // A store whose removals wait (a loaded Redis answers in tens of ms): the window must not wait with them, but
    // what the ESME has and the store still holds is bounded (a crash sends it again).
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let inner: DeliveryEngineOptions['store'] | undefined;
    const slow: DeliveryEngineOptions['store'] = {
      peekDeliveries: async (...a) => (inner === undefined ? [] : inner.peekDeliveries(...a)),
      ackDelivery: async (uid, seq) => {
        await gate;
        await inner?.ackDelivery(uid, seq);
      },
      retryDelivery: async (...a) => inner?.retryDelivery(...a),
      expireDeliveries: async (...a) => (inner === undefined ? [] : inner.expireDeliveries(...a)),
      usersWithDeliveries: async (...a) => (inner === undefined ? [] : inner.usersWithDeliveries(...a)),
    };
    const t = await setup({ windowPerUser: 2, store: slow });
    cleanups.push(async () => release()); // first of the cleanups, so a failure here does not leave stop() waiting
    inner = t.store;
    const rx = await t.bind('receiver');
    const sent = Array.from({ length: 8 }, (_, i) => `s${i}`);
    await t.enqueue('u1', sent);
    await until('4 deliveries with no removal done', () => texts(rx).length === 4);
    // Sweeps (every 100 ms) look at the queue meanwhile: nothing more leaves, nothing goes twice.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(texts(rx), sent.slice(0, 4), 'two windows of 2 at most before the store removed any');
    assert.equal(await t.store.pendingDeliveries('u1'), 8);
    release();
    await until('8 deliveries', () => texts(rx).length === 8);
    await until('removed', async () => (await t.store.pendingDeliveries('u1')) === 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(texts(rx), sent, 'in order, each once');
  });

  it('finds a receiver nobody announced through the periodic sweep', async () => {
    const t = await setup();
    await t.enqueue('u1', ['a', 'b']);
    const rx = await t.bind('receiver');
    await until('sweep delivery', () => texts(rx).length === 2);
    assert.deepEqual(texts(rx), ['a', 'b']);
  });

  it('spreads deliveries round-robin over receiver and transceiver binds, never a transmitter', async () => {
    const t = await setup();
    const a = await t.bind('receiver');
    const tx = await t.bind('transmitter');
    const b = await t.bind('transceiver');
    const sent = Array.from({ length: 10 }, (_, i) => `r${i}`);
    for (const s of sent) await t.enqueue('u1', [s]);
    await until('10 deliveries', () => texts(a).length + texts(b).length === 10);
    assert.equal(texts(a).length, 5);
    assert.equal(texts(b).length, 5);
    assert.deepEqual(texts(tx), []);
    assert.deepEqual([...texts(a), ...texts(b)].sort(), [...sent].sort());
  });

  it('retries a delivery answered with an error, with back-off, without unbinding the ESME', async () => {
    const t = await setup();
    const rx = await t.bind('receiver');
    rx.auto.deliverStatus = CommandStatus.ESME_RX_T_APPN;
    await t.enqueue('u1', ['first', 'second']);
    await until('two refused tries of the head', () => texts(rx).filter((x) => x === 'first').length >= 2);
    assert.ok(!texts(rx).includes('second') || texts(rx).indexOf('second') > texts(rx).indexOf('first'));
    rx.auto.deliverStatus = 0;
    await until('delivered', async () => (await t.store.pendingDeliveries('u1')) === 0);
    assert.ok(!rx.isClosed);
    assert.equal((await rx.enquireLink()).command_status, 0, 'still bound and answering');
    assert.ok(t.engine.counters().retried >= 2);
    assert.ok(t.logger.lines.some((l) => l.event === 'delivery_retry' && l.fields.attempt === 2));
  });

  it('retries a delivery that got no response, without unbinding the ESME for one slow answer', async () => {
    const t = await setup({}, 200);
    const rx = await t.bind('receiver');
    rx.auto.deliverStatus = undefined; // does not answer
    await t.enqueue('u1', ['slow']);
    await rx.waitFor(isDeliver);
    rx.auto.deliverStatus = 0;
    await until('delivered after a timeout', async () => (await t.store.pendingDeliveries('u1')) === 0, 5000);
    assert.equal(texts(rx).length, 2, 'sent again after the response timeout');
    assert.ok(!rx.isClosed);
    assert.equal((await rx.enquireLink()).command_status, 0);
  });

  it("never delivers one user's receipts to another user", async () => {
    const t = await setup();
    const other = await t.bind('transceiver', 'user2');
    await t.enqueue('u1', ['for u1 only']);
    await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual(texts(other), []);
    const mine = await t.bind('receiver', 'user1');
    await until('u1 delivery', () => texts(mine).length === 1);
    await t.enqueue('u2', ['for u2']);
    await until('u2 delivery', () => texts(other).length === 1);
    assert.deepEqual(texts(other), ['for u2']);
    assert.deepEqual(texts(mine), ['for u1 only']);
  });

  it('drops deliveries past dlr_expiry with a log line', async () => {
    const t = await setup({ expireEveryMs: 50 });
    await t.store.enqueueDeliveries([
      { uid: 'u1', kind: 'mo', payload: deliveryPayload(moFields('old')), created_at: 0, expires_at: Date.now() - 1 },
    ]);
    await until('expiry', () => t.engine.counters().expired === 1);
    assert.equal(await t.store.pendingDeliveries('u1'), 0);
    assert.ok(t.logger.lines.some((l) => l.event === 'delivery_expired' && l.fields.uid === 'u1'));
  });
});

describe('deliverSmOf', () => {
  it('reads a payload back as a deliver_sm and refuses what cannot be one', () => {
    const pdu = deliverSmOf(deliveryPayload({ ...moFields('x'), tlvs: { message_state: 2 } }));
    assert.equal(pdu.command, 'deliver_sm');
    assert.equal(pdu.short_message.toString(), 'x');
    assert.throws(() => deliverSmOf({ ...moFields('x'), esm_class: 300 }), DeliveryPayloadError);
    assert.throws(() => deliverSmOf({ ...moFields('x'), short_message: 'text' }), DeliveryPayloadError);
    assert.throws(() => deliverSmOf({ ...moFields('x'), source_addr: 'x'.repeat(30) }), DeliveryPayloadError);
  });
});
