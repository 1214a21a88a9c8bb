import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandStatus, type PduOf } from '../smpp/codec/index.js';
import type { HandlerContext } from '../smpp/session/session.js';
import type { MtRoute, UserRecord } from '../store/model.js';
import { Accounts, type GatewayPrincipal } from './accounts.js';
import { createMtHandlers } from './mtHandlers.js';
import { defaultRoute, ManualWallClock, makeUser, memoryLogger, storeWith } from './pipeline.fixtures.js';
import { MtPipeline } from './pipeline.js';

const S = CommandStatus;

async function setup(users?: UserRecord[], routes: MtRoute[] = [defaultRoute()]) {
  const store = await storeWith(users ?? [await makeUser(), await makeUser({ uid: 'u2', username: 'user2' })], routes);
  const log = memoryLogger();
  const clock = new ManualWallClock();
  const accounts = new Accounts({ store, logger: log });
  let n = 0;
  const pipeline = new MtPipeline({ store, accounts, logger: log, clock, idGenerator: () => `m${++n}` });
  const handlers = createMtHandlers({
    pipeline,
    accounts,
    store,
    logger: log,
    clock,
    maxValiditySecs: 48 * 3600,
    billing: true,
  });
  const ctx = (uid = 'u1'): HandlerContext<GatewayPrincipal> =>
    ({
      session: { id: `sess-${uid}` },
      principal: { id: uid, username: uid === 'u1' ? 'user1' : 'user2', maxBindings: null },
    }) as unknown as HandlerContext<GatewayPrincipal>;
  return { store, log, clock, handlers, ctx };
}

function submitSm(overrides: Partial<PduOf<'submit_sm'>> = {}): PduOf<'submit_sm'> {
  return {
    command: 'submit_sm',
    command_status: 0,
    sequence_number: 1,
    service_type: '',
    source_addr_ton: 0,
    source_addr_npi: 0,
    source_addr: 'SHOP',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '33600000001',
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 1,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from('hello'),
    ...overrides,
  };
}

describe('MT handlers: submit_sm, data_sm, submit_multi', () => {
  it('submit_sm answers the message_id of the stored message', async () => {
    const { handlers, ctx, store, log } = await setup();
    const resp = await handlers.submit_sm!(submitSm(), ctx());
    assert.deepEqual(resp, { message_id: 'm1' });
    assert.equal(store.messages.get('m1')?.source_addr, 'SHOP');
    assert.equal(log.events('mt_accepted')[0].fields.session, 'sess-u1');
  });

  it('submit_sm answers a bare status when the pipeline refuses', async () => {
    const { handlers, ctx } = await setup(undefined, []);
    assert.equal(await handlers.submit_sm!(submitSm(), ctx()), S.ESME_RINVDSTADR);
  });

  it('data_sm carries its text in message_payload and answers data_sm_resp fields', async () => {
    const { handlers, ctx, store } = await setup();
    const pdu: PduOf<'data_sm'> = {
      command: 'data_sm',
      command_status: 0,
      sequence_number: 2,
      service_type: '',
      source_addr_ton: 0,
      source_addr_npi: 0,
      source_addr: 'SHOP',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: '33600000002',
      esm_class: 0,
      registered_delivery: 0,
      data_coding: 0,
      tlvs: { message_payload: Buffer.from('data sm text') },
    };
    assert.deepEqual(await handlers.data_sm!(pdu, ctx()), { message_id: 'm1' });
    const record = store.messages.get('m1');
    assert.equal(record?.short_message.length, 0);
    assert.ok(record?.tlvs?.includes(Buffer.from('data sm text')));
    const longAddress = { ...pdu, destination_addr: '1'.repeat(21) };
    assert.equal(await handlers.data_sm!(longAddress, ctx()), S.ESME_RINVDSTADR, 'cannot be sent on as submit_sm');
  });

  it('submit_multi sends one message per destination and lists the failed ones with their status', async () => {
    const user = await makeUser({ mt: { value_filters: { dst_addr: '^33' } } });
    const { handlers, ctx, store } = await setup([user]);
    const pdu: PduOf<'submit_multi'> = {
      command: 'submit_multi',
      command_status: 0,
      sequence_number: 3,
      service_type: '',
      source_addr_ton: 0,
      source_addr_npi: 0,
      source_addr: 'SHOP',
      dest_address: [
        { dest_flag: 1, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '33611' },
        { dest_flag: 1, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '44711' },
        { dest_flag: 2, dl_name: 'friends' },
        { dest_flag: 1, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '33622' },
      ],
      esm_class: 0,
      protocol_id: 0,
      priority_flag: 0,
      schedule_delivery_time: '',
      validity_period: '',
      registered_delivery: 0,
      replace_if_present_flag: 0,
      data_coding: 0,
      sm_default_msg_id: 0,
      short_message: Buffer.from('to many'),
    };
    const resp = await handlers.submit_multi!(pdu, ctx());
    assert.deepEqual(resp, {
      message_id: 'm1',
      unsuccess_sme: [
        { dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '44711', error_status_code: S.ESME_RINVDSTADR },
        { dest_addr_ton: 0, dest_addr_npi: 0, destination_addr: 'friends', error_status_code: S.ESME_RCNTSUBDL },
      ],
    });
    assert.deepEqual(
      [...store.messages.values()].map((m) => m.destination_addr).sort(),
      ['33611', '33622'],
      'each accepted destination is its own message',
    );
    const none = { ...pdu, dest_address: [pdu.dest_address[1], pdu.dest_address[2]] };
    assert.equal(await handlers.submit_multi!(none, ctx()), S.ESME_RINVDSTADR, 'nothing accepted: the first status');
  });
});

