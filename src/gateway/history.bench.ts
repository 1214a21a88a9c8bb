// node --import tsx src/gateway/history.bench.ts — what message history and metrics cost, apart from the gateway:
//  1. the event path: one emit through GatewayEvents to the HistoryRecorder and the metrics' tally (ns per event),
//     against an emit nobody listens to (what the pipeline pays when neither is wired);
//  2. the store side: appendHistory into SQLite (synchronous=FULL) in the recorder's batches of 1,000 — events per
//     second and main-thread CPU per event, which is what a gateway at N receipts/s pays on top of its receipts;
//  3. pruning: rows per second deleted by pruneHistory in its 2,000-row transactions.
// Prints a table; never an assertion.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics } from '../metrics/metrics.js';
import { ServerCounters } from '../smpp/session/counters.js';
import { silentLogger } from '../smpp/session/log.js';
import { MessageState } from '../store/model.js';
import { openSqliteStore } from '../store/sqlite/sqliteStore.js';
import type { HistoryEvent } from '../store/store.js';
import { type GatewayEvent, GatewayEvents } from './events.js';
import { HistoryRecorder } from './history.js';

function mixed(i: number): GatewayEvent {
  switch (i % 4) {
    case 0:
      return { type: 'accepted', at: i, uid: 'u1', ids: [`m${i}`], cid: 'c1', route: 0, parts: 1, channel: 'smpps' };
    case 1:
      return {
        type: 'upstream',
        at: i,
        cid: 'c1',
        id: `m${i}`,
        uid: 'u1',
        outcome: 'accepted',
        upstream_id: `U${i}`,
        attempts: 1,
      };
    case 2:
      return {
        type: 'receipt',
        at: i,
        cid: 'c1',
        id: `m${i}`,
        uid: 'u1',
        state: MessageState.DELIVERED,
        error_code: 0,
        forwarded: true,
      };
    default:
      return {
        type: 'delivery',
        at: i,
        uid: 'u1',
        seq: i,
        kind: 'receipt',
        session: 's1',
        result: 'ok',
        message_id: `m${i}`,
      };
  }
}

async function eventPath(n: number): Promise<{ idle: number; wired: number }> {
  const events = Array.from({ length: 1000 }, (_, i) => mixed(i));
  const idleBus = new GatewayEvents();
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (idleBus.active) idleBus.emit(events[i % 1000]);
  const idle = Number(process.hrtime.bigint() - t) / n;

  const bus = new GatewayEvents();
  const store = { appendHistory: async (_: HistoryEvent[]) => {}, pruneHistory: async () => 0 };
  const recorder = new HistoryRecorder({
    store,
    events: bus,
    retentionSecs: 3600,
    logger: silentLogger,
    maxBatch: 1000,
  });
  recorder.start();
  const metrics = createMetrics({
    server: { counters: new ServerCounters() },
    pipeline: { counters: () => ({}) },
    store: { queueStats: async () => ({}) },
    events: bus,
    processMetrics: false,
  });
  t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if (bus.active) bus.emit(events[i % 1000]);
    if (i % 1000 === 999) await recorder.flush();
  }
  const wired = Number(process.hrtime.bigint() - t) / n;
  await recorder.stop();
  metrics.close();
  return { idle, wired };
}

async function storeSide(n: number): Promise<{ perSec: number; cpuUs: number; pruneRowsPerSec: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'smppgate-history-bench-'));
  const store = openSqliteStore({ path: dir, synchronous: 'full' });
  try {
    const batch = 1000;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let b = 0; b < n / batch; b++) {
      const events: HistoryEvent[] = [];
      for (let i = 0; i < batch; i++) {
        const k = b * batch + i;
        events.push({
          message_id: `0194f1c2-7a3e-7c41-8e2f-${k.toString().padStart(12, '0')}`,
          at: k,
          type: 'receipt',
          data: { cid: 'c1', state: 2, stat: 'DELIVRD', error_code: 0, forwarded: true },
        });
      }
      await store.appendHistory(events);
    }
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const p0 = performance.now();
    const pruned = await store.pruneHistory(n + 1);
    const pruneMs = performance.now() - p0;
    return { perSec: (n / ms) * 1000, cpuUs: (cpu.user + cpu.system) / n, pruneRowsPerSec: (pruned / pruneMs) * 1000 };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const path = await eventPath(2_000_000);
const side = await storeSide(200_000);
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(
  '| emit, nobody listening | emit to recorder + metrics | appendHistory events/s (FULL, batches of 1,000) | main-thread CPU µs / event | pruned rows/s |',
);
console.log('| ---: | ---: | ---: | ---: | ---: |');
console.log(
  `| ${fmt(path.idle, 1)} ns | ${fmt(path.wired, 0)} ns | ${fmt(side.perSec)} | ${fmt(side.cpuUs, 2)} | ${fmt(side.pruneRowsPerSec)} |`,
);
