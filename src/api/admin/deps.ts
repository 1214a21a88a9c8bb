// What the admin API's handlers are given: the store (the part of it they use), the live control, a logger.

import type { ConnectorRecord, Group, MessageRecord, MoRoute, MtRoute, UserRecord } from '../../store/model.js';
import type { AdminControl } from './control.js';

/** Structured log lines (event name + fields); the gateway's logger satisfies it. */
export interface AdminLogger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** A logger that drops everything. */
export const silentLogger: AdminLogger = { info() {}, warn() {}, error() {} };

/** The store methods the admin API uses. */
export interface AdminStore {
  createGroup(group: Group): Promise<void>;
  getGroup(gid: string): Promise<Group | null>;
  listGroups(): Promise<Group[]>;
  updateGroup(gid: string, patch: { enabled: boolean }): Promise<Group>;
  deleteGroup(gid: string): Promise<void>;
  createUser(user: UserRecord): Promise<void>;
  getUser(uid: string): Promise<UserRecord | null>;
  getUserByUsername(username: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  updateUser(uid: string, patch: object): Promise<UserRecord>;
  deleteUser(uid: string): Promise<void>;
  charge(
    uid: string,
    amounts: { amount: number; smsCount: number },
  ): Promise<{ ok: true } | { ok: false; reason: 'balance' | 'sms_count' }>;
  credit(uid: string, amounts: { amount: number; smsCount: number }): Promise<unknown>;
  putConnector(connector: ConnectorRecord): Promise<void>;
  getConnector(cid: string): Promise<ConnectorRecord | null>;
  listConnectors(): Promise<ConnectorRecord[]>;
  deleteConnector(cid: string): Promise<void>;
  setConnectorStarted(cid: string, started: boolean): Promise<void>;
  putMtRoute(route: MtRoute): Promise<void>;
  listMtRoutes(): Promise<MtRoute[]>;
  deleteMtRoute(order: number): Promise<void>;
  putMoRoute(route: MoRoute): Promise<void>;
  listMoRoutes(): Promise<MoRoute[]>;
  deleteMoRoute(order: number): Promise<void>;
  getMessage(id: string): Promise<MessageRecord | null>;
  queueDepths(): Promise<Record<string, number>>;
}

/** Everything a handler needs. */
export interface AdminDeps {
  store: AdminStore;
  control: AdminControl;
  logger: AdminLogger;
}