describe('MT handlers: query_sm, cancel_sm, replace_sm on own messages only', () => {
  const query = (message_id: string): PduOf<'query_sm'> => ({
    command: 'query_sm',
    command_status: 0,
    sequence_number: 4,
    message_id,
    source_addr_ton: 0,
    source_addr_npi: 0,
    source_addr: '',
  });
  const cancel = (message_id: string): PduOf<'cancel_sm'> => ({
    command: 'cancel_sm',
    command_status: 0,
    sequence_number: 5,
    service_type: '',
    message_id,
    source_addr_ton: 0,
    source_addr_npi: 0,
    source_addr: '',
    dest_addr_ton: 0,
    dest_addr_npi: 0,
    destination_addr: '',
  });
  const replace = (message_id: string, overrides: Partial<PduOf<'replace_sm'>> = {}): PduOf<'replace_sm'> => ({
    command: 'replace_sm',
    command_status: 0,
    sequence_number: 6,
    message_id,
    source_addr_ton: 0,
    source_addr_npi: 0,
    source_addr: '',
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from('replaced'),
    ...overrides,
  });

  it('query_sm answers state, final date and error code of the own message; others are ESME_RQUERYFAIL', async () => {
    const { handlers, ctx, store } = await setup();
    await handlers.submit_sm!(submitSm(), ctx('u1'));
    assert.deepEqual(await handlers.query_sm!(query('m1'), ctx('u1')), {
      message_id: 'm1',
      final_date: '',
      message_state: 1,
      error_code: 0,
    });
    Object.assign(store.messages.get('m1')!, {
      status: 'failed',
      state: 5,
      error_code: 0x401,
      final_at: Date.UTC(2026, 0, 15, 12, 30, 0),
    });
    assert.deepEqual(await handlers.query_sm!(query('m1'), ctx('u1')), {
      message_id: 'm1',
      final_date: '260115123000000+',
      message_state: 5,
      error_code: 0xff,
    });
    assert.equal(await handlers.query_sm!(query('m1'), ctx('u2')), S.ESME_RQUERYFAIL, "someone else's");
    assert.equal(await handlers.query_sm!(query('nope'), ctx('u1')), S.ESME_RQUERYFAIL, 'unknown');
  });

  it('cancel_sm cancels an own queued message and refunds it; otherwise ESME_RCANCELFAIL', async () => {
    const users = [
      await makeUser({ mt: { quotas: { balance: 10, sms_count: 10 } } }),
      await makeUser({ uid: 'u2', username: 'user2' }),
    ];
    const { handlers, ctx, store } = await setup(users, [defaultRoute(1)]);
    await handlers.submit_sm!(submitSm(), ctx('u1'));
    await handlers.submit_sm!(submitSm(), ctx('u1'));
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.balance, 8);
    assert.equal(await handlers.cancel_sm!(cancel('m1'), ctx('u2')), S.ESME_RCANCELFAIL, "someone else's");
    assert.equal(await handlers.cancel_sm!(cancel('zz'), ctx('u1')), S.ESME_RCANCELFAIL, 'unknown');
    assert.equal(await handlers.cancel_sm!(cancel(''), ctx('u1')), S.ESME_RCANCELFAIL, 'by address: unsupported');
    assert.equal(await handlers.cancel_sm!(cancel('m1'), ctx('u1')), S.ESME_ROK);
    assert.equal(store.messages.get('m1')?.status, 'cancelled');
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.balance, 9, 'refunded');
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.sms_count, 9);
    assert.equal(await handlers.cancel_sm!(cancel('m1'), ctx('u1')), S.ESME_RCANCELFAIL, 'no longer queued');
    store.messages.get('m2')!.status = 'sent';
    assert.equal(await handlers.cancel_sm!(cancel('m2'), ctx('u1')), S.ESME_RCANCELFAIL, 'already sent');
  });

  it('replace_sm replaces text, receipt request and times of an own queued message; otherwise ESME_RREPLACEFAIL', async () => {
    const { handlers, ctx, store, clock } = await setup();
    await handlers.submit_sm!(submitSm(), ctx('u1'));
    const r = replace('m1', { registered_delivery: 1, validity_period: '000000010000000R' });
    assert.equal(await handlers.replace_sm!(r, ctx('u2')), S.ESME_RREPLACEFAIL, "someone else's");
    assert.equal(await handlers.replace_sm!(replace('zz'), ctx('u1')), S.ESME_RREPLACEFAIL, 'unknown');
    assert.equal(await handlers.replace_sm!(r, ctx('u1')), S.ESME_ROK);
    const m = store.messages.get('m1');
    assert.equal(m?.short_message.toString(), 'replaced');
    assert.equal(m?.registered_delivery, 1);
    assert.equal(m?.expires_at, clock.now() + 3_600_000);
    store.messages.get('m1')!.status = 'sending';
    assert.equal(await handlers.replace_sm!(replace('m1'), ctx('u1')), S.ESME_RREPLACEFAIL, 'no longer queued');
  });

  it('replace_sm applies the credential checks to what it changes', async () => {
    const user = await makeUser({ mt: { authorizations: { dlr_level: false }, value_filters: { content: '^ok' } } });
    const { handlers, ctx, store } = await setup([user]);
    const sent = await handlers.submit_sm!(
      submitSm({ registered_delivery: 0, short_message: Buffer.from('ok 1') }),
      ctx(),
    );
    assert.deepEqual(sent, { message_id: 'm1' });
    assert.equal(await handlers.replace_sm!(replace('m1', { registered_delivery: 1 }), ctx()), S.ESME_RREPLACEFAIL);
    assert.equal(
      await handlers.replace_sm!(replace('m1', { short_message: Buffer.from('bad') }), ctx()),
      S.ESME_RREPLACEFAIL,
    );
    assert.equal(await handlers.replace_sm!(replace('m1', { short_message: Buffer.from('ok 2') }), ctx()), S.ESME_ROK);
    assert.equal(store.messages.get('m1')?.short_message.toString(), 'ok 2');
  });
});
