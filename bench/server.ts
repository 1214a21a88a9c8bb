// npm run bench:server — submit_sm throughput and latency of our SmppServer against node-smpp's own server, under
// the same load from two clients: our minimal raw load client (test/helpers/esme.ts runLoad: pre-encoded submit_sm,
// windowed, one write per batch) and node-smpp's client. Each load client runs in a forked process so that client
// and server each get a core. Servers accept everything (the MT pipeline is not measured here).
//
// Usage: node --import tsx bench/server.ts [--duration ms] [--warmup ms] [--only ours|node-smpp] [--json]
//        (--json: one machine-readable line after the table, for bench/all.ts)
//        (a child is started as: bench/server.ts --client '<json LoadSpec>')

import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SmppServer } from '../src/smpp/server/server.js';
import { type LoadResult, runLoad } from '../test/helpers/esme.js';

type ClientKind = 'raw' | 'node-smpp';
type ServerKind = 'ours' | 'node-smpp';

interface LoadSpec {
  client: ClientKind;
  port: number;
  binds: number;
  window: number;
  durationMs: number;
  warmupMs: number;
}

// ---------------------------------------------------------------------------------------------------------------
// node-smpp, typed for what the bench uses

interface NsPdu {
  command: string;
  command_status: number;
  response(options?: Record<string, unknown>): NsPdu;
}
interface NsSession {
  on(event: string, listener: (pdu: NsPdu) => void): void;
  send(pdu: NsPdu): boolean;
  close(): void;
  destroy(): void;
  bind_transceiver(options: Record<string, unknown>, cb: (pdu: NsPdu) => void): boolean;
  submit_sm(options: Record<string, unknown>, cb: (pdu: NsPdu) => void): boolean;
}
interface NodeSmpp {
  connect(options: { url: string }, listener?: () => void): NsSession;
  createServer(listener: (session: NsSession) => void): Server;
}
const nodeSmpp = createRequire(import.meta.url)('smpp') as NodeSmpp;

// ---------------------------------------------------------------------------------------------------------------
// Load clients (child process)

