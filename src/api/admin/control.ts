// What the admin API asks of the running gateway beyond the store: live actions (unbind, start/stop a connector),
// live state (binds, connector states, counters) and change notices so caches are dropped at once. The composition
// root implements it over the SMPP server, the connectors and the gateway; tests pass a fake.

import type { ServerCountersSnapshot, UserCountersSnapshot } from '../../smpp/session/counters.js';

/** The three SMPP bind types. */
export type BindType = 'transmitter' | 'receiver' | 'transceiver';

/** One bound ESME session, as the admin API lists it. */
export interface BindInfo {
  /** The session's id in logs. */
  session_id: string;
  uid: string;
  username: string;
  bind_type: BindType;
  /** Peer address and port. */
  peer: string;
  /** Epoch milliseconds. */
  bound_at: number;
}

/** Live state of one connector (its durable record says only whether the operator wants it started). */
export interface ConnectorLiveState {
  /** `stopped`, `starting`, `bound`, `unbound` (retrying), or a type-specific word. */
  state: string;
  /** Upstream binds currently up. */
  binds: number;
  /** Last error seen, for the operator; null when none. */
  last_error: string | null;
}

/** Gateway-wide live figures for `GET /api/v1/stats` (the admin API adds the store's queue depths). */
export interface GatewayStats {
  /** Epoch milliseconds when the gateway started. */
  started_at: number;
  /** SMPP server counters with Jasmin's names. */
  smpps: ServerCountersSnapshot;
  /** Any further named figures (MT accepted/rejected, receipts by state, …), flat, for tables and scripts. */
  counters: Readonly<Record<string, number>>;
  /** Each user's smpps counters with Jasmin's names, by uid (users that bound since start). */
  users?: Readonly<Record<string, UserCountersSnapshot>>;
}

/** What changed in the accounts, so the gateway drops what it cached about them. */
export type AccountChange =
  | { kind: 'user'; uid: string; username: string; previousUsername?: string; removed?: boolean }
  | { kind: 'group'; gid: string; removed?: boolean };

/** The live side of the gateway the admin API drives. */
export interface AdminControl {
  /** Unbinds every session of the user (SMPP 3.4 §4.2: the server sends unbind); resolves to how many. */
  unbindUser(uid: string): Promise<number>;
  /** The sessions bound now. */
  listBinds(): Promise<BindInfo[]>;
  /** Starts (binds / runs) a connector whose record is already marked started. */
  startConnector(cid: string): Promise<void>;
  /** Stops a connector (unbinds cleanly); its queue stays in the store. */
  stopConnector(cid: string): Promise<void>;
  /** Live state of the connectors the gateway knows, by cid (absent: never started in this process). */
  connectorStates(): Promise<Readonly<Record<string, ConnectorLiveState>>>;
  /** Gateway-wide figures. */
  stats(): Promise<GatewayStats>;
  /** A group or user was created, changed or removed: applies to bound sessions from their next request. */
  onAccountsChanged(change: AccountChange): void;
  /** A connector's record was created, changed or removed (settings reload, or stop when removed). */
  onConnectorChanged(cid: string): void;
  /** An MT or MO route was created, replaced or removed: cached routes are dropped, the next message sees it. */
  onRoutesChanged(direction: 'mt' | 'mo'): void;
}
