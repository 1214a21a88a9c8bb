import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { CommandStatus, type Pdu, type PduOf } from '../smpp/codec/index.js';
import { MessageState } from '../store/model.js';
import { Accounts } from './accounts.js';
import { DeliveryEngine } from './delivery.js';
import { type GatewayEvent, GatewayEvents, NO_EVENTS } from './events.js';
import {
  defaultRoute,
  ManualWallClock,
  makeUser,
  memoryLogger,
  sqliteStoreWith,
  submission,
} from './pipeline.fixtures.js';
import { MtPipeline } from './pipeline.js';
import { formatReceipt } from './receipt.js';
import { ReceiptEngine } from './receipts.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('GatewayEvents', () => {
  it('is inactive until someone listens, calls listeners in order and stops after unlisten', () => {
    const bus = new GatewayEvents();
    assert.equal(bus.active, false);
    const seen: string[] = [];
    const off1 = bus.listen((e) => seen.push(`1:${e.type}`));
    bus.listen((e) => seen.push(`2:${e.type}`));
    assert.equal(bus.active, true);
    bus.emit({ type: 'throttled', at: 1, uid: 'u', channel: 'smpps' });
    off1();
    bus.emit({ type: 'throttled', at: 2, uid: 'u', channel: 'http' });
    assert.deepEqual(seen, ['1:throttled', '2:throttled', '2:throttled']);
    assert.equal(NO_EVENTS.active, false);
  });

  it('keeps calling the other listeners when one throws, and reports the error', () => {
    const errors: unknown[] = [];
    const bus = new GatewayEvents((error) => errors.push(error));
    const seen: number[] = [];
    bus.listen(() => {
      throw new Error('boom');
    });
    bus.listen((e) => seen.push(e.at));
    bus.emit({ type: 'throttled', at: 7, uid: 'u', channel: 'smpps' });
    assert.deepEqual(seen, [7]);
    assert.equal((errors[0] as Error).message, 'boom');
  });
});

describe('reporters', () => {
  it('tell acceptance, refusal, throttling, the upstream outcome, the receipt and the delivery attempt', async () => {
    const users = [
      await makeUser({ uid: 'u1', username: 'u1', mt: { quotas: { smpps_throughput: 1 } } }),
      await makeUser({ uid: 'u2', username: 'u2', mt: { value_filters: { dst_addr: '^33' } } }),
    ];
    const { store, cleanup } = await sqliteStoreWith(users, [defaultRoute(0, 'c1')]);
    cleanups.push(cleanup);
    const logger = memoryLogger();
    const clock = new ManualWallClock();
    const bus = new GatewayEvents();
    const events: GatewayEvent[] = [];
    bus.listen((e) => events.push(e));
    let n = 0;
    const pipeline = new MtPipeline({
      store,
      accounts: new Accounts({ store, logger }),
      logger,
      clock,
      idGenerator: () => `m${++n}`,
      events: bus,
    });
    const sub = submission({ destination_addr: '33600000001', registered_delivery: 1, source_addr: '12345' });
    const ok = await pipeline.submit({ id: 'u1', username: 'u1' }, sub, 'smpps');
    assert.ok(ok.ok);
    const throttled = await pipeline.submit({ id: 'u1', username: 'u1' }, sub, 'smpps');
    assert.equal(throttled.status, CommandStatus.ESME_RTHROTTLED);
    const refused = await pipeline.submit(
      { id: 'u2', username: 'u2' },
      submission({ destination_addr: '44700000001' }),
      'smpps',
    );
    assert.equal(refused.status, CommandStatus.ESME_RINVDSTADR);

    const receipts = new ReceiptEngine({
      store,
      connectorSettings: () => ({}),
      dlrExpirySecs: 3600,
      logger,
      clock,
      events: bus,
    });
    const message = await store.getMessage('m1');
    assert.ok(message !== null);
    await receipts.submitted('c1', message, { kind: 'accepted', upstreamId: 'UP1' });
    const text = formatReceipt({
      id: 'UP1',
      submitDate: 0,
      doneDate: 0,
      state: MessageState.DELIVERED,
      err: 0,
      text: '',
    });
    const status = await receipts.delivered('c1', upstreamDeliver(text));
    assert.equal(status, 0);

    const answers = [CommandStatus.ESME_RX_T_APPN, 0];
    const delivery = new DeliveryEngine({
      store,
      pickSession: () => ({
        id: 'sess-1',
        request: async (pdu: Pdu): Promise<Pdu> =>
          ({
            command: 'deliver_sm_resp',
            command_status: answers.shift() ?? 0,
            sequence_number: pdu.sequence_number,
            message_id: '',
          }) as Pdu,
      }),
      logger,
      clock,
      retryBaseMs: 1,
      events: bus,
    });
    delivery.start();
    for (let i = 0; i < 200 && events.filter((e) => e.type === 'delivery').length < 2; i++) {
      clock.advance(10);
      delivery.notify('u1');
      await new Promise((r) => setTimeout(r, 5));
    }
    await delivery.stop();

    const byType = (t: GatewayEvent['type']) => events.filter((e) => e.type === t);
    assert.deepEqual(
      byType('accepted').map((e) => e.type === 'accepted' && [e.uid, e.ids, e.cid, e.route, e.parts, e.channel]),
      [['u1', ['m1'], 'c1', 0, 1, 'smpps']],
    );
    assert.deepEqual(
      byType('throttled').map((e) => e.type === 'throttled' && e.uid),
      ['u1'],
    );
    const [r] = byType('refused');
    assert.ok(r.type === 'refused' && r.uid === 'u2' && r.status === CommandStatus.ESME_RINVDSTADR);
    const [up] = byType('upstream');
    assert.ok(up.type === 'upstream' && up.outcome === 'accepted' && up.upstream_id === 'UP1' && up.id === 'm1');
    const [rc] = byType('receipt');
    assert.ok(rc.type === 'receipt' && rc.state === MessageState.DELIVERED && rc.id === 'm1' && rc.forwarded);
    const deliveries = byType('delivery');
    assert.deepEqual(
      deliveries.map((e) => e.type === 'delivery' && [e.uid, e.kind, e.result, e.status, e.message_id, e.session]),
      [
        ['u1', 'receipt', 'error', CommandStatus.ESME_RX_T_APPN, 'm1', 'sess-1'],
        ['u1', 'receipt', 'ok', undefined, 'm1', 'sess-1'],
      ],
    );
  });
});

function upstreamDeliver(text: string): PduOf<'deliver_sm'> {
  return {
    command: 'deliver_sm',
    command_status: 0,
    sequence_number: 1,
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '33600000001',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '12345',
    esm_class: 0x04,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from(text, 'latin1'),
  };
}
