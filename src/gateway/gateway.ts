// The gateway as the composition root sees it: accounts, the MT pipeline and the SMPP handlers over one store.
// The root creates the Gateway, gives `authenticator` and `handlers` to the SMPP server, then `attachServer(server)`
// so that bind counting (max_bindings) and the admin API's unbind/ban reach the bound sessions.

import { randomFillSync } from 'node:crypto';

import type { Authenticator, Handlers } from '../smpp/session/session.js';
import { Accounts, type AccountsStore, type GatewayPrincipal } from './accounts.js';
import type { GatewayEventSink } from './events.js';
import { createMessageIdGenerator } from './messageId.js';
import { createMtHandlers, type HandlersStore } from './mtHandlers.js';
import type { PasswordVerifier } from './password.js';
import {
  DEFAULT_PIPELINE_SETTINGS,
  type GatewayLogger,
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
  /** message_id generator; default time-ordered UUIDs (version 7, see createUuidV7Generator). */
  idGenerator?: () => string;
  verifier?: PasswordVerifier;
  throttle?: Throttle;
  /** Whether a connector is bound upstream (failover and round-robin routing); default all up. */
  isConnectorUp?: (cid: string) => boolean;
  /** Told of every MT acceptance and refusal (metrics, message history); default nobody. */
  events?: GatewayEventSink;
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
      idGenerator: options.idGenerator ?? createMessageIdGenerator({ uuid: createUuidV7Generator() }),
      ...(options.isConnectorUp !== undefined ? { isConnectorUp: options.isConnectorUp } : {}),
      ...(options.throttle !== undefined ? { throttle: options.throttle } : {}),
      ...(options.events !== undefined ? { events: options.events } : {}),
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

// UUID version 7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74 random bits, with a 12-bit counter in
// rand_a (RFC 9562 §6.2 method 1) so that ids made in one millisecond still sort in order. The default message_id:
// still a 36-character UUID for ESMEs, but time-ordered, so the store's primary-key index grows at its end instead of
// at random pages — with random v4 ids the SQLite store accepts about half as many messages per second.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A generator of UUIDs version 7 (time-ordered) with its own counter; `now` is the clock in epoch milliseconds. */
export function createUuidV7Generator(now: () => number = Date.now): () => string {
  const pool = Buffer.allocUnsafe(8 * 512);
  let poolAt = pool.length;
  let lastMs = -1;
  let counter = 0;
  return () => {
    if (poolAt + 10 > pool.length) {
      randomFillSync(pool);
      poolAt = 0;
    }
    const ms = Math.floor(now());
    if (ms > lastMs) {
      lastMs = ms;
      // A random start in the lower half leaves room for at least 2048 ids in the same millisecond.
      counter = ((pool[poolAt] << 8) | pool[poolAt + 1]) & 0x7ff;
    } else if (++counter > 0xfff) {
      // This millisecond is used up (or the clock stepped back): borrow the next one, never repeat or go back.
      lastMs += 1;
      counter = 0;
    }
    const random = poolAt + 2;
    poolAt += 10;
    return formatUuidV7(lastMs, counter, pool, random);
  };
}

/** The text form of a UUID v7 from its time, counter, and 8 random octets at `pool[r…r+7]`. */
function formatUuidV7(ms: number, counter: number, pool: Buffer, r: number): string {
  const hi = Math.floor(ms / 0x1000000); // top 24 of the 48 bits
  const lo = ms % 0x1000000;
  return (
    HEX[(hi >>> 16) & 0xff] +
    HEX[(hi >>> 8) & 0xff] +
    HEX[hi & 0xff] +
    HEX[(lo >>> 16) & 0xff] +
    '-' +
    HEX[(lo >>> 8) & 0xff] +
    HEX[lo & 0xff] +
    '-' +
    HEX[0x70 | (counter >>> 8)] +
    HEX[counter & 0xff] +
    '-' +
    HEX[0x80 | (pool[r] & 0x3f)] +
    HEX[pool[r + 1]] +
    '-' +
    HEX[pool[r + 2]] +
    HEX[pool[r + 3]] +
    HEX[pool[r + 4]] +
    HEX[pool[r + 5]] +
    HEX[pool[r + 6]] +
    HEX[pool[r + 7]]
  );
}
