import { after, before, describe } from 'node:test';
import { redisUnavailable, startRedis, type TestRedis } from '../../../test/helpers/redisServer.js';
import { storeConformance } from '../conformance/suite.js';
import { openRedisStore } from './redisStore.js';

const skip = redisUnavailable();
let redis: TestRedis | undefined;
let prefixes = 0;

describe('redis store', { skip: skip ?? false }, () => {
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  storeConformance('redis', async () => {
    const url = (redis as TestRedis).url;
    const options = { url, keyPrefix: `t${prefixes++}:`, nodeId: 'node-a' };
    return {
      store: await openRedisStore(options),
      reopen: () => openRedisStore(options),
      cleanup: async () => {},
    };
  });
});
