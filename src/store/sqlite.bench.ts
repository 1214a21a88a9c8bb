// The embedded store's own bench: durable acceptances per second through SqliteStore alone (no SMPP, no pipeline),
// so a regression in the store is seen apart from the gateway's. Closed loop: `--inflight` callers each await one
// message's writes and start the next, as the gateway's sessions do; group commit shares each transaction (and its
// fsync) among the calls of one tick. Prints messages/s, transactions/s, messages per transaction, p50/p99 latency
// per message, and bytes per stored message, for synchronous=FULL and NORMAL.
//
// Scenarios: `accept` (acceptMessages of one 160-octet part per call), `charge+accept` (an atomic charge then the
// acceptance, the gateway's per-message writes when it does not coalesce them), `claim+sent` (a connector draining
// its queue: claim 100, then one updateMessages marking them sent).
//
// Usage: node --import tsx src/store/sqlite.bench.ts [--duration ms] [--inflight n] [--synchronous full|normal|both]
//                                                     [--window ms] [--dir folder]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMtMessagingCredential, defaultSmppsCredential, type MessageRecord, MessageState } from './model.js';
import { openSqliteStore, type SqliteStore } from './sqlite/sqliteStore.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const durationMs = Number(arg('duration', '3000'));
const inflight = Number(arg('inflight', '400'));
const windowMs = Number(arg('window', '0'));
const modes = arg('synchronous', 'both') === 'both' ? ['full', 'normal'] : [arg('synchronous', 'full')];
const baseDir = arg('dir', tmpdir());

const TEXT = Buffer.alloc(160, 0x61);
let idCounter = 0;

/** A queued 160-octet part. Ids are time-ordered, as the gateway's UUID v7 are (random keys scatter the index). */
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
  batches: number;
  latencies: Float64Array;
}

/** Runs `inflight` closed-loop callers of `call` for the duration; latencies in microseconds. */
async function closedLoop(store: SqliteStore, call: () => Promise<unknown>): Promise<Figures> {
  const latencies: number[] = [];
  const before = store.commitStats().batches;
  const start = performance.now();
  const end = start + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      await call();
      latencies.push((performance.now() - t) * 1000);
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const seconds = (performance.now() - start) / 1000;
  return {
    calls: latencies.length,
    seconds,
    batches: store.commitStats().batches - before,
    latencies: Float64Array.from(latencies).sort(),
  };
}

function pct(sorted: Float64Array, p: number): string {
  if (sorted.length === 0) return '-';
  const us = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
  return us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(0)} µs`;
}

const rows: string[][] = [];

function row(mode: string, scenario: string, f: Figures, extra: string): void {
  rows.push([
    mode,
    scenario,
    Math.round(f.calls / f.seconds).toLocaleString('en-US'),
    Math.round(f.batches / f.seconds).toLocaleString('en-US'),
    (f.calls / Math.max(1, f.batches)).toFixed(0),
    pct(f.latencies, 0.5),
    pct(f.latencies, 0.99),
    extra,
  ]);
}

for (const mode of modes) {
  const dir = mkdtempSync(join(baseDir, 'smppgate-store-bench-'));
  const store = openSqliteStore({
    path: dir,
    synchronous: mode === 'normal' ? 'normal' : 'full',
    commitWindowMs: windowMs,
  });
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

    const pages = store.sizeBytes();
    const accept = await closedLoop(store, () => store.acceptMessages([message('c1')]));
    await store.close();
    // Reopen to checkpoint the WAL into the file, so the size per message is what stays on disk.
    const reopened = openSqliteStore({ path: dir, synchronous: mode === 'normal' ? 'normal' : 'full' });
    const perMessage = (reopened.sizeBytes() - pages) / accept.calls;
    row(mode, 'accept', accept, `${perMessage.toFixed(0)} B/msg`);

    const chargeAccept = await closedLoop(reopened, async () => {
      const r = await reopened.charge('bench', { amount: 0.0035, smsCount: 1 });
      if (r.ok) await reopened.acceptMessages([message('c2')]);
    });
    // Two store calls (two commits) per message; the latency is the pair's.
    row(mode, 'charge+accept', chargeAccept, '');

    const queued = accept.calls;
    const drainStart = performance.now();
    let drained = 0;
    const drainBatchesBefore = reopened.commitStats().batches;
    const drainLatencies: number[] = [];
    for (;;) {
      const t = performance.now();
      const claimed = await reopened.claimMessages('c1', 100, Date.now());
      if (claimed.length === 0) break;
      await reopened.updateMessages(
        claimed.map((m, i) => ({ id: m.id, patch: { status: 'sent', upstream_id: `up-${drained + i}`, attempts: 1 } })),
      );
      drained += claimed.length;
      drainLatencies.push((performance.now() - t) * 1000);
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    if (drained !== queued) throw new Error(`drained ${drained} of ${queued} queued`);
    row(
      mode,
      'claim+sent (x100)',
      {
        calls: drained,
        seconds: drainSeconds,
        batches: reopened.commitStats().batches - drainBatchesBefore,
        latencies: Float64Array.from(drainLatencies).sort(),
      },
      'one claimer, serial',
    );
    await reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const header = ['sync', 'scenario', 'msg/s', 'commits/s', 'msg/commit', 'p50', 'p99', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) =>
  r.map((c, i) => (i < 2 || i === 7 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`store bench: ${inflight} callers in flight, ${durationMs} ms per scenario, commit window ${windowMs} ms`);
console.log(line(header));
for (const r of rows) console.log(line(r));
