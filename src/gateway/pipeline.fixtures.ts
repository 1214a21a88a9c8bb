// Test fixtures of the MT pipeline, handlers and accounts tests: users, submissions, a manual wall clock, and a store
// wrapper that can be made to fail on purpose. Not production code.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogger } from '../smpp/session/log.js';
import {
  defaultMtMessagingCredential,
  defaultSmppsCredential,
  type Group,
  type MessageRecord,
  type MtRoute,
  type UserRecord,
} from '../store/model.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/sqliteStore.js';
import type { Amounts, ChargeResult } from '../store/store.js';
import type { GatewayStore } from './gateway.js';
import { hashPassword } from './password.js';
import type { MtSubmission } from './pipeline.js';

/** A deep-partial of a user, for overrides. */
export type UserOverrides = Partial<Omit<UserRecord, 'smpps_cred' | 'mt_messaging_cred'>> & {
  smpps?: {
    authorizations?: Partial<UserRecord['smpps_cred']['authorizations']>;
    quotas?: Partial<UserRecord['smpps_cred']['quotas']>;
  };
  mt?: {
    authorizations?: Partial<UserRecord['mt_messaging_cred']['authorizations']>;
    value_filters?: Partial<UserRecord['mt_messaging_cred']['value_filters']>;
    defaults?: Partial<UserRecord['mt_messaging_cred']['defaults']>;
    quotas?: Partial<UserRecord['mt_messaging_cred']['quotas']>;
  };
};

let hashOfSecret: Promise<string> | undefined;

/** The password every fixture user has. */
export const PASSWORD = 'secret';

/** A user record (password PASSWORD) with Jasmin's default credentials and the given overrides. */
export async function makeUser(overrides: UserOverrides = {}): Promise<UserRecord> {
  hashOfSecret ??= hashPassword(PASSWORD);
  const mt = defaultMtMessagingCredential();
  const smpps = defaultSmppsCredential();
  const { smpps: s, mt: m, ...rest } = overrides;
  return {
    uid: 'u1',
    gid: 'g1',
    username: 'user1',
    enabled: true,
    password_hash: await hashOfSecret,
    ...rest,
    smpps_cred: {
      authorizations: { ...smpps.authorizations, ...s?.authorizations },
      quotas: { ...smpps.quotas, ...s?.quotas },
    },
    mt_messaging_cred: {
      authorizations: { ...mt.authorizations, ...m?.authorizations },
      value_filters: { ...mt.value_filters, ...m?.value_filters },
      defaults: { ...mt.defaults, ...m?.defaults },
      quotas: { ...mt.quotas, ...m?.quotas },
    },
  };
}

/** A submit_sm-like submission of "hello" to 33600000001, with overrides. */
export function submission(overrides: Partial<MtSubmission> = {}): MtSubmission {
  return {
    service_type: '',
    source_addr_ton: 0,
    source_addr_npi: 0,
    source_addr: '',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '33600000001',
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    data_coding: 0,
    short_message: Buffer.from('hello'),
    ...overrides,
  };
}

/** A wall clock that only moves when told. */
export class ManualWallClock {
  constructor(public time = Date.UTC(2026, 0, 15, 12, 0, 0)) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/** A default route to connector `c1` at `rate`. */
export function defaultRoute(rate = 0, cid = 'c1'): MtRoute {
  return { order: 0, type: 'default', connectors: [cid], filters: [], rate };
}

/**
 * An in-memory store with the gateway's store methods: atomic charges (single-threaded JS), group-committed
 * acceptance per tick, and switches to make charge or acceptance fail.
 */
export class MemoryStore implements GatewayStore {
  readonly users = new Map<string, UserRecord>();
  readonly groups = new Map<string, Group>();
  readonly messages = new Map<string, MessageRecord>();
  routes: MtRoute[] = [];
  /** Bumped by setRoutes(), as a real store bumps it on every route write. */
  version = 1;
  /** Calls per method, to check what the pipeline asked. */
  readonly calls = { charge: 0, credit: 0, acceptMessages: 0, listMtRoutes: 0, commits: 0 };
  /** When set, charge rejects with it. */
  failCharge: Error | undefined;
  /** When set, acceptMessages rejects with it. */
  failAccept: Error | undefined;
  #batch: { records: MessageRecord[]; waiters: (() => void)[] } | undefined;

  async getUser(uid: string): Promise<UserRecord | null> {
    const u = this.users.get(uid);
    return u === undefined ? null : structuredClone(u);
  }

  async getUserByUsername(username: string): Promise<UserRecord | null> {
    for (const u of this.users.values()) if (u.username === username) return structuredClone(u);
    return null;
  }

  async getGroup(gid: string): Promise<Group | null> {
    const g = this.groups.get(gid);
    return g === undefined ? null : { ...g };
  }

  /** Replaces the MT routes as the admin API would (the version moves). */
  setRoutes(routes: MtRoute[]): void {
    this.routes = routes;
    this.version++;
  }

