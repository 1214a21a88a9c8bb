import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandStatus, formatAbsoluteTime } from '../smpp/codec/index.js';
import { buildConcatUdh } from '../smpp/text/index.js';
import { StoreUnavailableError } from '../store/errors.js';
import type { MessageRecord, MtRoute, UserRecord } from '../store/model.js';
import type { Amounts, ChargeResult } from '../store/store.js';
import { Accounts } from './accounts.js';
import {
  defaultRoute,
  ManualWallClock,
  MemoryStore,
  makeUser,
  memoryLogger,
  storeWith,
  submission,
} from './pipeline.fixtures.js';
import { MtPipeline, type PipelineSettings, payloadParts, type SubmitResult } from './pipeline.js';

const S = CommandStatus;
const principal = { id: 'u1', username: 'user1' };

async function setup(
  options: {
    users?: UserRecord[];
    routes?: MtRoute[];
    settings?: Partial<PipelineSettings>;
    isConnectorUp?: (cid: string) => boolean;
  } = {},
) {
  const users = options.users ?? [await makeUser()];
  const store = await storeWith(users, options.routes ?? [defaultRoute()]);
  const log = memoryLogger();
  const clock = new ManualWallClock();
  const accounts = new Accounts({ store, logger: log });
  let n = 0;
  const pipeline = new MtPipeline({
    store,
    accounts,
    settings: options.settings,
    logger: log,
    clock,
    idGenerator: () => `m${++n}`,
    ...(options.isConnectorUp ? { isConnectorUp: options.isConnectorUp } : {}),
  });
  const submit = (overrides: Parameters<typeof submission>[0] = {}, who = principal) =>
    pipeline.submit(who, submission(overrides), 'smpps', { session: 'sess-1' });
  return { store, log, clock, accounts, pipeline, submit };
}

function status(result: SubmitResult): string {
  return result.ok
    ? 'ESME_ROK'
    : (Object.entries(S).find(([, v]) => v === result.status)?.[0] ?? String(result.status));
}

describe('MtPipeline: acceptance', () => {
  it('stores the message before answering and returns its message_id', async () => {
    const { store, submit, clock, log } = await setup();
    const result = await submit({ source_addr: 'SHOP', registered_delivery: 1 });
    assert.deepEqual(result, { ok: true, status: 0, message_ids: ['m1'] });
    const record = store.messages.get('m1');
    assert.ok(record, 'the record is in the store when submit resolves');
    assert.equal(record.uid, 'u1');
    assert.equal(record.cid, 'c1');
    assert.equal(record.route_order, 0);
    assert.equal(record.source_addr, 'SHOP');
    assert.equal(record.destination_addr, '33600000001');
    assert.equal(record.registered_delivery, 1);
    assert.equal(record.status, 'queued');
    assert.equal(record.state, 1); // ENROUTE
    assert.equal(record.short_message.toString(), 'hello');
    assert.equal(record.tlvs, null);
    assert.equal(record.part, null);
    assert.equal(record.schedule_at, null);
    assert.equal(record.expires_at, clock.now() + 48 * 3600 * 1000, 'the default validity is the maximum');
    assert.equal(record.submitted_at, clock.now());
    const line = log.events('mt_accepted')[0];
    assert.equal(line.fields.session, 'sess-1');
    assert.equal(line.fields.message_id, 'm1');
    assert.equal(line.fields.content, 'hello');
  });

  it('passes optional parameters upstream as they came', async () => {
    const { store, submit } = await setup();
    const result = await submit({
      tlvs: { user_message_reference: 7, unknown: [{ tag: 0x1400, value: Buffer.from([1, 2]) }] },
    });
    assert.ok(result.ok);
    assert.deepEqual(
      store.messages.get('m1')?.tlvs,
      Buffer.from([0x02, 0x04, 0x00, 0x02, 0x00, 0x07, 0x14, 0x00, 0x00, 0x02, 0x01, 0x02]),
    );
  });

  it('masks content in the logs when log_privacy is on', async () => {
    const { submit, log } = await setup({ settings: { log_privacy: true } });
    await submit({ short_message: Buffer.from('my PIN is 1234') });
    const line = log.events('mt_accepted')[0];
    assert.equal(line.fields.content, '** 14 octets **');
    assert.ok(!JSON.stringify(log.lines).includes('1234'));
  });
});

