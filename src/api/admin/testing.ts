// Test doubles for the admin API: a recording fake of the gateway control, and a harness that serves the admin
// API on a loopback port 0 and sends it requests. Used by the admin API and CLI tests only.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectorRecord, Group, MessageRecord, MoRoute, MtRoute, UserRecord } from '../../store/model.js';
import { createAdminApi } from './api.js';
import type { AdminControl, BindInfo, ConnectorLiveState, GatewayStats } from './control.js';
import type { AdminLogger, AdminStore } from './deps.js';

/** A control that records what the admin API asked of it and answers from plain fields. */
export class FakeControl implements AdminControl {
  readonly calls: string[] = [];
  binds: BindInfo[] = [];
  states: Record<string, ConnectorLiveState> = {};

  /** Unbinds the user's binds from `binds`. */
  async unbindUser(uid: string): Promise<number> {
    this.calls.push(`unbindUser ${uid}`);
    const before = this.binds.length;
    this.binds = this.binds.filter((b) => b.uid !== uid);
    return before - this.binds.length;
  }
  /** The binds set by the test. */
  async listBinds(): Promise<BindInfo[]> {
    return this.binds;
  }
  /** Records the start and shows the connector bound. */
  async startConnector(cid: string): Promise<void> {
    this.calls.push(`startConnector ${cid}`);
    this.states[cid] = { state: 'bound', binds: 1, last_error: null };
  }
  /** Records the stop and shows the connector stopped. */
  async stopConnector(cid: string): Promise<void> {
    this.calls.push(`stopConnector ${cid}`);
    this.states[cid] = { state: 'stopped', binds: 0, last_error: null };
  }
  /** The states set by start/stop. */
  async connectorStates(): Promise<Record<string, ConnectorLiveState>> {
    return this.states;
  }
  /** Fixed figures. */
  async stats(): Promise<GatewayStats> {
    return {
      started_at: 1_700_000_000_000,
      smpps: {
        created_at: 1_700_000_000_000,
        last_received_pdu_at: null,
        last_sent_pdu_at: null,
        last_received_elink_at: null,
        last_sent_elink_at: null,
        connected_count: 1,
        connect_count: 3,
        disconnect_count: 2,
        bound_tx_count: 0,
        bound_rx_count: 0,
        bound_trx_count: 1,
        bind_tx_count: 0,
        bind_rx_count: 0,
        bind_trx_count: 3,
        unbind_count: 2,
        submit_sm_request_count: 10,
        submit_sm_count: 9,
        throttling_error_count: 1,
        other_submit_error_count: 0,
        elink_count: 4,
        deliver_sm_count: 0,
        data_sm_count: 0,
      },
      counters: { mt_accepted: 9 },
    };
  }
  /** Records the change. */
  onAccountsChanged(change: Parameters<AdminControl['onAccountsChanged']>[0]): void {
    this.calls.push(`accounts ${change.kind} ${change.kind === 'user' ? change.uid : change.gid}`);
  }
  /** Records the change. */
  onConnectorChanged(cid: string): void {
    this.calls.push(`connector ${cid}`);
  }
  /** Records the change. */
  onRoutesChanged(direction: 'mt' | 'mo'): void {
    this.calls.push(`routes ${direction}`);
  }
}

/** A logger that keeps every line, to check what was (and was not) logged. */
export class MemoryLogger implements AdminLogger {
  readonly lines: string[] = [];
  /** Keeps the line. */
  info(event: string, fields?: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ level: 'info', event, ...fields }));
  }
  /** Keeps the line. */
  warn(event: string, fields?: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ level: 'warn', event, ...fields }));
  }
  /** Keeps the line. */
  error(event: string, fields?: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ level: 'error', event, ...fields }));
  }
}

/** An answer of the admin API under test. */
export interface TestAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** A running admin API on a loopback port. */
export interface TestApi {
  url: string;
  token: string;
  control: FakeControl;
  logger: MemoryLogger;
  /** Sends a JSON request with the right token (or `token`: another one, null: none). */
  request(method: string, path: string, body?: unknown, token?: string | null): Promise<TestAnswer>;
  close(): Promise<void>;
}

