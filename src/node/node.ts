// One gateway node: the parts that move messages, wired together over one store. The SMPP server takes ESMEs, the
// gateway's MT pipeline accepts their messages, connectors send them upstream and report back to the receipt engine,
// which queues receipts and MO for the delivery engine to hand to the ESMEs' receiver binds.
//
// `smppgate start`, the whole-path benchmark and the multi-node tests all build a node here, so they run the same
// wiring; the process concerns (config files, signals, listeners of the admin API) stay in the CLI.

import type { AdminControl, BindInfo, ConnectorLiveState } from '../api/admin/control.js';
import { createHttpConnector, HttpMoSink, HttpOutbox } from '../connectors/http/index.js';
import { type ConnectorLeases, ConnectorManager } from '../connectors/manager.js';
import type { GatewayPrincipal } from '../gateway/accounts.js';
import { DeliveryEngine } from '../gateway/delivery.js';
import { GatewayEvents } from '../gateway/events.js';
import { Gateway, type GatewayOptions } from '../gateway/gateway.js';
import { HistoryRecorder } from '../gateway/history.js';
import { MoRouter } from '../gateway/mo.js';
import { PasswordVerifier } from '../gateway/password.js';
import type { GatewayLogger } from '../gateway/pipeline.js';
import { ReceiptEngine } from '../gateway/receipts.js';
import { type ListenAddresses, SmppServer, type SmppServerOptions } from '../smpp/server/server.js';
import type { SmppSession } from '../smpp/session/session.js';
import type { Store } from '../store/index.js';

/** Options of a GatewayNode. */
export interface GatewayNodeOptions {
  store: Store;
  logger: GatewayLogger & { child(fields: Record<string, unknown>): GatewayLogger };
  /** The SMPP server, minus what the node supplies (authenticator, handlers, logger, session hook). */
  server: Omit<SmppServerOptions<GatewayPrincipal>, 'authenticate' | 'handlers' | 'logger' | 'onSession'>;
  /** Gateway options minus store and logger (pipeline settings, id generator, throttle…). */
  gateway?: Omit<GatewayOptions, 'store' | 'logger' | 'isConnectorUp' | 'events' | 'verifier'>;
  /** `[smpp-server] dlr_expiry`, seconds. */
  dlrExpirySecs: number;
  /** `[store] history_retention`, seconds; absent: no message history is recorded. */
  historyRetentionSecs?: number;
  /** Several nodes on one store: each connector runs on the node holding its lease. Absent: this node runs all. */
  leases?: ConnectorLeases;
  /** Connector lease time to live (ms); default the manager's. */
  leaseTtlMs?: number;
  /** Delivery engine tuning (tests). */
  delivery?: { sweepMs?: number; retryBaseMs?: number; retryMaxMs?: number; windowPerUser?: number };
}