describe('MtPipeline: each check and its status', () => {
  it('bind state: a disabled or deleted user, or a disabled group, is ESME_RINVBNDSTS at the next submit', async () => {
    const { store, submit, accounts } = await setup();
    assert.equal(status(await submit()), 'ESME_ROK');
    store.users.get('u1')!.enabled = false;
    assert.equal(status(await submit()), 'ESME_ROK', 'cached until invalidated');
    accounts.invalidate();
    assert.equal(status(await submit()), 'ESME_RINVBNDSTS');
    store.users.get('u1')!.enabled = true;
    store.groups.get('g1')!.enabled = false;
    accounts.invalidate();
    assert.equal(status(await submit()), 'ESME_RINVBNDSTS');
    store.groups.get('g1')!.enabled = true;
    store.users.delete('u1');
    accounts.invalidate();
    assert.equal(status(await submit()), 'ESME_RINVBNDSTS');
  });

  it('authorizations: each denied one is ESME_RINVSYSID', async () => {
    const cases: [Partial<UserRecord['mt_messaging_cred']['authorizations']>, Parameters<typeof submission>[0]][] = [
      [{ smpps_send: false }, {}],
      [{ dlr_level: false }, { registered_delivery: 1 }],
      [{ src_addr: false }, { source_addr: 'SHOP' }],
      [{ priority: false }, { priority_flag: 2 }],
      [{ validity_period: false }, { validity_period: '000001000000000R' }],
      [{ schedule_delivery_time: false }, { schedule_delivery_time: '000000010000000R' }],
      [
        { long_content: false },
        { esm_class: 0x40, short_message: Buffer.concat([buildConcatUdh(1, 2, 1), Buffer.from('a')]) },
      ],
      [{ long_content: false }, { tlvs: { sar_msg_ref_num: 1, sar_total_segments: 2, sar_segment_seqnum: 1 } }],
      [{ long_content: false }, { short_message: Buffer.alloc(0), tlvs: { message_payload: Buffer.alloc(300, 0x41) } }],
    ];
    for (const [denied, overrides] of cases) {
      const { submit, store } = await setup({ users: [await makeUser({ mt: { authorizations: denied } })] });
      const result = await submit(overrides);
      assert.equal(status(result), 'ESME_RINVSYSID', JSON.stringify(denied));
      assert.equal(store.messages.size, 0);
    }
  });

  it('value filters: each one answers with its own status', async () => {
    const cases: [Partial<UserRecord['mt_messaging_cred']['value_filters']>, string][] = [
      [{ dst_addr: '^44' }, 'ESME_RINVDSTADR'],
      [{ src_addr: '^BANK$' }, 'ESME_RINVSRCADR'],
      [{ priority: '^0$' }, 'ESME_RINVPRTFLG'],
      [{ content: '^hi' }, 'ESME_RSYSERR'],
      [{ validity_period: '^0000' }, 'ESME_RINVEXPIRY'],
    ];
    for (const [filters, expected] of cases) {
      const { submit } = await setup({ users: [await makeUser({ mt: { value_filters: filters } })] });
      const result = await submit({ source_addr: 'SHOP', priority_flag: 1, validity_period: '010000000000000R' });
      assert.equal(status(result), expected, JSON.stringify(filters));
    }
  });

  it('defaults: an empty source address gets the default src_addr', async () => {
    const { submit, store } = await setup({ users: [await makeUser({ mt: { defaults: { src_addr: 'ACME' } } })] });
    assert.ok((await submit({ source_addr: '' })).ok);
    assert.equal(store.messages.get('m1')?.source_addr, 'ACME');
    assert.ok((await submit({ source_addr: 'OWN' })).ok);
    assert.equal(store.messages.get('m2')?.source_addr, 'OWN');
  });

  it('throughput: over smpps_throughput is ESME_RTHROTTLED, across all binds of the user', async () => {
    const { submit, clock, store } = await setup({
      users: [await makeUser({ mt: { quotas: { smpps_throughput: 4 } } })],
    });
    // 4/s with a quarter-second burst: one message, then one every 250 ms.
    assert.equal(status(await submit()), 'ESME_ROK');
    const other = { id: 'u1', username: 'user1' }; // a second bind of the same user
    assert.equal(status(await submit({}, other)), 'ESME_RTHROTTLED');
    clock.advance(249);
    assert.equal(status(await submit()), 'ESME_RTHROTTLED');
    clock.advance(1);
    assert.equal(status(await submit({}, other)), 'ESME_ROK');
    assert.equal(store.messages.size, 2);
  });

  it('throughput is counted per channel: http_throughput does not limit SMPP', async () => {
    const { submit } = await setup({ users: [await makeUser({ mt: { quotas: { http_throughput: 1 } } })] });
    for (let i = 0; i < 5; i++) assert.equal(status(await submit()), 'ESME_ROK');
  });

  it('routing: no matching route is ESME_RINVDSTADR; the first matching route by descending order wins', async () => {
    const routes: MtRoute[] = [
      { order: 10, type: 'static', connectors: ['fr'], filters: [{ type: 'destination_addr', regex: '^33' }], rate: 0 },
      { order: 20, type: 'static', connectors: ['uk'], filters: [{ type: 'destination_addr', regex: '^44' }], rate: 0 },
      { order: 5, type: 'static', connectors: ['txt'], filters: [{ type: 'short_message', regex: '^promo' }], rate: 0 },
    ];
    const { submit, store } = await setup({ routes });
    assert.equal(status(await submit({ destination_addr: '4477' })), 'ESME_ROK');
    assert.equal(store.messages.get('m1')?.cid, 'uk');
    assert.equal(store.messages.get('m1')?.route_order, 20);
    assert.equal(status(await submit({ destination_addr: '3361' })), 'ESME_ROK');
    assert.equal(store.messages.get('m2')?.cid, 'fr');
    assert.equal(status(await submit({ destination_addr: '4911', short_message: Buffer.from('promo!') })), 'ESME_ROK');
    assert.equal(store.messages.get('m3')?.cid, 'txt');
    assert.equal(status(await submit({ destination_addr: '4911' })), 'ESME_RINVDSTADR');
  });

  it('routing: routes are cached and read again after invalidateRoutes()', async () => {
    const { submit, store, pipeline } = await setup({ routes: [] });
    assert.equal(status(await submit()), 'ESME_RINVDSTADR');
    store.routes = [defaultRoute(0, 'late')];
    assert.equal(status(await submit()), 'ESME_RINVDSTADR', 'still the cached (empty) table');
    pipeline.invalidateRoutes();
    assert.equal(status(await submit()), 'ESME_ROK');
    assert.equal(store.calls.listMtRoutes, 2);
  });

  it("routing: a change of the store's routes version is noticed within a second, without invalidateRoutes()", async () => {
    const { submit, store, clock } = await setup({ routes: [] });
    assert.equal(status(await submit()), 'ESME_RINVDSTADR');
    store.setRoutes([defaultRoute(0, 'elsewhere')]);
    clock.advance(500);
    assert.equal(status(await submit()), 'ESME_RINVDSTADR', 'not polled yet');
    clock.advance(600);
    await submit(); // this one starts the poll; it does not wait for it
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(status(await submit()), 'ESME_ROK');
    assert.equal(store.messages.get('m1')?.cid, 'elsewhere');
  });

  it('routing: failover prefers the first connector that is up; round-robin rotates', async () => {
    const up = new Set(['b']);
    const { submit, store } = await setup({
      routes: [
        {
          order: 2,
          type: 'failover',
          connectors: ['a', 'b'],
          filters: [{ type: 'destination_addr', regex: '^1' }],
          rate: 0,
        },
        { order: 1, type: 'roundrobin', connectors: ['x', 'y'], filters: [], rate: 0 },
      ],
      isConnectorUp: (cid) => cid !== 'a' && (up.has(cid) || cid === 'x' || cid === 'y'),
    });
    await submit({ destination_addr: '100' });
    assert.equal(store.messages.get('m1')?.cid, 'b');
    await submit({ destination_addr: '200' });
    await submit({ destination_addr: '200' });
    assert.deepEqual([store.messages.get('m2')?.cid, store.messages.get('m3')?.cid].sort(), ['x', 'y']);
  });
});

