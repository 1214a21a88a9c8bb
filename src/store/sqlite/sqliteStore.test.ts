import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { messageFixture, storeConformance } from '../conformance/suite.js';
import { openSqliteStore } from './sqliteStore.js';

storeConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smppgate-store-'));
  return {
    store: openSqliteStore({ path: dir }),
    reopen: async () => openSqliteStore({ path: dir }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('sqlite store specifics', () => {
  it('creates its data folder and one database file in WAL mode', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'smppgate-store-')), 'nested', 'data');
    const store = openSqliteStore({ path: dir, synchronous: 'normal' });
    await store.acceptMessages([messageFixture('u', 'c')]);
    assert.ok(existsSync(join(dir, 'smppgate.db')));
    assert.ok(existsSync(join(dir, 'smppgate.db-wal')), 'WAL file while open');
    assert.ok(store.sizeBytes() > 0);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the path when it cannot open the database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smppgate-store-'));
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    assert.throws(
      () => openSqliteStore({ path: file }),
      (error: Error) => {
        assert.equal(error.name, 'StoreUnavailableError');
        assert.match(error.message, /not-a-folder/);
        return true;
      },
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails a write after close with StoreUnavailableError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smppgate-store-'));
    const store = openSqliteStore({ path: dir });
    await store.close();
    await assert.rejects(store.acceptMessages([messageFixture('u', 'c')]), { name: 'StoreUnavailableError' });
    rmSync(dir, { recursive: true, force: true });
  });
});
