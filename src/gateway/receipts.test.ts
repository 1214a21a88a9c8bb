// ReceiptEngine on the real SQLite store: message outcomes (status, the rest of the price, the receipt map, refunds),
// upstream receipts by TLVs and by text with id bases, receipt levels, duplicates, quick receipts, and MO hand-off.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { CommandStatus, type PduOf, SmppStatusError, type Tlvs } from '../smpp/codec/index.js';
import { MessageState, type MessageStateValue, type MtRoute, type UserRecord } from '../store/model.js';
import { Accounts } from './accounts.js';
import { deliverSmOf } from './delivery.js';
import {
  defaultRoute,
  ManualWallClock,
  makeUser,
  memoryLogger,
  sqliteStoreWith,
  submission,
} from './pipeline.fixtures.js';
import { MtPipeline } from './pipeline.js';
import { formatReceipt, formatReceiptDate } from './receipt.js';
import { ReceiptEngine, type ReceiptEngineOptions, readUpstreamReceipt, receiptTextOf } from './receipts.js';
import type { UpstreamDeliver } from './upstream.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const FAR = Number.MAX_SAFE_INTEGER;

async function setup(
  options: {
    users?: UserRecord[];
    routes?: MtRoute[];
    settings?: Record<string, Record<string, unknown>>;
    engine?: Partial<ReceiptEngineOptions>;
  } = {},
) {
  const users = options.users ?? [
    await makeUser({ mt: { quotas: { balance: 10, sms_count: 100, early_percent: 40 } } }),
  ];
  const { store, cleanup } = await sqliteStoreWith(users, options.routes ?? [defaultRoute(0.1, 'c1')]);
  cleanups.push(cleanup);
  const logger = memoryLogger();
  const clock = new ManualWallClock();
  let n = 0;
  const pipeline = new MtPipeline({
    store,
    accounts: new Accounts({ store, logger }),
    logger,
    clock,
    idGenerator: () => `m${++n}`,
  });
  const queued: string[] = [];
  const engine = new ReceiptEngine({
    store,
    connectorSettings: (cid) => options.settings?.[cid] ?? {},
    dlrExpirySecs: 3600,
    logger,
    clock,
    onQueued: (uid) => queued.push(uid),
    ...options.engine,
  });
  const submit = async (fields: Parameters<typeof submission>[0] = {}, uid = 'u1') => {
    const r = await pipeline.submit(
      { id: uid, username: uid },
      submission({ source_addr: '12345', source_addr_ton: 5, source_addr_npi: 0, registered_delivery: 1, ...fields }),
      'smpps',
    );
    assert.ok(r.ok, JSON.stringify(r));
    const m = await store.getMessage(r.message_ids[0]);
    assert.ok(m !== null);
    return m;
  };
  const deliveries = (uid = 'u1') => store.peekDeliveries(uid, 1000, FAR);
  const balance = async (uid = 'u1') => (await store.getUser(uid))?.mt_messaging_cred.quotas;
  return { store, logger, clock, pipeline, engine, submit, deliveries, balance, queued };
}

/** An upstream receipt deliver_sm: by TLVs, by text, or both. */
function upstreamReceipt(
  id: string,
  state: MessageStateValue,
  how: { tlvs?: boolean; text?: boolean; err?: number; esmClass?: number; extra?: Tlvs } = {},
): PduOf<'deliver_sm'> {
  const useTlvs = how.tlvs ?? true;
  const useText = how.text ?? true;
  const text = useText
    ? formatReceipt({ id, submitDate: 0, doneDate: 0, state, err: how.err ?? 0, text: 'hello' })
    : '';
  const tlvs: Tlvs = useTlvs ? { receipted_message_id: id, message_state: state, ...how.extra } : { ...how.extra };
  return {
    command: 'deliver_sm',
    command_status: 0,
    sequence_number: 1,
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '33600000001',
    dest_addr_ton: 5,
    dest_addr_npi: 0,
    destination_addr: '12345',
    esm_class: how.esmClass ?? 0x04,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from(text, 'latin1'),
    tlvs,
  };
}

