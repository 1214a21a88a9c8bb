// The gateway as the composition root sees it: accounts, the MT pipeline and the SMPP handlers over one store.
// The root creates the Gateway, gives `authenticator` and `handlers` to the SMPP server, then `attachServer(server)`
// so that bind counting (max_bindings) and the admin API's unbind/ban reach the bound sessions.

import type { SessionLogger as GatewayLogger } from '../smpp/session/log.js';
import type { Authenticator, Handlers } from '../smpp/session/session.js';
import { Accounts, type AccountsStore, type GatewayPrincipal } from './accounts.js';
import { createMessageIdGenerator } from './messageId.js';
import { createMtHandlers, type HandlersStore } from './mtHandlers.js';
import type { PasswordVerifier } from './password.js';
import {
  DEFAULT_PIPELINE_SETTINGS,
  MtPipeline,
  type PipelineSettings,
  type PipelineStore,
  type WallClock,
} from './pipeline.js';
import type { Throttle } from './throttle.js';

/** Everything the gateway needs from the store. */
export type GatewayStore = AccountsStore & PipelineStore & HandlersStore;

/** A bound session as the gateway sees it: something it can unbind. */
export interface BoundSession {
  unbind(): Promise<void>;
}

/** The server's registry of bound sessions per principal (SmppServer satisfies it). */
export interface BindRegistry {
  boundSessions(id: string): readonly BoundSession[];
}

/** Options of a Gateway. */
export interface GatewayOptions {
  store: GatewayStore;
  /** `[smpp-server]` settings the gateway honours (billing_feature, log_privacy) and max_validity_secs. */
  settings?: Partial<PipelineSettings>;
  logger: GatewayLogger;
  /** Wall clock, epoch milliseconds; default Date. */
  clock?: WallClock;
  /** message_id generator; default UUID v4. */
  idGenerator?: () => string;
  verifier?: PasswordVerifier;
  throttle?: Throttle;
  /** Whether a connector is bound upstream (failover and round-robin routing); default all up. */
  isConnectorUp?: (cid: string) => boolean;
}

/** Accounts, the MT pipeline and the SMPP handlers, wired for the composition root. */
export class Gateway {
  readonly accounts: Accounts;
  readonly pipeline: MtPipeline;
  /** The SMPP server's bind authenticator. */
  readonly authenticator: Authenticator<GatewayPrincipal>;
  /** The SMPP server's request handlers (submit_sm, data_sm, submit_multi, query_sm, cancel_sm, replace_sm). */
  readonly handlers: Handlers<GatewayPrincipal>;
  #registry: BindRegistry | undefined;
  readonly #log: GatewayLogger;

  /** Wires the parts over `options.store`. */
  constructor(options: GatewayOptions) {
    const settings = { ...DEFAULT_PIPELINE_SETTINGS, ...pickPipelineSettings(options.settings) };
    this.#log = options.logger;
    this.accounts = new Accounts({
      store: options.store,
      logger: options.logger,
      ...(options.verifier !== undefined ? { verifier: options.verifier } : {}),
      bindingCount: (uid) => this.#registry?.boundSessions(uid).length ?? 0,
    });
    this.pipeline = new MtPipeline({
      store: options.store,
      accounts: this.accounts,
      settings,
      logger: options.logger,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      idGenerator: options.idGenerator ?? createMessageIdGenerator(),
      ...(options.isConnectorUp !== undefined ? { isConnectorUp: options.isConnectorUp } : {}),
      ...(options.throttle !== undefined ? { throttle: options.throttle } : {}),
    });
    this.authenticator = this.accounts.authenticate;
    this.handlers = createMtHandlers({
      pipeline: this.pipeline,
      accounts: this.accounts,
      store: options.store,
      logger: options.logger,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      maxValiditySecs: settings.max_validity_secs,
      billing: settings.billing_feature,
    });
  }

  /** Connects the server's registry: bind counts for max_bindings, and the sessions unbindUser() closes. */
  attachServer(registry: BindRegistry): void {
    this.#registry = registry;
  }

  /**
   * Accounts or routes changed: cached users, groups and MT routes are dropped, so bound sessions see the change on
   * their next submit.
   */
  invalidate(): void {
    this.accounts.invalidate();
    this.pipeline.invalidateRoutes();
  }

  /** A user or group was created, changed or removed (admin API): bound sessions see it on their next request. */
  onAccountsChanged(): void {
    this.accounts.invalidate();
  }

  /** MT or MO routes changed (admin API): the next submit routes over the new MT table. */
  onRoutesChanged(direction: 'mt' | 'mo'): void {
    if (direction === 'mt') this.pipeline.invalidateRoutes();
  }

  /** MT figures since start (accepted, refused by status name) for the admin API's stats. */
  stats(): Readonly<Record<string, number>> {
    return this.pipeline.counters();
  }

  /**
   * Unbinds every session of user `uid` (admin unbind; ban = disable, invalidate, then this). Each session finishes
   * its in-flight requests first. Resolves with the number of sessions unbound once they have all closed.
   */
  async unbindUser(uid: string): Promise<number> {
    const sessions = [...(this.#registry?.boundSessions(uid) ?? [])];
    this.#log.info('user_unbind', { uid, sessions: sessions.length });
    await Promise.all(sessions.map((s) => s.unbind()));
    return sessions.length;
  }

  /** Refuses new submissions and waits for those in flight to be committed or refused (call before closing the store). */
  close(): Promise<void> {
    return this.pipeline.close();
  }
}

/** Only the keys the pipeline knows (the config's `[smpp-server]` section carries many more). */
function pickPipelineSettings(s: Partial<PipelineSettings> | undefined): Partial<PipelineSettings> {
  const out: Partial<PipelineSettings> = {};
  if (s?.billing_feature !== undefined) out.billing_feature = s.billing_feature;
  if (s?.log_privacy !== undefined) out.log_privacy = s.log_privacy;
  if (s?.max_validity_secs !== undefined) out.max_validity_secs = s.max_validity_secs;
  return out;
}
