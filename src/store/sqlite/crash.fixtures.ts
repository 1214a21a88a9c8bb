// A child process for the kill -9 test: fills a store, reports what it was told is durable, then dies without close.
// Usage: node --import tsx crash.fixtures.ts <data folder> <full|normal>

import { writeSync } from 'node:fs';
import { messageFixture, userFixture } from '../conformance/suite.js';
import { openSqliteStore } from './sqliteStore.js';

const [dir, mode] = process.argv.slice(2);
const store = openSqliteStore({ path: dir, synchronous: mode === 'normal' ? 'normal' : 'full' });
await store.createGroup({ gid: 'g1', enabled: true });
await store.createUser(userFixture('crash-user', { balance: 10 }));
await store.charge('crash-user', { amount: 1.25, smsCount: 0 });
const records = Array.from({ length: 200 }, () => messageFixture('crash-user', 'crash-c'));
// One call per message, as the gateway makes them: many group commits, each acknowledged only after its COMMIT.
await Promise.all(records.map((r) => store.acceptMessages([r])));
const claimed = await store.claimMessages('crash-c', 20, Date.now());
// Written and not yet committed when the process dies: must leave no trace.
void store.acceptMessages(Array.from({ length: 50 }, () => messageFixture('crash-user', 'crash-lost')));
writeSync(1, `${JSON.stringify({ accepted: records.map((r) => r.id), claimed: claimed.map((m) => m.id) })}\n`);
process.kill(process.pid, 'SIGKILL');
