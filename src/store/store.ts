// The store interface: everything smppgate keeps, behind narrow async methods. Every backend (the embedded SQLite
// one now, Redis later) implements it and passes the one conformance suite in ./conformance/suite.ts.
// Errors are the typed ones of ./errors.ts.

import type { ConnectorRecord, DeliveryRecord, Group, MessageRecord, MoRoute, MtRoute, UserRecord } from './model.js';

/** Balance (decimal) and sms_count units moved by a charge or a credit. */
export interface Amounts {
  amount: number;
  smsCount: number;
}

/** The answer to an atomic charge: taken (with the quotas left, null = unlimited), or which quota was short. */
export type ChargeResult =
  | { ok: true; balance: number | null; sms_count: number | null }
  | { ok: false; reason: 'balance' | 'sms_count' };

/** Why cancel_sm / replace_sm could not act on a message. */
export type OwnedMessageRefusal = 'not_found' | 'not_owner' | 'not_queued';

/** The answer to cancel/replace: done (with the record as it now is), or why not. */
export type OwnedMessageResult = { ok: true; message: MessageRecord } | { ok: false; reason: OwnedMessageRefusal };

/** What replace_sm may change in a queued message (SMPP 3.4 §4.10.1). */
export interface MessageReplacement {
  short_message: Buffer;
  registered_delivery: number;
  schedule_at: number | null;
  expires_at: number | null;
}

/** Fields of a message the connectors and receipts change over its life. */
export type MessagePatch = Partial<
  Pick<
    MessageRecord,
    'status' | 'state' | 'upstream_id' | 'error_code' | 'attempts' | 'final_at' | 'charged' | 'schedule_at' | 'cid'
  >
>;

/** A history query: by user and time range, or by destination. Newest first. */
export interface MessageQuery {
  uid?: string;
  destination_addr?: string;
  /** Inclusive, epoch ms, on submitted_at. */
  from?: number;
  to?: number;
  limit?: number;
}

/** What a history event records; `accepted` is not stored but read from the message itself (see acceptedEvent). */
export type HistoryEventType = 'accepted' | 'upstream' | 'receipt' | 'delivery';

/** One thing that happened to a message part, at a time (docs/history.md lists each type's data). */
export interface HistoryEvent {
  message_id: string;
  /** Epoch milliseconds. */
  at: number;
  type: HistoryEventType;
  /** The type's own fields, plain JSON-able data. */
  data: Record<string, unknown>;
}

/** A message part and its events, oldest first (the first one is its acceptance). */
export interface MessageHistory {
  message: MessageRecord;
  events: HistoryEvent[];
}

/** A history query: by user and time range, or by destination; newest first, a page at a time. */
export interface HistoryQuery extends MessageQuery {
  /** Where the previous page ended (its `next_cursor`); opaque, backend-specific. */
  cursor?: string;
}

/** One page of a history query; `next_cursor` is null on the last page. */
export interface HistoryPage {
  items: MessageHistory[];
  next_cursor: string | null;
}

/** A connector's queue: parts queued and when the longest-waiting one became due (acceptance or schedule). */
export interface QueueStat {
  depth: number;
  /** Epoch milliseconds; null when the queue is empty. */
  oldest_at: number | null;
}

/**
 * The acceptance event every history starts with, read from the message part itself (the message row is written
 * in the acceptance's own commit, so keeping a second copy would only cost the hot path a write).
 */
export function acceptedEvent(m: MessageRecord): HistoryEvent {
  return {
    message_id: m.id,
    at: m.submitted_at,
    type: 'accepted',
    data: {
      uid: m.uid,
      cid: m.cid,
      route: m.route_order,
      part: m.part,
      source_addr: m.source_addr,
      destination_addr: m.destination_addr,
      rate: m.rate,
      charged: m.charged,
    },
  };
}

/** Events with the same time keep the order they were appended in; this sorts a merged list by time only. */
export function byTime(a: HistoryEvent, b: HistoryEvent): number {
  return a.at - b.at;
}

/** One entry of the receipt map: the upstream's id for a message, kept until `expires_at` (dlr_expiry). */
export interface ReceiptMapEntry {
  cid: string;
  upstream_id: string;
  message_id: string;
  expires_at: number;
}

/** A delivery to enqueue: the store assigns `seq`, `attempts` and `next_attempt_at`. */
export type NewDelivery = Omit<DeliveryRecord, 'seq' | 'attempts' | 'next_attempt_at'>;

/** A change to shared configuration data, so that every node drops its caches of it (issue #7). */
export interface StoreChange {
  kind: 'accounts' | 'routes' | 'connectors';
  /** The gid, uid, cid or `mt:<order>` / `mo:<order>` that changed, when known. */
  id?: string;
}

