// The connector manager: runs the connectors the operator started, by type, from their durable records; starts,
// stops and reloads them while the gateway runs; answers their live state (admin API, dashboard, metrics) and whether
// each is up (failover routing); and runs the expiry of held messages once for all connectors. With leases (several
// gateway nodes on one store) a connector runs on the one node that holds its lease. See docs/connectors.md.

import type { UpstreamEvents } from '../gateway/upstream.js';
import { type SessionLogger, silentLogger } from '../smpp/session/index.js';
import type { ConnectorRecord, ConnectorType } from '../store/model.js';
import type { Store } from '../store/store.js';
import { createSimConnector } from './sim/index.js';
import { createSmppcConnector } from './smppc/connector.js';

/** Live state of one connector, shaped like the admin API's ConnectorLiveState. */
export interface ConnectorLiveState {
  /** `stopped`, `connecting`, `bound`, `unbound` (retrying), `stopping`, `standby` (another node runs it), `running`… */
  state: string;
  /** Upstream binds up (0 for connectors without binds). */
  binds: number;
  /** Last error seen, for the operator; null when none. */
  last_error: string | null;
  /** Type-specific figures (submitted, accepted, receipts_sent…), flat. */
  counters?: Readonly<Record<string, number>>;
}

/** Wall time (epoch ms) and timers of connectors; injectable for tests. */
export interface ConnectorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What a connector factory gets. */
export interface ConnectorContext {
  /** The connector's record as loaded (its settings are the type's own). */
  record: ConnectorRecord;
  store: Store;
  events: UpstreamEvents;
  logger: SessionLogger;
  clock: ConnectorClock;
}

/** A running connector of any type. */
export interface Connector {
  /** Starts binding / running and consuming its queue; resolves once started (not necessarily bound). */
  start(): Promise<void>;
  /** Stops consuming, lets what is in hand finish, unbinds cleanly; its queue stays in the store. */
  stop(): Promise<void>;
  /** New messages were queued for it: look at the queue now. */
  notify(): void;
  /** Live state. */
  state(): ConnectorLiveState;
  /** Whether it can carry messages now (failover routing skips it when not). */
  isUp(): boolean;
}

/** Builds a connector of one type from its context; throws the type's settings error for bad settings. */
export type ConnectorFactory = (ctx: ConnectorContext) => Connector;

/** Leases so that each connector runs on exactly one gateway node (the Redis store implements them). */
export interface ConnectorLeases {
  /** Takes the lease of `cid` for `ttlMs` when nobody holds it; true when we now hold it. */
  acquire(cid: string, ttlMs: number): Promise<boolean>;
  /** Extends our lease; false when it is no longer ours (expired and taken). */
  renew(cid: string, ttlMs: number): Promise<boolean>;
  /** Gives up our lease (no error when not ours). */
  release(cid: string): Promise<void>;
}

/** Options of a ConnectorManager. */
export interface ConnectorManagerOptions {
  store: Store;
  events: UpstreamEvents;
  logger?: SessionLogger;
  clock?: ConnectorClock;
  /** Several nodes on one store: run a connector only while holding its lease. Absent: always run (one node). */
  leases?: ConnectorLeases;
  /** Lease time to live; acquired and renewed every third of it. Default 15,000 ms. */
  leaseTtlMs?: number;
  /**
   * Told when this node takes a connector's lease, before the connector starts here: another node may have run it
   * meanwhile, so whatever this node remembers of that connector's parts may be stale.
   */
  onLeaseAcquired?: (cid: string) => void;
  /** How often held messages past their validity are expired; 0 disables. Default 1,000 ms. */
  expiryIntervalMs?: number;
}

/** Timers unref'd so that connectors alone never keep a process alive. */
const systemClock: ConnectorClock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** The simulator behind the Connector interface (its own shape predates it). */
const simFactory: ConnectorFactory = (ctx) => {
  const sim = createSimConnector({
    cid: ctx.record.cid,
    settings: ctx.record.settings,
    store: ctx.store,
    events: ctx.events,
    clock: ctx.clock,
    logger: ctx.logger.child({ cid: ctx.record.cid, connector: 'sim' }),
  });
  return {
    start: async () => sim.start(),
    stop: () => sim.stop(),
    notify: () => sim.notify(),
    isUp: () => sim.state().status === 'running',
    state: () => {
      const s = sim.state();
      return {
        state: s.status,
        binds: 0,
        last_error: s.last_error,
        counters: {
          in_flight: s.in_flight,
          receipts_pending: s.receipts_pending,
          accepted: s.accepted,
          rejected: s.rejected,
          receipts_sent: s.receipts_sent,
          mo_sent: s.mo_sent,
        },
      };
    },
  };
};

