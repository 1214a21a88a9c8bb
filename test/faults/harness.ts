// The fault suite's gateway: the real parts wired as the composition root wires them (SQLite store in a temp
// folder, Gateway with its authenticator and MT handlers, SmppServer over TCP and optionally TLS), plus the receipt
// and store-and-forward engines so deliver_sm flows to ESMEs; and a well-behaved ESME that measures its submit_sm
// latency while hostile peers do their worst. Timers are given in milliseconds so faults resolve in test time.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayPrincipal } from '../../src/gateway/accounts.js';
import { DeliveryEngine } from '../../src/gateway/delivery.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { defaultRoute, makeUser } from '../../src/gateway/pipeline.fixtures.js';
import { ReceiptEngine } from '../../src/gateway/receipts.js';
import { createMemoryLogger, type Logger, type MemoryLog } from '../../src/log/index.js';
import type { Pdu } from '../../src/smpp/codec/index.js';
import { type BindSlowdownOptions, SmppServer, type TlsListenOptions } from '../../src/smpp/server/server.js';
import type { SessionTimers } from '../../src/smpp/session/session.js';
import type { MtRoute, UserRecord } from '../../src/store/model.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { Esme } from '../helpers/esme.js';

/** The password of every user the harness creates (pipeline.fixtures' PASSWORD). */
export const PASSWORD = 'secret';

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Users (default: user1/u1, user2/u2 and probe/probe, all with password PASSWORD in group g1). */
  users?: UserRecord[];
  routes?: MtRoute[];
  timers?: Partial<SessionTimers>;
  maxCommandLength?: number;
  maxInflight?: number;
  windowSize?: number;
  maxConnections?: number;
  bindSlowdown?: BindSlowdownOptions;
  tls?: TlsListenOptions;
  /** Logger of the whole stack (default: in memory at WARNING). */
  log?: MemoryLog;
}

/** A running stack. */
export interface Stack {
  port: number;
  tlsPort: number | undefined;
  server: SmppServer<GatewayPrincipal>;
  store: SqliteStore;
  gateway: Gateway;
  receipts: ReceiptEngine;
  delivery: DeliveryEngine;
  log: MemoryLog;
  close(): Promise<void>;
}

/** The default users: two customers and the latency probe's own account (so throttles never mix). */
export async function defaultUsers(): Promise<UserRecord[]> {
  return [
    await makeUser({ uid: 'u1', username: 'user1' }),
    await makeUser({ uid: 'u2', username: 'user2' }),
    await makeUser({ uid: 'probe', username: 'probe' }),
  ];
}

/** Starts the stack on loopback, port 0. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'smppgate-faults-'));
  const store = openSqliteStore({ path: dir });
  await store.createGroup({ gid: 'g1', enabled: true });
  for (const u of options.users ?? (await defaultUsers())) await store.createUser(u);
  for (const r of options.routes ?? [defaultRoute(0, 'c1')]) await store.putMtRoute(r);
  const log = options.log ?? createMemoryLogger({ level: 'WARNING' });
  const logger: Logger = log.logger;
  const gateway = new Gateway({ store, logger: logger.child({ component: 'gateway' }) });
  let server!: SmppServer<GatewayPrincipal>;
  const delivery = new DeliveryEngine({
    store,
    pickSession: (uid) => server.nextReceiver(uid),
    logger: logger.child({ component: 'delivery' }),
    sweepMs: 200,
    retryBaseMs: 200,
    retryMaxMs: 1000,
  });
  const receipts = new ReceiptEngine({
    store,
    connectorSettings: () => ({}),
    dlrExpirySecs: 3600,
    logger: logger.child({ component: 'receipts' }),
    onQueued: (uid) => delivery.notify(uid),
  });
  server = new SmppServer({
    id: 'smpps_faults',
    bind: '127.0.0.1',
    port: 0,
    ...(options.tls !== undefined ? { tls: { bind: '127.0.0.1', port: 0, ...options.tls } } : {}),
    authenticate: gateway.authenticator,
    handlers: gateway.handlers,
    timers: {
      enquireLinkMs: 30_000,
      inactivityMs: 300_000,
      sessionInitMs: 30_000,
      responseMs: 5000,
      ...options.timers,
    },
    ...(options.maxCommandLength !== undefined ? { maxCommandLength: options.maxCommandLength } : {}),
    ...(options.maxInflight !== undefined ? { maxInflight: options.maxInflight } : {}),
    ...(options.windowSize !== undefined ? { windowSize: options.windowSize } : {}),
    ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
    bindSlowdown: options.bindSlowdown ?? { baseMs: 0 },
    logger: logger.child({ component: 'smpps' }),
    onSession: (session) => session.on('bound', () => delivery.notifyBound(session.principal?.id ?? '')),
  });
  gateway.attachServer(server);
  const addresses = await server.listen();
  delivery.start();
  return {
    port: addresses.tcp?.port ?? 0,
    tlsPort: addresses.tls?.port,
    server,
    store,
    gateway,
    receipts,
    delivery,
    log,
    close: async () => {
      await server.close();
      await delivery.stop();
      await gateway.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Connects and binds a raw ESME; throws unless the bind is ROK. */