/** Serves the admin API over `store` on 127.0.0.1, port 0. */
export async function startTestApi(store: AdminStore, options: { bodyLimit?: number } = {}): Promise<TestApi> {
  const token = 'test-token-0123456789';
  const control = new FakeControl();
  const logger = new MemoryLogger();
  const server: Server = createServer(createAdminApi({ store, control, token, logger, ...options }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    token,
    control,
    logger,
    async request(method, path, body, useToken) {
      const headers: Record<string, string> = {};
      const t = useToken === undefined ? token : useToken;
      if (t !== null) headers.Authorization = `Bearer ${t}`;
      const res = await fetch(`${url}${path}`, {
        method,
        headers,
        body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text === '' ? null : (JSON.parse(text) as unknown) };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A store error as the real stores name them, for the fake to throw. */
class NamedError extends Error {
  /** Builds an error with the given name. */
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

function mergeDeep(base: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return structuredClone(patch);
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) out[k] = mergeDeep(out[k], v);
  return out;
}

/** An in-memory AdminStore with the semantics the admin API relies on (conflicts, atomic charge, deep merge). */
export class MemoryAdminStore implements AdminStore {
  readonly groups = new Map<string, Group>();
  readonly users = new Map<string, UserRecord>();
  readonly connectors = new Map<string, ConnectorRecord>();
  readonly mt = new Map<number, MtRoute>();
  readonly mo = new Map<number, MoRoute>();
  readonly messages = new Map<string, MessageRecord>();
  readonly queues: Record<string, number> = {};
  /** When set, every call fails with this error (a store outage). */
  failWith: Error | null = null;

  #check(): void {
    if (this.failWith !== null) throw this.failWith;
  }
  async createGroup(group: Group): Promise<void> {
    this.#check();
    if (this.groups.has(group.gid)) throw new NamedError('StoreConflictError', `group ${group.gid} exists`);
    this.groups.set(group.gid, { ...group });
  }
  async getGroup(gid: string): Promise<Group | null> {
    this.#check();
    return this.groups.get(gid) ?? null;
  }
  async listGroups(): Promise<Group[]> {
    this.#check();
    return [...this.groups.values()];
  }
  async updateGroup(gid: string, patch: { enabled: boolean }): Promise<Group> {
    this.#check();
    const g = this.groups.get(gid);
    if (g === undefined) throw new NamedError('StoreNotFoundError', `group ${gid}`);
    g.enabled = patch.enabled;
    return { ...g };
  }
  async deleteGroup(gid: string): Promise<void> {
    this.#check();
    this.groups.delete(gid);
  }
  async createUser(user: UserRecord): Promise<void> {
    this.#check();
    if (this.users.has(user.uid)) throw new NamedError('StoreConflictError', `user ${user.uid} exists`);
    this.users.set(user.uid, structuredClone(user));
  }
  async getUser(uid: string): Promise<UserRecord | null> {
    this.#check();
    const u = this.users.get(uid);
    return u === undefined ? null : structuredClone(u);
  }
  async getUserByUsername(username: string): Promise<UserRecord | null> {
    this.#check();
    const u = [...this.users.values()].find((x) => x.username === username);
    return u === undefined ? null : structuredClone(u);
  }
  async listUsers(): Promise<UserRecord[]> {
    this.#check();
    return [...this.users.values()].map((u) => structuredClone(u));
  }
  async updateUser(uid: string, patch: object): Promise<UserRecord> {
    this.#check();
    const u = this.users.get(uid);
    if (u === undefined) throw new NamedError('StoreNotFoundError', `user ${uid}`);
    const merged = mergeDeep(u, patch) as UserRecord;
    this.users.set(uid, merged);
    return structuredClone(merged);
  }
  async deleteUser(uid: string): Promise<void> {
    this.#check();
    this.users.delete(uid);
  }
  async charge(uid: string, a: { amount: number; smsCount: number }) {
    this.#check();
    const q = this.users.get(uid)!.mt_messaging_cred.quotas;
    if (q.balance !== null && Math.round(q.balance * 1e6) < Math.round(a.amount * 1e6)) {
      return { ok: false as const, reason: 'balance' as const };
    }
    if (q.sms_count !== null && q.sms_count < a.smsCount) return { ok: false as const, reason: 'sms_count' as const };
    if (q.balance !== null) q.balance = (Math.round(q.balance * 1e6) - Math.round(a.amount * 1e6)) / 1e6;
    if (q.sms_count !== null) q.sms_count -= a.smsCount;
    return { ok: true as const };
  }
  async credit(uid: string, a: { amount: number; smsCount: number }): Promise<void> {
    this.#check();
    const q = this.users.get(uid)!.mt_messaging_cred.quotas;
    if (q.balance !== null) q.balance = (Math.round(q.balance * 1e6) + Math.round(a.amount * 1e6)) / 1e6;
    if (q.sms_count !== null) q.sms_count += a.smsCount;
  }
  async putConnector(c: ConnectorRecord): Promise<void> {
    this.#check();
    this.connectors.set(c.cid, structuredClone(c));
  }
  async getConnector(cid: string): Promise<ConnectorRecord | null> {
    this.#check();
    const c = this.connectors.get(cid);
    return c === undefined ? null : structuredClone(c);
  }
  async listConnectors(): Promise<ConnectorRecord[]> {
    this.#check();
    return [...this.connectors.values()].map((c) => structuredClone(c));
  }
  async deleteConnector(cid: string): Promise<void> {
    this.#check();
    this.connectors.delete(cid);
  }
  async setConnectorStarted(cid: string, started: boolean): Promise<void> {
    this.#check();
    const c = this.connectors.get(cid);
    if (c !== undefined) c.started = started;
  }
  async putMtRoute(r: MtRoute): Promise<void> {
    this.#check();
    this.mt.set(r.order, structuredClone(r));
  }
  async listMtRoutes(): Promise<MtRoute[]> {
    this.#check();
    return [...this.mt.values()].sort((a, b) => b.order - a.order);
  }
  async deleteMtRoute(order: number): Promise<void> {
    this.#check();
    this.mt.delete(order);
  }
  async putMoRoute(r: MoRoute): Promise<void> {
    this.#check();
    this.mo.set(r.order, structuredClone(r));
  }
  async listMoRoutes(): Promise<MoRoute[]> {
    this.#check();
    return [...this.mo.values()].sort((a, b) => b.order - a.order);
  }
  async deleteMoRoute(order: number): Promise<void> {
    this.#check();
    this.mo.delete(order);
  }
  async getMessage(id: string): Promise<MessageRecord | null> {
    this.#check();
    return this.messages.get(id) ?? null;
  }
  async queueDepths(): Promise<Record<string, number>> {
    this.#check();
    return { ...this.queues };
  }
}
