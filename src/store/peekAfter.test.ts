// peekDeliveries with `afterSeq` (the delivery engine's cursor), on every backend: the SQLite store always, Redis when
// a redis-server can be started. Kept beside the conformance suite, which stays as it is.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { redisUnavailable, startRedis, type TestRedis } from '../../test/helpers/redisServer.js';
import { openRedisStore } from './redis/redisStore.js';
import { openSqliteStore } from './sqlite/sqliteStore.js';
import type { Store } from './store.js';

async function checkPeekAfter(store: Store): Promise<void> {
  const now = 1_000_000;
  const item = (uid: string, n: number) => ({
    uid,
    kind: 'receipt' as const,
    payload: { n, bytes: Buffer.from([n]) },
    created_at: now,
    expires_at: now + 86_400_000,
  });
  const seqs = await store.enqueueDeliveries([1, 2, 3, 4, 5].map((n) => item('pa-u', n)));
  await store.enqueueDeliveries([item('pa-other', 9)]);
  const ns = (ds: Awaited<ReturnType<Store['peekDeliveries']>>) => ds.map((d) => d.payload.n);
  assert.deepEqual(ns(await store.peekDeliveries('pa-u', 10, now, seqs[1])), [3, 4, 5], 'only after the seq');
  assert.deepEqual(ns(await store.peekDeliveries('pa-u', 2, now, seqs[1])), [3, 4], 'at most max');
  assert.deepEqual(ns(await store.peekDeliveries('pa-u', 10, now, seqs[4])), [], 'nothing after the last');
  assert.deepEqual(ns(await store.peekDeliveries('pa-u', 10, now, 0)), [1, 2, 3, 4, 5], 'after 0: the whole head');
  assert.deepEqual((await store.peekDeliveries('pa-u', 10, now, seqs[0]))[0].payload.bytes, Buffer.from([2]));
  // A held one after the seq still stops the run there; one before it is the caller's business.
  await store.retryDelivery('pa-u', seqs[3], now + 1000);
  assert.deepEqual(ns(await store.peekDeliveries('pa-u', 10, now, seqs[1])), [3], 'stops at a held one');
  assert.deepEqual(ns(await store.peekDeliveries('pa-u', 10, now, seqs[3])), [5]);
  assert.deepEqual(ns(await store.peekDeliveries('pa-u', 10, now)), [1, 2, 3], 'without a seq, as before');
  await store.ackDelivery('pa-u', seqs[2]);
  assert.deepEqual(ns(await store.peekDeliveries('pa-u', 10, now + 1000, seqs[1])), [4, 5], 'acked ones are gone');
}

describe('peekDeliveries after a seq', () => {
  it('sqlite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smppgate-peek-'));
    const store = openSqliteStore({ path: dir });
    try {
      await checkPeekAfter(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('redis', { skip: redisUnavailable() ?? false }, () => {
    let redis: TestRedis | undefined;
    before(async () => {
      redis = await startRedis();
    });
    after(async () => {
      await redis?.stop();
    });
    it('redis', async () => {
      const store = await openRedisStore({ url: (redis as TestRedis).url, keyPrefix: 'pa:', nodeId: 'pa' });
      try {
        await checkPeekAfter(store);
      } finally {
        await store.close();
      }
    });
  });
});
