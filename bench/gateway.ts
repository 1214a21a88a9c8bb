// npm run bench:gateway — the whole path: a raw ESME load (transceiver binds × window of 160-octet submit_sm asking
// for a receipt) → smppgate (MT pipeline, rated route with an atomic charge, durable enqueue, smppc connector) → a fake
// upstream SMSC in its own process (answers and sends a DELIVRD receipt per message) → smppgate (receipt matched
// through the durable map, SPEC §5 receipt stored and forwarded) → the ESME. Every part runs in its own process: the
// load client, the SMSC and each gateway node, so each gets what CPU the machine has.
//
// Prints messages/s completed with their receipt, p50/p99 submit_sm_resp latency, p50/p99 submit-to-receipt latency,
// the gateway's peak RSS and CPU per message, and after each run counts what was accepted against what came back
// (missing and duplicate receipts), so a fast run that loses receipts cannot pass for a good one.
//
// Usage: node --import tsx bench/gateway.ts [--duration ms] [--warmup ms] [--binds n] [--window n] [--runs n]
//          [--store sqlite|redis] [--nodes n] [--log off|file] [--synchronous full|normal] [--smsc-window n]
//          [--upstream-binds n] [--upstream-window n] [--profile dir] [--json]
// BENCH_COUNT_STORE_CALLS=1 in the environment: each node prints its store calls per accepted message when it stops.
// (children: bench/gateway.ts --node '<json>' and bench/gateway.ts --load '<json>')

import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ReceiptLoadOptions, ReceiptLoadResult } from '../test/helpers/receiptLoad.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RATE = 0.01;
const BALANCE = 100_000_000;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** What a gateway node child is told. */
interface NodeSpec {
  index: number;
  store: 'sqlite' | 'redis';
  sqlitePath: string;
  synchronous: 'full' | 'normal';
  commitWindowMs: number;
  redisUrl: string;
  keyPrefix: string;
  provision: boolean;
  smscPort: number;
  upstreamBinds: number;
  upstreamWindow: number;
  logFile: string | null;
  nodes: number;
}

/** What a node child reports when it stops. */
interface NodeReport {
  peakRss: number;
  cpuUs: number;
  /** Time the node's event loop was busy (callbacks, including waits inside them such as a commit's fsync). */
  loopBusyUs: number;
  accepted: number;
  counters: Record<string, number>;
  /** SQLite group commit: transactions and the write calls they carried (absent on Redis). */
  commits?: { batches: number; calls: number };
}

// ---------------------------------------------------------------------------------------------------------------
// Load client (child)