/** Everything smppgate keeps. All methods are async; a resolved write is durable. */
export interface Store {
  // Groups
  /** Creates a group; StoreConflictError when the gid exists. */
  createGroup(group: Group): Promise<void>;
  /** The group, or null. */
  getGroup(gid: string): Promise<Group | null>;
  /** Every group, by gid. */
  listGroups(): Promise<Group[]>;
  /** StoreNotFoundError when absent. */
  updateGroup(gid: string, patch: { enabled: boolean }): Promise<Group>;
  /** StoreNotFoundError when absent, StoreInUseError while users belong to it. */
  deleteGroup(gid: string): Promise<void>;

  // Users
  /** StoreConflictError on a taken uid or username. */
  createUser(user: UserRecord): Promise<void>;
  /** The user, or null. */
  getUser(uid: string): Promise<UserRecord | null>;
  /** The user whose username (SMPP system_id) this is, or null. */
  getUserByUsername(username: string): Promise<UserRecord | null>;
  /** Every user, by uid. */
  listUsers(): Promise<UserRecord[]>;
  /** Deep-merges `patch` (any part of a UserRecord; arrays and nulls replace). StoreNotFoundError when absent. */
  updateUser(uid: string, patch: object): Promise<UserRecord>;
  /** StoreNotFoundError when absent. */
  deleteUser(uid: string): Promise<void>;
  /**
   * Atomically takes the amounts from the user's quotas, or nothing when either is short; a null quota is unlimited
   * and does not move. Amounts must be finite and not negative (RangeError); StoreNotFoundError for an unknown user.
   */
  charge(uid: string, amounts: Amounts, deadline?: number): Promise<ChargeResult>;
  /** Atomically adds the amounts (a refund or a top-up; negative amounts deduct, never below zero). */
  credit(uid: string, amounts: Amounts, deadline?: number): Promise<void>;

  /**
   * How long one call to a remote store may take before it fails with StoreUnavailableError (the Redis store's
   * commandTimeoutMs); absent for a local store. With it, `deadline` (epoch ms, `Date.now()`'s clock) on charge,
   * credit and acceptMessages is when the caller stops waiting: the call then fails by that time at the latest, and
   * a store whose write would land after it writes nothing, so a caller that answered a refusal kept nothing.
   * Without it the deadline may be ignored (a local store answers or fails by itself).
   */
  readonly callTimeoutMs?: number;

  // Connectors
  /** Creates or replaces. */
  putConnector(connector: ConnectorRecord): Promise<void>;
  /** The connector, or null. */
  getConnector(cid: string): Promise<ConnectorRecord | null>;
  /** Every connector, by cid. */
  listConnectors(): Promise<ConnectorRecord[]>;
  /** StoreNotFoundError when absent. Its queued messages stay (they expire or are re-routed by the caller). */
  deleteConnector(cid: string): Promise<void>;
  /** Records the operator's start/stop wish; StoreNotFoundError when absent. */
  setConnectorStarted(cid: string, started: boolean): Promise<void>;

  // Routes, keyed by order
  /** Creates or replaces the MT route of that order. */
  putMtRoute(route: MtRoute): Promise<void>;
  /** Highest order first. */
  listMtRoutes(): Promise<MtRoute[]>;
  /** StoreNotFoundError when no MT route has that order. */
  deleteMtRoute(order: number): Promise<void>;
  /** Creates or replaces the MO route of that order. */
  putMoRoute(route: MoRoute): Promise<void>;
  /** Highest order first. */
  listMoRoutes(): Promise<MoRoute[]>;
  /** StoreNotFoundError when no MO route has that order. */
  deleteMoRoute(order: number): Promise<void>;
  /** Changes whenever any route changes, so callers can cache compiled routes. */
  routesVersion(): Promise<number>;