describe('MtPipeline: which check wins when several fail', () => {
  const noRoute: MtRoute[] = [];

  it('bind state beats everything', async () => {
    const user = await makeUser({ enabled: false, mt: { authorizations: { smpps_send: false } } });
    const { submit } = await setup({ users: [user], routes: noRoute });
    assert.equal(status(await submit({ esm_class: 0x40, short_message: Buffer.from([9]) })), 'ESME_RINVBNDSTS');
  });

  it('request shape beats authorizations', async () => {
    const user = await makeUser({ mt: { authorizations: { smpps_send: false } } });
    const { submit } = await setup({ users: [user], routes: noRoute });
    // UDHI set, but the header length runs past the message.
    assert.equal(status(await submit({ esm_class: 0x40, short_message: Buffer.from([9, 0]) })), 'ESME_RINVESMCLASS');
  });

  it('authorizations beat value filters, throughput, routing and billing', async () => {
    const user = await makeUser({
      mt: {
        authorizations: { dlr_level: false },
        value_filters: { dst_addr: '^44' },
        quotas: { balance: 0, smpps_throughput: 0.001 },
      },
    });
    const { submit } = await setup({ users: [user], routes: noRoute });
    assert.equal(status(await submit({ registered_delivery: 1 })), 'ESME_RINVSYSID');
  });

  it('value filters beat throughput and routing; dst_addr is checked before src_addr', async () => {
    const user = await makeUser({ mt: { value_filters: { dst_addr: '^44', src_addr: '^X' } } });
    const { submit } = await setup({ users: [user], routes: noRoute });
    assert.equal(status(await submit({ source_addr: 'SHOP' })), 'ESME_RINVDSTADR');
  });

  it('throughput beats routing and billing, and a refused message still spends its token', async () => {
    const user = await makeUser({ mt: { quotas: { smpps_throughput: 1, balance: 0 } } });
    const { submit } = await setup({ users: [user], routes: [defaultRoute(1)] });
    assert.equal(status(await submit()), 'ESME_RSYSERR', 'first message: no credit');
    assert.equal(status(await submit()), 'ESME_RTHROTTLED');
  });

  it('routing beats billing', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 0 } } });
    const { submit, store } = await setup({ users: [user], routes: noRoute });
    assert.equal(status(await submit()), 'ESME_RINVDSTADR');
    assert.equal(store.calls.charge, 0);
  });

  it('billing comes last before the store: nothing is stored when credit is short', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 0.5 } } });
    const { submit, store } = await setup({ users: [user], routes: [defaultRoute(1)] });
    assert.equal(status(await submit()), 'ESME_RSYSERR');
    assert.equal(store.messages.size, 0);
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.balance, 0.5);
  });
});