if (process.argv[2] === '--load') {
  const { runReceiptLoad } = await import('../test/helpers/receiptLoad.js');
  const spec = JSON.parse(process.argv[3]) as ReceiptLoadOptions;
  const cpu0 = process.cpuUsage();
  const result = await runReceiptLoad(spec);
  const cpu = process.cpuUsage(cpu0);
  process.send?.({ ...result, loadCpuUs: cpu.user + cpu.system });
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------------------------
// Gateway node (child)

if (process.argv[2] === '--node') {
  const spec = JSON.parse(process.argv[3]) as NodeSpec;
  const { GatewayNode } = await import('../src/node/node.js');
  const { hashPassword } = await import('../src/gateway/password.js');
  const { createLogger, nullLogger } = await import('../src/log/index.js');
  const { defaultMtMessagingCredential, defaultSmppsCredential } = await import('../src/store/model.js');
  const { smscConnector } = await import('../test/helpers/smsc.js');
  const { openStore } = await import('../src/store/open.js');
  // Each node its own id: nodes sharing a Redis refuse a running node's id (the default is the host name).
  const store = await openStore(
    {
      backend: spec.store,
      path: spec.sqlitePath,
      synchronous: spec.synchronous,
      commit_window_ms: spec.commitWindowMs,
      max_size: null,
      url: spec.redisUrl,
      key_prefix: spec.keyPrefix,
      connector_lease: 15,
      claim_timeout: 120,
      history_retention: 604_800,
    },
    { nodeId: `node${spec.index}` },
  );
  // BENCH_COUNT_STORE_CALLS=1: every store method call is counted, and the node prints them per accepted message
  // when it stops (which calls one message costs on the whole path; the wrapper adds a little CPU of its own).
  const storeCalls: Record<string, number> = {};
  if (process.env.BENCH_COUNT_STORE_CALLS === '1') {
    for (const k of Object.getOwnPropertyNames(Object.getPrototypeOf(store))) {
      const f = (store as unknown as Record<string, unknown>)[k];
      if (typeof f !== 'function' || k === 'constructor') continue;
      (store as unknown as Record<string, unknown>)[k] = (...a: unknown[]) => {
        storeCalls[k] = (storeCalls[k] ?? 0) + 1;
        return (f as (...x: unknown[]) => unknown).apply(store, a);
      };
    }
  }
  if (spec.provision) {
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
    await store.putConnector(
      smscConnector('up', spec.smscPort, {
        bind: 'transceiver',
        bind_count: spec.upstreamBinds,
        window: spec.upstreamWindow,
      }),
    );
    await store.putMtRoute({ order: 0, type: 'default', connectors: ['up'], filters: [], rate: RATE });
  }
  const logger =
    spec.logFile !== null ? createLogger({ level: 'INFO', name: 'smpps_bench', file: spec.logFile }) : null;
  const node = new GatewayNode({
    store,
    logger: logger ?? nullLogger,
    dlrExpirySecs: 86_400,
    historyRetentionSecs: 604_800,
    server: { id: `bench_${spec.index}`, bind: '127.0.0.1', port: 0, windowSize: 100, maxInflight: 256 },
    ...(spec.nodes > 1 && spec.store === 'redis'
      ? {
          leases: (await import('../src/store/redis/leases.js')).createRedisLeases({
            url: spec.redisUrl,
            keyPrefix: spec.keyPrefix,
            nodeId: `node${spec.index}`,
          }),
        }
      : {}),
  });
  const port = (await node.listen()).tcp!.port;
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);
  const cpu0 = process.cpuUsage();
  const { performance } = await import('node:perf_hooks');
  const elu0 = performance.eventLoopUtilization();
  process.send?.({ port });
  process.on('message', async (m) => {
    if (m !== 'stop') return;
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpu0);
    const loopBusyUs = performance.eventLoopUtilization(elu0).active * 1000;
    const counters = node.gateway.stats();
    if (process.env.BENCH_COUNT_STORE_CALLS === '1') {
      const accepted = Math.max(1, counters.accepted ?? counters.mt_accepted ?? 0);
      const perMessage = Object.entries(storeCalls)
        .filter(([, n]) => n >= accepted / 1000)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${(n / accepted).toFixed(3)}`);
      console.error(`node ${spec.index} store calls per accepted message: ${perMessage.join(', ')}`);
    }
    const commits = (store as { commitStats?: () => { batches: number; calls: number } }).commitStats?.();
    await node.close();
    await store.close();
    await logger?.close();
    const report: NodeReport = {
      peakRss,
      cpuUs: cpu.user + cpu.system,
      loopBusyUs,
      accepted: counters.accepted ?? counters.mt_accepted ?? 0,
      counters: { ...counters },
      ...(commits !== undefined ? { commits } : {}),
    };
    process.send?.(report, () => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Orchestration (parent)

function once<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${what} exited with ${code} before answering`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m as T);
    });
  });
}

async function startSmsc(): Promise<{ child: ChildProcess; port: number; stats(): Promise<Record<string, number>> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test/helpers/smscProcess.ts'), '--receipts', '1', '--window', '2000'],
    { stdio: ['pipe', 'pipe', 'inherit'], cwd: ROOT },
  );
  const lines = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  lines.on('line', (line) => {
    const w = waiters.shift();
    if (w !== undefined) w(line);
    else queue.push(line);
  });
  const next = () =>
    new Promise<string>((resolve) => {
      const q = queue.shift();
      if (q !== undefined) resolve(q);
      else waiters.push(resolve);
    });
  const { port } = JSON.parse(await next()) as { port: number };
  return {
    child,
    port,
    stats: async () => {
      child.stdin!.write('stats\n');
      return JSON.parse(await next()) as Record<string, number>;
    },
  };
}

/** A child's CPU time (user + system) so far, in µs, from /proc (Linux); NaN elsewhere. */
function processCpuUs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of stat) in clock ticks of 10 ms (USER_HZ is 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}

async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const { startRedis: start } = await import('../test/helpers/redisServer.js');
  return start();
}

interface RunResult extends ReceiptLoadResult {
  peakRssMb: number;
  cpuPerMessageUs: number;
  loopBusyPerMessageUs: number;
  /** CPU of the fake SMSC and of the load client per message: on a small machine they share its cores. */
  smscCpuPerMessageUs: number;
  loadCpuPerMessageUs: number;
  smscSubmits: number;
  smscReceipts: number;
  /** Write calls per SQLite transaction over the run (0 on Redis). */
  callsPerCommit: number;
}

