import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisUnavailable, startRedis, type TestRedis } from '../../../test/helpers/redisServer.js';
import type { ConnectorLeases as ManagerLeases } from '../../connectors/manager.js';
import { createRedisLeases } from './leases.js';

const skip = redisUnavailable();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('redis connector leases', { skip: skip ?? false }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis({ persistence: 'none' });
  });
  after(async () => {
    await redis.stop();
  });

  it('lets one node hold a connector; others are refused and cannot renew or release it', async () => {
    // The connector manager takes these leases as they are.
    const a: ManagerLeases & { holder(cid: string): Promise<string | null>; close(): Promise<void> } =
      createRedisLeases({ url: redis.url, keyPrefix: 'l1:', nodeId: 'a' });
    const b = createRedisLeases({ url: redis.url, keyPrefix: 'l1:', nodeId: 'b' });
    assert.equal(await a.acquire('c1', 5000), true);
    assert.equal(await b.acquire('c1', 5000), false);
    assert.equal(await a.acquire('c1', 5000), true, 'the holder may take it again (extends it)');
    assert.equal(await b.renew('c1', 5000), false);
    await b.release('c1');
    assert.equal(await a.holder('c1'), 'a', 'a release by another node does nothing');
    assert.equal(await a.renew('c1', 5000), true);
    assert.equal(await b.acquire('c2', 5000), true, 'leases are per connector');
    await a.release('c1');
    assert.equal(await a.holder('c1'), null);
    assert.equal(await b.acquire('c1', 5000), true, 'a released lease is free at once');
    await Promise.all([a.close(), b.close()]);
  });

  it('moves to another node once the holder stops renewing, and the old holder cannot renew after', async () => {
    const client = new Redis(redis.url);
    const a = createRedisLeases({ client, keyPrefix: 'l2:', nodeId: 'a' });
    const b = createRedisLeases({ url: redis.url, keyPrefix: 'l2:', nodeId: 'b' });
    assert.equal(await a.acquire('c1', 150), true);
    assert.equal(await a.renew('c1', 150), true);
    assert.equal(await b.acquire('c1', 150), false);
    await sleep(200); // a stalls past its lease
    assert.equal(await b.acquire('c1', 5000), true, 'taken over after expiry');
    assert.equal(await a.renew('c1', 5000), false, 'renew refused after the takeover');
    await a.release('c1');
    assert.equal(await b.holder('c1'), 'b', 'the old holder cannot drop the new one');
    assert.equal((await client.pttl('l2:lease:c1')) > 1000, true, 'the key carries the lease time');
    await a.close(); // a shared client stays open
    assert.equal(await client.ping(), 'PONG');
    await client.quit();
    await b.close();
  });

  it('rejects with StoreUnavailableError when Redis cannot be reached, and refuses a bad ttl', async () => {
    const gone = await startRedis({ persistence: 'none' });
    await gone.stop();
    const a = createRedisLeases({ url: gone.url, nodeId: 'a' });
    await assert.rejects(a.acquire('c1', 1000), { name: 'StoreUnavailableError' });
    await assert.rejects(a.renew('c1', 0), RangeError);
    await a.close();
  });
});
