// npm run bench:accept — the acceptance half of the gateway: durable submit_sm acceptances per second through the
// whole MT pipeline (account, credentials, throughput, routing, a rated route with an atomic charge, the group-
// committed SQLite enqueue) with submit_sm_resp sent only after commit. A raw load client (test/helpers/esme.ts
// runLoad: pre-encoded 160-octet submit_sm, windowed) runs in a forked process so that client and gateway each get a
// core. Prints accepted msg/s, p50/p99 submit_sm_resp latency, the store size per message, and the gateway process's
// CPU time per message (what one free core would sustain: the wall-clock rate depends on what else the box runs).
//
// Usage: node --import tsx bench/accept.ts [--duration ms] [--warmup ms] [--binds n] [--window n]
//                                           [--synchronous full|normal] [--runs n] [--log file|off] [--json]
//        (--json: one machine-readable line after the table, for bench/all.ts)
//        (a child is started as: bench/accept.ts --client '<json LoadSpec>')

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayPrincipal } from '../src/gateway/accounts.js';
import { Gateway } from '../src/gateway/gateway.js';
import { hashPassword } from '../src/gateway/password.js';
import { createLogger } from '../src/log/index.js';
import { SmppServer } from '../src/smpp/server/server.js';
import { silentLogger } from '../src/smpp/session/log.js';
import { defaultMtMessagingCredential, defaultSmppsCredential } from '../src/store/model.js';
import { openSqliteStore } from '../src/store/sqlite/sqliteStore.js';
import { type LoadResult, runLoad } from '../test/helpers/esme.js';

interface LoadSpec {
  port: number;
  binds: number;
  window: number;
  durationMs: number;
  warmupMs: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

// ---------------------------------------------------------------------------------------------------------------
// Load client (child process)

if (process.argv[2] === '--client') {
  const spec = JSON.parse(process.argv[3]) as LoadSpec;
  const result = await runLoad({ ...spec, system_id: 'bench', password: 'bench', messageLength: 160 });
  process.send?.(result);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------------------------
// Gateway (this process)

interface RunResult extends LoadResult {
  stored: number;
  /** CPU time of the gateway process (all threads) per stored message, microseconds. */
  cpuPerMessageUs: number;
  dbBytes: number;
  balanceOk: boolean;
}

const RATE = 0.01;
const BALANCE = 1_000_000;

async function runOnce(spec: Omit<LoadSpec, 'port'>, synchronous: 'full' | 'normal', log: boolean): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'smppgate-bench-'));
  const store = openSqliteStore({ path: dir, synchronous });
  try {
    await store.createGroup({ gid: 'bench', enabled: true });
    const mt = defaultMtMessagingCredential();
    mt.quotas.balance = BALANCE;
    await store.createUser({
      uid: 'bench',
      gid: 'bench',
      username: 'bench',
      enabled: true,
      password_hash: await hashPassword('bench'),
      smpps_cred: defaultSmppsCredential(),
      mt_messaging_cred: mt,
    });
    await store.putConnector({ cid: 'sim', type: 'sim', started: false, settings: {} });
    await store.putMtRoute({ order: 0, type: 'default', connectors: ['sim'], filters: [], rate: RATE });

    // Production logging: one JSON line per accepted message at INFO, to a file (or nothing with --log off).
    const logger = log ? createLogger({ level: 'INFO', name: 'smpps_bench', file: join(dir, 'gateway.log') }) : null;
    const gateway = new Gateway({ store, logger: logger ?? silentLogger });
    const server = new SmppServer<GatewayPrincipal>({
      id: 'smpps_bench',
      bind: '127.0.0.1',
      port: 0,
      authenticate: gateway.authenticator,
      handlers: gateway.handlers,
      maxInflight: Math.max(256, spec.window * 2),
    });
    gateway.attachServer(server);
    const port = (await server.listen()).tcp!.port;

    const cpu0 = process.cpuUsage();
    const child = fork(fileURLToPath(import.meta.url), ['--client', JSON.stringify({ ...spec, port })], {
      execArgv: ['--import', 'tsx'],
    });
    const load = await new Promise<LoadResult>((resolve, reject) => {
      child.once('message', (m) => resolve(m as LoadResult));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`load client exited with ${code}`)));
    });
    const cpu = process.cpuUsage(cpu0);
    await server.close();
    await gateway.close();
    const depths = await store.queueDepths();
    const stored = Object.values(depths).reduce((a, b) => a + b, 0);
    const balance = (await store.getUser('bench'))?.mt_messaging_cred.quotas.balance ?? 0;
    // Every stored message paid RATE exactly: the charge and the enqueue agree.
    const balanceOk = Math.round((BALANCE - balance) * 1e6) === Math.round(stored * RATE * 1e6);
    await logger?.close();
    await store.close(); // checkpoints the WAL into the database file
    const dbBytes = statSync(join(dir, 'smppgate.db')).size;
    return { ...load, stored, dbBytes, balanceOk, cpuPerMessageUs: (cpu.user + cpu.system) / Math.max(1, stored) };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const spec = {
  binds: Number(arg('binds', '4')),
  window: Number(arg('window', '100')),
  durationMs: Number(arg('duration', '5000')),
  warmupMs: Number(arg('warmup', '1000')),
};
const synchronous = arg('synchronous', 'full') === 'normal' ? 'normal' : 'full';
const runs = Number(arg('runs', '3'));
const log = arg('log', 'file') !== 'off';

const results: RunResult[] = [];
for (let r = 0; r < runs; r++) {
  const result = await runOnce(spec, synchronous, log);
  results.push(result);
  console.error(
    `run ${r + 1}: ${Math.round(result.rate)}/s p50 ${result.p50.toFixed(2)} ms p99 ${result.p99.toFixed(2)} ms, ` +
      `${result.stored} stored, ${result.errors} errors, ${result.cpuPerMessageUs.toFixed(1)} µs gateway CPU/message`,
  );
}
results.sort((a, b) => a.rate - b.rate);
const median = results[Math.floor(results.length / 2)];
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

console.log('');
console.log(
  `MT acceptance: ${spec.binds} binds × W=${spec.window} of 160-octet submit_sm, rated route (${RATE}/part, balance ` +
    `charged atomically), SQLite synchronous=${synchronous.toUpperCase()}, ${spec.durationMs} ms measured after ` +
    `${spec.warmupMs} ms warm-up, ${log ? 'an INFO log line per message to a file' : 'logging off'}; median of ${runs} runs`,
);
console.log(
  '| accepted msg/s | p50 ms | p99 ms | non-ROK | stored | store bytes / message | balance = stored × rate | ' +
    'gateway CPU µs / message | msg/s per gateway core |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: |');
console.log(
  `| ${fmt(median.rate)} | ${fmt(median.p50, 3)} | ${fmt(median.p99, 3)} | ${median.errors} | ${fmt(median.stored)} | ` +
    `${fmt(median.dbBytes / Math.max(1, median.stored))} | ${median.balanceOk ? 'yes' : 'NO'} | ` +
    `${fmt(median.cpuPerMessageUs, 1)} | ${fmt(1e6 / median.cpuPerMessageUs)} |`,
);
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ bench: 'accept', spec, synchronous, log, median, runs: results }));
}