describe('ReceiptEngine.submitted: accepted', () => {
  it('marks the part sent, charges the rest of its price and maps the normalised upstream id', async () => {
    const t = await setup({ settings: { c1: { dlr_msgid_base: 'hex_to_dec' } } });
    const m = await t.submit();
    assert.equal((await t.balance())?.balance, 9.96, '40 % of 0.1 at acceptance');
    await t.engine.submitted('c1', m, { kind: 'accepted', upstreamId: '0012345' });
    const after = await t.store.getMessage(m.id);
    assert.equal(after?.status, 'sent');
    assert.equal(after?.upstream_id, '0012345');
    assert.equal(after?.charged, 0.1);
    assert.equal((await t.balance())?.balance, 9.9, 'the other 60 % when the upstream accepts');
    const entry = await t.store.getReceiptMap('c1', '12345');
    assert.equal(entry?.message_id, m.id);
    assert.equal(entry?.expires_at, t.clock.now() + 3600_000);
    // Accepted twice (a resend after a lost response): nothing charged twice.
    await t.engine.submitted('c1', after!, { kind: 'accepted', upstreamId: '12345' });
    assert.equal((await t.balance())?.balance, 9.9);
    assert.deepEqual(await t.deliveries(), [], 'registered_delivery 1: no intermediate receipt');
  });

  it('a balance spent since acceptance is taken to zero and logged, not left owing silently', async () => {
    const t = await setup({
      users: [await makeUser({ mt: { quotas: { balance: 0.1, early_percent: 40 } } })],
    });
    const m = await t.submit();
    await t.store.charge('u1', { amount: 0.05, smsCount: 0 });
    await t.engine.submitted('c1', m, { kind: 'accepted', upstreamId: 'X1' });
    assert.equal((await t.balance())?.balance, 0);
    assert.ok(t.logger.lines.some((l) => l.event === 'mt_rest_charge_short'));
  });
});