async function runNodeSmppLoad(spec: LoadSpec): Promise<LoadResult> {
  const sessions: NsSession[] = [];
  for (let b = 0; b < spec.binds; b++) {
    const s = await new Promise<NsSession>((resolve, reject) => {
      const session = nodeSmpp.connect({ url: `smpp://127.0.0.1:${spec.port}` }, () => resolve(session));
      session.on('error', reject);
    });
    await new Promise<void>((resolve, reject) =>
      s.bind_transceiver({ system_id: 'bench', password: 'bench' }, (pdu) =>
        pdu.command_status === 0 ? resolve() : reject(new Error(`bind ${pdu.command_status}`)),
      ),
    );
    s.on('enquire_link', (pdu) => s.send(pdu.response()));
    sessions.push(s);
  }
  const message = 'a'.repeat(160);
  const latencies = new Float64Array(4 * 1024 * 1024);
  let n = 0;
  let responses = 0;
  let errors = 0;
  let measuring = false;
  let stopping = false;
  for (const s of sessions) {
    const one = (): void => {
      const t = performance.now();
      s.submit_sm(
        { source_addr: '12345', destination_addr: '33612345678', registered_delivery: 1, short_message: message },
        (pdu) => {
          if (measuring) {
            responses++;
            if (pdu.command_status !== 0) errors++;
            if (n < latencies.length) latencies[n++] = performance.now() - t;
          }
          if (!stopping) one();
        },
      );
    };
    for (let i = 0; i < spec.window; i++) one();
  }
  await sleep(spec.warmupMs);
  measuring = true;
  const t0 = performance.now();
  await sleep(spec.durationMs);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  stopping = true;
  await sleep(200);
  for (const s of sessions) s.destroy();
  const lat = latencies.subarray(0, n).sort();
  const pct = (p: number) => (n === 0 ? 0 : lat[Math.min(n - 1, Math.floor((p / 100) * n))]);
  return { responses, errors, seconds, rate: responses / seconds, p50: pct(50), p99: pct(99) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function child(spec: LoadSpec): Promise<void> {
  const result =
    spec.client === 'raw'
      ? await runLoad({
          port: spec.port,
          binds: spec.binds,
          window: spec.window,
          durationMs: spec.durationMs,
          warmupMs: spec.warmupMs,
          system_id: 'bench',
          password: 'bench',
          messageLength: 160,
        })
      : await runNodeSmppLoad(spec);
  process.send?.(result);
  process.disconnect?.();
}

// ---------------------------------------------------------------------------------------------------------------
// Servers (main process)

async function startOurs(): Promise<{ port: number; stop: () => Promise<void> }> {
  let id = 0;
  const server = new SmppServer({
    id: 'smpps_01',
    bind: '127.0.0.1',
    port: 0,
    authenticate: async (r) => ({ status: 0, principal: { id: r.system_id } }),
    handlers: { submit_sm: () => ({ message_id: String(++id) }) },
    maxInflight: 1024,
  });
  const { tcp } = await server.listen();
  return { port: tcp!.port, stop: () => server.close() };
}

async function startNodeSmpp(): Promise<{ port: number; stop: () => Promise<void> }> {
  let id = 0;
  const server = nodeSmpp.createServer((session) => {
    session.on('error', () => {});
    for (const bind of ['bind_transmitter', 'bind_receiver', 'bind_transceiver']) {
      session.on(bind, (pdu) => session.send(pdu.response({ system_id: 'smpps_01' })));
    }
    session.on('submit_sm', (pdu) => session.send(pdu.response({ message_id: String(++id) })));
    session.on('enquire_link', (pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu) => {
      session.send(pdu.response());
      session.close();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // node-smpp keeps no list we can unbind; its sessions end with their clients.
      }),
  };
}

function load(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const cp = fork(fileURLToPath(import.meta.url), ['--client', JSON.stringify(spec)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: LoadResult | undefined;
    cp.on('message', (m) => {
      result = m as LoadResult;
    });
    cp.on('exit', (code) => (result ? resolve(result) : reject(new Error(`load client exited with ${code}`))));
  });
}

interface Row {
  scenario: string;
  binds: number;
  window: number;
  client: ClientKind;
  results: Partial<Record<ServerKind, LoadResult>>;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const durationMs = Number(arg('--duration') ?? 3000);
  const warmupMs = Number(arg('--warmup') ?? 1000);
  const only = arg('--only') as ServerKind | undefined;
  const scenarios = [
    { binds: 1, window: 1 },
    { binds: 1, window: 10 },
    { binds: 1, window: 100 },
    { binds: 4, window: 100 },
  ];
  const clients: ClientKind[] = ['raw', 'node-smpp'];
  const servers: ServerKind[] = only ? [only] : ['ours', 'node-smpp'];
  const rows: Row[] = [];
  for (const sc of scenarios) {
    for (const client of clients)
      rows.push({ scenario: `${sc.binds} bind × W=${sc.window}`, ...sc, client, results: {} });
  }
  for (const kind of servers) {
    const server = kind === 'ours' ? await startOurs() : await startNodeSmpp();
    let r = 0;
    for (const sc of scenarios) {
      for (const client of clients) {
        const result = await load({ client, port: server.port, ...sc, durationMs, warmupMs });
        rows[r++].results[kind] = result;
        process.stderr.write(
          `${kind.padEnd(9)} ${client.padEnd(9)} ${sc.binds}×W${sc.window}: ${Math.round(result.rate)}/s` +
            ` p50 ${result.p50.toFixed(3)} ms p99 ${result.p99.toFixed(3)} ms${result.errors ? ` errors ${result.errors}` : ''}\n`,
        );
      }
    }
    await server.stop();
  }
  const fmt = (x: LoadResult | undefined) =>
    x === undefined
      ? ['–', '–', '–']
      : [Math.round(x.rate).toLocaleString('en-US'), x.p50.toFixed(3), x.p99.toFixed(3)];
  console.log(
    `\nsubmit_sm over loopback TCP, ${durationMs} ms measured after ${warmupMs} ms warm-up, 160-octet messages`,
  );
  console.log(
    '| load | client | ours submit_sm/s | p50 ms | p99 ms | node-smpp server submit_sm/s | p50 ms | p99 ms | ours / node-smpp |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    const o = row.results.ours;
    const n = row.results['node-smpp'];
    const ratio = o && n && n.rate > 0 ? `${(o.rate / n.rate).toFixed(1)}×` : '–';
    console.log(`| ${row.scenario} | ${row.client} | ${[...fmt(o), ...fmt(n), ratio].join(' | ')} |`);
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ bench: 'server', durationMs, warmupMs, rows }));
  }
}

const clientSpec = arg('--client');
if (clientSpec !== undefined) {
  await child(JSON.parse(clientSpec) as LoadSpec);
} else {
  await main();
}
