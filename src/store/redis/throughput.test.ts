import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisUnavailable, startRedis, type TestRedis } from '../../../test/helpers/redisServer.js';
import { createRedisThrottle } from './throughput.js';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('redis shared throughput buckets', { skip: redisUnavailable() ?? false }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis({ persistence: 'none' });
  });
  after(async () => {
    await redis.stop();
  });

  it('lets two nodes together take one bucket’s burst, not one each, then refills at the rate', async () => {
    const a = createRedisThrottle({ url: redis.url, keyPrefix: 't1:' });
    const b = createRedisThrottle({ url: redis.url, keyPrefix: 't1:' });
    // 20/s with a quarter-second burst: 5 tokens.
    const takes = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).take('smpps:u1', 1, 20)));
    assert.equal(takes.filter(Boolean).length, 5);
    assert.equal(await a.take('smpps:u2', 1, 20), true, 'buckets are per key');
    await sleep(220); // at least 4.4 tokens back, never more than the 5 of a full bucket
    const later = (await Promise.all(Array.from({ length: 10 }, () => b.take('smpps:u1', 1, 20)))).filter(Boolean);
    assert.ok(later.length >= 4 && later.length <= 5, `${later.length} taken after the refill`);
    await Promise.all([a.close(), b.close()]);
  });

  it('treats no rate as unlimited, lets a large take through a full bucket into debt, and resets', async () => {
    const a = createRedisThrottle({ url: redis.url, keyPrefix: 't2:' });
    assert.equal(await a.take('k', 1000, null), true);
    assert.equal(await a.take('k', 1000, 0), true);
    assert.equal(await a.take('k', 10, 4), true, 'a full bucket (1 token at 4/s) lets a larger take through');
    assert.equal(await a.take('k', 1, 4), false, 'then it is in debt');
    await a.reset('k');
    assert.equal(await a.take('k', 1, 4), true, 'a reset bucket starts full');
    await a.close();
  });
});