export async function boundEsme(
  port: number,
  username: string,
  type: 'transmitter' | 'receiver' | 'transceiver' = 'transceiver',
): Promise<Esme> {
  const esme = await Esme.connect({ port });
  const resp = await esme.bind(type, username, PASSWORD);
  if (resp.command_status !== 0) throw new Error(`bind of ${username} refused: 0x${resp.command_status.toString(16)}`);
  return esme;
}

/** Latency figures of a probe run (milliseconds). */
export interface LatencyFigures {
  n: number;
  failures: number;
  p50: number;
  p99: number;
  max: number;
}

/** Percentile of sorted values. */
function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * A well-behaved ESME (its own bind as user `probe`): submits one message at a time, back to back, and records each
 * submit_sm_resp's latency. `measure(fn)` runs the probe while `fn` runs.
 */
export class LatencyProbe {
  readonly esme: Esme;
  #running = false;
  #loop: Promise<void> = Promise.resolve();
  #lat: number[] = [];
  #failures: string[] = [];

  private constructor(esme: Esme) {
    this.esme = esme;
  }

  /** Binds the probe as a transceiver. */
  static async start(port: number, username = 'probe'): Promise<LatencyProbe> {
    return new LatencyProbe(await boundEsme(port, username));
  }

  /** Failures seen (non-ROK statuses, timeouts, a closed connection), as text. */
  get failures(): readonly string[] {
    return this.#failures;
  }

  #run(): void {
    this.#running = true;
    this.#lat = [];
    this.#loop = (async () => {
      let i = 0;
      while (this.#running) {
        const t = performance.now();
        try {
          const r: Pdu = await this.esme.submit({ destination_addr: `3361000${String(i++ % 10000).padStart(4, '0')}` });
          if (r.command_status !== 0) this.#failures.push(`status 0x${r.command_status.toString(16)}`);
          else this.#lat.push(performance.now() - t);
        } catch (error) {
          this.#failures.push((error as Error).message);
          if (this.esme.isClosed) return;
        }
        // Yield a little: the probe measures a paced ESME, not a load generator.
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
  }

  async #stop(): Promise<LatencyFigures> {
    this.#running = false;
    await this.#loop;
    const sorted = Float64Array.from(this.#lat).sort();
    return {
      n: sorted.length,
      failures: this.#failures.length,
      p50: pct(sorted, 50),
      p99: pct(sorted, 99),
      max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1],
    };
  }

  /** Runs the probe for `ms` milliseconds alone (the quiet baseline). */
  async quiet(ms: number): Promise<LatencyFigures> {
    this.#run();
    await new Promise((r) => setTimeout(r, ms));
    return this.#stop();
  }

  /** Runs the probe while `fn` runs (and at least `minMs`); resolves with fn's result and the figures. */
  async during<T>(fn: () => Promise<T>, minMs = 0): Promise<{ result: T; figures: LatencyFigures }> {
    this.#run();
    const [result] = await Promise.all([fn(), new Promise((r) => setTimeout(r, minMs))]);
    return { result, figures: await this.#stop() };
  }

  /** Unbinds and closes. */
  async close(): Promise<void> {
    if (!this.esme.isClosed) {
      await this.esme.unbind().catch(() => {});
      await this.esme.close();
    }
  }
}

/** One row of the latency table: a scenario, the quiet baseline and the figures during it. */
export interface LatencyRow {
  scenario: string;
  quiet: LatencyFigures;
  during: LatencyFigures;
  note?: string;
}

const ms = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(2));

/** Prints latency rows as a Markdown table (test output). */
export function printLatencyTable(title: string, rows: readonly LatencyRow[]): void {
  const lines = [
    `${title}: the well-behaved ESME's submit_sm latency (ms), quiet vs during`,
    '| scenario | quiet p50 | quiet p99 | during p50 | during p99 | during max | submits during | failures | note |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${ms(r.quiet.p50)} | ${ms(r.quiet.p99)} | ${ms(r.during.p50)} | ${ms(r.during.p99)} | ` +
        `${ms(r.during.max)} | ${r.during.n} | ${r.during.failures} | ${r.note ?? ''} |`,
    ),
  ];
  console.log(lines.join('\n'));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `predicate` every 20 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (predicate()) return true;
    await sleep(20);
  }
  return predicate();
}