describe('ReceiptEngine.delivered: upstream receipts', () => {
  it('a DELIVRD receipt by TLVs makes the message final and queues the ESME receipt of SPEC §5, exactly', async () => {
    const t = await setup();
    const m = await t.submit({ short_message: Buffer.from('Hello wörld, this is longer than twenty', 'latin1') });
    await t.engine.submitted('c1', m, { kind: 'accepted', upstreamId: 'up-1' });
    t.clock.advance(90_000);
    const status = await t.engine.delivered('c1', upstreamReceipt('up-1', MessageState.DELIVERED, { text: false }));
    assert.equal(status, CommandStatus.ESME_ROK);
    const after = await t.store.getMessage(m.id);
    assert.equal(after?.status, 'final');
    assert.equal(after?.state, MessageState.DELIVERED);
    assert.equal(after?.final_at, t.clock.now());
    assert.equal(await t.store.getReceiptMap('c1', 'up-1'), null, 'a final state closes the map entry');

    const [d, ...rest] = await t.deliveries();
    assert.equal(rest.length, 0);
    assert.equal(d.kind, 'receipt');
    assert.equal(d.expires_at, t.clock.now() + 3600_000);
    const pdu = deliverSmOf(d.payload);
    const text =
      `id:${m.id} sub:001 dlvrd:001 submit date:${formatReceiptDate(m.submitted_at)} ` +
      `done date:${formatReceiptDate(t.clock.now())} stat:DELIVRD err:000 text:Hello w?rld, this is`;
    assert.equal(pdu.short_message.toString('latin1'), text);
    assert.equal(pdu.esm_class, 0x04);
    assert.deepEqual(
      [pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr],
      [m.dest_addr_ton, m.dest_addr_npi, m.destination_addr],
    );
    assert.deepEqual([pdu.dest_addr_ton, pdu.dest_addr_npi, pdu.destination_addr], [5, 0, '12345']);
    assert.deepEqual(pdu.tlvs, { receipted_message_id: m.id, message_state: MessageState.DELIVERED });
    assert.deepEqual(t.queued, ['u1'], 'the delivery engine is told');
  });

  it('by text only, with a decimal-to-hex id base, UNDELIV with err: and network_error_code passed on', async () => {
    const t = await setup({ settings: { c1: { dlr_msgid_base: 'dec_to_hex' } } });
    const m = await t.submit({ registered_delivery: 2 });
    await t.engine.submitted('c1', m, { kind: 'accepted', upstreamId: '00FF' });
    const nec = { network_type: 3, error_code: 27 };
    const status = await t.engine.delivered(
      'c1',
      upstreamReceipt('255', MessageState.UNDELIVERABLE, { tlvs: false, err: 99, extra: { network_error_code: nec } }),
    );
    assert.equal(status, CommandStatus.ESME_ROK);
    const after = await t.store.getMessage(m.id);
    assert.equal(after?.state, MessageState.UNDELIVERABLE);
    assert.equal(after?.error_code, 27, 'the network_error_code TLV first');
    const pdu = deliverSmOf((await t.deliveries())[0].payload);
    assert.match(pdu.short_message.toString('latin1'), / stat:UNDELIV err:027 text:hello$/);
    assert.deepEqual(pdu.tlvs?.network_error_code, nec);
    assert.equal(pdu.tlvs?.message_state, MessageState.UNDELIVERABLE);
  });

  it('reads a data_sm receipt whose text is in message_payload', () => {
    const text = formatReceipt({ id: 'abc', submitDate: 0, doneDate: 0, state: MessageState.EXPIRED, err: 5 });
    const pdu = {
      command: 'data_sm',
      command_status: 0,
      sequence_number: 1,
      service_type: '',
      source_addr_ton: 0,
      source_addr_npi: 0,
      source_addr: '',
      dest_addr_ton: 0,
      dest_addr_npi: 0,
      destination_addr: '',
      esm_class: 0x04,
      registered_delivery: 0,
      data_coding: 0,
      tlvs: { message_payload: Buffer.from(text) },
    } as UpstreamDeliver;
    assert.deepEqual(readUpstreamReceipt(pdu), {
      id: 'abc',
      state: MessageState.EXPIRED,
      errorCode: 5,
      networkErrorCode: undefined,
    });
  });

  it('honours registered_delivery: none, final, failure only, intermediate', async () => {
    const t = await setup();
    const cases: [rd: number, state: MessageStateValue, expected: string[]][] = [
      [0, MessageState.DELIVERED, []],
      [0, MessageState.UNDELIVERABLE, []],
      [1, MessageState.DELIVERED, ['DELIVRD']],
      [1, MessageState.EXPIRED, ['EXPIRED']],
      [2, MessageState.DELIVERED, []],
      [2, MessageState.REJECTED, ['REJECTD']],
      [0x11, MessageState.DELIVERED, ['ENROUTE', 'ENROUTE', 'DELIVRD']],
      [0x10, MessageState.DELIVERED, ['ENROUTE', 'ENROUTE']],
    ];
    let i = 0;
    for (const [rd, state, expected] of cases) {
      const m = await t.submit({ registered_delivery: rd });
      const up = `U${++i}`;
      await t.engine.submitted('c1', m, { kind: 'accepted', upstreamId: up });
      if (rd & 0x10) {
        await t.engine.delivered('c1', upstreamReceipt(up, MessageState.ENROUTE));
        assert.notEqual(await t.store.getReceiptMap('c1', up), null, 'an intermediate state keeps the map');
        assert.equal((await t.store.getMessage(m.id))?.status, 'sent');
      }
      await t.engine.delivered('c1', upstreamReceipt(up, state));
      const stats = (await t.deliveries())
        .map((d) => deliverSmOf(d.payload))
        .filter((p) => p.tlvs?.receipted_message_id === m.id)
        .map((p) => /stat:(\w+)/.exec(p.short_message.toString('latin1'))?.[1]);
      assert.deepEqual(stats, expected, `registered_delivery ${rd}, ${state}`);
    }
  });

  it('ignores duplicates: a message already final gets no second final receipt', async () => {
    const t = await setup();
    const m = await t.submit();
    await t.engine.submitted('c1', m, { kind: 'accepted', upstreamId: 'D1' });
    assert.equal(await t.engine.delivered('c1', upstreamReceipt('D1', MessageState.DELIVERED)), 0);
    assert.equal(await t.engine.delivered('c1', upstreamReceipt('D1', MessageState.DELIVERED)), 0);
    assert.equal(await t.engine.delivered('c1', upstreamReceipt('D1', MessageState.UNDELIVERABLE)), 0);
    assert.equal((await t.deliveries()).length, 1);
    assert.equal((await t.store.getMessage(m.id))?.state, MessageState.DELIVERED);
    assert.equal(t.engine.heldReceipts, 0, 'recognised at once, not held as a quick receipt');
    // Also after a restart (the in-memory memory of closed keys is gone) while the map entry is still there.
    const m2 = await t.submit();
    await t.engine.submitted('c1', m2, { kind: 'accepted', upstreamId: 'D2' });
    await t.store.updateMessages([{ id: m2.id, patch: { status: 'final', state: MessageState.DELIVERED } }]);
    assert.equal(await t.engine.delivered('c1', upstreamReceipt('D2', MessageState.DELIVERED)), 0);
    assert.equal((await t.deliveries()).length, 1);
  });

  it('a quick receipt (before submitted) is held and matched when the submit outcome arrives', async () => {
    const t = await setup({ engine: { quickReceiptWaitMs: 5000, quickReceiptPollMs: 1000 } });
    const m = await t.submit();
    const answer = t.engine.delivered('c1', upstreamReceipt('Q1', MessageState.DELIVERED));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(t.engine.heldReceipts, 1);
    const started = Date.now();
    await t.engine.submitted('c1', m, { kind: 'accepted', upstreamId: 'Q1' });
    assert.equal(await answer, CommandStatus.ESME_ROK);
    assert.ok(Date.now() - started < 900, 'woken at once, not at the next poll');
    const after = await t.store.getMessage(m.id);
    assert.equal(after?.status, 'final', 'not overwritten back to sent');
    assert.equal(after?.upstream_id, 'Q1');
    assert.equal((await t.deliveries()).length, 1);
    assert.ok(t.logger.lines.some((l) => l.event === 'receipt_quick_matched'));
  });

  it('holds at most maxHeldPerConnector unmatched receipts per connector; past it answers ESME_RX_T_APPN', async () => {
    // Receipts that can never match (an SMSC sending again, after a crash, receipts of submit_sm_resp the last run
    // never recorded) must not fill the connector session's inbound window and stop it reading its own responses.
    const t = await setup({ engine: { quickReceiptWaitMs: 1500, quickReceiptPollMs: 1000, maxHeldPerConnector: 2 } });
    const m = await t.submit();
    const receipt = (id: string) => upstreamReceipt(id, MessageState.DELIVERED, { text: false });
    const tick = () => new Promise((r) => setTimeout(r, 20));
    const first = t.engine.delivered('c1', receipt('A1'));
    const second = t.engine.delivered('c1', receipt('A2'));
    await tick();
    assert.equal(t.engine.heldReceipts, 2);
    // The third on c1 is not held: the SMSC keeps it and sends it again later.
    assert.equal(await t.engine.delivered('c1', receipt('A3')), CommandStatus.ESME_RX_T_APPN);
    assert.ok(t.logger.lines.some((l) => l.event === 'receipt_hold_full' && l.fields.upstream_id === 'A3'));
    // Another connector has its own allowance.
    const other = t.engine.delivered('c2', receipt('B1'));
    await tick();
    assert.equal(t.engine.heldReceipts, 3);
    // A held one is still matched when its submit outcome comes (a real quick receipt), which frees its place.
    await t.engine.submitted('c1', m, { kind: 'accepted', upstreamId: 'A1' });
    assert.equal(await first, CommandStatus.ESME_ROK);
    assert.equal((await t.store.getMessage(m.id))?.status, 'final');
    const fourth = t.engine.delivered('c1', receipt('A4'));
    await tick();
    assert.equal(t.engine.heldReceipts, 3, 'A2, A4 on c1 and B1 on c2');
    // The rest never match: each is answered ESME_ROK after its wait, as before.
    assert.deepEqual(await Promise.all([second, other, fourth]), [0, 0, 0]);
    assert.equal(t.engine.heldReceipts, 0);
  });

  it('a receipt read before its submit outcome has committed is matched in memory, then applied after it', async () => {
    const t = await setup({ engine: { cacheSize: 100, quickReceiptWaitMs: 5000, quickReceiptPollMs: 1000 } });
    const m = await t.submit();
    let mapReads = 0;
    const read = t.store.getReceiptMap.bind(t.store);
    t.store.getReceiptMap = (cid, id) => {
      mapReads++;
      return read(cid, id);
    };
    // The same tick, as when submit_sm_resp and the receipt come in one socket read.
    const outcome = t.engine.submitted('c1', m, { kind: 'accepted', upstreamId: 'F1' });
    const answer = t.engine.delivered('c1', upstreamReceipt('F1', MessageState.DELIVERED));
    assert.equal(t.engine.heldReceipts, 0, 'not held');
    await outcome;
    assert.equal(await answer, CommandStatus.ESME_ROK);
    assert.equal(mapReads, 0, 'no store read of the map');
    const after = await t.store.getMessage(m.id);
    assert.equal(after?.status, 'final', 'applied after the outcome, not overwritten back to sent');
    assert.equal(after?.upstream_id, 'F1');
    assert.equal((await t.deliveries()).length, 1);
    assert.equal(await t.store.getReceiptMap('c1', 'F1'), null, 'map entry closed');
  });

  it('a held receipt also finds a map entry written behind its back (another node) by polling', async () => {
    const t = await setup({ engine: { quickReceiptWaitMs: 3000, quickReceiptPollMs: 20 } });
    const m = await t.submit();
    const answer = t.engine.delivered('c1', upstreamReceipt('Q2', MessageState.DELIVERED));
    await new Promise((r) => setTimeout(r, 50));
    await t.store.putReceiptMaps([{ cid: 'c1', upstream_id: 'Q2', message_id: m.id, expires_at: FAR }]);
    assert.equal(await answer, 0);
    assert.equal((await t.store.getMessage(m.id))?.status, 'final');
  });

  it('a receipt that never matches is logged with its upstream id and answered ESME_ROK after the wait', async () => {
    const t = await setup({ engine: { quickReceiptWaitMs: 60, quickReceiptPollMs: 20 } });
    assert.equal(await t.engine.delivered('c1', upstreamReceipt('NOPE', MessageState.DELIVERED)), 0);
    const line = t.logger.lines.find((l) => l.event === 'receipt_unmatched');
    assert.equal(line?.fields.upstream_id, 'NOPE');
    assert.equal(t.engine.heldReceipts, 0);
  });

  it('answers ESME_RX_T_APPN when the store cannot keep it, so the SMSC sends it again', async () => {
    const t = await setup();
    const failing = new ReceiptEngine({
      store: {
        ...t.store,
        getReceiptMap: () => Promise.reject(new Error('disk gone')),
      } as unknown as ReceiptEngineOptions['store'],
      connectorSettings: () => ({}),
      dlrExpirySecs: 60,
      logger: t.logger,
    });
    assert.equal(
      await failing.delivered('c1', upstreamReceipt('X', MessageState.DELIVERED)),
      CommandStatus.ESME_RX_T_APPN,
    );
  });
});

