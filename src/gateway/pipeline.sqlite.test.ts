// The MT pipeline's billing and durability on the real SQLite store (temp folder): the atomicity that matters here
// is the store's, so it is tested against the real one.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { CommandStatus } from '../smpp/codec/index.js';
import type { MtRoute, UserRecord } from '../store/model.js';
import { openSqliteStore } from '../store/sqlite/sqliteStore.js';
import { Accounts } from './accounts.js';
import { defaultRoute, makeUser, memoryLogger, sqliteStoreWith, submission } from './pipeline.fixtures.js';
import { MtPipeline } from './pipeline.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(users: UserRecord[], routes: MtRoute[]) {
  const { store, dir, cleanup } = await sqliteStoreWith(users, routes);
  cleanups.push(cleanup);
  const logger = memoryLogger();
  const accounts = new Accounts({ store, logger });
  const pipeline = new MtPipeline({
    store,
    accounts,
    logger,
    idGenerator: (() => {
      let n = 0;
      return () => `m${++n}`;
    })(),
  });
  const quotas = async () => (await store.getUser('u1'))?.mt_messaging_cred.quotas;
  return { store, dir, pipeline, quotas };
}

const payload400 = { short_message: Buffer.alloc(0), tlvs: { message_payload: Buffer.alloc(400, 0x41) } };

describe('MtPipeline on SQLite: billing', () => {
  it('unrated, rated, early percent and per part, with exact decimals', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 10, sms_count: 100, early_percent: 40 } } });
    const routes: MtRoute[] = [
      {
        order: 10,
        type: 'static',
        connectors: ['free'],
        filters: [{ type: 'destination_addr', regex: '^0' }],
        rate: 0,
      },
      defaultRoute(0.1, 'paid'),
    ];
    const { pipeline, store, quotas } = await setup([user], routes);
    const who = { id: 'u1', username: 'user1' };

    assert.ok((await pipeline.submit(who, submission({ destination_addr: '0800' }), 'smpps')).ok);
    assert.equal((await quotas())?.balance, 10, 'unrated: no balance moves');
    assert.equal((await quotas())?.sms_count, 99, 'but sms_count counts every part');

    assert.ok((await pipeline.submit(who, submission(), 'smpps')).ok);
    assert.equal((await quotas())?.balance, 9.96, 'rated: 40 % of 0.1 now');
    const m2 = await store.getMessage('m2');
    assert.equal(m2?.rate, 0.1);
    assert.equal(m2?.charged, 0.04);

    assert.ok((await pipeline.submit(who, submission(payload400), 'smpps')).ok);
    assert.equal((await quotas())?.balance, 9.84, '3 parts × 0.04');
    assert.equal((await quotas())?.sms_count, 95);
    const m3 = await store.getMessage('m3');
    assert.equal(m3?.rate, 0.3);
    assert.equal(m3?.charged, 0.12);
  });

  it('insufficient balance or sms_count: ESME_RSYSERR, nothing stored, nothing moved', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 0.25, sms_count: 2 } } });
    const { pipeline, store, quotas } = await setup([user], [defaultRoute(0.1)]);
    const who = { id: 'u1', username: 'user1' };
    const long = await pipeline.submit(who, submission(payload400), 'smpps');
    assert.equal(long.status, CommandStatus.ESME_RSYSERR, '0.3 for 3 parts > 0.25');
    assert.ok((await pipeline.submit(who, submission(), 'smpps')).ok);
    assert.ok((await pipeline.submit(who, submission(), 'smpps')).ok);
    const third = await pipeline.submit(who, submission(), 'smpps');
    assert.equal(third.status, CommandStatus.ESME_RSYSERR, 'sms_count is used up');
    assert.deepEqual(await store.queueDepths(), { c1: 2 });
    const q = await quotas();
    assert.equal(q?.balance, 0.05);
    assert.equal(q?.sms_count, 0);
  });

  it('two binds of one user racing for the last units: exactly what the balance pays for, never negative', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 7 } } });
    const { pipeline, store, quotas } = await setup([user], [defaultRoute(1)]);
    const binds = [
      { id: 'u1', username: 'user1' },
      { id: 'u1', username: 'user1' },
    ];
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        pipeline.submit(binds[i % 2], submission(), 'smpps', { session: `bind-${i % 2}` }),
      ),
    );
    const accepted = results.filter((r) => r.ok).length;
    assert.equal(accepted, 7);
    assert.ok(results.every((r) => r.ok || r.status === CommandStatus.ESME_RSYSERR));
    assert.deepEqual(await store.queueDepths(), { c1: 7 });
    assert.equal((await quotas())?.balance, 0);
  });

  it('accepted messages survive closing and reopening the store', async () => {
    const user = await makeUser();
    const { pipeline, store, dir } = await setup([user], [defaultRoute()]);
    const result = await pipeline.submit({ id: 'u1' }, submission({ short_message: Buffer.from('durable') }), 'smpps');
    assert.ok(result.ok);
    await store.close();
    const reopened = openSqliteStore({ path: dir });
    try {
      const m = await reopened.getMessage(result.message_ids[0]);
      assert.equal(m?.short_message.toString(), 'durable');
      assert.equal(m?.status, 'queued');
    } finally {
      await reopened.close();
    }
  });

  it('a closed store is ESME_RSYSERR and the charge is refunded when it fails after charging', async () => {
    const user = await makeUser({ mt: { quotas: { balance: 1 } } });
    const { pipeline, store } = await setup([user], [defaultRoute(0.5)]);
    const accept = store.acceptMessages.bind(store);
    store.acceptMessages = () => Promise.reject(new Error('injected'));
    const r = await pipeline.submit({ id: 'u1' }, submission(), 'smpps');
    assert.equal(r.status, CommandStatus.ESME_RSYSERR);
    assert.equal((await store.getUser('u1'))?.mt_messaging_cred.quotas.balance, 1);
    store.acceptMessages = accept;
    await store.close();
    const closed = await pipeline.submit({ id: 'u1' }, submission(), 'smpps');
    assert.equal(closed.status, CommandStatus.ESME_RSYSERR);
  });
});
