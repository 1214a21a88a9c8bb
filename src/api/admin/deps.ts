// What the admin API's handlers are given: the store (the part of it they use), the live control, a logger.

import type { Store } from '../../store/store.js';
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
export type AdminStore = Pick<
  Store,
  | 'createGroup'
  | 'getGroup'
  | 'listGroups'
  | 'updateGroup'
  | 'deleteGroup'
  | 'createUser'
  | 'getUser'
  | 'getUserByUsername'
  | 'listUsers'
  | 'updateUser'
  | 'deleteUser'
  | 'charge'
  | 'credit'
  | 'putConnector'
  | 'getConnector'
  | 'listConnectors'
  | 'deleteConnector'
  | 'setConnectorStarted'
  | 'putMtRoute'
  | 'listMtRoutes'
  | 'deleteMtRoute'
  | 'putMoRoute'
  | 'listMoRoutes'
  | 'deleteMoRoute'
  | 'getMessage'
  | 'queueDepths'
  | 'queueStats'
  | 'messageHistory'
  | 'queryHistory'
>;

/** Everything a handler needs. */
export interface AdminDeps {
  store: AdminStore;
  control: AdminControl;
  logger: AdminLogger;
}
