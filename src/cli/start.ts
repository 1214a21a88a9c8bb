// `smppgate start`: the composition root. It reads the config, opens the store, wires the gateway into the SMPP
// server(s) and the admin API, and owns the process lifecycle (SIGTERM/SIGINT drain, SIGHUP reload).
// Nothing below this file knows about processes, signals or listeners it did not get handed.

import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createAdminApi } from '../api/admin/api.js';
import {
  createDashboard,
  createDashboardSource,
  createDashboardTally,
  ErrorRing,
  logTap,
} from '../api/dashboard/index.js';
import { TokenFailureDelay } from '../api/http/auth.js';
import { createHttpApi, createHttpApiServer, openAccessLog } from '../api/httpApi/index.js';
import {
  ConfigError,
  type LoadedConfig,
  loadConfig,
  loadTlsCredentials,
  prepareLogFiles,
  resolveAdminToken,
} from '../config/index.js';
import { createUuidV7Generator } from '../gateway/gateway.js';
import { createMessageIdGenerator } from '../gateway/messageId.js';
import { hashPassword } from '../gateway/password.js';
import { type Logger, loggerFromSettings } from '../log/index.js';
import { createMetrics, createMetricsHandler, instrumentStore, StoreTimings } from '../metrics/index.js';
import { GatewayNode } from '../node/node.js';
import {
  defaultMtMessagingCredential,
  defaultSmppsCredential,
  type Store,
  StoreUnavailableError,
} from '../store/index.js';
import { openStore } from '../store/open.js';
import { createRedisLeases, type RedisLeases } from '../store/redis/leases.js';
import { redactUrl } from '../store/redis/redisStore.js';
import { VERSION } from '../version.js';

const HELP = `Usage: smppgate start [--config FILE] [--demo]

Runs the gateway: the SMPP server ([smpp-server], [smpp-server-tls]), the HTTP API ([http-api]), the admin API,
metrics and dashboard ([admin]), the connectors and the store ([store]).

Options:
  --config FILE   the INI config (Jasmin's jasmin.cfg works too); without it, every default
  --demo          on an empty store, provision a demo group, user (demo/demo), a simulator connector and a
                  default route to it, and print the credentials
  --help          this text

Signals: SIGTERM or SIGINT drain (unbind ESMEs, finish in-flight work, close the store) and exit;
SIGHUP drops cached accounts and routes, reopens the log file (after logrotate) and re-reads log_level;
the rest of the file, the admin token included, is read at start only.
`;

/** Process I/O of the start command (tests pass their own). */
export interface StartIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves when the process should stop (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<string>;
  /** Registers a reload handler (default: SIGHUP). */
  onReload?: (reload: () => void) => void;
  /** Called once everything listens, with where (tests read the ports from it). */
  onReady?: (ready: StartedGateway) => void;
}

/** Where a started gateway listens. */
export interface StartedGateway {
  smpp: AddressInfo | undefined;
  smppTls: AddressInfo | undefined;
  /** The Jasmin-compatible HTTP API ([http-api]). */
  httpApi: AddressInfo;
  admin: AddressInfo;
  adminToken: string;
}

interface StartArgs {
  config: string | undefined;
  demo: boolean;
}

function parseArgs(argv: string[]): StartArgs | 'help' | string {
  const args: StartArgs = { config: undefined, demo: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--demo') args.demo = true;
    else if (a === '--config' || a === '-c') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) return '--config needs a file path';
      args.config = v;
    } else if (a.startsWith('--config=')) args.config = a.slice('--config='.length);
    else return `unknown option ${JSON.stringify(a)}`;
  }
  return args;
}

function signalPromise(): Promise<string> {
  return new Promise((resolve) => {
    const once = (signal: string) => {
      process.off('SIGTERM', once);
      process.off('SIGINT', once);
      resolve(signal);
    };
    process.on('SIGTERM', once);
    process.on('SIGINT', once);
  });
}