describe('ReceiptEngine.submitted: refused or expired', () => {
  it('rejected: failed REJECTD with the status, the early charge and sms_count refunded, a failure receipt', async () => {
    const t = await setup();
    const m = await t.submit({ registered_delivery: 2 });
    assert.deepEqual(await t.balance().then((q) => [q?.balance, q?.sms_count]), [9.96, 99]);
    t.clock.advance(5000);
    await t.engine.submitted('c1', m, { kind: 'rejected', status: CommandStatus.ESME_RINVDSTADR });
    const after = await t.store.getMessage(m.id);
    assert.deepEqual(
      [after?.status, after?.state, after?.error_code, after?.final_at, after?.charged],
      ['failed', MessageState.REJECTED, CommandStatus.ESME_RINVDSTADR, t.clock.now(), 0],
    );
    assert.deepEqual(await t.balance().then((q) => [q?.balance, q?.sms_count]), [10, 100]);
    const pdu = deliverSmOf((await t.deliveries())[0].payload);
    assert.match(pdu.short_message.toString('latin1'), / dlvrd:000 .* stat:REJECTD err:011 text:hello$/);
    assert.equal(pdu.tlvs?.message_state, MessageState.REJECTED);
    // A second outcome for the same part changes nothing (no double refund, no second receipt).
    await t.engine.submitted('c1', m, { kind: 'expired' });
    assert.deepEqual(await t.balance().then((q) => [q?.balance, q?.sms_count]), [10, 100]);
    assert.equal((await t.deliveries()).length, 1);
  });

  it('given up after temporary refusals: UNDELIV; expired: EXPIRED; none asked: no receipt', async () => {
    const t = await setup();
    const a = await t.submit({ registered_delivery: 1 });
    const b = await t.submit({ registered_delivery: 1 });
    const c = await t.submit({ registered_delivery: 0 });
    await t.engine.submitted('c1', a, { kind: 'rejected', status: CommandStatus.ESME_RTHROTTLED });
    await t.engine.submitted('c1', b, { kind: 'expired' });
    await t.engine.submitted('c1', c, { kind: 'expired' });
    assert.equal((await t.store.getMessage(a.id))?.state, MessageState.UNDELIVERABLE);
    assert.equal((await t.store.getMessage(b.id))?.state, MessageState.EXPIRED);
    assert.equal((await t.store.getMessage(c.id))?.state, MessageState.EXPIRED);
    const stats = (await t.deliveries()).map((d) => {
      const p = deliverSmOf(d.payload);
      return [p.tlvs?.receipted_message_id, /stat:(\w+)/.exec(p.short_message.toString())?.[1]];
    });
    assert.deepEqual(stats, [
      [a.id, 'UNDELIV'],
      [b.id, 'EXPIRED'],
    ]);
    assert.equal((await t.balance())?.balance, 10, 'all three refunded');
  });

  it('a held part the store expired (expireQueued) is refunded and gets its EXPIRED receipt, once', async () => {
    const t = await setup();
    const m = await t.submit({ registered_delivery: 1, validity_period: '000000000010000R' });
    assert.deepEqual(await t.balance().then((q) => [q?.balance, q?.sms_count]), [9.96, 99]);
    const expired = await t.store.expireQueued(t.clock.now() + 3_600_000);
    assert.deepEqual(
      expired.map((e) => [e.id, e.status, e.state]),
      [[m.id, 'failed', MessageState.EXPIRED]],
    );
    for (const e of expired) await t.engine.submitted('c1', e, { kind: 'expired' });
    assert.deepEqual(await t.balance().then((q) => [q?.balance, q?.sms_count]), [10, 100]);
    const receipts = (await t.deliveries()).map(
      (d) => /stat:(\w+)/.exec(deliverSmOf(d.payload).short_message.toString())?.[1],
    );
    assert.deepEqual(receipts, ['EXPIRED']);
    // Handed over again (the store's copy, or the expired record once more) it changes nothing.
    const again = await t.store.getMessage(m.id);
    assert.ok(again !== null);
    await t.engine.submitted('c1', again, { kind: 'expired' });
    for (const e of expired) await t.engine.submitted('c1', e, { kind: 'expired' });
    assert.equal((await t.deliveries()).length, 1);
    assert.deepEqual(await t.balance().then((q) => [q?.balance, q?.sms_count]), [10, 100]);
  });
});