describe('MtPipeline: billing', () => {
  it('unrated route: nothing is charged, even with a balance', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 1 } } });
    const { submit, store } = await setup({ users: [user], routes: [defaultRoute(0)] });
    assert.ok((await submit()).ok);
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.balance, 1);
    assert.equal(store.calls.charge, 0);
    assert.equal(store.messages.get('m1')?.rate, 0);
    assert.equal(store.messages.get('m1')?.charged, 0);
  });

  it('rated route: the rate is taken from the balance and recorded on the message', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 1 } } });
    const { submit, store } = await setup({ users: [user], routes: [defaultRoute(0.3)] });
    for (let i = 0; i < 3; i++) assert.ok((await submit()).ok);
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.balance, 0.1, 'exact decimals');
    assert.equal(status(await submit()), 'ESME_RSYSERR');
    assert.equal(store.messages.get('m1')?.rate, 0.3);
    assert.equal(store.messages.get('m1')?.charged, 0.3);
  });

  it('unlimited balance: rated messages are accepted and nothing moves', async () => {
    const { submit, store } = await setup({ routes: [defaultRoute(5)] });
    assert.ok((await submit()).ok);
    assert.equal(store.calls.charge, 0);
    assert.equal(store.messages.get('m1')?.rate, 5);
  });

  it('early percent: only that share is charged at acceptance; the message records its whole price', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 10, early_percent: 25 } } });
    const { submit, store } = await setup({ users: [user], routes: [defaultRoute(2)] });
    assert.ok((await submit()).ok);
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.balance, 9.5);
    assert.equal(store.messages.get('m1')?.rate, 2);
    assert.equal(store.messages.get('m1')?.charged, 0.5);
  });

  it('early percent: the balance must still cover the whole price', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 1, early_percent: 25 } } });
    const { submit, store } = await setup({ users: [user], routes: [defaultRoute(2)] });
    assert.equal(status(await submit()), 'ESME_RSYSERR', 'the early 0.5 would fit, the price of 2 does not');
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.balance, 1);
  });

  it('a store that fails to charge is ESME_RSYSERR and nothing is stored', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 1 } } });
    const { submit, store } = await setup({ users: [user], routes: [defaultRoute(0.1)] });
    store.failCharge = new Error('database is locked');
    assert.equal(status(await submit()), 'ESME_RSYSERR');
    assert.equal(store.messages.size, 0);
  });

  it('per part: a message_payload is billed for every part it takes, and sms_count counts parts', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 10, sms_count: 10 } } });
    const { submit, store } = await setup({ users: [user], routes: [defaultRoute(0.1)] });
    // 400 GSM septets → 3 parts of 153.
    const result = await submit({ short_message: Buffer.alloc(0), tlvs: { message_payload: Buffer.alloc(400, 0x41) } });
    assert.ok(result.ok);
    const q = store.users.get('u1')?.mt_messaging_cred.quotas;
    assert.equal(q?.balance, 9.7);
    assert.equal(q?.sms_count, 7);
    assert.equal(store.messages.get('m1')?.rate, 0.3);
    assert.equal(store.messages.get('m1')?.part, null);
  });

  it('per part: UDH and SAR parts are each one billed part with their own message_id', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 10, sms_count: 10 } } });
    const { submit, store } = await setup({ users: [user], routes: [defaultRoute(1)] });
    const ids: string[] = [];
    for (const seq of [1, 2]) {
      const short_message = Buffer.concat([buildConcatUdh(0x1234, 2, seq, 16), Buffer.from(`part ${seq}`)]);
      const r = await submit({ esm_class: 0x40, short_message });
      assert.ok(r.ok);
      ids.push(...r.message_ids);
    }
    const sar = await submit({ tlvs: { sar_msg_ref_num: 77, sar_total_segments: 3, sar_segment_seqnum: 3 } });
    assert.ok(sar.ok);
    ids.push(...sar.message_ids);
    assert.deepEqual(ids, ['m1', 'm2', 'm3']);
    assert.deepEqual(store.messages.get('m1')?.part, { ref: 0x1234, total: 2, seq: 1 });
    assert.deepEqual(store.messages.get('m2')?.part, { ref: 0x1234, total: 2, seq: 2 });
    assert.deepEqual(store.messages.get('m3')?.part, { ref: 77, total: 3, seq: 3 });
    const q = store.users.get('u1')?.mt_messaging_cred.quotas;
    assert.equal(q?.balance, 7);
    assert.equal(q?.sms_count, 7);
  });

  it('insufficient sms_count is ESME_RSYSERR', async () => {
    const user = await makeUser({ mt: { quotas: { sms_count: 2 } } });
    const { submit } = await setup({ users: [user] });
    const payload = Buffer.alloc(400, 0x41);
    assert.equal(
      status(await submit({ short_message: Buffer.alloc(0), tlvs: { message_payload: payload } })),
      'ESME_RSYSERR',
    );
    assert.equal(status(await submit()), 'ESME_ROK');
  });

  it('billing_feature off: quotas are not enforced and the message is free', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 0, sms_count: 0 } } });
    const { submit, store } = await setup({
      users: [user],
      routes: [defaultRoute(1)],
      settings: { billing_feature: false },
    });
    assert.ok((await submit()).ok);
    assert.equal(store.calls.charge, 0);
    assert.equal(store.messages.get('m1')?.rate, 0);
  });

  it('two binds racing for the last unit: exactly as many messages as the balance pays for, never negative', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 3 } } });
    const { pipeline, store } = await setup({ users: [user], routes: [defaultRoute(1)] });
    const binds = [
      { id: 'u1', username: 'user1' },
      { id: 'u1', username: 'user1' },
    ];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pipeline.submit(binds[i % 2], submission(), 'smpps', { session: `s${i % 2}` }),
      ),
    );
    assert.equal(results.filter((r) => r.ok).length, 3);
    assert.equal(store.messages.size, 3);
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.balance, 0);
  });

  it('a store failure after charging refunds the charge: ESME_RSYSERR, or ESME_RMSGQFUL when the store is full', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 5, sms_count: 5 } } });
    const { submit, store, log } = await setup({ users: [user], routes: [defaultRoute(1)] });
    store.failAccept = new Error('disk I/O error');
    assert.equal(status(await submit()), 'ESME_RSYSERR');
    store.failAccept = new StoreUnavailableError('database or disk is full', { full: true });
    assert.equal(status(await submit()), 'ESME_RMSGQFUL');
    const q = store.users.get('u1')?.mt_messaging_cred.quotas;
    assert.equal(q?.balance, 5);
    assert.equal(q?.sms_count, 5);
    assert.equal(store.calls.credit, 2);
    assert.equal(log.events('mt_refunded').length, 2);
  });
});

