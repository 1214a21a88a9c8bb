// One gateway node: the parts that move messages, wired together over one store. The SMPP server takes ESMEs, the
// gateway's MT pipeline accepts their messages, connectors send them upstream and report back to the receipt engine,
// which queues receipts and MO for the delivery engine to hand to the ESMEs' receiver binds.
//
// `smppgate start`, the whole-path benchmark and the multi-node tests all build a node here, so they run the same
// wiring; the process concerns (config files, signals, listeners of the admin API) stay in the CLI.

import type { AdminControl, BindInfo, ConnectorLiveState } from '../api/admin/control.js';
import type { GatewayPrincipal } from '../gateway/accounts.js';
import { DeliveryEngine } from '../gateway/delivery.js';
import { Gateway, type GatewayOptions } from '../gateway/gateway.js';
import type { GatewayLogger } from '../gateway/pipeline.js';
import { ReceiptEngine } from '../gateway/receipts.js';
import type { UpstreamDeliver, UpstreamEvents } from '../gateway/upstream.js';
import { type ListenAddresses, SmppServer, type SmppServerOptions } from '../smpp/server/server.js';
import type { SmppSession } from '../smpp/session/session.js';
import type { Store } from '../store/index.js';

/** What a node needs of the connectors: the connector manager satisfies it. */
export interface NodeConnectors {
  /** Starts every connector whose record is marked started. */
  startAll(): Promise<void>;
  start(cid: string): Promise<void>;
  stop(cid: string): Promise<void>;
  /** The connector's record changed (settings, started flag) or was removed. */
  reload(cid: string): Promise<void>;
  states(): Readonly<Record<string, ConnectorLiveState>>;
  isUp(cid: string): boolean;
  /** New messages were queued for a connector. */
  notify(cid: string): void;
  /** Stops every connector, each finishing what it has in flight. */
  close(): Promise<void>;
}

/** Builds the connectors once the node's upstream events (the receipt engine) exist. */
export type NodeConnectorsFactory = (context: {
  store: Store;
  events: UpstreamEvents;
  logger: GatewayLogger;
  /** A connector's settings as last loaded (kept fresh by the factory's owner). */
}) => NodeConnectors;

/** Builds the MO router once the delivery engine exists; returns what the receipt engine calls for an MO. */
export type NodeMoFactory = (context: {
  store: Store;
  logger: GatewayLogger;
  dlrExpirySecs: number;
  isConnectorUp: (cid: string) => boolean;
  onQueued: (uid: string) => void;
}) => (cid: string, pdu: UpstreamDeliver) => Promise<void>;

/** Options of a GatewayNode. */
export interface GatewayNodeOptions {
  store: Store;
  logger: GatewayLogger & { child?(fields: Record<string, unknown>): GatewayLogger };
  /** The SMPP server, minus what the node supplies (authenticator, handlers, logger, session hook). */
  server: Omit<SmppServerOptions<GatewayPrincipal>, 'authenticate' | 'handlers' | 'logger' | 'onSession'>;
  /** Gateway options minus store and logger (pipeline settings, id generator, throttle…). */
  gateway?: Omit<GatewayOptions, 'store' | 'logger' | 'isConnectorUp'>;
  /** `[smpp-server] dlr_expiry`, seconds. */
  dlrExpirySecs: number;
  connectors?: NodeConnectorsFactory;
  mo?: NodeMoFactory;
  /** Delivery engine tuning (tests). */
  delivery?: { sweepMs?: number; retryBaseMs?: number; retryMaxMs?: number; windowPerUser?: number };
}

function childOf(logger: GatewayNodeOptions['logger'], component: string): GatewayLogger {
  return logger.child !== undefined ? logger.child({ component }) : logger;
}

/** A gateway node. `listen()` starts taking traffic; `close()` drains in order. */
export class GatewayNode {
  readonly store: Store;
  readonly gateway: Gateway;
  readonly server: SmppServer<GatewayPrincipal>;
  readonly receipts: ReceiptEngine;
  readonly delivery: DeliveryEngine;
  readonly connectors: NodeConnectors | undefined;
  readonly startedAt = Date.now();
  readonly #settings = new Map<string, Readonly<Record<string, unknown>>>();
  readonly #log: GatewayLogger;
  readonly #boundAt = new WeakMap<object, number>();
  #closing: Promise<void> | undefined;