  // Messages and connector queues
  /** Stores message parts and queues them for their connector, durably, in one group-committed write. */
  acceptMessages(records: MessageRecord[], deadline?: number): Promise<void>;
  /** The message part, or null. */
  getMessage(id: string): Promise<MessageRecord | null>;
  /** Applies one patch; the record as it now is, or null for an unknown id. */
  updateMessage(id: string, patch: MessagePatch): Promise<MessageRecord | null>;
  /** Applies several patches in one write; unknown ids are ignored. */
  updateMessages(updates: Array<{ id: string; patch: MessagePatch }>): Promise<void>;
  /** The next due queued parts of a connector (priority, then acceptance order), marked `sending`. */
  claimMessages(cid: string, max: number, now: number): Promise<MessageRecord[]>;
  /** A `sending` part back to `queued`, not to be claimed before `notBefore` (a retry with delay). */
  releaseMessage(id: string, notBefore: number): Promise<void>;
  /** At start: every `sending` part back to `queued` (at-least-once after a crash). Returns how many. */
  recoverInFlight(): Promise<number>;
  /**
   * This node has just taken connector `cid`'s lease from another node (issue #7): that node's parts of `cid` still
   * `sending` go back to the queue now instead of after their claim timeout. Returns how many. Optional: only a
   * multi-node backend has other nodes' parts.
   */
  recoverConnector?(cid: string): Promise<number>;
  /** Cancels a queued part owned by `uid`. */
  cancelMessage(uid: string, id: string): Promise<OwnedMessageResult>;
  /** Replaces what replace_sm may change in a queued part owned by `uid`. */
  replaceMessage(uid: string, id: string, patch: MessageReplacement): Promise<OwnedMessageResult>;
  /** Queued parts (due or scheduled) of one connector. */
  queueDepth(cid: string): Promise<number>;
  /** Queued parts per connector; connectors with none are absent. */
  queueDepths(): Promise<Record<string, number>>;
  /** Marks queued parts whose `expires_at` passed as failed/EXPIRED and returns them (for failure receipts). */
  expireQueued(now: number): Promise<MessageRecord[]>;
  /** History, newest first. */
  listMessages(query: MessageQuery): Promise<MessageRecord[]>;
  /** Queued parts per connector and the wait of the longest-waiting one; connectors with none are absent. */
  queueStats(): Promise<Record<string, QueueStat>>;

  // Message history
  /** Appends events (several messages', any order) in one write. */
  appendHistory(events: HistoryEvent[]): Promise<void>;
  /** A part with its acceptance and every stored event, oldest first; null when the part is unknown (or pruned). */
  messageHistory(id: string): Promise<MessageHistory | null>;
  /** Parts matching the query, newest first (submitted_at, then acceptance order), each with its events. */
  queryHistory(query: HistoryQuery): Promise<HistoryPage>;
  /**
   * Deletes events older than `before` and the parts that were done before it (final, failed or cancelled then, or
   * sent upstream and not heard of since), in small batches so other writes run in between. Returns rows deleted.
   */
  pruneHistory(before: number): Promise<number>;

  // Receipt map
  /** Creates or replaces entries. */
  putReceiptMaps(entries: ReceiptMapEntry[]): Promise<void>;
  /** The entry, or null (also once expired and dropped). */
  getReceiptMap(cid: string, upstreamId: string): Promise<ReceiptMapEntry | null>;
  /** Drops one entry (a final receipt arrived); no error when absent. */
  deleteReceiptMap(cid: string, upstreamId: string): Promise<void>;
  /** Drops entries past their expiry; returns how many. */
  expireReceiptMaps(now: number): Promise<number>;

  // Deliveries to ESMEs (store and forward of receipts and MO)
  /** Queues deliveries; returns the seq assigned to each, in order. */
  enqueueDeliveries(items: NewDelivery[]): Promise<number[]>;
  /**
   * The due head of a user's queue, in seq order: stops at the first one held by a retry delay. With `afterSeq`,
   * only deliveries after that seq are looked at (a caller that already holds the earlier ones, none of them held,
   * reads each delivery once instead of the whole head on every look).
   */
  peekDeliveries(uid: string, max: number, now: number, afterSeq?: number): Promise<DeliveryRecord[]>;
  /** Removes a delivered one; no error when absent. */
  ackDelivery(uid: string, seq: number): Promise<void>;
  /** Counts an attempt and holds the delivery until `notBefore`. */
  retryDelivery(uid: string, seq: number, notBefore: number): Promise<void>;
  /** Removes and returns deliveries past `expires_at`. */
  expireDeliveries(now: number): Promise<DeliveryRecord[]>;
  /** How many deliveries wait for the user, due or not. */
  pendingDeliveries(uid: string): Promise<number>;
  /** Users whose queue head is due: a peek for each returns at least one delivery. */
  usersWithDeliveries(now: number): Promise<string[]>;

  /**
   * Calls `listener` after every group, user, connector or route write made through any store on the same data (a
   * multi-node backend), this one included; balance moves (charge, credit) are not announced. Returns the
   * unsubscribe function. Optional: a single-process backend may leave it out.
   */
  watchChanges?(listener: (change: StoreChange) => void): () => void;

  /** Flushes pending writes and closes. */
  close(): Promise<void>;
}

/** Throws RangeError unless `amount` is finite and `smsCount` an integer (both ≥ 0 for a charge): every backend checks. */
export function checkAmounts(amounts: Amounts, op: 'charge' | 'credit'): void {
  const { amount, smsCount } = amounts;
  if (!Number.isFinite(amount) || !Number.isSafeInteger(smsCount)) {
    throw new RangeError(`${op}: amount must be finite and smsCount an integer (got ${amount}, ${smsCount})`);
  }
  if (op === 'charge' && (amount < 0 || smsCount < 0)) {
    throw new RangeError(`charge: negative amounts are a credit (got ${amount}, ${smsCount})`);
  }
}