describe('MtPipeline: a remote store with a call timeout', () => {
  /** A MemoryStore that says it is remote (callTimeoutMs) and records the deadline of every write. */
  class RemoteStore extends MemoryStore {
    readonly callTimeoutMs = 5000;
    readonly deadlines: Array<[string, number | undefined]> = [];
    override charge(uid: string, amounts: Amounts, deadline?: number): Promise<ChargeResult> {
      this.deadlines.push(['charge', deadline]);
      return super.charge(uid, amounts);
    }
    override credit(uid: string, amounts: Amounts, deadline?: number): Promise<void> {
      this.deadlines.push(['credit', deadline]);
      return super.credit(uid, amounts);
    }
    override acceptMessages(records: MessageRecord[], deadline?: number): Promise<void> {
      this.deadlines.push(['accept', deadline]);
      return super.acceptMessages(records);
    }
  }

  async function remote(user: UserRecord) {
    const store = new RemoteStore();
    store.groups.set('g1', { gid: 'g1', enabled: true });
    store.users.set(user.uid, user);
    store.routes = [defaultRoute(1)];
    const log = memoryLogger();
    const pipeline = new MtPipeline({
      store,
      accounts: new Accounts({ store, logger: log }),
      logger: log,
      clock: new ManualWallClock(),
      idGenerator: () => 'm1',
    });
    return { store, log, submit: () => pipeline.submit(principal, submission(), 'smpps', { session: 's' }) };
  }

  it('gives the charge, the early-share credit and the enqueue of one submit one deadline, one timeout away', async () => {
    const { store, submit } = await remote(await makeUser({ mt: { quotas: { balance: 10, early_percent: 25 } } }));
    const before = Date.now();
    assert.equal(status(await submit()), 'ESME_ROK');
    assert.deepEqual(
      store.deadlines.map(([op]) => op),
      ['charge', 'credit', 'accept'],
    );
    const [first] = store.deadlines.map(([, d]) => d ?? 0);
    assert.ok(first >= before + 5000 && first <= Date.now() + 5000, `deadline ${first - before} ms after the submit`);
    assert.ok(
      store.deadlines.every(([, d]) => d === first),
      'one deadline for every write of the submit',
    );
  });

  it('refunds a refused enqueue without a deadline (a refund is kept whenever it lands); a failed charge is ESME_RSYSERR', async () => {
    const { store, log, submit } = await remote(await makeUser({ mt: { quotas: { balance: 10, sms_count: 3 } } }));
    store.failAccept = new StoreUnavailableError('store unavailable: sgAccept reached Redis after its deadline');
    assert.equal(status(await submit()), 'ESME_RSYSERR');
    assert.deepEqual(store.deadlines.at(-1), ['credit', undefined]);
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.balance, 10);
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.sms_count, 3);
    store.failAccept = undefined;
    store.failCharge = new StoreUnavailableError('store unavailable: no answer from Redis within 5000 ms');
    assert.equal(status(await submit()), 'ESME_RSYSERR');
    assert.equal(log.events('mt_store_error').length, 2);
    assert.equal(log.events('mt_internal_error').length, 0);
  });
});

