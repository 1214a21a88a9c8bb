// The store's floor: every SQLite store call one message makes on the whole path, 400 messages at a time, in CPU µs
// per message by phase (charge and acceptance are per message here; the gateway batches them per window).
// Usage: node --import tsx bench/storeFloor.ts [commit window ms, default 0] [rounds of 400, default 50] [prefill, default 0]
// prefill: final parts stored before the measured rounds (a store holding some days of history), so that random-key
// index writes and lookups meet a table larger than the page cache; destinations are random numbers, as in traffic.
// Ids are the gateway's default message_ids (UUID v7).
// docs/performance.md (Whole-path profile) has its figures.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUuidV7Generator } from '../src/gateway/gateway.js';
import { messageFixture, userFixture } from '../src/store/conformance/suite.js';
import { openSqliteStore } from '../src/store/sqlite/sqliteStore.js';

const dir = mkdtempSync(join(tmpdir(), 'floor-'));
const store = openSqliteStore({ path: dir, commitWindowMs: Number(process.argv[2] ?? 0) });
const u = userFixture('u');
u.mt_messaging_cred.quotas.balance = 1e9;
await store.createUser(u);
const N = 400,
  ROUNDS = Number(process.argv[3] ?? 50),
  PREFILL = Number(process.argv[4] ?? 0);
// message_ids as the gateway makes them by default (UUID v7, time-ordered: the id index grows at its end).
const newId = createUuidV7Generator();
const randomDestination = () => String(33_600_000_000 + Math.floor(Math.random() * 100_000_000));
for (let done = 0; done < PREFILL; done += 1000) {
  await store.acceptMessages(
    Array.from({ length: Math.min(1000, PREFILL - done) }, () =>
      messageFixture('u', 'c', {
        id: newId(),
        destination_addr: randomDestination(),
        short_message: Buffer.alloc(160, 65),
        status: 'final',
        upstream_id: crypto.randomUUID(),
        final_at: Date.now(),
      }),
    ),
  );
}
let n = 0;
const ph: Record<string, number> = {};
let pc = process.cpuUsage();
const mark = (k: string) => {
  const c = process.cpuUsage(pc);
  ph[k] = (ph[k] ?? 0) + c.user + c.system;
  pc = process.cpuUsage();
};
const cpu0 = process.cpuUsage();
const t0 = Date.now();
for (let r = 0; r < ROUNDS; r++) {
  const ms = Array.from({ length: N }, () => {
    const m = messageFixture('u', 'c');
    m.id = newId();
    m.destination_addr = randomDestination();
    m.short_message = Buffer.alloc(160, 65);
    return m;
  });
  await Promise.all(
    ms.map(async (m) => {
      await store.charge('u', { amount: 0.01, smsCount: 0 });
      await store.acceptMessages([m]);
    }),
  );
  mark('charge+accept');
  let claimed: unknown[] = [];
  while (claimed.length < N) claimed = claimed.concat(await store.claimMessages('c', N, Date.now() + 1e9));
  mark('claim');
  await Promise.all(
    ms.map(async (m, i) => {
      await Promise.all([
        store.updateMessages([{ id: m.id, patch: { status: 'sent', upstream_id: `up${n + i}`, state: 1 } }]),
        store.putReceiptMaps([{ cid: 'c', upstream_id: `up${n + i}`, message_id: m.id, expires_at: 1e15 }]),
      ]);
      await store.getReceiptMap('c', `up${n + i}`);
      await Promise.all([
        store.enqueueDeliveries([
          {
            uid: 'u',
            kind: 'receipt',
            payload: {
              short_message: Buffer.alloc(100, 66),
              tlvs: { receipted_message_id: m.id, message_state: 2 },
              source_addr: '123',
              destination_addr: '456',
              esm_class: 4,
            },
            created_at: 0,
            expires_at: 1e15,
          },
        ]),
        store.updateMessages([{ id: m.id, patch: { status: 'final', state: 2, final_at: 1 } }]),
        store.deleteReceiptMap('c', `up${n + i}`),
      ]);
    }),
  );
  mark('sent+map, map get, receipt(enqueue+update+delete)');
  const ds = await store.peekDeliveries('u', N, 1e15);
  await Promise.all(ds.map((d) => store.ackDelivery('u', d.seq)));
  mark('peek+ack');
  await store.appendHistory(
    ms.flatMap((m) =>
      [0, 1, 2].map((k) => ({
        message_id: m.id,
        at: Date.now(),
        type: 'upstream' as const,
        data: { cid: 'c', outcome: 'accepted', k },
      })),
    ),
  );
  mark('history x3');
  n += N;
}
for (const [k, v] of Object.entries(ph)) console.log(k.padEnd(60), (v / n).toFixed(1), 'µs/msg');
const c = process.cpuUsage(cpu0);
console.log(
  `store floor: ${((c.user + c.system) / n).toFixed(1)} µs CPU/msg (user ${(c.user / n).toFixed(1)}, sys ${(c.system / n).toFixed(1)}), ${Math.round(n / ((Date.now() - t0) / 1000))} msg/s, commits ${JSON.stringify(store.commitStats())}`,
);
await store.close();
