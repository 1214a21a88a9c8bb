// The Redis store's own bench, the counterpart of src/store/sqlite.bench.ts: acknowledged writes per second through
// RedisStore alone (no SMPP, no pipeline), against a redis-server it starts on this machine (or `--url`). Closed
// loop: `--inflight` callers each await one message's writes and start the next; auto-pipelining sends the calls of
// one tick in one write, and Redis fsyncs the append-only file once per event-loop turn under `appendfsync always`.
//
// Scenarios: `accept` (one 160-octet part per call), `charge+accept` (an atomic charge then the acceptance),
// `claim+sent (x100)` (claim 100 then one updateMessages marking them sent) with one claimer, then with two stores
// (two nodes) draining one queue at once.
//
// Usage: node --import tsx src/store/redis/redis.bench.ts [--duration ms] [--inflight n]
//                                                          [--fsync always|everysec|both] [--url redis://…]

import { startRedis, type TestRedis } from '../../../test/helpers/redisServer.js';
import { defaultMtMessagingCredential, defaultSmppsCredential, type MessageRecord, MessageState } from '../model.js';
import { openRedisStore, type RedisStore } from './redisStore.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const durationMs = Number(arg('duration', '3000'));
const inflight = Number(arg('inflight', '400'));
const givenUrl = arg('url', '');
const fsyncs =
  givenUrl !== '' ? ['server'] : arg('fsync', 'both') === 'both' ? ['always', 'everysec'] : [arg('fsync', '')];

const TEXT = Buffer.alloc(160, 0x61);
let idCounter = 0;

/** A queued 160-octet part with a time-ordered id, as the gateway's. */
function message(cid: string): MessageRecord {
  const now = Date.now();
  idCounter++;
  return {
    id: `${now.toString(16).padStart(12, '0')}-${idCounter.toString(16).padStart(12, '0')}`,
    uid: 'bench',
    cid,
    route_order: 0,
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: 'BENCH',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: `3360${String(idCounter % 10_000_000).padStart(7, '0')}`,
    service_type: '',
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    registered_delivery: 1,
    data_coding: 0,
    short_message: TEXT,
    tlvs: null,
    part: null,
    schedule_at: null,
    expires_at: now + 86_400_000,
    rate: 0.0035,
    charged: 0.0035,
    status: 'queued',
    state: MessageState.ENROUTE,
    upstream_id: null,
    error_code: 0,
    attempts: 0,
    submitted_at: now,
    updated_at: now,
    final_at: null,
    tags: [],
  };
}

interface Figures {
  calls: number;
  seconds: number;
  latencies: Float64Array;
  /** CPU per message (µs): this process (the client side), and redis-server's. */
  clientCpu?: number;
  serverCpu?: number;
}

/** Runs `scenario` and adds the CPU each side spent per message: on a shared machine wall-clock rates wander. */
async function measured(store: RedisStore, scenario: () => Promise<Figures>): Promise<Figures> {
  const server0 = (await store.serverUsage()).cpuMicros;
  const client0 = process.cpuUsage();
  const f = await scenario();
  const client = process.cpuUsage(client0);
  const server = (await store.serverUsage()).cpuMicros - server0;
  return { ...f, clientCpu: (client.user + client.system) / f.calls, serverCpu: server / f.calls };
}

/** Runs `inflight` closed-loop callers of `call` for the duration; latencies in microseconds. */
async function closedLoop(call: () => Promise<unknown>, callers = inflight): Promise<Figures> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      await call();
      latencies.push((performance.now() - t) * 1000);
    }
  };
  await Promise.all(Array.from({ length: callers }, worker));
  return { calls: latencies.length, seconds: (performance.now() - start) / 1000, latencies: sorted(latencies) };
}

