// peekDeliveries reads raw rows (arrays by column position): every field must come back as it was stored.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from './sqliteStore.js';

const dirs: string[] = [];

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('sqlite store: peekDeliveries', () => {
  it('returns every field of the stored delivery, after a retry too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smppgate-peek-'));
    dirs.push(dir);
    const store = openSqliteStore({ path: dir });
    const payload = { short_message: Buffer.from([0, 1, 255]), tlvs: { message_state: 2 }, esm_class: 4 };
    const [seq] = await store.enqueueDeliveries([
      { uid: 'u1', kind: 'receipt', payload, created_at: 111, expires_at: 222 },
    ]);
    assert.deepEqual(await store.peekDeliveries('u1', 10, 1000), [
      {
        seq,
        uid: 'u1',
        kind: 'receipt',
        payload,
        created_at: 111,
        expires_at: 222,
        attempts: 0,
        next_attempt_at: 0,
      },
    ]);
    await store.retryDelivery('u1', seq, 333);
    assert.deepEqual(await store.peekDeliveries('u1', 10, 1000, seq - 1), [
      {
        seq,
        uid: 'u1',
        kind: 'receipt',
        payload,
        created_at: 111,
        expires_at: 222,
        attempts: 1,
        next_attempt_at: 333,
      },
    ]);
    assert.deepEqual(await store.peekDeliveries('u1', 10, 332), [], 'not due before next_attempt_at');
    await store.close();
  });
});
