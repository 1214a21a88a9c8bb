import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { messageFixture } from '../conformance/suite.js';
import type { HistoryEvent } from '../store.js';
import { MIGRATIONS } from './schema.js';
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

describe('sqlite history index', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'smppgate-histidx-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a store from before the seq index keeps its events readable, through the seq index', async () => {
    const path = join(dir, 'old');
    mkdirSync(path);
    const old = new Database(join(path, 'smppgate.db'));
    old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (3)');
    for (const sql of MIGRATIONS.slice(0, 3)) old.exec(sql);
    old.close();
    const m = messageFixture('u1', 'c1', { submitted_at: 1000 });
    let store = openSqliteStore({ path, synchronous: 'normal' });
    await store.acceptMessages([m]);
    await store.close();
    // Events written the old way: by message id only.
    const raw = new Database(join(path, 'smppgate.db'));
    raw.exec(
      'DROP INDEX history_mseq; ALTER TABLE history DROP COLUMN mseq; CREATE INDEX history_message ON history (message_id)',
    );
    raw.prepare('UPDATE schema_version SET version = 3').run();
    raw
      .prepare('INSERT INTO history (message_id, at, type, data) VALUES (?, ?, ?, ?)')
      .run(m.id, 1010, 'upstream', '{"outcome":"accepted"}');
    raw.close();
    store = openSqliteStore({ path, synchronous: 'normal' });
    await store.appendHistory([{ message_id: m.id, at: 1020, type: 'receipt', data: { state: 2 } }]);
    const h = await store.messageHistory(m.id);
    assert.deepEqual(
      h?.events.map((e) => e.type),
      ['accepted', 'upstream', 'receipt'],
    );
    await store.close();
    const check = new Database(join(path, 'smppgate.db'), { readonly: true });
    const plan = check
      .prepare('EXPLAIN QUERY PLAN SELECT * FROM history WHERE mseq = ? AND message_id = ? ORDER BY id')
      .all(1, m.id) as { detail: string }[];
    check.close();
    assert.match(plan.map((p) => p.detail).join('; '), /USING INDEX history_mseq/);
  });

  it("a part that gets a pruned part's seq again does not show that part's surviving events", async () => {
    const store = openSqliteStore({ path: join(dir, 'reuse'), synchronous: 'normal' });
    try {
      const gone = messageFixture('u1', 'c1', { submitted_at: 1000, status: 'final', final_at: 1001 });
      await store.acceptMessages([gone]);
      // An event newer than the cut-off outlives its part, which is done before it.
      await store.appendHistory([{ message_id: gone.id, at: 9000, type: 'delivery', data: { result: 'ok' } }]);
      await store.pruneHistory(5000);
      assert.equal(await store.getMessage(gone.id), null);
      const next = messageFixture('u1', 'c1', { submitted_at: 6000 });
      await store.acceptMessages([next]);
      const h = await store.messageHistory(next.id);
      assert.deepEqual(
        h?.events.map((e) => e.type),
        ['accepted'],
      );
    } finally {
      await store.close();
    }
  });
});