describe('ReceiptEngine.delivered: MO', () => {
  it('hands an MO to onMo and answers ESME_ROK only once it resolved; without onMo: ESME_RX_T_APPN', async () => {
    const seen: string[] = [];
    const t = await setup({
      engine: {
        onMo: async (cid, pdu) => {
          await new Promise((r) => setTimeout(r, 10));
          seen.push(`${cid}:${pdu.source_addr}`);
        },
      },
    });
    const mo = upstreamReceipt('x', MessageState.DELIVERED, { tlvs: false, esmClass: 0 });
    mo.short_message = Buffer.from('hi there');
    assert.equal(await t.engine.delivered('c1', mo), CommandStatus.ESME_ROK);
    assert.deepEqual(seen, ['c1:33600000001']);
    const bare = new ReceiptEngine({
      store: t.store,
      connectorSettings: () => ({}),
      dlrExpirySecs: 60,
      logger: t.logger,
    });
    assert.equal(await bare.delivered('c1', mo), CommandStatus.ESME_RX_T_APPN);
    const failing = new ReceiptEngine({
      store: t.store,
      connectorSettings: () => ({}),
      dlrExpirySecs: 60,
      logger: t.logger,
      onMo: () => Promise.reject(new Error('no route')),
    });
    assert.equal(await failing.delivered('c1', mo), CommandStatus.ESME_RX_T_APPN, 'not kept: the SMSC sends it again');
    const refusing = new ReceiptEngine({
      store: t.store,
      connectorSettings: () => ({}),
      dlrExpirySecs: 60,
      logger: t.logger,
      onMo: () => Promise.reject(new SmppStatusError(CommandStatus.ESME_RX_R_APPN)),
    });
    assert.equal(await refusing.delivered('c1', mo), CommandStatus.ESME_RX_R_APPN, 'refused for good: its own status');
  });
});

