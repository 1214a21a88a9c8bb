import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisUnavailable, startRedis, type TestRedis } from '../../../test/helpers/redisServer.js';
import { messageFixture, storeConformance, userFixture } from '../conformance/suite.js';
import type { StoreChange } from '../store.js';
import { openRedisStore, type RedisStore, type RedisStoreOptions } from './redisStore.js';

const skip = redisUnavailable();
let redis: TestRedis | undefined;
let prefixes = 0;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Two or more stores on one Redis and one key prefix, as two gateway nodes would have, closed after the test. */
async function nodes(count: number, over: Partial<RedisStoreOptions> = {}): Promise<RedisStore[]> {
  const keyPrefix = `n${prefixes++}:`;
  const url = (redis as TestRedis).url;
  return Promise.all(
    Array.from({ length: count }, (_, i) => openRedisStore({ url, keyPrefix, nodeId: `node-${i}`, ...over })),
  );
}

async function closeAll(stores: RedisStore[]): Promise<void> {
  await Promise.all(stores.map((s) => s.close()));
}

describe('redis store', { skip: skip ?? false }, () => {
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  storeConformance('redis', async () => {
    const options = { url: (redis as TestRedis).url, keyPrefix: `t${prefixes++}:`, nodeId: 'node-a' };
    return {
      store: await openRedisStore(options),
      reopen: () => openRedisStore(options),
      cleanup: async () => {},
    };
  });

  describe('several nodes on one Redis', () => {
    it('never overspends when two nodes race for one user’s last units', async () => {
      const [a, b] = await nodes(2);
      await a.createGroup({ gid: 'g1', enabled: true });
      await a.createUser(userFixture('u-last', { balance: 1, sms_count: 1000 }));
      const charges = Array.from({ length: 300 }, (_, i) =>
        (i % 2 === 0 ? a : b).charge('u-last', { amount: 0.01, smsCount: 1 }),
      );
      const results = await Promise.all(charges);
      assert.equal(results.filter((r) => r.ok).length, 100);
      const q = (await b.getUser('u-last'))?.mt_messaging_cred.quotas;
      assert.equal(q?.balance, 0);
      assert.equal(q?.sms_count, 900);
      await closeAll([a, b]);
    });

    it('never hands one part to two nodes claiming at once, and keeps the acceptance order', async () => {
      const [a, b] = await nodes(2);
      const records = Array.from({ length: 400 }, () => messageFixture('u-cl', 'c-shared'));
      await a.acceptMessages(records.slice(0, 200));
      await b.acceptMessages(records.slice(200));
      const got = new Map<string, string[]>([
        ['a', []],
        ['b', []],
      ]);
      const drain = async (store: RedisStore, name: string) => {
        for (;;) {
          const claimed = await store.claimMessages('c-shared', 7, Date.now());
          if (claimed.length === 0) return;
          got.get(name)?.push(...claimed.map((m) => m.id));
        }
      };
      await Promise.all([drain(a, 'a'), drain(b, 'b'), drain(a, 'a'), drain(b, 'b')]);
      const all = [...(got.get('a') ?? []), ...(got.get('b') ?? [])];
      assert.equal(all.length, 400);
      assert.equal(new Set(all).size, 400, 'no part claimed twice');
      assert.ok((got.get('a') ?? []).length > 0 && (got.get('b') ?? []).length > 0, 'both nodes got work');
      assert.equal(await a.queueDepth('c-shared'), 0);
      await closeAll([a, b]);
    });

    it('gives a dead node’s claimed parts back after the claim timeout, never a live node’s before it', async () => {
      const [dead, live, other] = await nodes(3, { claimTimeoutMs: 400 });
      const records = Array.from({ length: 4 }, () => messageFixture('u-dead', 'c-dead'));
      await dead.acceptMessages(records);
      const lost = await dead.claimMessages('c-dead', 2, Date.now());
      await dead.close(); // the node dies with two parts in flight
      const kept = await live.claimMessages('c-dead', 2, Date.now());
      assert.equal(await other.recoverInFlight(), 0, 'a node starting now takes nothing still under a deadline');
      assert.deepEqual(await other.claimMessages('c-dead', 10, Date.now()), []);
      await live.updateMessages(kept.map((m) => ({ id: m.id, patch: { status: 'sent', upstream_id: `up-${m.id}` } })));
      await sleep(450);
      const back = await other.claimMessages('c-dead', 10, Date.now());
      assert.deepEqual(
        back.map((m) => m.id),
        lost.map((m) => m.id),
        'the dead node’s parts, in their order',
      );
      for (const m of kept) assert.equal((await other.getMessage(m.id))?.status, 'sent', 'the live node’s work stays');
      await closeAll([live, other]);
    });

    it('recovers only its own in-flight parts at start, and expired ones of others', async () => {
      const [a, b] = await nodes(2, { claimTimeoutMs: 60_000 });
      await a.acceptMessages(Array.from({ length: 3 }, () => messageFixture('u-rec', 'c-rec')));
      await a.claimMessages('c-rec', 1, Date.now());
      await b.claimMessages('c-rec', 1, Date.now());
      await a.close(); // node-0 stops (or dies) and starts again with its id
      const restarted = await openRedisStore({ url: (redis as TestRedis).url, keyPrefix: a.prefix, nodeId: 'node-0' });
      assert.equal(await restarted.recoverInFlight(), 1, 'node-0’s own part only');
      assert.equal(await restarted.queueDepth('c-rec'), 2);
      await closeAll([b, restarted]);
    });

    it('refuses a second running node with the same id, and frees the id at close or after a dead node’s lease', async () => {
      const url = (redis as TestRedis).url;
      const keyPrefix = `n${prefixes++}:`;
      const first = await openRedisStore({ url, keyPrefix, nodeId: 'twin', nodeLeaseMs: 300 });
      const started = Date.now();
      await assert.rejects(openRedisStore({ url, keyPrefix, nodeId: 'twin', nodeLeaseMs: 300 }), (error: Error) => {
        assert.equal(error.name, 'StoreConflictError');
        assert.match(error.message, /node id "twin" is in use by another running node/);
        return true;
      });
      assert.ok(Date.now() - started >= 300, 'it waited one lease time for a dead holder to lapse');
      const other = await openRedisStore({ url, keyPrefix: `${keyPrefix}x:`, nodeId: 'twin', nodeLeaseMs: 300 });
      await other.close(); // another gateway (another prefix) may use the same id
      await first.close();
      const again = await openRedisStore({ url, keyPrefix, nodeId: 'twin', nodeLeaseMs: 300 });
      await again.close();
      // A node that died stopped renewing: its id is free once its lease lapses, and the new node waits for that.
      const raw = new Redis(url);
      await raw.set(`${keyPrefix}node:twin`, 'a-dead-node', 'PX', 200);
      const afterDeath = await openRedisStore({ url, keyPrefix, nodeId: 'twin', nodeLeaseMs: 300 });
      await afterDeath.close();
      await raw.quit();
    });

    it('takes a connector’s parts back from its previous holder at once when its lease moves', async () => {
      const [gone, taker] = await nodes(2);
      const records = Array.from({ length: 5 }, () => messageFixture('u-mv', 'c-move'));
      await gone.acceptMessages(records);
      await gone.acceptMessages([messageFixture('u-mv', 'c-other')]);
      const lost = await gone.claimMessages('c-move', 2, Date.now());
      await gone.claimMessages('c-other', 1, Date.now());
      await gone.close();
      const mine = await taker.claimMessages('c-move', 1, Date.now());
      assert.equal(await taker.recoverConnector('c-move'), 2, 'the previous holder’s parts, not its own nor c-other’s');
      assert.equal((await taker.getMessage(mine[0].id))?.status, 'sending');
      assert.deepEqual(
        (await taker.claimMessages('c-move', 10, Date.now())).map((m) => m.id),
        [...lost, ...records.slice(3)].map((m) => m.id),
      );
      assert.equal(await taker.recoverConnector('c-move'), 0);
      await taker.close();
    });

    it('tells every node about account, connector and route changes made on another', async () => {
      const [a, b] = await nodes(2);
      const seen: StoreChange[] = [];
      const stop = a.watchChanges((c) => seen.push(c));
      await sleep(100); // the subscription is in place
      await b.createGroup({ gid: 'g-w', enabled: true });
      await b.createUser({ ...userFixture('u-w'), gid: 'g-w' });
      await b.updateUser('u-w', { enabled: false });
      await b.putConnector({ cid: 'c-w', type: 'sim', started: false, settings: {} });
      await b.setConnectorStarted('c-w', true);
      await b.putMtRoute({ order: 5, type: 'static', connectors: ['c-w'], filters: [], rate: 0 });
      await b.deleteMoRoute(9).catch(() => {}); // a refused write announces nothing
      await b.charge('u-w', { amount: 0, smsCount: 0 }); // balance moves are not announced
      const deadline = Date.now() + 2000;
      while (seen.length < 6 && Date.now() < deadline) await sleep(10);
      assert.deepEqual(seen, [
        { kind: 'accounts', id: 'g-w' },
        { kind: 'accounts', id: 'u-w' },
        { kind: 'accounts', id: 'u-w' },
        { kind: 'connectors', id: 'c-w' },
        { kind: 'connectors', id: 'c-w' },
        { kind: 'routes', id: 'mt:5' },
      ]);
      stop();
      await b.putConnector({ cid: 'c-w2', type: 'sim', started: false, settings: {} });
      await sleep(100);
      assert.equal(seen.length, 6, 'no call after unsubscribing');
      await closeAll([a, b]);
    });

    it('keeps money as integer micro-units and a part’s hash compact in Redis', async () => {
      const [a] = await nodes(1);
      await a.createUser(userFixture('u-micro', { balance: 0.3 }));
      await a.charge('u-micro', { amount: 0.1, smsCount: 0 });
      const raw = new Redis((redis as TestRedis).url);
      assert.equal(await raw.hget(`${a.prefix}user:u-micro`, 'b'), '200000');
      // A part's hash keeps only short values, so Redis stores it in its compact encoding (memory per part).
      const m = messageFixture('u-micro', 'c-micro', { short_message: Buffer.alloc(254, 0x41) });
      await a.acceptMessages([m]);
      assert.match(String(await raw.object('ENCODING', `${a.prefix}m:${m.id}`)), /^(listpack|ziplist)$/);
      assert.deepEqual((await a.getMessage(m.id))?.short_message, m.short_message);
      await raw.quit();
      await a.close();
    });

    it('reports the server’s persistence', async () => {
      const [a] = await nodes(1);
      assert.deepEqual(await a.durability(), { appendonly: 'yes', appendfsync: 'always' });
      await a.close();
    });
  });

  describe('Redis going away', () => {
    it('fails calls with StoreUnavailableError while Redis is down and recovers by itself, losing nothing', async () => {
      const own = await startRedis({ persistence: 'always' });
      const store = await openRedisStore({ url: own.url, keyPrefix: 'k:', commandTimeoutMs: 1000 });
      try {
        await store.createGroup({ gid: 'g1', enabled: true });
        await store.createUser(userFixture('u-down', { balance: 5 }));
        assert.equal((await store.charge('u-down', { amount: 1, smsCount: 0 })).ok, true);
        await own.kill();
        await sleep(50);
        await assert.rejects(store.charge('u-down', { amount: 1, smsCount: 0 }), { name: 'StoreUnavailableError' });
        await assert.rejects(store.getUser('u-down'), { name: 'StoreUnavailableError' });
        await own.restart();
        let balance: number | null | undefined;
        const deadline = Date.now() + 5000;
        while (balance === undefined && Date.now() < deadline) {
          try {
            balance = (await store.getUser('u-down'))?.mt_messaging_cred.quotas.balance;
          } catch (error) {
            assert.equal((error as Error).name, 'StoreUnavailableError');
            await sleep(50);
          }
        }
        assert.equal(balance, 4, 'the acknowledged charge survived, the refused one was not applied');
        // Scripts work again although the restarted server forgot them (NOSCRIPT falls back to EVAL), also when
        // several different ones leave in one pipeline.
        const [charged] = await Promise.all([
          store.charge('u-down', { amount: 1, smsCount: 0 }),
          store.credit('u-down', { amount: 0, smsCount: 0 }),
          store.acceptMessages([messageFixture('u-down', 'c-down')]),
          store.enqueueDeliveries([{ uid: 'u-down', kind: 'mo', payload: {}, created_at: 0, expires_at: 1e15 }]),
        ]);
        assert.deepEqual(charged, { ok: true, balance: 3, sms_count: null });
        assert.equal(await store.queueDepth('c-down'), 1);
      } finally {
        await store.close();
        await own.stop();
      }
    });

    it('keeps nothing of an MT write that timed out while Redis was paused, and on-time writes still work', async () => {
      const own = await startRedis({ persistence: 'none' });
      const store = await openRedisStore({
        url: own.url,
        keyPrefix: 'pz:',
        commandTimeoutMs: 1000,
        deadlineMarginMs: 200,
      });
      const raw = new Redis(own.url);
      try {
        await store.createGroup({ gid: 'g1', enabled: true });
        await store.createUser(userFixture('u-pz', { balance: 5, sms_count: 10 }));
        assert.equal((await store.charge('u-pz', { amount: 1, smsCount: 1 })).ok, true);
        const before = messageFixture('u-pz', 'c-pz');
        await store.acceptMessages([before]);

        // Redis up but not answering for longer than the call timeout; the calls queue in Redis and run at the end.
        await raw.call('CLIENT', 'PAUSE', '2500', 'ALL');
        const late = messageFixture('u-pz', 'c-pz');
        const later = messageFixture('u-pz', 'c-pz');
        const calls = [
          store.charge('u-pz', { amount: 1, smsCount: 1 }),
          store.acceptMessages([late]),
          store.credit('u-pz', { amount: 2, smsCount: 0 }, Date.now() + 1000),
          // A connector's claim too: run late it would mark `before` sending with nobody sending it.
          store.claimMessages('c-pz', 10, Date.now()),
        ];
        await sleep(300);
        // A call made while an earlier pipeline is still unanswered (ioredis sends one at a time).
        calls.push(store.acceptMessages([later], Date.now() + 5000));
        const outcomes = await Promise.allSettled(calls);
        assert.deepEqual(
          outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).name : o.status)),
          Array(5).fill('StoreUnavailableError'),
        );
        await sleep(2600);

        // The pause is over and Redis has run every queued script: none of them wrote.
        const q = (await store.getUser('u-pz'))?.mt_messaging_cred.quotas;
        assert.deepEqual([q?.balance, q?.sms_count], [4, 9], 'no money taken or given by a refused call');
        assert.equal(await store.getMessage(late.id), null, 'a refused accept is not stored');
        assert.equal(await store.getMessage(later.id), null);
        assert.equal(await store.queueDepth('c-pz'), 1, 'nor queued, nor the queued one claimed');
        assert.deepEqual(
          (await store.listMessages({ uid: 'u-pz' })).map((m) => m.id),
          [before.id],
          'nor in history',
        );

        // On time, the same calls work.
        assert.deepEqual(await store.charge('u-pz', { amount: 1, smsCount: 1 }, Date.now() + 1000), {
          ok: true,
          balance: 3,
          sms_count: 8,
        });
        await store.acceptMessages([late], Date.now() + 1000);
        await store.credit('u-pz', { amount: 1, smsCount: 0 }, Date.now() + 1000);
        assert.equal(await store.queueDepth('c-pz'), 2);
        assert.equal((await store.getUser('u-pz'))?.mt_messaging_cred.quotas.balance, 4);
        // A deadline already (almost) past is refused without a round trip.
        await assert.rejects(store.acceptMessages([later], Date.now() + 100), { name: 'StoreUnavailableError' });
        assert.equal(await store.getMessage(later.id), null);
        assert.deepEqual(
          (await store.claimMessages('c-pz', 10, Date.now())).map((m) => m.id),
          [before.id, late.id],
          'an on-time claim takes both',
        );
      } finally {
        await raw.quit();
        await store.close();
        await own.stop();
      }
    });

    it('answers StoreUnavailableError full when Redis is out of memory, keeping what it accepted', async () => {
      const own = await startRedis({ persistence: 'none' });
      const store = await openRedisStore({ url: own.url, keyPrefix: 'oom:' });
      const raw = new Redis(own.url);
      try {
        const used = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
        await raw.config('SET', 'maxmemory-policy', 'noeviction');
        await raw.config('SET', 'maxmemory', String(used + 512 * 1024));
        const accepted: string[] = [];
        let refusal: unknown;
        for (let i = 0; i < 2000 && refusal === undefined; i++) {
          const batch = Array.from({ length: 20 }, () => messageFixture('u-oom', 'c-oom'));
          try {
            await store.acceptMessages(batch);
            accepted.push(...batch.map((m) => m.id));
          } catch (error) {
            refusal = error;
          }
        }
        assert.equal((refusal as Error | undefined)?.name, 'StoreUnavailableError');
        assert.equal((refusal as { full?: boolean }).full, true, 'ESME_RMSGQFUL, not ESME_RSYSERR');
        assert.equal(await store.queueDepth('c-oom'), accepted.length, 'no half batch kept');
        await raw.config('SET', 'maxmemory', '0');
        await store.acceptMessages([messageFixture('u-oom', 'c-oom')]);
      } finally {
        await raw.quit();
        await store.close();
        await own.stop();
      }
    });

    it('refuses to open with the reason when Redis cannot be reached', async () => {
      const gone = await startRedis({ persistence: 'none' });
      await gone.stop();
      await assert.rejects(openRedisStore({ url: `redis://:secret@127.0.0.1:${gone.port}` }), (error: Error) => {
        assert.equal(error.name, 'StoreUnavailableError');
        assert.equal(error.message, `cannot connect to redis://:***@127.0.0.1:${gone.port}: ECONNREFUSED`);
        return true;
      });
    });
  });
});