describe('MtPipeline: long messages and shape', () => {
  it('short_message and message_payload together are ESME_RINVMSGLEN', async () => {
    const { submit } = await setup();
    assert.equal(status(await submit({ tlvs: { message_payload: Buffer.from('x') } })), 'ESME_RINVMSGLEN');
  });

  it('incomplete SAR parameters are ESME_RMISSINGOPTPARAM, impossible ones ESME_RINVOPTPARAMVAL', async () => {
    const { submit } = await setup();
    assert.equal(
      status(await submit({ tlvs: { sar_msg_ref_num: 1, sar_total_segments: 2 } })),
      'ESME_RMISSINGOPTPARAM',
    );
    assert.equal(
      status(await submit({ tlvs: { sar_msg_ref_num: 1, sar_total_segments: 2, sar_segment_seqnum: 3 } })),
      'ESME_RINVOPTPARAMVAL',
    );
  });

  it('8-bit and 16-bit UDH references are both read', async () => {
    const { submit, store } = await setup();
    await submit({ esm_class: 0x40, short_message: Buffer.concat([buildConcatUdh(200, 3, 2, 8), Buffer.from('x')]) });
    await submit({
      esm_class: 0x43,
      short_message: Buffer.concat([buildConcatUdh(60000, 3, 3, 16), Buffer.from('y')]),
    });
    assert.deepEqual(store.messages.get('m1')?.part, { ref: 200, total: 3, seq: 2 });
    assert.deepEqual(store.messages.get('m2')?.part, { ref: 60000, total: 3, seq: 3 });
    assert.equal(store.messages.get('m2')?.esm_class, 0x43, 'esm_class is kept as sent');
  });

  it('content filters and routes read the text after the UDH', async () => {
    const user = await makeUser({ mt: { value_filters: { content: '^hello' } } });
    const { submit } = await setup({ users: [user] });
    const short_message = Buffer.concat([buildConcatUdh(1, 2, 1), Buffer.from('hello world')]);
    assert.equal(status(await submit({ esm_class: 0x40, short_message })), 'ESME_ROK');
  });

  it('counts message_payload parts by coding: GSM 160/153, UCS-2 70/67, 8-bit 140/134', () => {
    assert.equal(payloadParts(Buffer.alloc(160, 0x41), 0), 1);
    assert.equal(payloadParts(Buffer.alloc(161, 0x41), 0), 2);
    assert.equal(payloadParts(Buffer.alloc(306, 0x41), 0), 2);
    assert.equal(payloadParts(Buffer.alloc(307, 0x41), 0), 3);
    assert.equal(payloadParts(Buffer.alloc(140, 0x41), 8), 1);
    assert.equal(payloadParts(Buffer.alloc(142, 0x41), 8), 2);
    assert.equal(payloadParts(Buffer.alloc(140, 0x41), 4), 1);
    assert.equal(payloadParts(Buffer.alloc(269, 0x41), 4), 3);
  });
});