function childOf(logger: GatewayNodeOptions['logger'], component: string): GatewayLogger {
  return logger.child({ component });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A gateway node. `listen()` starts taking traffic; `close()` drains in order. */
export class GatewayNode {
  readonly store: Store;
  readonly gateway: Gateway;
  readonly server: SmppServer<GatewayPrincipal>;
  readonly receipts: ReceiptEngine;
  readonly delivery: DeliveryEngine;
  readonly connectors: ConnectorManager;
  /** Every acceptance, refusal, upstream outcome, receipt, delivery and MO, for metrics, history and the dashboard. */
  readonly events: GatewayEvents;
  /** Bind and HTTP API passwords share one verifier, so its cache of proven passwords serves both. */
  readonly passwords = new PasswordVerifier();
  readonly mo: MoRouter;
  /** HTTP calls of MO routed to HTTP connectors (`http:<cid>` queues) and their long-MO parts. */
  readonly moSink: HttpMoSink;
  /** HTTP API receipts to `dlr-url` (`dlr:<uid>` queues). */
  readonly dlrOutbox: HttpOutbox;
  readonly history: HistoryRecorder | undefined;
  readonly startedAt = Date.now();
  readonly #settings = new Map<string, Readonly<Record<string, unknown>>>();
  readonly #log: GatewayLogger;
  readonly #boundAt = new WeakMap<object, number>();
  #closing: Promise<void> | undefined;
  #unwatch: (() => void) | undefined;
  /** Several nodes: leases of `deliver:<uid>`, held while a receiver of that user is bound here. */
  readonly #leases: ConnectorLeases | undefined;
  readonly #leaseTtlMs: number;
  readonly #heldUsers = new Set<string>();
  #leaseTimer: NodeJS.Timeout | undefined;
  #tending: Promise<void> | undefined;
  #tendAgain = false;

  constructor(options: GatewayNodeOptions) {
    const { store, logger } = options;
    this.store = store;
    this.#leases = options.leases;
    this.#leaseTtlMs = options.leaseTtlMs ?? 15_000;
    this.#log = childOf(logger, 'node');
    this.events = new GatewayEvents((error, event) =>
      this.#log.error('event_listener_error', { event: event.type, error: errorMessage(error) }),
    );
    // Late-bound: the pipeline asks whether a connector is up, and the connectors are built after the gateway.
    const isUp = (cid: string) => this.connectors?.isUp(cid) ?? true;
    this.gateway = new Gateway({
      ...options.gateway,
      store,
      logger: childOf(logger, 'gateway'),
      isConnectorUp: isUp,
      events: this.events,
      verifier: this.passwords,
    });
    this.server = new SmppServer<GatewayPrincipal>({
      ...options.server,
      authenticate: this.gateway.authenticator,
      handlers: this.gateway.handlers,
      logger: childOf(logger, 'smpps'),
      onSession: (session) => this.#watch(session),
    });
    this.gateway.attachServer(this.server);
    this.delivery = new DeliveryEngine({
      store,
      // With several nodes, a user's queue is served by the one node holding its delivery lease (in order, once).
      pickSession: (uid) =>
        options.leases === undefined || this.#heldUsers.has(uid) ? this.server.nextReceiver(uid) : undefined,
      logger: childOf(logger, 'delivery'),
      events: this.events,
      // A user's receipts and MO in flight at once, across its receiver binds: one session's outbound window, so a
      // busy ESME is fed as fast as one bind can answer (the default of 10 caps a 1 ms round trip at 10k/s).
      windowPerUser: options.server.windowSize ?? 100,
      // Another node may queue receipts for a user bound here: look for them every second rather than every five.
      ...(options.leases !== undefined ? { sweepMs: 1000 } : {}),
      ...options.delivery,
    });
    const onQueued = (uid: string) => this.delivery.notify(uid);
    this.moSink = new HttpMoSink({
      store,
      logger: childOf(logger, 'mo_http'),
      onQueued: (cid) => this.connectors.notify(cid),
    });
    this.mo = new MoRouter({
      store,
      logger: childOf(logger, 'mo'),
      dlrExpirySecs: options.dlrExpirySecs,
      onQueued,
      isConnectorUp: isUp,
      hasReceiver: (username) => this.#hasReceiver(username),
      http: this.moSink,
      events: this.events,
    });
    this.dlrOutbox = new HttpOutbox({ store, logger: childOf(logger, 'dlr_http'), prefix: 'dlr:', kind: 'receipt' });
    this.receipts = new ReceiptEngine({
      store,
      connectorSettings: (cid) => this.#settings.get(cid),
      dlrExpirySecs: options.dlrExpirySecs,
      logger: childOf(logger, 'receipts'),
      onQueued,
      onMo: (cid, pdu) => this.mo.route(cid, pdu),
      httpOutbox: this.dlrOutbox,
      events: this.events,
      // The node running a connector is the only writer of its sent parts, so their outcome and receipt need no store
      // read. With leases a connector may move between nodes: the cache is dropped whenever this node takes one over
      // (below), since the node that ran it meanwhile may have changed parts this one remembers.
      cacheSize: 50_000,
    });
    this.connectors = new ConnectorManager({
      store,
      events: this.receipts,
      logger: childOf(logger, 'connectors'),
      ...(options.leases !== undefined ? { leases: options.leases } : {}),
      ...(options.leaseTtlMs !== undefined ? { leaseTtlMs: options.leaseTtlMs } : {}),
      onLeaseAcquired: () => this.receipts.forgetCached(),
    });
    this.connectors.register('http', createHttpConnector);
    // A message queued for a connector wakes it at once instead of at its next poll.
    this.events.listen((event) => {
      if (event.type === 'accepted') this.connectors.notify(event.cid);
    });
    this.history =
      options.historyRetentionSecs !== undefined
        ? new HistoryRecorder({
            store,
            events: this.events,
            retentionSecs: options.historyRetentionSecs,
            logger: childOf(logger, 'history'),
          })
        : undefined;
  }

  /**
   * Changes another node made to the shared store (Redis pub/sub): cached accounts and routes are dropped and a
   * changed connector is reloaded here at once, as if this node's admin API had made the change.
   */
  #watchStore(): void {
    if (this.store.watchChanges === undefined) return;
    const control = this.control();
    this.#unwatch = this.store.watchChanges((change) => {
      if (change.kind === 'accounts') control.onAccountsChanged({ kind: 'group', gid: change.id ?? '' });
      else if (change.kind === 'routes') control.onRoutesChanged(change.id?.startsWith('mo:') ? 'mo' : 'mt');
      else if (change.id !== undefined) control.onConnectorChanged(change.id);
      else this.#refreshAllSettings(1);
    });
  }

  /**
   * After the change feed reconnects every connector's settings are read again. The feed can be back before the main
   * connection is: a failed read is logged and tried again (an unhandled rejection here ended the process).
   */
  #refreshAllSettings(attempt: number): void {
    this.refreshConnectorSettings().catch((error: unknown) => {
      this.#log.warn('connector_settings_refresh_failed', { attempt, error: errorMessage(error) });
      if (attempt < 10 && this.#closing === undefined) {
        setTimeout(() => this.#refreshAllSettings(attempt + 1), 1000).unref();
      }
    });
  }

  /** Loads connector settings (for receipt id bases), opens the listeners, starts delivery and the connectors. */
  async listen(): Promise<ListenAddresses> {
    await this.refreshConnectorSettings();
    this.#watchStore();
    const addresses = await this.server.listen();
    this.history?.start();
    this.delivery.start();
    this.dlrOutbox.start();
    this.moSink.start();
    await this.connectors.load();
    if (this.#leases !== undefined) {
      this.#leaseTimer = setInterval(() => void this.#tendDeliveryLeases(), Math.max(100, this.#leaseTtlMs / 3));
      this.#leaseTimer.unref();
    }
    return addresses;
  }

  /**
   * Several nodes share the users' delivery queues: a node takes `deliver:<uid>` while a receiver of that user is bound
   * to it, renews it every third of its time, and gives it up when none is; it serves only the users it holds, so one
   * receipt is never sent by two nodes at once. A node that dies loses its users after the lease time.
   */
  #tendDeliveryLeases(): Promise<void> {
    const leases = this.#leases;
    if (leases === undefined) return Promise.resolve();
    // A pass already running may have listed the sessions before this call's reason (a new bind, close): it runs once
    // more after, and the caller waits for that.
    if (this.#tending !== undefined) {
      this.#tendAgain = true;
      return this.#tending;
    }
    this.#tending = (async () => {
      do {
        this.#tendAgain = false;
        await this.#tendOnce(leases);
      } while (this.#tendAgain);
    })().finally(() => {
      this.#tending = undefined;
    });
    return this.#tending;
  }

  async #tendOnce(leases: ConnectorLeases): Promise<void> {
    const wanted = new Set<string>();
    if (this.#closing === undefined) {
      for (const session of this.server.sessions()) {
        const p = session.principal;
        if (p !== undefined && session.bindType !== undefined && session.bindType !== 'transmitter') wanted.add(p.id);
      }
    }
    for (const uid of wanted) {
      const key = `deliver:${uid}`;
      try {
        if (this.#heldUsers.has(uid)) {
          if (!(await leases.renew(key, this.#leaseTtlMs))) {
            this.#heldUsers.delete(uid);
            this.#log.warn('delivery_lease_lost', { uid });
          }
        } else if (await leases.acquire(key, this.#leaseTtlMs)) {
          this.#heldUsers.add(uid);
          this.#log.info('delivery_lease_acquired', { uid });
          this.delivery.notifyBound(uid);
        }
      } catch (error) {
        this.#log.warn('delivery_lease_error', { uid, error: errorMessage(error) });
      }
    }
    for (const uid of [...this.#heldUsers]) {
      if (wanted.has(uid)) continue;
      this.#heldUsers.delete(uid);
      await leases.release(`deliver:${uid}`).catch(() => {});
    }
  }

  /** Re-reads one connector's settings (or all), so receipts use its current id base. */
  async refreshConnectorSettings(cid?: string): Promise<void> {
    if (cid === undefined) {
      // Read first: a failed read keeps the settings known (receipts need their id base) instead of emptying them.
      const all = await this.store.listConnectors();
      this.#settings.clear();
      for (const c of all) this.#settings.set(c.cid, c.settings);
      return;
    }
    const record = await this.store.getConnector(cid);
    if (record === null) this.#settings.delete(cid);
    else this.#settings.set(cid, record.settings);
  }

  /**
   * Drains: ESMEs are unbound (each finishing its in-flight submits), the pipeline closes, connectors stop (their
   * in-flight submits answered and reported), then the delivery engine. The store is the caller's to close.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#unwatch?.();
      if (this.#leaseTimer !== undefined) clearInterval(this.#leaseTimer);
      await this.server.close();
      await this.gateway.close();
      await this.connectors.close();
      await this.moSink.stop();
      await this.dlrOutbox.stop();
      await this.delivery.stop();
      await this.#tendDeliveryLeases(); // no receiver left: gives every delivery lease up
      await this.history?.stop();
    })();
    return this.#closing;
  }

  /** The live side of this node for the admin API. */
  control(): AdminControl {
    return {
      unbindUser: (uid) => this.gateway.unbindUser(uid),
      listBinds: async () => {
        const binds: BindInfo[] = [];
        for (const session of this.server.sessions()) {
          const p = session.principal;
          const type = session.bindType;
          if (p === undefined || type === undefined) continue;
          binds.push({
            session_id: session.id,
            uid: p.id,
            username: p.username,
            bind_type: type,
            peer: session.peerAddress,
            bound_at: this.#boundAt.get(session) ?? this.startedAt,
          });
        }
        return binds;
      },
      startConnector: async (cid) => {
        await this.refreshConnectorSettings(cid);
        await this.connectors.start(cid);
      },
      stopConnector: (cid) => this.connectors.stop(cid),
      connectorStates: async () => this.connectors.states() as Record<string, ConnectorLiveState>,
      stats: async () => ({
        started_at: this.startedAt,
        smpps: this.server.counters.snapshot(),
        counters: this.gateway.stats(),
        users: Object.fromEntries(
          this.server.counters.userIds().map((id) => [id, this.server.counters.user(id).snapshot()]),
        ),
      }),
      onAccountsChanged: () => this.gateway.onAccountsChanged(),
      onConnectorChanged: (cid) => {
        void this.refreshConnectorSettings(cid)
          .then(() => this.connectors.reload(cid))
          .catch((error: unknown) =>
            this.#log.error('connector_reload_failed', {
              cid,
              error: errorMessage(error),
            }),
          );
      },
      onRoutesChanged: (direction) => {
        this.gateway.onRoutesChanged(direction);
        if (direction === 'mo') this.mo.routesChanged();
      },
    };
  }

  /** Whether a receiver or transceiver of the user named `username` is bound to this node. */
  #hasReceiver(username: string): boolean {
    for (const session of this.server.sessions()) {
      if (session.principal?.username === username && session.bindType !== undefined) {
        if (session.bindType !== 'transmitter') return true;
      }
    }
    return false;
  }

  /** A new ESME session: when it binds, stamp the time and tell the delivery engine a receiver may be there. */
  #watch(session: SmppSession<GatewayPrincipal>): void {
    session.once('bound', (bindType: string, principal: GatewayPrincipal | undefined) => {
      this.#boundAt.set(session, Date.now());
      if (principal === undefined || bindType === 'transmitter') return;
      if (this.#leases === undefined) this.delivery.notifyBound(principal.id);
      else void this.#tendDeliveryLeases();
    });
  }
}