  constructor(options: GatewayNodeOptions) {
    const { store, logger } = options;
    this.store = store;
    this.#log = childOf(logger, 'node');
    // Late-bound: the pipeline asks whether a connector is up, and the connectors are built after the gateway.
    const isUp = (cid: string) => this.connectors?.isUp(cid) ?? true;
    this.gateway = new Gateway({
      ...options.gateway,
      store,
      logger: childOf(logger, 'gateway'),
      isConnectorUp: isUp,
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
      pickSession: (uid) => this.server.nextReceiver(uid),
      logger: childOf(logger, 'delivery'),
      // A user's receipts and MO in flight at once, across its receiver binds: one session's outbound window, so a
      // busy ESME is fed as fast as one bind can answer (the default of 10 caps a 1 ms round trip at 10k/s).
      windowPerUser: options.server.windowSize ?? 100,
      ...options.delivery,
    });
    const onQueued = (uid: string) => this.delivery.notify(uid);
    const onMo = options.mo?.({
      store,
      logger: childOf(logger, 'mo'),
      dlrExpirySecs: options.dlrExpirySecs,
      isConnectorUp: isUp,
      onQueued,
    });
    this.receipts = new ReceiptEngine({
      store,
      connectorSettings: (cid) => this.#settings.get(cid),
      dlrExpirySecs: options.dlrExpirySecs,
      logger: childOf(logger, 'receipts'),
      onQueued,
      ...(onMo !== undefined ? { onMo } : {}),
    });
    this.connectors = options.connectors?.({ store, events: this.receipts, logger: childOf(logger, 'connectors') });
  }

  /** Loads connector settings (for receipt id bases), opens the listeners, starts delivery and the connectors. */
  async listen(): Promise<ListenAddresses> {
    await this.refreshConnectorSettings();
    const addresses = await this.server.listen();
    this.delivery.start();
    await this.connectors?.startAll();
    return addresses;
  }

  /** Re-reads one connector's settings (or all), so receipts use its current id base. */
  async refreshConnectorSettings(cid?: string): Promise<void> {
    if (cid === undefined) {
      this.#settings.clear();
      for (const c of await this.store.listConnectors()) this.#settings.set(c.cid, c.settings);
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
      await this.server.close();
      await this.gateway.close();
      await this.connectors?.close();
      await this.delivery.stop();
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
        await this.#requireConnectors().start(cid);
      },
      stopConnector: async (cid) => {
        await this.#requireConnectors().stop(cid);
      },
      connectorStates: async () => {
        if (this.connectors !== undefined) return this.connectors.states();
        // No connector engine in this node (a receive-only node): say what the records ask for, not a fake state.
        const out: Record<string, ConnectorLiveState> = {};
        for (const c of await this.store.listConnectors()) {
          out[c.cid] = { state: c.started ? 'not_run_here' : 'stopped', binds: 0, last_error: null };
        }
        return out;
      },
      stats: async () => ({
        started_at: this.startedAt,
        smpps: this.server.counters.snapshot(),
        counters: this.gateway.stats(),
      }),
      onAccountsChanged: () => this.gateway.onAccountsChanged(),
      onConnectorChanged: (cid) => {
        void this.refreshConnectorSettings(cid)
          .then(() => this.connectors?.reload(cid))
          .catch((error: unknown) =>
            this.#log.error('connector_reload_failed', {
              cid,
              error: error instanceof Error ? error.message : String(error),
            }),
          );
      },
      onRoutesChanged: (direction) => this.gateway.onRoutesChanged(direction),
    };
  }

  #requireConnectors(): NodeConnectors {
    if (this.connectors === undefined) throw new Error('this node runs no connectors');
    return this.connectors;
  }

  /** A new ESME session: when it binds, stamp the time and tell the delivery engine a receiver may be there. */
  #watch(session: SmppSession<GatewayPrincipal>): void {
    session.once('bound', (bindType: string, principal: GatewayPrincipal | undefined) => {
      this.#boundAt.set(session, Date.now());
      if (principal !== undefined && bindType !== 'transmitter') this.delivery.notifyBound(principal.id);
    });
  }
}