describe('MtPipeline: validity and schedule', () => {
  it('a relative validity counts from now; an absolute schedule sets schedule_at', async () => {
    const { submit, store, clock } = await setup();
    await submit({ validity_period: '000000013000000R' }); // 1 h 30 min
    assert.equal(store.messages.get('m1')?.expires_at, clock.now() + 90 * 60_000);
    const at = new Date(clock.now() + 3_600_000);
    await submit({ schedule_delivery_time: formatAbsoluteTime(at, 4) });
    assert.equal(store.messages.get('m2')?.schedule_at, at.getTime());
    assert.equal(store.messages.get('m2')?.expires_at, at.getTime() + 48 * 3_600_000, 'max validity from the schedule');
  });

  it('a validity beyond the maximum is cut to it; a schedule in the past means now', async () => {
    const { submit, store, clock } = await setup({ settings: { max_validity_secs: 3600 } });
    await submit({
      validity_period: '000010000000000R',
      schedule_delivery_time: formatAbsoluteTime(new Date(clock.now() - 60_000)),
    });
    assert.equal(store.messages.get('m1')?.schedule_at, null);
    assert.equal(store.messages.get('m1')?.expires_at, clock.now() + 3_600_000);
  });

  it('a validity that has already ended, or ends before the schedule, is ESME_RINVEXPIRY', async () => {
    const { submit, clock } = await setup();
    const past = formatAbsoluteTime(new Date(clock.now() - 60_000));
    assert.equal(status(await submit({ validity_period: past })), 'ESME_RINVEXPIRY');
    assert.equal(
      status(await submit({ schedule_delivery_time: '000000020000000R', validity_period: '000000010000000R' })),
      'ESME_RINVEXPIRY',
    );
  });

  it('a time the codec would have refused is answered with its field status', async () => {
    const { submit } = await setup();
    assert.equal(status(await submit({ schedule_delivery_time: 'garbage' })), 'ESME_RINVSCHED');
  });
});