/** Runs the daemon until a stop signal; resolves with the process exit code. */
export async function runStart(argv: string[], io: StartIo = { stdout: process.stdout, stderr: process.stderr }) {
  const parsed = parseArgs(argv);
  if (parsed === 'help') {
    io.stdout.write(HELP);
    return 0;
  }
  if (typeof parsed === 'string') {
    io.stderr.write(`smppgate start: ${parsed}\n${HELP}`);
    return 2;
  }

  let loaded: LoadedConfig;
  let log: Logger;
  try {
    loaded = loadConfig(parsed.config);
    prepareLogFiles(loaded);
    log = loggerFromSettings(loaded.settings.smppServer, loaded.settings.smppServer.id);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`smppgate start: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  for (const warning of loaded.warnings) log.warn('config_warning', { message: warning.message });
  if (!loaded.fromFile) log.info('config_defaults', { reason: parsed.config ?? 'no --config given' });

  const settings = loaded.settings;
  // Redis: this node's id owns its claims and connector leases; every node on one Redis needs its own ([gateway]
  // node_id, default the host name when left at 0).
  const nodeId = settings.gateway.node_id !== '0' ? settings.gateway.node_id : undefined;
  let store: Store;
  let leases: RedisLeases | undefined;
  try {
    store = await openStore(settings.store, {
      ...(nodeId !== undefined ? { nodeId } : {}),
      claimTimeoutMs: settings.store.claim_timeout * 1000,
    });
    if (settings.store.backend === 'redis') {
      leases = createRedisLeases({
        url: settings.store.url,
        keyPrefix: settings.store.key_prefix,
        nodeId: nodeId ?? hostname(),
      });
    }
    const recovered = await store.recoverInFlight();
    if (recovered > 0) log.info('store_recovered_in_flight', { messages: recovered });
  } catch (error) {
    const message = (error as Error).message;
    io.stderr.write(`smppgate start: ${message.startsWith('[') ? '' : '[store] '}${message}\n`);
    await log.close();
    return 1;
  }

  const s = settings.smppServer;
  const tls = loadTlsCredentials(loaded);
  // Store call latencies for the metrics: a thin timing wrapper around the store the node uses.
  const storeTimings = new StoreTimings();
  const node = new GatewayNode({
    store: instrumentStore(store, storeTimings),
    logger: log,
    dlrExpirySecs: s.dlr_expiry,
    historyRetentionSecs: settings.store.history_retention,
    ...(leases !== undefined ? { leases, leaseTtlMs: settings.store.connector_lease * 1000 } : {}),
    gateway: {
      settings: {
        billing_feature: s.billing_feature,
        log_privacy: s.log_privacy,
        max_validity_secs: settings.gateway.max_validity_secs,
      },
      idGenerator: createMessageIdGenerator(
        settings.gateway.message_id_format === 'short'
          ? { format: 'short', nodeId: settings.gateway.node_id }
          : { uuid: createUuidV7Generator() },
      ),
    },
    server: {
      id: s.id,
      bind: s.bind,
      port: s.port,
      ...(tls !== null
        ? {
            tls: {
              bind: settings.smppServerTls.bind,
              port: settings.smppServerTls.port,
              cert: tls.cert,
              key: tls.key,
              minVersion: tls.minVersion,
              ciphers: tls.ciphers,
            },
          }
        : {}),
      timers: {
        sessionInitMs: s.sessionInitTimerSecs * 1000,
        enquireLinkMs: s.enquireLinkTimerSecs * 1000,
        inactivityMs: s.inactivityTimerSecs * 1000,
        responseMs: s.responseTimerSecs * 1000,
        pduReadMs: s.pduReadTimerSecs * 1000,
      },
      windowSize: s.window_size,
      maxInflight: s.max_inbound_in_flight,
      maxCommandLength: s.max_command_length,
      maxConnections: s.max_connections,
      bindSlowdown: { baseMs: s.bind_fail_delay_ms },
    },
  });

  const control = node.control();
  const { token, generated } = resolveAdminToken(settings.admin);
  // One slow-down of wrong tokens for the whole admin port: the admin API, /metrics and the dashboard share it.
  const tokenFailures = new TokenFailureDelay({
    baseMs: settings.admin.token_fail_delay_ms,
    onDelay: (peer, delayMs, failures) => log.warn('admin_token_slowdown', { peer, delay_ms: delayMs, failures }),
  });
  const adminApi = createAdminApi({
    store,
    control,
    token,
    tokenFailures,
    logger: log.child({ component: 'admin' }),
  });
  // The dashboard's last errors: the gateway's own failure events (tally) and every WARNING/ERROR log line.
  const dashboardErrors = new ErrorRing();
  log.addTap(logTap(dashboardErrors));
  const dashboard = createDashboard({
    source: createDashboardSource({
      control,
      store,
      server: node.server,
      errors: dashboardErrors,
      tally: createDashboardTally(node.events, dashboardErrors),
    }),
    token,
    tokenFailures,
    logger: log.child({ component: 'dashboard' }),
  });
  const metrics = createMetrics({
    server: node.server,
    pipeline: node.gateway.pipeline,
    store: node.store,
    events: node.events,
    connectors: node.connectors,
    delivery: node.delivery,
    storeTimings,
  });
  const onMetrics = createMetricsHandler({
    metrics,
    token,
    tokenFailures,
    logger: log.child({ component: 'metrics' }),
  });
  const admin = createHttpServer((req, res) => {
    if (onMetrics(req, res)) return;
    if (!dashboard(req, res)) adminApi(req, res);
  });
  const h = settings.httpApi;
  const httpApiLog = h.log_file !== null ? loggerFromSettings(h, 'http-api') : log.child({ component: 'http_api' });
  if (h.log_file !== null) httpApiLog.addTap(logTap(dashboardErrors));
  const accessLog = openAccessLog(h.access_log);
  const httpApi = createHttpApi({
    pipeline: node.gateway.pipeline,
    accounts: node.gateway.accounts,
    store,
    passwords: node.passwords,
    settings: h,
    billingFeature: s.billing_feature,
    logger: httpApiLog,
    ...(accessLog !== null ? { accessLog } : {}),
    isConnectorUp: (cid) => node.connectors.isUp(cid),
  });
  const httpApiServer = createHttpApiServer(httpApi);
  const closeHttpApi = async () => {
    await new Promise<void>((resolve) => httpApiServer.close(() => resolve()));
    await httpApi.drain();
    if (httpApiLog !== log) await (httpApiLog as Logger).close?.();
    await accessLog?.close();
  };

  let smppAddresses: Awaited<ReturnType<GatewayNode['listen']>>;
  let adminAddress: AddressInfo;
  let httpApiAddress: AddressInfo;
  try {
    if (parsed.demo) await provisionDemo(store, io, log);
    smppAddresses = await node.listen();
    adminAddress = await listen(admin, settings.admin.port, settings.admin.bind, 'admin');
    httpApiAddress = await listen(httpApiServer, h.port, h.bind, 'http-api');
  } catch (error) {
    io.stderr.write(`smppgate start: ${(error as Error).message}\n`);
    await node.close();
    dashboard.close();
    admin.close();
    if (httpApiServer.listening) await closeHttpApi();
    await leases?.close();
    await store.close();
    await log.close();
    return 1;
  }

  log.info('started', {
    version: VERSION,
    smpp: describe(smppAddresses.tcp),
    smpp_tls: describe(smppAddresses.tls),
    admin: describe(adminAddress),
    http_api: describe(httpApiAddress),
    store:
      settings.store.backend === 'redis' ? `redis:${redactUrl(settings.store.url)}` : `sqlite:${settings.store.path}`,
  });
  if (generated) {
    // Logged once, so that the operator can reach the admin API; set [admin] token to choose it.
    io.stdout.write(`admin API token (generated; set [admin] token to fix it): ${token}\n`);
  }
  io.onReady?.({
    smpp: smppAddresses.tcp,
    smppTls: smppAddresses.tls,
    admin: adminAddress,
    httpApi: httpApiAddress,
    adminToken: token,
  });

  const reload = () => {
    node.gateway.invalidate();
    void node.refreshConnectorSettings();
    log.reopen();
    try {
      const fresh = loadConfig(parsed.config);
      log.setLevel(fresh.settings.smppServer.log_level);
      log.info('reloaded', { log_level: fresh.settings.smppServer.log_level });
    } catch (error) {
      log.error('reload_failed', { error: (error as Error).message });
    }
  };
  if (io.onReload !== undefined) io.onReload(reload);
  else process.on('SIGHUP', reload);

  const signal = await (io.stopSignal ?? signalPromise());
  log.info('draining', { signal });
  // Order matters: no new HTTP submits, ESMEs are unbound (each finishing its in-flight submits), connectors finish
  // what they have in flight, and only then does the store close.
  await closeHttpApi();
  await node.close();
  dashboard.close(); // ends its event streams, which admin.close() would otherwise wait for
  metrics.close();
  await new Promise<void>((resolve) => admin.close(() => resolve()));
  await leases?.close();
  await store.close();
  log.info('stopped', { signal });
  await log.close();
  if (io.onReload === undefined) process.off('SIGHUP', reload);
  return 0;
}

function describe(a: AddressInfo | undefined): string | null {
  if (a === undefined) return null;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function listen(server: HttpServer, port: number, host: string, section: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) =>
      reject(new Error(`[${section}] port: cannot listen on ${host}:${port}: ${error.message}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** The quick start's demo account, simulator connector and default route, on an empty store only. */
async function provisionDemo(store: Store, io: StartIo, log: Logger): Promise<void> {
  if ((await store.listUsers()).length > 0) {
    log.info('demo_skipped', { reason: 'the store already has users' });
    return;
  }
  try {
    if ((await store.getGroup('demo')) === null) await store.createGroup({ gid: 'demo', enabled: true });
    await store.createUser({
      uid: 'demo',
      gid: 'demo',
      username: 'demo',
      enabled: true,
      password_hash: await hashPassword('demo'),
      smpps_cred: defaultSmppsCredential(),
      mt_messaging_cred: defaultMtMessagingCredential(),
    });
    if ((await store.getConnector('sim')) === null) {
      await store.putConnector({ cid: 'sim', type: 'sim', started: true, settings: {} });
    }
    if (!(await store.listMtRoutes()).some((r) => r.order === 0)) {
      await store.putMtRoute({ order: 0, type: 'default', connectors: ['sim'], filters: [], rate: 0 });
    }
    // MO (the simulator makes some when its mo_every_secs is set) go to the demo user's receiver binds.
    if (!(await store.listMoRoutes()).some((r) => r.order === 0)) {
      await store.putMoRoute({
        order: 0,
        type: 'default',
        targets: [{ kind: 'smpps', username: 'demo' }],
        filters: [],
      });
    }
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    throw new Error(`demo provisioning failed: ${(error as Error).message}`, { cause: error });
  }
  io.stdout.write(
    'demo provisioned: bind with system_id "demo", password "demo"; the default route leads to connector "sim", and MO come back to "demo"\n',
  );
  log.info('demo_provisioned', { username: 'demo', connector: 'sim' });
}