async function runOnce(options: {
  store: 'sqlite' | 'redis';
  nodes: number;
  binds: number;
  window: number;
  durationMs: number;
  warmupMs: number;
  log: boolean;
  synchronous: 'full' | 'normal';
  commitWindowMs: number;
  upstreamBinds: number;
  upstreamWindow: number;
}): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'smppgate-bench-'));
  const smsc = await startSmsc();
  const redis = options.store === 'redis' ? await startRedis() : null;
  const nodes: ChildProcess[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < options.nodes; i++) {
      const spec: NodeSpec = {
        index: i,
        store: options.store,
        sqlitePath: join(dir, 'data'),
        synchronous: options.synchronous,
        commitWindowMs: options.commitWindowMs,
        redisUrl: redis?.url ?? '',
        keyPrefix: 'bench:',
        provision: i === 0,
        smscPort: smsc.port,
        upstreamBinds: options.upstreamBinds,
        upstreamWindow: options.upstreamWindow,
        logFile: options.log ? join(dir, `gateway-${i}.log`) : null,
        nodes: options.nodes,
      };
      // --profile DIR: a V8 CPU profile of each gateway node, to find what the whole path spends its time on.
      const profile = arg('profile', '');
      const execArgv = ['--import', 'tsx', ...(profile !== '' ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])];
      const child = fork(SELF, ['--node', JSON.stringify(spec)], { execArgv, cwd: ROOT });
      nodes.push(child);
      ports.push((await once<{ port: number }>(child, `gateway node ${i}`)).port);
    }
    const loadSpec: ReceiptLoadOptions = {
      port: ports[0],
      ports,
      binds: options.binds,
      window: options.window,
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
      system_id: 'bench',
      password: 'bench',
      messageLength: 160,
      drainMs: 30_000,
    };
    const smscCpu0 = processCpuUs(smsc.child.pid);
    const load = fork(SELF, ['--load', JSON.stringify(loadSpec)], { execArgv: ['--import', 'tsx'], cwd: ROOT });
    const { loadCpuUs, ...result } = await once<ReceiptLoadResult & { loadCpuUs: number }>(load, 'load client');
    const smscCpuUs = processCpuUs(smsc.child.pid) - smscCpu0;
    const reports: NodeReport[] = [];
    for (const [i, child] of nodes.entries()) {
      const report = once<NodeReport>(child, `gateway node ${i}`);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      reports.push(await report);
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    }
    const smscStats = await smsc.stats();
    const cpuUs = reports.reduce((a, r) => a + r.cpuUs, 0);
    return {
      ...result,
      peakRssMb: Math.max(...reports.map((r) => r.peakRss)) / 1048576,
      cpuPerMessageUs: cpuUs / Math.max(1, result.totalAccepted),
      loopBusyPerMessageUs: reports.reduce((a, r) => a + r.loopBusyUs, 0) / Math.max(1, result.totalAccepted),
      smscCpuPerMessageUs: smscCpuUs / Math.max(1, result.totalAccepted),
      loadCpuPerMessageUs: loadCpuUs / Math.max(1, result.totalAccepted),
      smscSubmits: smscStats.submits ?? 0,
      smscReceipts: smscStats.receipts ?? 0,
      callsPerCommit:
        reports.reduce((a, r) => a + (r.commits?.calls ?? 0), 0) /
        Math.max(
          1,
          reports.reduce((a, r) => a + (r.commits?.batches ?? 0), 0),
        ),
    };
  } finally {
    for (const child of nodes) if (child.exitCode === null) child.kill('SIGKILL');
    smsc.child.kill('SIGTERM');
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] !== '--node' && process.argv[2] !== '--load') {
  const options = {
    store: (arg('store', 'sqlite') === 'redis' ? 'redis' : 'sqlite') as 'sqlite' | 'redis',
    nodes: Number(arg('nodes', '1')),
    binds: Number(arg('binds', '4')),
    window: Number(arg('window', '100')),
    durationMs: Number(arg('duration', '10000')),
    warmupMs: Number(arg('warmup', '2000')),
    log: arg('log', 'file') !== 'off',
    synchronous: (arg('synchronous', 'full') === 'normal' ? 'normal' : 'full') as 'full' | 'normal',
    commitWindowMs: Number(arg('commit-window-ms', '0')),
    upstreamBinds: Number(arg('upstream-binds', '2')),
    upstreamWindow: Number(arg('upstream-window', '200')),
  };
  if (options.nodes > 1 && options.store !== 'redis') {
    console.error('--nodes > 1 needs --store redis (nodes share state through Redis)');
    process.exit(2);
  }
  const runs = Number(arg('runs', '3'));
  const results: RunResult[] = [];
  for (let r = 0; r < runs; r++) {
    const res = await runOnce(options);
    results.push(res);
    console.error(
      `run ${r + 1}: ${Math.round(res.rate)} msg/s with receipts; submit p50 ${res.submitP50.toFixed(2)} ms ` +
        `p99 ${res.submitP99.toFixed(2)} ms; receipt p50 ${res.receiptP50.toFixed(1)} ms p99 ` +
        `${res.receiptP99.toFixed(1)} ms; accepted ${res.totalAccepted}, receipts ${res.totalReceipts}, missing ` +
        `${res.missing}, duplicates ${res.duplicates}, unknown ${res.unknown}; SMSC saw ${res.smscSubmits} submits; ` +
        `peak RSS ${res.peakRssMb.toFixed(0)} MB; ${res.cpuPerMessageUs.toFixed(1)} µs gateway CPU/message ` +
        `(event loop busy ${res.loopBusyPerMessageUs.toFixed(1)} µs/message); SMSC ` +
        `${res.smscCpuPerMessageUs.toFixed(1)} µs CPU/message, load client ${res.loadCpuPerMessageUs.toFixed(1)}; ` +
        `${res.callsPerCommit.toFixed(1)} store calls per commit`,
    );
  }
  results.sort((a, b) => a.rate - b.rate);
  const m = results[Math.floor(results.length / 2)];
  const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log('');
  console.log(
    `Whole path: ESME ${options.binds} transceiver binds × W=${options.window} (160-octet submit_sm, registered_delivery 1) → ` +
      `${options.nodes} gateway node(s) on ${options.store}${options.store === 'sqlite' ? ` (synchronous=${options.synchronous.toUpperCase()})` : ''} → ` +
      `smppc (${options.upstreamBinds} binds × W=${options.upstreamWindow}) → fake SMSC process (DELIVRD receipt per message) → ` +
      `receipts back to the ESME; ${options.log ? 'INFO log lines to a file' : 'logging off'}; ` +
      `${options.durationMs} ms measured after ${options.warmupMs} ms warm-up; median of ${runs} runs; ` +
      `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
  );
  console.log(
    '| msg/s with receipts | submit p50 ms | submit p99 ms | receipt p50 ms | receipt p99 ms | accepted | receipts | missing | duplicates | gateway peak RSS MB | gateway CPU µs/msg | SMSC CPU µs/msg | load client CPU µs/msg |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(
    `| ${fmt(m.rate)} | ${fmt(m.submitP50, 2)} | ${fmt(m.submitP99, 2)} | ${fmt(m.receiptP50, 1)} | ${fmt(m.receiptP99, 1)} | ` +
      `${fmt(m.totalAccepted)} | ${fmt(m.totalReceipts)} | ${m.missing} | ${m.duplicates} | ${fmt(m.peakRssMb)} | ` +
      `${fmt(m.cpuPerMessageUs, 1)} | ${fmt(m.smscCpuPerMessageUs, 1)} | ${fmt(m.loadCpuPerMessageUs, 1)} |`,
  );
  // The three processes share this machine's cores: what they spend per message bounds the rate any of them can reach.
  const total = m.cpuPerMessageUs + m.smscCpuPerMessageUs + m.loadCpuPerMessageUs;
  console.log(
    `CPU budget: ${fmt(total, 1)} µs per message over the three processes; ${cpus().length} cores give at most ` +
      `${fmt((cpus().length * 1e6) / total)} msg/s at that cost (${fmt((cpus().length * 1e6) / 25_000, 1)} µs per ` +
      'message for 25,000/s).',
  );
  const bad = results.filter((r) => r.missing > 0 || r.duplicates > 0);
  if (bad.length > 0) console.log(`WARNING: ${bad.length} run(s) lost or duplicated receipts (see the run lines).`);
  // --json: one machine-readable line after the table, for bench/all.ts (npm run bench).
  if (process.argv.includes('--json'))
    console.log(JSON.stringify({ bench: 'gateway', options, cores: cpus().length, median: m, runs: results }));
}