describe('MtPipeline: closing', () => {
  it('close() waits for submissions in flight, then refuses new ones', async () => {
    const { pipeline, store, submit } = await setup();
    const inflight = submit();
    const closed = pipeline.close();
    const result = await inflight;
    await closed;
    assert.ok(result.ok);
    assert.ok(store.messages.has('m1'));
    assert.equal(status(await submit()), 'ESME_RSYSERR');
  });

  it('submissions of one tick share one charge per user and one enqueue call', async () => {
    const users = [
      await makeUser({ mt: { quotas: { balance: 100 } } }),
      await makeUser({ uid: 'u2', username: 'user2', mt: { quotas: { balance: 100 } } }),
    ];
    const { pipeline, store } = await setup({ users, routes: [defaultRoute(0.1)] });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => pipeline.submit({ id: i % 2 === 0 ? 'u1' : 'u2' }, submission(), 'smpps')),
    );
    assert.ok(results.every((r) => r.ok));
    assert.equal(store.calls.charge, 2, 'one summed charge per user');
    assert.equal(store.calls.acceptMessages, 1);
    assert.equal(store.messages.size, 50);
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.balance, 97.5);
    assert.equal(store.users.get('u2')?.mt_messaging_cred.quotas.balance, 97.5);
  });

  it('a summed charge that is refused is retried message by message, in order', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 0.35 } } });
    const { pipeline, store } = await setup({ users: [user], routes: [defaultRoute(0.1)] });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => pipeline.submit(principal, submission(), 'smpps')),
    );
    assert.deepEqual(
      results.map((r) => r.ok),
      [true, true, true, false, false],
    );
    assert.equal(store.calls.charge, 1 + 5);
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.balance, 0.05);
  });

  it('an enqueue that fails fails every message of its call, and each is refunded', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 1, sms_count: 10 } } });
    const { pipeline, store } = await setup({ users: [user], routes: [defaultRoute(0.1)] });
    store.failAccept = new StoreUnavailableError('disk I/O error');
    const results = await Promise.all(
      Array.from({ length: 4 }, () => pipeline.submit(principal, submission(), 'smpps')),
    );
    assert.ok(results.every((r) => r.status === CommandStatus.ESME_RSYSERR));
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.balance, 1);
    assert.equal(store.users.get('u1')?.mt_messaging_cred.quotas.sms_count, 10);
  });
});
