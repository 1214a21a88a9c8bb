// Test doubles for the admin API: a recording fake of the gateway control, and a harness that serves the admin
// API on a loopback port 0 and sends it requests. Used by the admin API and CLI tests only.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqliteStore.js';
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

/** A real embedded store in a fresh temporary folder, and how to close and remove it. */
export async function openTestStore(): Promise<{ store: SqliteStore; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'smppgate-admin-'));
  const store = openSqliteStore({ path: dir, synchronous: 'normal' });
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Wraps a store so that, while `failWith` is set, every call rejects with it (a store outage). */
export function withOutage<S extends object>(store: S): { store: S; failWith: Error | null } {
  const control: { store: S; failWith: Error | null } = { store, failWith: null };
  control.store = new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (control.failWith !== null) return Promise.reject(control.failWith);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return control;
}
