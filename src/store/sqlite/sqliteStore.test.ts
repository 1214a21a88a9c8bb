import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { messageFixture, storeConformance, userFixture } from '../conformance/suite.js';
import { StoreUnavailableError } from '../errors.js';
import { MIGRATIONS } from './schema.js';
import { openSqliteStore } from './sqliteStore.js';

const dirs: string[] = [];

/** A fresh temporary data folder, removed after the file's tests. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smppgate-store-'));
  dirs.push(dir);
  return dir;
}

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

storeConformance('sqlite', async () => {
  const dir = tempDir();
  return {
    store: openSqliteStore({ path: dir }),
    reopen: async () => openSqliteStore({ path: dir }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

storeConformance('sqlite, synchronous=NORMAL, 2 ms commit window, batches of 7', async () => {
  const dir = tempDir();
  const options = { path: dir, synchronous: 'normal', commitWindowMs: 2, maxBatch: 7 } as const;
  return {
    store: openSqliteStore(options),
    reopen: async () => openSqliteStore(options),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('sqlite store specifics', () => {
  it('creates its data folder and one database file in WAL mode, synchronous FULL by default', async () => {
    const dir = join(tempDir(), 'nested', 'data');
    const store = openSqliteStore({ path: dir });
    await store.acceptMessages([messageFixture('u', 'c')]);
    assert.ok(existsSync(join(dir, 'smppgate.db')));
    assert.ok(existsSync(join(dir, 'smppgate.db-wal')), 'WAL file while open');
    assert.deepEqual(store.durability(), { journalMode: 'wal', synchronous: 'full' });
    assert.ok(store.sizeBytes() > 0);
    await store.close();
    const normal = openSqliteStore({ path: dir, synchronous: 'normal' });
    assert.deepEqual(normal.durability(), { journalMode: 'wal', synchronous: 'normal' });
    await normal.close();
  });

  it('records its schema version, migrates once, and refuses a newer schema', async () => {
    const dir = tempDir();
    await openSqliteStore({ path: dir }).close();
    await openSqliteStore({ path: dir }).close();
    const db = new Database(join(dir, 'smppgate.db'));
    assert.deepEqual(db.prepare('SELECT version FROM schema_version').all(), [{ version: MIGRATIONS.length }]);
    db.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length + 1);
    db.close();
    assert.throws(() => openSqliteStore({ path: dir }), {
      name: 'StoreUnavailableError',
      message: /schema version .* is newer/,
    });
  });

  it('names the path when a file stands where the data folder should be', () => {
    const file = join(tempDir(), 'not-a-folder');
    writeFileSync(file, 'x');
    assert.throws(
      () => openSqliteStore({ path: file }),
      (error: Error) => {
        assert.equal(error.name, 'StoreUnavailableError');
        assert.match(error.message, /not-a-folder/);
        return true;
      },
    );
  });

  it('names the path when the data folder is not writable', (t) => {
    if (process.getuid?.() === 0) {
      t.skip('root ignores folder permissions');
      return;
    }
    const dir = join(tempDir(), 'read-only');
    mkdirSync(dir);
    chmodSync(dir, 0o555);
    try {
      assert.throws(() => openSqliteStore({ path: dir }), {
        name: 'StoreUnavailableError',
        message: /read-only.*smppgate\.db/,
      });
    } finally {
      chmodSync(dir, 0o755);
    }
  });

  it('fails a write after close with StoreUnavailableError', async () => {
    const store = openSqliteStore({ path: tempDir() });
    await store.close();
    await assert.rejects(store.acceptMessages([messageFixture('u', 'c')]), { name: 'StoreUnavailableError' });
    await assert.rejects(store.getMessage('x'), { name: 'StoreUnavailableError' });
  });

  it('group-commits the calls of one tick, cuts batches at maxBatch, and waits a configured window', async () => {
    const tick = openSqliteStore({ path: tempDir(), maxBatch: 10 });
    await Promise.all(Array.from({ length: 25 }, () => tick.acceptMessages([messageFixture('u', 'c')])));
    assert.deepEqual(tick.commitStats(), { batches: 3, calls: 25 });
    // Without a window, calls of different ticks get their own transaction.
    const spread = [tick.acceptMessages([messageFixture('u', 'c')])];
    await new Promise((resolve) => setImmediate(resolve));
    spread.push(tick.acceptMessages([messageFixture('u', 'c')]));
    await Promise.all(spread);
    assert.deepEqual(tick.commitStats(), { batches: 5, calls: 27 });
    await tick.close();

    const windowed = openSqliteStore({ path: tempDir(), commitWindowMs: 30 });
    const calls = [windowed.acceptMessages([messageFixture('u', 'c')])];
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      calls.push(windowed.acceptMessages([messageFixture('u', 'c')]));
    }
    await Promise.all(calls);
    assert.deepEqual(windowed.commitStats(), { batches: 1, calls: 4 });
    await windowed.close();
  });

  it('answers StoreUnavailableError while another process holds the write lock, then recovers', async () => {
    const dir = tempDir();
    const store = openSqliteStore({ path: dir, busyTimeoutMs: 20 });
    await store.createGroup({ gid: 'g1', enabled: true });
    await store.createUser(userFixture('busy', { balance: 1 }));
    const other = new Database(join(dir, 'smppgate.db'));
    other.exec('BEGIN IMMEDIATE');
    const m = messageFixture('busy', 'c');
    const [charged, accepted] = await Promise.allSettled([
      store.charge('busy', { amount: 0.5, smsCount: 0 }),
      store.acceptMessages([m]),
    ]);
    for (const r of [charged, accepted]) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.status === 'rejected' && r.reason instanceof StoreUnavailableError);
      assert.equal(r.status === 'rejected' && r.reason.full, false);
    }
    assert.equal((await store.getUser('busy'))?.mt_messaging_cred.quotas.balance, 1, 'reads go on under WAL');
    other.exec('ROLLBACK');
    other.close();
    assert.deepEqual(await store.charge('busy', { amount: 0.5, smsCount: 0 }), {
      ok: true,
      balance: 0.5,
      sms_count: null,
    });
    await store.acceptMessages([m]);
    await store.close();
  });

  it('answers StoreUnavailableError `full` when the database is full, and keeps nothing of that batch', async () => {
    const store = openSqliteStore({ path: tempDir(), maxBytes: 256 * 1024 });
    await store.createGroup({ gid: 'g1', enabled: true });
    await store.createUser(userFixture('full', { balance: 1000 }));
    // Deliveries (receipts, MO) may use the whole cap; new messages only half of it (the next test).
    const big = () => ({
      uid: 'full',
      kind: 'mo' as const,
      payload: { b: 'A'.repeat(2000) },
      created_at: 0,
      expires_at: 1e15,
    });
    let failure: unknown;
    let queued = 0;
    let charged = 0;
    for (let round = 0; round < 200 && failure === undefined; round++) {
      // A charge and a write share each batch: when the batch fails, the charge is undone.
      const settled = await Promise.allSettled([
        store.charge('full', { amount: 1, smsCount: 0 }),
        store.enqueueDeliveries([big(), big(), big()]),
      ]);
      if (settled[1].status === 'rejected') {
        failure = settled[1].reason;
        assert.equal(settled[0].status, 'rejected', 'every call of the failed batch fails');
      } else {
        queued += 3;
        charged++;
      }
    }
    assert.ok(failure instanceof StoreUnavailableError, `got ${String(failure)}`);
    assert.equal(failure.full, true);
    assert.ok(queued > 0);
    assert.equal((await store.peekDeliveries('full', 10_000, 0)).length, queued, 'nothing of the failed batch kept');
    assert.equal(
      (await store.getUser('full'))?.mt_messaging_cred.quotas.balance,
      1000 - charged,
      'only the committed batches were charged',
    );
    await store.close();
  });

  it('refuses new messages (full) once half of maxBytes is used, leaving the rest to the work of those accepted', async () => {
    const store = openSqliteStore({ path: tempDir(), maxBytes: 256 * 1024 });
    await store.createGroup({ gid: 'g1', enabled: true });
    await store.createUser(userFixture('full', { balance: 1000 }));
    const big = () => messageFixture('full', 'c', { short_message: Buffer.alloc(2000, 0x41) });
    let failure: unknown;
    let accepted = 0;
    for (let round = 0; round < 200 && failure === undefined; round++) {
      const batch = [big(), big(), big()];
      try {
        await store.acceptMessages(batch);
        accepted += batch.length;
      } catch (error) {
        failure = error;
        for (const m of batch) assert.equal(await store.getMessage(m.id), null, 'nothing of the batch is kept');
      }
    }
    assert.ok(failure instanceof StoreUnavailableError, `got ${String(failure)}`);
    assert.equal(failure.full, true);
    assert.ok(accepted > 0);
    assert.equal(await store.queueDepth('c'), accepted);
    // The headroom is there for the accepted messages' receipts and history.
    const receipts = Array.from({ length: 10 }, () => ({
      uid: 'full',
      kind: 'receipt' as const,
      payload: { b: 'A'.repeat(2000) },
      created_at: 0,
      expires_at: 1e15,
    }));
    assert.equal((await store.enqueueDeliveries(receipts)).length, 10);
    // The process keeps serving: reads answer, and close still flushes and closes cleanly.
    assert.equal((await store.listMessages({ uid: 'full', limit: 10_000 })).length, accepted);
    await store.close();
  });

  it('loses nothing it acknowledged when the process is killed (kill -9), and recovers parts in flight', async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./crash.fixtures.ts', import.meta.url)), dir, 'normal'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, sig) => resolve(sig)),
    );
    assert.equal(signal, 'SIGKILL');
    const told = JSON.parse(out) as { accepted: string[]; claimed: string[] };
    assert.equal(told.accepted.length, 200);
    assert.equal(told.claimed.length, 20);

    const store = openSqliteStore({ path: dir });
    assert.equal((await store.getUser('crash-user'))?.mt_messaging_cred.quotas.balance, 8.75);
    for (const id of told.claimed) assert.equal((await store.getMessage(id))?.status, 'sending');
    assert.equal(await store.queueDepth('crash-lost'), 0, 'an uncommitted batch leaves no trace');
    assert.equal(await store.recoverInFlight(), 20);
    const all = await store.claimMessages('crash-c', 500, Date.now());
    assert.deepEqual(
      all.map((m) => m.id),
      told.accepted,
      'every acknowledged part, in acceptance order',
    );
    await store.close();
  });
});
