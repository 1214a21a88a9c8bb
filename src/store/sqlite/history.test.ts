import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { messageFixture } from '../conformance/suite.js';
import type { HistoryEvent } from '../store.js';
import { openSqliteStore, type SqliteStore } from './sqliteStore.js';

describe('sqlite history pruning', () => {
  let dir: string;
  let store: SqliteStore;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'smppgate-prune-'));
    store = openSqliteStore({ path: dir, synchronous: 'normal' });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets other writes commit between its batches instead of holding the store for the whole prune', async () => {
    const events: HistoryEvent[] = Array.from({ length: 40_000 }, (_, i) => ({
      message_id: `old-${i % 500}`,
      at: 1000 + (i % 1000),
      type: 'delivery',
      data: { result: 'ok', seq: i },
    }));
    await store.appendHistory(events);
    const before = store.commitStats().batches;
    let pruneDone = false;
    const prune = store.pruneHistory(10_000).then((n) => {
      pruneDone = true;
      return n;
    });
    // Traffic arriving while the prune runs: each write must commit before the prune has finished.
    const accepted: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await store.acceptMessages([messageFixture('u1', 'c1')]);
      accepted.push(!pruneDone);
    }
    assert.equal(await prune, 40_000);
    assert.deepEqual(accepted, [true, true, true], 'writes committed while pruning was still under way');
    assert.ok(store.commitStats().batches - before >= 20, 'the prune ran as many small transactions');
    assert.equal((await store.queryHistory({ uid: 'u1' })).items.length, 3, 'the traffic is kept');
  });
});