interface Entry {
  cid: string;
  record: ConnectorRecord | null;
  instance: Connector | null;
  /** The operator wants it running (on this node, or on whichever holds the lease). */
  wanted: boolean;
  /** With leases: we hold it. */
  holding: boolean;
  /** With leases: when our lease ends unless renewed (counted from before the acquire or renew call). */
  leaseUntil: number;
  lastError: string | null;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs connectors from their records. One per gateway process; the composition root wires it. */
export class ConnectorManager {
  readonly #store: Store;
  readonly #events: UpstreamEvents;
  readonly #log: SessionLogger;
  readonly #clock: ConnectorClock;
  readonly #leases: ConnectorLeases | undefined;
  readonly #leaseTtlMs: number;
  readonly #onLeaseAcquired: ((cid: string) => void) | undefined;
  readonly #expiryIntervalMs: number;
  readonly #factories = new Map<string, ConnectorFactory>([
    ['smppc', createSmppcConnector],
    ['sim', simFactory],
  ]);
  readonly #entries = new Map<string, Entry>();
  /** Operations on one connector run one after the other. */
  readonly #chains = new Map<string, Promise<unknown>>();
  #loaded = false;
  #closed = false;
  #expiryTimer: unknown;
  #expiring = false;
  #leaseTimer: unknown;
  #leaseTicking = false;

  /** A manager that runs nothing until load(). */
  constructor(options: ConnectorManagerOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#log = (options.logger ?? silentLogger).child({ component: 'connectors' });
    this.#clock = options.clock ?? systemClock;
    this.#leases = options.leases;
    this.#leaseTtlMs = Math.max(30, options.leaseTtlMs ?? 15_000);
    this.#onLeaseAcquired = options.onLeaseAcquired;
    this.#expiryIntervalMs = Math.max(0, options.expiryIntervalMs ?? 1000);
  }

  /** Adds the factory of a connector type (`http` …); before load() only, and once per type. */
  register(type: ConnectorType | string, factory: ConnectorFactory): void {
    if (this.#loaded) throw new Error(`connector type ${type}: register factories before load()`);
    if (this.#factories.has(type)) throw new Error(`connector type ${type} is already registered`);
    this.#factories.set(type, factory);
  }

  /** Loads every connector record, runs the started ones (or stands by for their lease), starts expiry. */
  async load(): Promise<void> {
    if (this.#loaded) return;
    this.#loaded = true;
    for (const record of await this.#store.listConnectors()) {
      this.#entries.set(record.cid, {
        cid: record.cid,
        record,
        instance: null,
        wanted: record.started,
        holding: false,
        leaseUntil: 0,
        lastError: null,
      });
    }
    await Promise.all(
      [...this.#entries.values()]
        .filter((e) => e.wanted)
        .map((e) =>
          this.#serial(e.cid, () => this.#ensureRunning(e)).catch((error: unknown) => {
            this.#log.error('connector_start_failed', { cid: e.cid, error: errorMessage(error) });
          }),
        ),
    );
    if (this.#leases !== undefined) this.#armLeaseTick();
    if (this.#expiryIntervalMs > 0) this.#armExpiry();
  }

  /**
   * Runs connector `cid` from its record now (the admin API marks the record started first). Throws when the record
   * is missing, its type has no factory, or its settings are refused (the type's settings error).
   */
  start(cid: string): Promise<void> {
    return this.#serial(cid, async () => {
      const record = await this.#store.getConnector(cid);
      if (record === null) throw new Error(`connector ${cid} does not exist`);
      const entry = this.#entry(cid);
      if (entry.instance !== null && JSON.stringify(entry.record) !== JSON.stringify(record)) await this.#halt(entry);
      entry.record = record;
      entry.wanted = true;
      await this.#ensureRunning(entry);
    });
  }

  /** Stops connector `cid` cleanly (unbinds); its queue stays in the store, held until it runs again. */
  stop(cid: string): Promise<void> {
    return this.#serial(cid, async () => {
      const entry = this.#entries.get(cid);
      if (entry === undefined) return;
      entry.wanted = false;
      await this.#halt(entry);
      await this.#releaseLease(entry);
    });
  }

  /**
   * The record of `cid` changed (settings, started flag) or was removed: applies it. A running connector whose
   * settings changed is stopped and started again with them; unchanged ones are left alone.
   */
  reload(cid: string): Promise<void> {
    return this.#serial(cid, async () => {
      const record = await this.#store.getConnector(cid);
      const entry = this.#entries.get(cid);
      if (record === null) {
        if (entry === undefined) return;
        entry.wanted = false;
        await this.#halt(entry);
        await this.#releaseLease(entry);
        this.#entries.delete(cid);
        return;
      }
      const e = entry ?? this.#entry(cid);
      const changed = JSON.stringify(e.record) !== JSON.stringify(record);
      e.record = record;
      e.wanted = record.started;
      if (!record.started) {
        await this.#halt(e);
        await this.#releaseLease(e);
        return;
      }
      if (changed && e.instance !== null) await this.#halt(e);
      await this.#ensureRunning(e);
    });
  }

  /** Live state of every connector this manager knows, by cid. */
  states(): Record<string, ConnectorLiveState> {
    const out: Record<string, ConnectorLiveState> = {};
    for (const e of this.#entries.values()) {
      if (e.instance !== null) {
        const s = e.instance.state();
        out[e.cid] = e.lastError !== null && s.last_error === null ? { ...s, last_error: e.lastError } : s;
      } else if (e.wanted && this.#leases !== undefined && !e.holding && e.lastError === null) {
        out[e.cid] = { state: 'standby', binds: 0, last_error: null };
      } else {
        out[e.cid] = { state: 'stopped', binds: 0, last_error: e.lastError };
      }
    }
    return out;
  }

  /** Whether connector `cid` runs here and can carry messages now. */
  isUp(cid: string): boolean {
    return this.#entries.get(cid)?.instance?.isUp() ?? false;
  }

  /** Messages were queued for `cid` (or for any connector when absent): its queue is looked at now. */
  notify(cid?: string): void {
    if (cid !== undefined) {
      this.#entries.get(cid)?.instance?.notify();
      return;
    }
    for (const e of this.#entries.values()) e.instance?.notify();
  }

  /** Stops expiry and the lease loop, stops every connector cleanly and gives up their leases. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#expiryTimer !== undefined) this.#clock.clearTimeout(this.#expiryTimer);
    if (this.#leaseTimer !== undefined) this.#clock.clearTimeout(this.#leaseTimer);
    await Promise.all(
      [...this.#entries.values()].map((e) =>
        this.#serial(e.cid, async () => {
          await this.#halt(e);
          await this.#releaseLease(e);
        }).catch((error: unknown) =>
          this.#log.error('connector_stop_failed', { cid: e.cid, error: errorMessage(error) }),
        ),
      ),
    );
  }

  // ---------------------------------------------------------------------------------------------------------------

  #entry(cid: string): Entry {
    let e = this.#entries.get(cid);
    if (e === undefined) {
      e = { cid, record: null, instance: null, wanted: false, holding: false, leaseUntil: 0, lastError: null };
      this.#entries.set(cid, e);
    }
    return e;
  }

  #serial<T>(cid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(cid) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.#chains.set(cid, tail);
    void tail.then(() => {
      if (this.#chains.get(cid) === tail) this.#chains.delete(cid);
    });
    return next;
  }

  /** Runs the entry here if it is wanted, not running, and (with leases) its lease is ours. */
  async #ensureRunning(e: Entry): Promise<void> {
    if (this.#closed || !e.wanted || e.instance !== null || e.record === null) return;
    if (this.#leases !== undefined && !e.holding) {
      const asked = this.#clock.now();
      e.holding = await this.#leases.acquire(e.cid, this.#leaseTtlMs);
      e.leaseUntil = asked + this.#leaseTtlMs;
      if (!e.holding) {
        this.#log.info('connector_standby', { cid: e.cid });
        return;
      }
      this.#log.info('connector_lease_acquired', { cid: e.cid });
      this.#onLeaseAcquired?.(e.cid);
      // The node that held it before may have died with parts handed to the SMSC and unanswered: take them back now
      // rather than after their claim timeout (at-least-once: the SMSC may see such a part twice).
      try {
        const recovered = (await this.#store.recoverConnector?.(e.cid)) ?? 0;
        if (recovered > 0) this.#log.info('connector_recovered_in_flight', { cid: e.cid, messages: recovered });
      } catch (error) {
        this.#log.warn('connector_recover_failed', { cid: e.cid, error: errorMessage(error) });
      }
    }
    const factory = this.#factories.get(e.record.type);
    try {
      if (factory === undefined) throw new Error(`no connector of type ${e.record.type} is available`);
      const instance = factory({
        record: e.record,
        store: this.#store,
        events: this.#events,
        logger: this.#log,
        clock: this.#clock,
      });
      await instance.start();
      e.instance = instance;
      e.lastError = null;
    } catch (error) {
      e.lastError = errorMessage(error);
      await this.#releaseLease(e);
      throw error;
    }
  }

  async #halt(e: Entry): Promise<void> {
    const instance = e.instance;
    if (instance === null) return;
    e.instance = null;
    await instance.stop();
  }

  async #releaseLease(e: Entry): Promise<void> {
    if (this.#leases === undefined || !e.holding) return;
    e.holding = false;
    try {
      await this.#leases.release(e.cid);
    } catch (error) {
      this.#log.warn('connector_lease_release_failed', { cid: e.cid, error: errorMessage(error) });
    }
  }

  // Leases: every third of the TTL, renew what we hold (stop at once what we lost) and try to take what we want.

  #armLeaseTick(): void {
    if (this.#closed) return;
    this.#leaseTimer = this.#clock.setTimeout(() => void this.#leaseTick(), Math.floor(this.#leaseTtlMs / 3));
  }

  async #leaseTick(): Promise<void> {
    if (this.#leaseTicking || this.#closed) return;
    this.#leaseTicking = true;
    const leases = this.#leases!;
    try {
      await Promise.all(
        [...this.#entries.values()].map(async (e) => {
          if (!e.wanted) return;
          if (e.holding) {
            let ours = false;
            const asked = this.#clock.now();
            try {
              // A renew that takes a whole third of the TTL counts as failed: the lease may lapse meanwhile.
              ours = await this.#withTimeout(leases.renew(e.cid, this.#leaseTtlMs), Math.floor(this.#leaseTtlMs / 3));
            } catch (error) {
              this.#log.warn('connector_lease_renew_failed', { cid: e.cid, error: errorMessage(error) });
            }
            if (ours && this.#clock.now() < e.leaseUntil) {
              e.leaseUntil = asked + this.#leaseTtlMs;
              return;
            }
            // Lost (or cannot tell): another node may take it now, so it stops here at once.
            e.holding = false;
            this.#log.warn('connector_lease_lost', { cid: e.cid });
            await this.#serial(e.cid, () => this.#halt(e));
            return;
          }
          if (e.instance === null) {
            await this.#serial(e.cid, () => this.#ensureRunning(e)).catch((error: unknown) => {
              this.#log.error('connector_start_failed', { cid: e.cid, error: errorMessage(error) });
            });
          }
        }),
      );
    } finally {
      this.#leaseTicking = false;
      this.#armLeaseTick();
    }
  }

  /** Resolves as `p`, or rejects after `ms`. */
  #withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      p.then(
        (v) => {
          this.#clock.clearTimeout(timer);
          resolve(v);
        },
        (error: unknown) => {
          this.#clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  // Expiry: one pass for all connectors; the store hands each expired part to exactly one caller, so with several
  // nodes each part still gets one outcome.

  #armExpiry(): void {
    if (this.#closed) return;
    this.#expiryTimer = this.#clock.setTimeout(async () => {
      await this.expireNow();
      this.#armExpiry();
    }, this.#expiryIntervalMs);
  }

  /** One expiry pass now (also what the timer runs): held parts past their validity get the `expired` outcome. */
  async expireNow(): Promise<number> {
    if (this.#expiring) return 0;
    this.#expiring = true;
    let count = 0;
    try {
      const expired = await this.#store.expireQueued(this.#clock.now());
      count = expired.length;
      for (let i = 0; i < expired.length; i += 100) {
        await Promise.all(
          expired.slice(i, i + 100).map((m) =>
            this.#events.submitted(m.cid, m, { kind: 'expired' }).catch((error: unknown) => {
              this.#log.error('expiry_outcome_failed', { cid: m.cid, message_id: m.id, error: errorMessage(error) });
            }),
          ),
        );
      }
      if (count > 0) this.#log.info('messages_expired', { count });
    } catch (error) {
      this.#log.error('expiry_failed', { error: errorMessage(error) });
    } finally {
      this.#expiring = false;
    }
    return count;
  }
}
