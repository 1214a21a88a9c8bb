import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { redisUnavailable, startRedis } from '../../test/helpers/redisServer.js';
import { defaultSettings, type StoreSettings } from '../config/index.js';
import { openStore } from './open.js';
import { RedisStore } from './redis/redisStore.js';
import { SqliteStore } from './sqlite/sqliteStore.js';

const dir = mkdtempSync(join(tmpdir(), 'smppgate-open-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function settings(over: Partial<StoreSettings>): StoreSettings {
  return { ...defaultSettings().store, ...over };
}

describe('openStore', () => {
  it('opens the embedded SQLite store by default, with its keys', async () => {
    const store = await openStore(settings({ path: join(dir, 'data'), synchronous: 'normal' }));
    assert.ok(store instanceof SqliteStore);
    assert.equal(store.durability().synchronous, 'normal');
    await store.createGroup({ gid: 'g', enabled: true });
    await store.close();
  });

  it('names [store] path when the SQLite folder cannot be made', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    await assert.rejects(openStore(settings({ path: join(file, 'data') })), (error: Error) => {
      assert.equal(error.name, 'StoreUnavailableError');
      assert.match(error.message, /^\[store\] path: cannot open the store at .*a-file/);
      return true;
    });
  });

  it('opens Redis under the key prefix', { skip: redisUnavailable() ?? false }, async () => {
    const redis = await startRedis({ persistence: 'none' });
    try {
      const store = await openStore(settings({ backend: 'redis', url: redis.url, key_prefix: 'pfx:' }), {
        nodeId: 'n1',
      });
      assert.ok(store instanceof RedisStore);
      assert.equal(store.prefix, 'pfx:');
      assert.equal(store.nodeId, 'n1');
      await store.createGroup({ gid: 'g', enabled: true });
      assert.deepEqual(await store.listGroups(), [{ gid: 'g', enabled: true }]);
      await assert.rejects(
        openStore(settings({ backend: 'redis', url: redis.url, key_prefix: 'pfx:' }), {
          nodeId: 'n1',
          nodeLeaseMs: 200,
        }),
        (error: Error) => {
          assert.equal(error.name, 'StoreConflictError');
          assert.match(error.message, /^\[gateway\] node_id: node id "n1" is in use by another running node/);
          return true;
        },
      );
      await store.close();
    } finally {
      await redis.stop();
    }
  });

  it('names [store] url when Redis cannot be reached at start', { skip: redisUnavailable() ?? false }, async () => {
    const gone = await startRedis({ persistence: 'none' });
    await gone.stop();
    await assert.rejects(openStore(settings({ backend: 'redis', url: gone.url })), (error: Error) => {
      assert.equal(error.name, 'StoreUnavailableError');
      assert.equal(error.message, `[store] url: cannot connect to redis://127.0.0.1:${gone.port}: ECONNREFUSED`);
      return true;
    });
  });
});