  async routesVersion(): Promise<number> {
    return this.version;
  }

  async listMtRoutes(): Promise<MtRoute[]> {
    this.calls.listMtRoutes++;
    return structuredClone(this.routes);
  }

  async charge(uid: string, amounts: Amounts): Promise<ChargeResult> {
    this.calls.charge++;
    const q = this.users.get(uid)?.mt_messaging_cred.quotas;
    if (q === undefined) return { ok: false, reason: 'balance' };
    if (this.failCharge !== undefined) throw this.failCharge;
    const micros = Math.round(amounts.amount * 1e6);
    if (q.balance !== null && Math.round(q.balance * 1e6) < micros) return { ok: false, reason: 'balance' };
    if (q.sms_count !== null && q.sms_count < amounts.smsCount) return { ok: false, reason: 'sms_count' };
    if (q.balance !== null) q.balance = (Math.round(q.balance * 1e6) - micros) / 1e6;
    if (q.sms_count !== null) q.sms_count -= amounts.smsCount;
    return { ok: true, balance: q.balance, sms_count: q.sms_count };
  }

  async credit(uid: string, amounts: Amounts): Promise<void> {
    this.calls.credit++;
    const q = this.users.get(uid)?.mt_messaging_cred.quotas;
    if (q === undefined) return;
    if (q.balance !== null) q.balance = (Math.round(q.balance * 1e6) + Math.round(amounts.amount * 1e6)) / 1e6;
    if (q.sms_count !== null) q.sms_count += amounts.smsCount;
  }

  acceptMessages(records: MessageRecord[]): Promise<void> {
    this.calls.acceptMessages++;
    if (this.failAccept !== undefined) return Promise.reject(this.failAccept);
    return new Promise((resolve) => {
      if (this.#batch === undefined) {
        const batch = { records: [] as MessageRecord[], waiters: [] as (() => void)[] };
        this.#batch = batch;
        setImmediate(() => {
          this.#batch = undefined;
          this.calls.commits++;
          for (const r of batch.records) this.messages.set(r.id, cloneMessage(r));
          for (const w of batch.waiters) w();
        });
      }
      this.#batch.records.push(...records);
      this.#batch.waiters.push(resolve);
    });
  }

  async getMessage(id: string): Promise<MessageRecord | null> {
    const m = this.messages.get(id);
    return m === undefined ? null : cloneMessage(m);
  }

  async cancelMessage(uid: string, id: string) {
    const m = this.messages.get(id);
    if (m === undefined) return { ok: false as const, reason: 'not_found' as const };
    if (m.uid !== uid) return { ok: false as const, reason: 'not_owner' as const };
    if (m.status !== 'queued') return { ok: false as const, reason: 'not_queued' as const };
    m.status = 'cancelled';
    m.state = 4; // DELETED
    return { ok: true as const, message: cloneMessage(m) };
  }

  async replaceMessage(
    uid: string,
    id: string,
    patch: {
      short_message: Buffer;
      registered_delivery: number;
      schedule_at: number | null;
      expires_at: number | null;
    },
  ) {
    const m = this.messages.get(id);
    if (m === undefined) return { ok: false as const, reason: 'not_found' as const };
    if (m.uid !== uid) return { ok: false as const, reason: 'not_owner' as const };
    if (m.status !== 'queued') return { ok: false as const, reason: 'not_queued' as const };
    Object.assign(m, patch);
    return { ok: true as const, message: cloneMessage(m) };
  }
}

/** A deep copy of a message record that keeps its Buffers Buffers (structuredClone makes them Uint8Arrays). */
function cloneMessage(m: MessageRecord): MessageRecord {
  return {
    ...m,
    short_message: Buffer.from(m.short_message),
    tlvs: m.tlvs === null ? null : Buffer.from(m.tlvs),
    part: m.part === null ? null : { ...m.part },
    tags: [...m.tags],
  };
}

/** A store with one enabled group g1, the given users and routes. */
export async function storeWith(users: UserRecord[], routes: MtRoute[] = [defaultRoute()]): Promise<MemoryStore> {
  const store = new MemoryStore();
  store.groups.set('g1', { gid: 'g1', enabled: true });
  for (const u of users) store.users.set(u.uid, u);
  store.routes = routes;
  return store;
}

/** A logger that records lines. */
export function memoryLogger(): MemoryLogger {
  return new MemoryLogger();
}

/** A real SQLite store in a fresh temp folder with group g1, the given users and routes; `cleanup` closes and removes it. */
export async function sqliteStoreWith(
  users: UserRecord[],
  routes: MtRoute[] = [defaultRoute()],
): Promise<{ store: SqliteStore; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'smppgate-gw-'));
  const store = openSqliteStore({ path: dir });
  await store.createGroup({ gid: 'g1', enabled: true });
  for (const u of users) await store.createUser(u);
  for (const r of routes) await store.putMtRoute(r);
  return {
    store,
    dir,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