describe('receiptTextOf', () => {
  it('strips a UDH, reads message_payload, decodes UCS-2, keeps printable ASCII and 20 characters', async () => {
    const t = await setup();
    const udh = Buffer.from([0x05, 0x00, 0x03, 0x01, 0x02, 0x01]);
    const m = await t.submit({ esm_class: 0x40, short_message: Buffer.concat([udh, Buffer.from('part one text')]) });
    assert.equal(receiptTextOf(m), 'part one text');
    const u = await t.submit({ data_coding: 8, short_message: Buffer.from('\u00e9t\u00e9 ok', 'utf16le').swap16() });
    assert.equal(receiptTextOf(u), '?t? ok');
    const p = await t.submit({
      short_message: Buffer.alloc(0),
      tlvs: { message_payload: Buffer.from('a payload of more than twenty characters') },
    });
    assert.equal(receiptTextOf(p), 'a payload of more th');
  });
});

describe('ReceiptEngine with its cache of sent parts (one node: the only writer of them)', () => {
  /** Counts the store reads the engine makes, on top of the usual setup. */
  async function cached() {
    const t = await setup({ engine: { cacheSize: 100 } });
    const reads = { getMessage: 0, getReceiptMap: 0 };
    const counted = new ReceiptEngine({
      store: {
        ...pick(t.store),
        getMessage: (id) => {
          reads.getMessage++;
          return t.store.getMessage(id);
        },
        getReceiptMap: (cid, key) => {
          reads.getReceiptMap++;
          return t.store.getReceiptMap(cid, key);
        },
      },
      connectorSettings: () => ({}),
      dlrExpirySecs: 3600,
      logger: t.logger,
      clock: t.clock,
      cacheSize: 100,
    });
    /** The part as a connector holds it once claimed. */
    const claimed = async (fields: Parameters<typeof t.submit>[0] = {}) => {
      const m = await t.submit(fields);
      const [c] = await t.store.claimMessages('c1', 1, FAR);
      assert.equal(c.id, m.id);
      return c;
    };
    return { ...t, engine: counted, reads, claimed };
  }

  function pick(store: Awaited<ReturnType<typeof setup>>['store']): ReceiptEngineOptions['store'] {
    return {
      getMessage: (id) => store.getMessage(id),
      updateMessages: (u) => store.updateMessages(u),
      getUser: (uid) => store.getUser(uid),
      charge: (uid, a) => store.charge(uid, a),
      credit: (uid, a) => store.credit(uid, a),
      putReceiptMaps: (e) => store.putReceiptMaps(e),
      getReceiptMap: (cid, key) => store.getReceiptMap(cid, key),
      deleteReceiptMap: (cid, key) => store.deleteReceiptMap(cid, key),
      enqueueDeliveries: (d) => store.enqueueDeliveries(d),
    };
  }

  it('forgetCached(): a part another node closed meanwhile (it ran our connector) is read again, no second receipt', async () => {
    const t = await cached();
    // Unmatched receipts are held for 50 ms only (the repeated one below finds no map entry).
    const mine = new ReceiptEngine({
      store: pick(t.store),
      connectorSettings: () => ({}),
      dlrExpirySecs: 3600,
      logger: t.logger,
      clock: t.clock,
      cacheSize: 100,
      quickReceiptWaitMs: 50,
      quickReceiptPollMs: 10,
    });
    const m = await t.claimed({ registered_delivery: 0x01 });
    await mine.submitted('c1', m, { kind: 'accepted', upstreamId: 'K2' });
    // The connector moved to another node, which got the final receipt (its engine has nothing cached).
    const other = new ReceiptEngine({
      store: pick(t.store),
      connectorSettings: () => ({}),
      dlrExpirySecs: 3600,
      logger: t.logger,
      clock: t.clock,
    });
    await other.delivered('c1', upstreamReceipt('K2', MessageState.DELIVERED));
    assert.equal((await t.store.getMessage(m.id))?.status, 'final');
    // Back on this node, which took the lease again: the SMSC sends the same receipt once more.
    mine.forgetCached();
    await mine.delivered('c1', upstreamReceipt('K2', MessageState.DELIVERED));
    const stats = (await t.deliveries()).map(
      (d) => /stat:(\w+)/.exec(deliverSmOf(d.payload).short_message.toString('latin1'))?.[1],
    );
    assert.deepEqual(stats, ['DELIVRD'], 'one receipt to the ESME');
  });

  it('outcome and receipt of a claimed part read nothing, and the store ends as without the cache', async () => {
    const t = await cached();
    const m = await t.claimed({ registered_delivery: 0x11 });
    await t.engine.submitted('c1', m, { kind: 'accepted', upstreamId: 'K1' });
    await t.engine.delivered('c1', upstreamReceipt('K1', MessageState.ENROUTE));
    await t.engine.delivered('c1', upstreamReceipt('K1', MessageState.DELIVERED));
    assert.deepEqual(t.reads, { getMessage: 0, getReceiptMap: 0 });
    const after = await t.store.getMessage(m.id);
    assert.equal(after?.status, 'final');
    assert.equal(after?.state, MessageState.DELIVERED);
    assert.equal(after?.charged, 0.1);
    assert.equal((await t.balance())?.balance, 9.9, 'the rest of the price once');
    assert.equal(await t.store.getReceiptMap('c1', 'K1'), null, 'the final receipt closed the map');
    const stats = (await t.deliveries()).map(
      (d) => /stat:(\w+)/.exec(deliverSmOf(d.payload).short_message.toString('latin1'))?.[1],
    );
    assert.deepEqual(stats, ['ENROUTE', 'ENROUTE', 'DELIVRD']);
    // A duplicate after the final one: no second receipt, whether remembered or read.
    assert.equal(await t.engine.delivered('c1', upstreamReceipt('K1', MessageState.DELIVERED)), 0);
    assert.equal((await t.deliveries()).length, 3);
  });

  it('a part accepted twice (a split message_payload) is charged once and both ids reach it', async () => {
    const t = await cached();
    const m = await t.claimed();
    const sent = { ...m, attempts: m.attempts + 1 };
    await t.engine.submitted('c1', sent, { kind: 'accepted', upstreamId: 'S1' });
    await t.engine.submitted('c1', sent, { kind: 'accepted', upstreamId: 'S2' });
    assert.equal((await t.balance())?.balance, 9.9);
    assert.equal((await t.store.getReceiptMap('c1', 'S2'))?.message_id, m.id);
    await t.engine.delivered('c1', upstreamReceipt('S2', MessageState.DELIVERED));
    assert.equal((await t.store.getMessage(m.id))?.status, 'final');
    assert.equal((await t.deliveries()).length, 1);
  });

  it('a part that failed after it was cached is read again, so a late receipt does not revive it', async () => {
    const t = await cached();
    const m = await t.claimed();
    await t.engine.submitted('c1', m, { kind: 'accepted', upstreamId: 'F1' });
    await t.engine.submitted('c1', m, { kind: 'rejected', status: CommandStatus.ESME_RINVDSTADR });
    assert.equal((await t.store.getMessage(m.id))?.status, 'failed');
    await t.engine.delivered('c1', upstreamReceipt('F1', MessageState.DELIVERED));
    const final = await t.store.getMessage(m.id);
    assert.equal(final?.status, 'failed');
    assert.equal(final?.state, MessageState.REJECTED, 'a failed part stays failed');
    const stats = (await t.deliveries()).map(
      (d) => /stat:(\w+)/.exec(deliverSmOf(d.payload).short_message.toString('latin1'))?.[1],
    );
    assert.deepEqual(stats, ['REJECTD'], 'its failure receipt only');
    assert.ok(t.reads.getMessage >= 1, 'the failure read the store');
  });
});