/** Drains a queue with `stores` claiming 100 at a time each, marking each claim sent; every part exactly once. */
async function drain(stores: RedisStore[], cid: string, expected: number): Promise<Figures> {
  const latencies: number[] = [];
  const seen = new Set<string>();
  const start = performance.now();
  await Promise.all(
    stores.map(async (store) => {
      for (;;) {
        const t = performance.now();
        const claimed = await store.claimMessages(cid, 100, Date.now());
        if (claimed.length === 0) return;
        await store.updateMessages(
          claimed.map((m) => ({ id: m.id, patch: { status: 'sent', upstream_id: `up-${m.id}`, attempts: 1 } })),
        );
        for (const m of claimed) {
          if (seen.has(m.id)) throw new Error(`part ${m.id} claimed twice`);
          seen.add(m.id);
        }
        latencies.push((performance.now() - t) * 1000);
      }
    }),
  );
  if (seen.size !== expected) throw new Error(`drained ${seen.size} of ${expected} queued`);
  return { calls: seen.size, seconds: (performance.now() - start) / 1000, latencies: sorted(latencies) };
}

function sorted(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

function pct(values: Float64Array, p: number): string {
  if (values.length === 0) return '-';
  const us = values[Math.min(values.length - 1, Math.floor(values.length * p))];
  return us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(0)} µs`;
}

const rows: string[][] = [];

function row(fsync: string, scenario: string, f: Figures, extra: string): void {
  rows.push([
    fsync,
    scenario,
    Math.round(f.calls / f.seconds).toLocaleString('en-US'),
    pct(f.latencies, 0.5),
    pct(f.latencies, 0.99),
    f.clientCpu === undefined ? '-' : f.clientCpu.toFixed(0),
    f.serverCpu === undefined ? '-' : f.serverCpu.toFixed(0),
    extra,
  ]);
}

async function usedMemory(store: RedisStore): Promise<number> {
  return (await store.serverUsage()).memoryBytes;
}

for (const fsync of fsyncs) {
  let server: TestRedis | undefined;
  if (givenUrl === '') server = await startRedis({ persistence: fsync === 'always' ? 'always' : 'everysec' });
  const url = givenUrl !== '' ? givenUrl : (server as TestRedis).url;
  const keyPrefix = `bench-${process.pid}-${fsync}:`;
  const store = await openRedisStore({ url, keyPrefix, nodeId: 'bench-a' });
  const second = await openRedisStore({ url, keyPrefix, nodeId: 'bench-b' });
  try {
    await store.createGroup({ gid: 'g', enabled: true });
    const mt = defaultMtMessagingCredential();
    mt.quotas.balance = 1e9;
    await store.createUser({
      uid: 'bench',
      gid: 'g',
      username: 'bench',
      enabled: true,
      password_hash: 'x',
      smpps_cred: defaultSmppsCredential(),
      mt_messaging_cred: mt,
    });

    const memoryBefore = await usedMemory(store);
    const accept = await measured(store, () => closedLoop(() => store.acceptMessages([message('c1')])));
    const perMessage = ((await usedMemory(store)) - memoryBefore) / accept.calls;
    row(fsync, 'accept', accept, `${perMessage.toFixed(0)} B/msg in memory`);

    const chargeAccept = await measured(store, () =>
      closedLoop(async () => {
        const r = await store.charge('bench', { amount: 0.0035, smsCount: 1 });
        if (r.ok) await store.acceptMessages([message('c2')]);
      }),
    );

    row(fsync, 'charge+accept', chargeAccept, 'two scripts per message');

    // The gateway coalesces the parts of one tick into one acceptMessages: 8 callers × 50 parts in flight.
    const batched = await measured(store, async () => {
      const f = await closedLoop(() => store.acceptMessages(Array.from({ length: 50 }, () => message('c3'))), 8);
      return { ...f, calls: f.calls * 50 };
    });
    row(fsync, 'accept (50 per call)', batched, 'p50/p99 per call');

    // One claimer drains c1; then two nodes drain c2 together (each part exactly once, checked).
    row(fsync, 'claim+sent (x100)', await measured(store, () => drain([store], 'c1', accept.calls)), 'one claimer');
    row(
      fsync,
      'claim+sent (x100)',
      await measured(store, () => drain([store, second], 'c2', chargeAccept.calls)),
      'two nodes at once',
    );
  } finally {
    await Promise.all([store.close(), second.close()]);
    await server?.stop();
  }
}

const header = ['fsync', 'scenario', 'msg/s', 'p50', 'p99', 'client µs/msg', 'redis µs/msg', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) =>
  r.map((c, i) => (i < 2 || i === 7 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`redis store bench: ${inflight} callers in flight, ${durationMs} ms per scenario`);
console.log(line(header));
for (const r of rows) console.log(line(r));
