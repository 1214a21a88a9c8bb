// The embedded store: one SQLite file (better-sqlite3, WAL) under the configured data folder.
//
// Writes are group-committed: every write call made in the same tick (or within `commitWindowMs`, up to `maxBatch`)
// runs inside one transaction, and all of them resolve only after the COMMIT. A call that fails (a conflict) must not
// undo the others: the batch first runs without savepoints, and only when a call throws is it rolled back and run
// again with each call in its own savepoint. With synchronous=FULL that is one fsync per batch instead of
// one per message. Reads run at once against committed data (a read does not see a write still waiting for its
// batch: await the write first). better-sqlite3 is synchronous, so a batch is atomic with respect to every other call
// in this process, and BEGIN IMMEDIATE makes it so against another process on the same file: two charges can never
// interleave. The price of synchronous calls: the event loop waits for each batch's fsync (about a millisecond).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreConflictError, StoreInUseError, StoreNotFoundError, StoreUnavailableError } from '../errors.js';
import {
  type ConnectorRecord,
  type DeliveryRecord,
  type Group,
  type HttpDlr,
  type MessageRecord,
  MessageState,
  type MoRoute,
  type MtRoute,
  type UserRecord,
} from '../model.js';
import { fromMicros, toMicros } from '../money.js';
import {
  type Amounts,
  acceptedEvent,
  byTime,
  type ChargeResult,
  checkAmounts,
  type HistoryEvent,
  type HistoryPage,
  type HistoryQuery,
  type MessageHistory,
  type MessagePatch,
  type MessageQuery,
  type MessageReplacement,
  type NewDelivery,
  type OwnedMessageResult,
  type QueueStat,
  type ReceiptMapEntry,
  type Store,
} from '../store.js';
import { MIGRATIONS } from './schema.js';

/** Options of the embedded store. */
export interface SqliteStoreOptions {
  /** The data folder; created when missing. The database is `<path>/smppgate.db`. */
  path: string;
  /** FULL (default): an acknowledged write survives power loss. NORMAL: survives a process crash, not power loss. */
  synchronous?: 'full' | 'normal';
  /** Most write calls in one transaction (default 2000); reaching it commits at once. */
  maxBatch?: number;
  /** How long the first write of a batch waits for others (default 0: until the end of the current tick). */
  commitWindowMs?: number;
  /** How long a write waits for another process's lock before failing with StoreUnavailableError (default 5000). */
  busyTimeoutMs?: number;
  /** Caps the database size: writes that would grow it past this fail with StoreUnavailableError `full`. */
  maxBytes?: number;
  /** The clock for `updated_at` stamps. */
  now?: () => number;
}

type Row = Record<string, unknown>;

interface PendingWrite {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The share of maxBytes new messages may fill; the rest is kept for the work of the messages already accepted (sent
 * state, receipt map, receipts, history: test/faults/storeFull.test.ts drains a full store with 0.5; 0.8 left a third
 * of the accepted messages stuck, their history and receipts using up the headroom).
 */
const ACCEPT_SHARE = 0.5;

const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|NOMEM|CORRUPT|NOTADB|PROTOCOL)/;

/** A call of an optimistic batch failed: the batch is rolled back and run again with a savepoint per call. */
class BatchRetry extends Error {
  override readonly name = 'BatchRetry';
  constructor(cause: unknown) {
    super('a call of the batch failed', { cause });
  }
}

/** Maps a backend error to a typed store error when it is one of the unavailability kinds. */
function mapError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) {
    return new StoreUnavailableError(`store unavailable: ${(error as Error).message}`, {
      cause: error,
      full: code.startsWith('SQLITE_FULL'),
    });
  }
  return error;
}

/** JSON with Buffers kept as `{ $b64 }`, so delivery payloads carry bytes exactly. */
function toJson(value: unknown): string {
  // A walk that swaps Buffers for their base64 form, then a plain stringify: a replacer function would be called for
  // every key of every payload, which costs several times more.
  return JSON.stringify(withBase64(value));
}

function withBase64(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Buffer.isBuffer(v)) return { $b64: v.toString('base64') };
  if (Array.isArray(v)) return v.map(withBase64);
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return v; // a Date and the like: as JSON writes it
  const out: Record<string, unknown> = {};
  for (const key in v) {
    if (Object.hasOwn(v, key)) out[key] = withBase64((v as Record<string, unknown>)[key]);
  }
  return out;
}

function fromJson(text: string): Record<string, unknown> {
  return revive(JSON.parse(text)) as Record<string, unknown>;
}

/** Turns every `{ $b64 }` object (and nothing else) back into a Buffer, in place. */
function revive(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  let n = 0;
  for (const key in o) {
    n++;
    const value = o[key];
    if (value !== null && typeof value === 'object') o[key] = revive(value);
  }
  if (n === 1 && typeof o.$b64 === 'string') return Buffer.from(o.$b64, 'base64');
  return o;
}

/** Deep merge for PATCH: objects merge key by key; arrays, nulls and scalars replace; undefined is ignored. */
export function mergePatch(base: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch) || Buffer.isBuffer(patch)) return patch;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return structuredClone(patch);
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** Rows deleted per pruning transaction: small enough that traffic's writes wait a few milliseconds at most. */
const PRUNE_BATCH = 2000;

function rowToHistory(r: Row): HistoryEvent {
  return {
    message_id: r.message_id as string,
    at: r.at as number,
    type: r.type as HistoryEvent['type'],
    data: fromJson(r.data as string),
  };
}

/** A history cursor: where the last page ended, as (submitted_at, seq). */
function encodeCursor(submittedAt: number, seq: number): string {
  return Buffer.from(JSON.stringify([submittedAt, seq])).toString('base64url');
}

function decodeCursor(cursor: string): [number, number] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !parsed.every((n) => typeof n === 'number' && Number.isSafeInteger(n))
  ) {
    throw new RangeError(`not a history cursor: ${JSON.stringify(cursor)}`);
  }
  return [parsed[0] as number, parsed[1] as number];
}

function rowToMessage(r: Row): MessageRecord {
  return {
    id: r.id as string,
    uid: r.uid as string,
    cid: r.cid as string,
    route_order: r.route_order as number,
    source_addr_ton: r.source_addr_ton as number,
    source_addr_npi: r.source_addr_npi as number,
    source_addr: r.source_addr as string,
    dest_addr_ton: r.dest_addr_ton as number,
    dest_addr_npi: r.dest_addr_npi as number,
    destination_addr: r.destination_addr as string,
    service_type: r.service_type as string,
    esm_class: r.esm_class as number,
    protocol_id: r.protocol_id as number,
    priority_flag: r.priority_flag as number,
    registered_delivery: r.registered_delivery as number,
    data_coding: r.data_coding as number,
    short_message: r.short_message as Buffer,
    tlvs: (r.tlvs as Buffer | null) ?? null,
    part: r.part === null ? null : (JSON.parse(r.part as string) as MessageRecord['part']),
    schedule_at: r.schedule_at as number | null,
    expires_at: r.expires_at as number | null,
    rate: r.rate as number,
    charged: r.charged as number,
    status: r.status as MessageRecord['status'],
    state: r.state as MessageRecord['state'],
    upstream_id: r.upstream_id as string | null,
    error_code: r.error_code as number,
    attempts: r.attempts as number,
    submitted_at: r.submitted_at as number,
    updated_at: r.updated_at as number,
    final_at: r.final_at as number | null,
    tags: r.tags === null ? [] : (JSON.parse(r.tags as string) as number[]),
    ...(r.dlr === null || r.dlr === undefined ? {} : { dlr: JSON.parse(r.dlr as string) as HttpDlr }),
  };
}

/**
 * rowToMessage for a row read in raw mode (an array): `SELECT seq, ${MESSAGE_COLUMNS}`. The claim reads hundreds of
 * rows a batch, and raw rows spare better-sqlite3 building an object with 34 named properties for each one.
 */
function arrayToMessage(a: unknown[]): MessageRecord {
  const m: MessageRecord = {
    id: a[1] as string,
    uid: a[2] as string,
    cid: a[3] as string,
    route_order: a[4] as number,
    source_addr_ton: a[5] as number,
    source_addr_npi: a[6] as number,
    source_addr: a[7] as string,
    dest_addr_ton: a[8] as number,
    dest_addr_npi: a[9] as number,
    destination_addr: a[10] as string,
    service_type: a[11] as string,
    esm_class: a[12] as number,
    protocol_id: a[13] as number,
    priority_flag: a[14] as number,
    registered_delivery: a[15] as number,
    data_coding: a[16] as number,
    short_message: a[17] as Buffer,
    tlvs: (a[18] as Buffer | null) ?? null,
    part: a[19] === null ? null : (JSON.parse(a[19] as string) as MessageRecord['part']),
    schedule_at: a[20] as number | null,
    expires_at: a[21] as number | null,
    rate: a[22] as number,
    charged: a[23] as number,
    status: a[24] as MessageRecord['status'],
    state: a[25] as MessageRecord['state'],
    upstream_id: a[26] as string | null,
    error_code: a[27] as number,
    attempts: a[28] as number,
    submitted_at: a[29] as number,
    updated_at: a[30] as number,
    final_at: a[31] as number | null,
    tags: a[32] === null ? [] : (JSON.parse(a[32] as string) as number[]),
  };
  if (a[33] !== null && a[33] !== undefined) m.dlr = JSON.parse(a[33] as string) as HttpDlr;
  return m;
}

function messageParams(m: MessageRecord): unknown[] {
  return [
    m.id,
    m.uid,
    m.cid,
    m.route_order,
    m.source_addr_ton,
    m.source_addr_npi,
    m.source_addr,
    m.dest_addr_ton,
    m.dest_addr_npi,
    m.destination_addr,
    m.service_type,
    m.esm_class,
    m.protocol_id,
    m.priority_flag,
    m.registered_delivery,
    m.data_coding,
    m.short_message,
    m.tlvs,
    m.part === null ? null : JSON.stringify(m.part),
    m.schedule_at,
    m.expires_at,
    m.rate,
    m.charged,
    m.status,
    m.state,
    m.upstream_id,
    m.error_code,
    m.attempts,
    m.submitted_at,
    m.updated_at,
    m.final_at,
    m.tags.length === 0 ? null : JSON.stringify(m.tags),
    m.dlr === undefined || m.dlr === null ? null : JSON.stringify(m.dlr),
  ];
}

const MESSAGE_COLUMNS =
  'id, uid, cid, route_order, source_addr_ton, source_addr_npi, source_addr, dest_addr_ton, dest_addr_npi, ' +
  'destination_addr, service_type, esm_class, protocol_id, priority_flag, registered_delivery, data_coding, ' +
  'short_message, tlvs, part, schedule_at, expires_at, rate, charged, status, state, upstream_id, error_code, ' +
  'attempts, submitted_at, updated_at, final_at, tags, dlr';

/** The fields a MessagePatch may set, in a fixed order (their bit in a patch statement's cache key). */
const PATCHABLE_KEYS = [
  'status',
  'state',
  'upstream_id',
  'error_code',
  'attempts',
  'final_at',
  'charged',
  'schedule_at',
  'cid',
] as const;

function rowToUser(r: Row): UserRecord {
  const mt = JSON.parse(r.mt_cred as string) as UserRecord['mt_messaging_cred'];
  const balance = r.balance_micros as number | null;
  mt.quotas.balance = balance === null ? null : fromMicros(balance);
  mt.quotas.sms_count = r.sms_count as number | null;
  return {
    uid: r.uid as string,
    gid: r.gid as string,
    username: r.username as string,
    enabled: r.enabled === 1,
    password_hash: r.password_hash as string,
    smpps_cred: JSON.parse(r.smpps_cred as string) as UserRecord['smpps_cred'],
    mt_messaging_cred: mt,
  };
}

function userParams(u: UserRecord): unknown[] {
  const q = u.mt_messaging_cred.quotas;
  return [
    u.uid,
    u.username,
    u.gid,
    u.enabled ? 1 : 0,
    u.password_hash,
    JSON.stringify(u.smpps_cred),
    JSON.stringify(u.mt_messaging_cred),
    q.balance === null ? null : toMicros(q.balance),
    q.sms_count,
  ];
}

function rowToDelivery(r: Row): DeliveryRecord {
  return {
    seq: r.seq as number,
    uid: r.uid as string,
    kind: r.kind as DeliveryRecord['kind'],
    payload: fromJson(r.payload as string),
    created_at: r.created_at as number,
    expires_at: r.expires_at as number,
    attempts: r.attempts as number,
    next_attempt_at: r.next_attempt_at as number,
  };
}

/** The columns a peek reads, in raw mode (arrays): a peek reads up to hundreds of rows. */
const DELIVERY_COLUMNS = 'seq, uid, kind, payload, created_at, expires_at, attempts, next_attempt_at';

/** rowToDelivery for a raw row of DELIVERY_COLUMNS. */
function arrayToDelivery(a: unknown[]): DeliveryRecord {
  return {
    seq: a[0] as number,
    uid: a[1] as string,
    kind: a[2] as DeliveryRecord['kind'],
    payload: fromJson(a[3] as string),
    created_at: a[4] as number,
    expires_at: a[5] as number,
    attempts: a[6] as number,
    next_attempt_at: a[7] as number,
  };
}

/** Opens (creating or migrating) the embedded store. Throws StoreUnavailableError naming the path when it cannot. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}

/** The embedded SQLite backend of {@link Store}. */
export class SqliteStore implements Store {
  /** The database file. */
  readonly file: string;
  readonly #db: Database.Database;
  readonly #maxBatch: number;
  readonly #now: () => number;
  readonly #savepoint: (fn: () => unknown) => unknown;
  readonly #batch: (ops: PendingWrite[], results: unknown[], errors: unknown[]) => void;
  readonly #s: Record<string, Database.Statement>;
  readonly #commitWindowMs: number;
  /** With maxBytes: the pages in use past which new messages are refused (ACCEPT_SHARE of the cap). */
  readonly #acceptPages: number | undefined;
  #pending: PendingWrite[] = [];
  #timer: NodeJS.Immediate | NodeJS.Timeout | null = null;
  #closed = false;
  #batches = 0;
  #calls = 0;

  /** Use {@link openSqliteStore}. */
  constructor(options: SqliteStoreOptions) {
    this.#maxBatch = Math.max(1, options.maxBatch ?? 2000);
    this.#commitWindowMs = Math.max(0, options.commitWindowMs ?? 0);
    this.#now = options.now ?? Date.now;
    this.file = join(options.path, 'smppgate.db');
    let db: Database.Database | undefined;
    let acceptPages: number | undefined;
    try {
      mkdirSync(options.path, { recursive: true });
      db = new Database(this.file);
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`the file system refused WAL mode (journal_mode is ${String(mode)})`);
      db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      db.pragma('foreign_keys = OFF');
      migrate(db);
      if (options.maxBytes !== undefined) {
        const page = db.pragma('page_size', { simple: true }) as number;
        const maxPages = Math.max(1, Math.floor(options.maxBytes / page));
        db.pragma(`max_page_count = ${maxPages}`);
        acceptPages = Math.floor(maxPages * ACCEPT_SHARE);
      }
    } catch (error) {
      db?.close();
      throw new StoreUnavailableError(`cannot open the store at ${this.file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.#db = db;
    this.#acceptPages = acceptPages;
    this.#savepoint = db.transaction((fn: () => unknown) => fn());
    // Optimistic: every call runs straight in the batch's transaction, with no savepoint (two statements less per
    // call). If one throws, the whole transaction is rolled back and the batch runs again with a savepoint per call,
    // so that only the failing call is undone, as before. Calls are pure store work (their closures touch nothing
    // outside the database), so running one twice after a rollback is the same as running it once.
    const plain = db.transaction((ops: PendingWrite[], results: unknown[]) => {
      for (let i = 0; i < ops.length; i++) {
        try {
          results[i] = ops[i].fn();
        } catch (error) {
          throw new BatchRetry(error);
        }
      }
    });
    const guarded = db.transaction((ops: PendingWrite[], results: unknown[], errors: unknown[]) => {
      for (let i = 0; i < ops.length; i++) {
        try {
          results[i] = this.#savepoint(ops[i].fn);
        } catch (error) {
          const mapped = mapError(error);
          // An unavailability error inside the batch dooms the whole batch: rethrow so it rolls back.
          if (mapped instanceof StoreUnavailableError) throw mapped;
          errors[i] = mapped;
        }
      }
    });
    const batch = (ops: PendingWrite[], results: unknown[], errors: unknown[]): void => {
      try {
        plain.immediate(ops, results);
        return;
      } catch (error) {
        if (!(error instanceof BatchRetry)) throw error;
        // An unavailability error dooms the batch whichever way it runs.
        if (mapError(error.cause) instanceof StoreUnavailableError) throw error.cause;
      }
      results.fill(undefined);
      guarded.immediate(ops, results, errors);
    };
    this.#batch = batch;
    const p = (sql: string) => db.prepare(sql);
    this.#s = {
      insertGroup: p('INSERT INTO groups (gid, enabled) VALUES (?, ?)'),
      getGroup: p('SELECT gid, enabled FROM groups WHERE gid = ?'),
      listGroups: p('SELECT gid, enabled FROM groups ORDER BY gid'),
      updateGroup: p('UPDATE groups SET enabled = ? WHERE gid = ?'),
      deleteGroup: p('DELETE FROM groups WHERE gid = ?'),
      usersInGroup: p('SELECT count(*) AS n FROM users WHERE gid = ?'),
      insertUser: p(
        'INSERT INTO users (uid, username, gid, enabled, password_hash, smpps_cred, mt_cred, balance_micros, sms_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      replaceUser: p(
        'UPDATE users SET uid = ?, username = ?, gid = ?, enabled = ?, password_hash = ?, smpps_cred = ?, mt_cred = ?, balance_micros = ?, sms_count = ? WHERE uid = ?',
      ),
      getUser: p('SELECT * FROM users WHERE uid = ?'),
      getUserByUsername: p('SELECT * FROM users WHERE username = ?'),
      listUsers: p('SELECT * FROM users ORDER BY uid'),
      deleteUser: p('DELETE FROM users WHERE uid = ?'),
      quotas: p('SELECT balance_micros, sms_count FROM users WHERE uid = ?'),
      setQuotas: p('UPDATE users SET balance_micros = ?, sms_count = ? WHERE uid = ?'),
      putConnector: p('INSERT OR REPLACE INTO connectors (cid, type, started, settings) VALUES (?, ?, ?, ?)'),
      getConnector: p('SELECT * FROM connectors WHERE cid = ?'),
      listConnectors: p('SELECT * FROM connectors ORDER BY cid'),
      deleteConnector: p('DELETE FROM connectors WHERE cid = ?'),
      setStarted: p('UPDATE connectors SET started = ? WHERE cid = ?'),
      putMt: p('INSERT OR REPLACE INTO mt_routes (ord, route) VALUES (?, ?)'),
      listMt: p('SELECT route FROM mt_routes ORDER BY ord DESC'),
      deleteMt: p('DELETE FROM mt_routes WHERE ord = ?'),
      putMo: p('INSERT OR REPLACE INTO mo_routes (ord, route) VALUES (?, ?)'),
      listMo: p('SELECT route FROM mo_routes ORDER BY ord DESC'),
      deleteMo: p('DELETE FROM mo_routes WHERE ord = ?'),
      bumpRoutes: p("UPDATE meta SET value = value + 1 WHERE key = 'routes_version'"),
      routesVersion: p("SELECT value FROM meta WHERE key = 'routes_version'"),
      insertMessage: p(
        `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (${MESSAGE_COLUMNS.split(',')
          .map(() => '?')
          .join(', ')})`,
      ),
      getMessage: p('SELECT * FROM messages WHERE id = ?'),
      claim: p(
        `SELECT seq, ${MESSAGE_COLUMNS} FROM messages WHERE cid = ? AND status = 'queued' AND (schedule_at IS NULL OR schedule_at <= ?) ORDER BY priority_flag DESC, seq LIMIT ?`,
      ).raw(true),
      markSending: p("UPDATE messages SET status = 'sending', updated_at = ? WHERE seq = ?"),
      release: p(
        "UPDATE messages SET status = 'queued', schedule_at = ?, updated_at = ? WHERE id = ? AND status = 'sending'",
      ),
      recover: p("UPDATE messages SET status = 'queued', updated_at = ? WHERE status = 'sending'"),
      cancel: p(
        "UPDATE messages SET status = 'cancelled', state = ?, final_at = ?, updated_at = ? WHERE id = ? AND status = 'queued'",
      ),
      replace: p(
        "UPDATE messages SET short_message = ?, registered_delivery = ?, schedule_at = ?, expires_at = ?, updated_at = ? WHERE id = ? AND status = 'queued'",
      ),
      depths: p("SELECT cid, count(*) AS n FROM messages WHERE status = 'queued' GROUP BY cid"),
      dueExpiry: p("SELECT * FROM messages WHERE status = 'queued' AND expires_at IS NOT NULL AND expires_at <= ?"),
      expire: p("UPDATE messages SET status = 'failed', state = ?, final_at = ?, updated_at = ? WHERE id = ?"),
      putMap: p('INSERT OR REPLACE INTO receipt_map (cid, upstream_id, message_id, expires_at) VALUES (?, ?, ?, ?)'),
      getMap: p('SELECT * FROM receipt_map WHERE cid = ? AND upstream_id = ?'),
      deleteMap: p('DELETE FROM receipt_map WHERE cid = ? AND upstream_id = ?'),
      expireMap: p('DELETE FROM receipt_map WHERE expires_at <= ?'),
      insertDelivery: p(
        'INSERT INTO deliveries (uid, kind, payload, created_at, expires_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, 0, 0)',
      ),
      headDeliveries: p(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE uid = ? ORDER BY seq LIMIT ?`).raw(true),
      deliveriesAfter: p(
        `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE uid = ? AND seq > ? ORDER BY seq LIMIT ?`,
      ).raw(true),
      ackDelivery: p('DELETE FROM deliveries WHERE uid = ? AND seq = ?'),
      retryDelivery: p('UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE uid = ? AND seq = ?'),
      dueDeliveryExpiry: p('SELECT * FROM deliveries WHERE expires_at <= ? ORDER BY seq'),
      deleteDeliveryBySeq: p('DELETE FROM deliveries WHERE seq = ?'),
      pendingDeliveries: p('SELECT count(*) AS n FROM deliveries WHERE uid = ?'),
      // Only users whose queue head is due: a held head holds the user's whole queue (strict order).
      usersWithDeliveries: p(
        'SELECT d.uid FROM (SELECT uid, min(seq) AS head FROM deliveries GROUP BY uid) h JOIN deliveries d ON d.seq = h.head WHERE d.next_attempt_at <= ? ORDER BY d.uid',
      ),
      depth: p("SELECT count(*) AS n FROM messages WHERE cid = ? AND status = 'queued'"),
      queueHeads: p("SELECT cid, count(*) AS n, min(seq) AS head FROM messages WHERE status = 'queued' GROUP BY cid"),
      messageBySeq: p('SELECT submitted_at, schedule_at FROM messages WHERE seq = ?'),
      // An event carries its part's seq, looked up as it is written: the index on it grows at its end (events come
      // in acceptance order, roughly) where one on the random message ids cost a random B-tree insert per event.
      insertHistory: p(
        'INSERT INTO history (message_id, mseq, at, type, data) VALUES (?, (SELECT seq FROM messages WHERE id = ?), ?, ?, ?)',
      ),
      // The message_id check keeps a seq SQLite handed out again (after the newest parts were pruned) from showing
      // another part's surviving events.
      historyOf: p('SELECT * FROM history WHERE mseq = ? AND message_id = ? ORDER BY id'),
      historyChunk: p('SELECT id FROM history WHERE id >= ? ORDER BY id LIMIT 1 OFFSET ?'),
      historyMinId: p('SELECT min(id) AS id FROM history'),
      pruneHistory: p('DELETE FROM history WHERE id >= ? AND id <= ? AND at < ?'),
      messagesChunk: p(
        'SELECT max(seq) AS hi, max(submitted_at) AS newest FROM (SELECT seq, submitted_at FROM messages WHERE seq > ? ORDER BY seq LIMIT ?)',
      ),
      pruneMessages: p(
        "DELETE FROM messages WHERE seq > ? AND seq <= ? AND ((status IN ('final', 'failed', 'cancelled') AND final_at < ?) OR (status = 'sent' AND updated_at < ?))",
      ),
    };
  }

  /** Queues a write for the next group commit; resolves with `fn`'s result after the COMMIT. */
  #write<T>(fn: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.#pending.length >= this.#maxBatch) this.#flush();
      else if (this.#timer === null) {
        this.#timer =
          this.#commitWindowMs > 0 ? setTimeout(this.#flushNow, this.#commitWindowMs) : setImmediate(this.#flushNow);
      }
    });
  }

  readonly #flushNow = (): void => {
    this.#timer = null;
    this.#flush();
  };

  /** Commits every pending write in one transaction and settles each caller. */
  #flush(): void {
    if (this.#timer !== null) {
      // A batch that filled up (or close) commits before its timer: the timer must not fire on the next batch.
      if (this.#commitWindowMs > 0) clearTimeout(this.#timer as NodeJS.Timeout);
      else clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = null;
    }
    const ops = this.#pending;
    if (ops.length === 0) return;
    this.#pending = [];
    const results: unknown[] = new Array(ops.length);
    const errors: unknown[] = new Array(ops.length);
    this.#batches++;
    this.#calls += ops.length;
    try {
      this.#batch(ops, results, errors);
    } catch (error) {
      const mapped = mapError(error);
      const failure =
        mapped instanceof StoreUnavailableError
          ? mapped
          : new StoreUnavailableError(`store write failed: ${(error as Error).message}`, { cause: error });
      for (const op of ops) op.reject(failure);
      return;
    }
    for (let i = 0; i < ops.length; i++) {
      if (errors[i] !== undefined) ops[i].reject(errors[i]);
      else ops[i].resolve(results[i]);
    }
  }

  /** Runs a read against committed data, mapping backend failures. */
  #read<T>(fn: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(mapError(error));
    }
  }

  // ---------------------------------------------------------------------------------------------- groups

  createGroup(group: Group): Promise<void> {
    return this.#write(() => {
      if (this.#s.getGroup.get(group.gid) !== undefined) throw new StoreConflictError(`group ${group.gid} exists`);
      this.#s.insertGroup.run(group.gid, group.enabled ? 1 : 0);
    });
  }

  getGroup(gid: string): Promise<Group | null> {
    return this.#read(() => {
      const r = this.#s.getGroup.get(gid) as Row | undefined;
      return r === undefined ? null : { gid: r.gid as string, enabled: r.enabled === 1 };
    });
  }

  listGroups(): Promise<Group[]> {
    return this.#read(() =>
      (this.#s.listGroups.all() as Row[]).map((r) => ({ gid: r.gid as string, enabled: r.enabled === 1 })),
    );
  }

  updateGroup(gid: string, patch: { enabled: boolean }): Promise<Group> {
    return this.#write(() => {
      if (this.#s.updateGroup.run(patch.enabled ? 1 : 0, gid).changes === 0) {
        throw new StoreNotFoundError(`group ${gid} does not exist`);
      }
      return { gid, enabled: patch.enabled };
    });
  }

  deleteGroup(gid: string): Promise<void> {
    return this.#write(() => {
      const users = (this.#s.usersInGroup.get(gid) as { n: number }).n;
      if (users > 0) throw new StoreInUseError(`group ${gid} still has ${users} user(s)`);
      if (this.#s.deleteGroup.run(gid).changes === 0) throw new StoreNotFoundError(`group ${gid} does not exist`);
    });
  }

  // ---------------------------------------------------------------------------------------------- users

  createUser(user: UserRecord): Promise<void> {
    return this.#write(() => {
      if (this.#s.getUser.get(user.uid) !== undefined) throw new StoreConflictError(`user ${user.uid} exists`);
      if (this.#s.getUserByUsername.get(user.username) !== undefined) {
        throw new StoreConflictError(`username ${user.username} is taken`);
      }
      this.#s.insertUser.run(...userParams(user));
    });
  }

  getUser(uid: string): Promise<UserRecord | null> {
    return this.#read(() => {
      const r = this.#s.getUser.get(uid) as Row | undefined;
      return r === undefined ? null : rowToUser(r);
    });
  }

  getUserByUsername(username: string): Promise<UserRecord | null> {
    return this.#read(() => {
      const r = this.#s.getUserByUsername.get(username) as Row | undefined;
      return r === undefined ? null : rowToUser(r);
    });
  }

  listUsers(): Promise<UserRecord[]> {
    return this.#read(() => (this.#s.listUsers.all() as Row[]).map(rowToUser));
  }

  updateUser(uid: string, patch: object): Promise<UserRecord> {
    return this.#write(() => {
      const r = this.#s.getUser.get(uid) as Row | undefined;
      if (r === undefined) throw new StoreNotFoundError(`user ${uid} does not exist`);
      const merged = mergePatch(rowToUser(r), patch) as UserRecord;
      if (merged.username !== r.username && this.#s.getUserByUsername.get(merged.username) !== undefined) {
        throw new StoreConflictError(`username ${merged.username} is taken`);
      }
      if (merged.uid !== uid && this.#s.getUser.get(merged.uid) !== undefined) {
        throw new StoreConflictError(`user ${merged.uid} exists`);
      }
      this.#s.replaceUser.run(...userParams(merged), uid);
      return merged;
    });
  }

  deleteUser(uid: string): Promise<void> {
    return this.#write(() => {
      if (this.#s.deleteUser.run(uid).changes === 0) throw new StoreNotFoundError(`user ${uid} does not exist`);
    });
  }

  charge(uid: string, amounts: Amounts): Promise<ChargeResult> {
    try {
      checkAmounts(amounts, 'charge');
    } catch (error) {
      return Promise.reject(error);
    }
    const micros = toMicros(amounts.amount);
    return this.#write((): ChargeResult => {
      const q = this.#s.quotas.get(uid) as { balance_micros: number | null; sms_count: number | null } | undefined;
      if (q === undefined) throw new StoreNotFoundError(`user ${uid} does not exist`);
      if (q.balance_micros !== null && q.balance_micros < micros) return { ok: false, reason: 'balance' };
      if (q.sms_count !== null && q.sms_count < amounts.smsCount) return { ok: false, reason: 'sms_count' };
      const balance = q.balance_micros === null ? null : q.balance_micros - micros;
      const smsCount = q.sms_count === null ? null : q.sms_count - amounts.smsCount;
      if (balance !== q.balance_micros || smsCount !== q.sms_count) this.#s.setQuotas.run(balance, smsCount, uid);
      return { ok: true, balance: balance === null ? null : fromMicros(balance), sms_count: smsCount };
    });
  }

  credit(uid: string, amounts: Amounts): Promise<void> {
    try {
      checkAmounts(amounts, 'credit');
    } catch (error) {
      return Promise.reject(error);
    }
    const micros = toMicros(amounts.amount);
    return this.#write(() => {
      const q = this.#s.quotas.get(uid) as { balance_micros: number | null; sms_count: number | null } | undefined;
      if (q === undefined) throw new StoreNotFoundError(`user ${uid} does not exist`);
      if (q.balance_micros === null && q.sms_count === null) return;
      this.#s.setQuotas.run(
        q.balance_micros === null ? null : Math.max(0, q.balance_micros + micros),
        q.sms_count === null ? null : Math.max(0, q.sms_count + amounts.smsCount),
        uid,
      );
    });
  }

  // ---------------------------------------------------------------------------------------------- connectors

  putConnector(connector: ConnectorRecord): Promise<void> {
    return this.#write(() => {
      this.#s.putConnector.run(
        connector.cid,
        connector.type,
        connector.started ? 1 : 0,
        JSON.stringify(connector.settings),
      );
    });
  }

  getConnector(cid: string): Promise<ConnectorRecord | null> {
    return this.#read(() => {
      const r = this.#s.getConnector.get(cid) as Row | undefined;
      return r === undefined ? null : rowToConnector(r);
    });
  }

  listConnectors(): Promise<ConnectorRecord[]> {
    return this.#read(() => (this.#s.listConnectors.all() as Row[]).map(rowToConnector));
  }

  deleteConnector(cid: string): Promise<void> {
    return this.#write(() => {
      if (this.#s.deleteConnector.run(cid).changes === 0) {
        throw new StoreNotFoundError(`connector ${cid} does not exist`);
      }
    });
  }

  setConnectorStarted(cid: string, started: boolean): Promise<void> {
    return this.#write(() => {
      if (this.#s.setStarted.run(started ? 1 : 0, cid).changes === 0) {
        throw new StoreNotFoundError(`connector ${cid} does not exist`);
      }
    });
  }

  // ---------------------------------------------------------------------------------------------- routes

  putMtRoute(route: MtRoute): Promise<void> {
    return this.#write(() => {
      this.#s.putMt.run(route.order, JSON.stringify(route));
      this.#s.bumpRoutes.run();
    });
  }

  listMtRoutes(): Promise<MtRoute[]> {
    return this.#read(() => (this.#s.listMt.all() as Row[]).map((r) => JSON.parse(r.route as string) as MtRoute));
  }

  deleteMtRoute(order: number): Promise<void> {
    return this.#write(() => {
      if (this.#s.deleteMt.run(order).changes === 0) throw new StoreNotFoundError(`no MT route with order ${order}`);
      this.#s.bumpRoutes.run();
    });
  }

  putMoRoute(route: MoRoute): Promise<void> {
    return this.#write(() => {
      this.#s.putMo.run(route.order, JSON.stringify(route));
      this.#s.bumpRoutes.run();
    });
  }

  listMoRoutes(): Promise<MoRoute[]> {
    return this.#read(() => (this.#s.listMo.all() as Row[]).map((r) => JSON.parse(r.route as string) as MoRoute));
  }

  deleteMoRoute(order: number): Promise<void> {
    return this.#write(() => {
      if (this.#s.deleteMo.run(order).changes === 0) throw new StoreNotFoundError(`no MO route with order ${order}`);
      this.#s.bumpRoutes.run();
    });
  }

  routesVersion(): Promise<number> {
    return this.#read(() => (this.#s.routesVersion.get() as { value: number }).value);
  }

  // ---------------------------------------------------------------------------------------------- messages

  acceptMessages(records: MessageRecord[]): Promise<void> {
    // Past the acceptance limit new messages are refused before they are queued, so the last part of max_size stays
    // for the writes that move the messages already accepted (sent state, receipt map, receipts, deliveries): a store
    // filled to its cap by acceptances alone could not record any of them, and nothing accepted would ever drain.
    if (this.#acceptPages !== undefined) {
      const used =
        (this.#db.pragma('page_count', { simple: true }) as number) -
        (this.#db.pragma('freelist_count', { simple: true }) as number);
      if (used >= this.#acceptPages) {
        return Promise.reject(
          new StoreUnavailableError(
            `store full: ${used} pages in use, new messages refused past ${this.#acceptPages}`,
            {
              full: true,
            },
          ),
        );
      }
    }
    return this.#write(() => {
      for (const m of records) this.#s.insertMessage.run(...messageParams(m));
    }).catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) {
        throw new StoreConflictError(`a message id is already stored: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    });
  }

  getMessage(id: string): Promise<MessageRecord | null> {
    return this.#read(() => {
      const r = this.#s.getMessage.get(id) as Row | undefined;
      return r === undefined ? null : rowToMessage(r);
    });
  }

  updateMessage(id: string, patch: MessagePatch): Promise<MessageRecord | null> {
    const now = this.#now();
    return this.#write(() => {
      this.#patchMessage(id, patch, now);
      const r = this.#s.getMessage.get(id) as Row | undefined;
      return r === undefined ? null : rowToMessage(r);
    });
  }

  updateMessages(updates: Array<{ id: string; patch: MessagePatch }>): Promise<void> {
    const now = this.#now();
    return this.#write(() => {
      for (const { id, patch } of updates) this.#patchMessage(id, patch, now);
    });
  }

  /** One UPDATE of the patchable fields present in `patch` (undefined values are skipped). */
  #patchMessage(id: string, patch: MessagePatch, now: number): void {
    // The statement is cached by which fields are present (a bit each), so a patch costs no SQL string building.
    const p = patch as Record<string, unknown>;
    let mask = 0;
    const values: unknown[] = [];
    for (let i = 0; i < PATCHABLE_KEYS.length; i++) {
      const v = p[PATCHABLE_KEYS[i]];
      if (v !== undefined) {
        mask |= 1 << i;
        values.push(v);
      }
    }
    if (mask === 0) return;
    let statement = this.#patchStatements.get(mask);
    if (statement === undefined) {
      const sets = PATCHABLE_KEYS.filter((_k, i) => (mask & (1 << i)) !== 0).map((k) => `${k} = ?`);
      statement = this.#db.prepare(`UPDATE messages SET ${sets.join(', ')}, updated_at = ? WHERE id = ?`);
      this.#patchStatements.set(mask, statement);
    }
    values.push(now, id);
    statement.run(...values);
  }

  readonly #patchStatements = new Map<number, Database.Statement>();
  readonly #statementCache = new Map<string, Database.Statement>();

  #cached(sql: string): Database.Statement {
    let s = this.#statementCache.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#statementCache.set(sql, s);
    }
    return s;
  }

  claimMessages(cid: string, max: number, now: number): Promise<MessageRecord[]> {
    return this.#write(() => {
      const rows = this.#s.claim.all(cid, now, max) as unknown[][];
      const stamp = this.#now();
      return rows.map((r) => {
        this.#s.markSending.run(stamp, r[0]);
        const m = arrayToMessage(r);
        m.status = 'sending';
        m.updated_at = stamp;
        return m;
      });
    });
  }

  releaseMessage(id: string, notBefore: number): Promise<void> {
    return this.#write(() => {
      this.#s.release.run(notBefore, this.#now(), id);
    });
  }

  recoverInFlight(): Promise<number> {
    return this.#write(() => this.#s.recover.run(this.#now()).changes);
  }

  #owned(uid: string, id: string): { ok: false; reason: 'not_found' | 'not_owner' | 'not_queued' } | null {
    const r = this.#s.getMessage.get(id) as Row | undefined;
    if (r === undefined) return { ok: false, reason: 'not_found' };
    if (r.uid !== uid) return { ok: false, reason: 'not_owner' };
    if (r.status !== 'queued') return { ok: false, reason: 'not_queued' };
    return null;
  }

  cancelMessage(uid: string, id: string): Promise<OwnedMessageResult> {
    return this.#write((): OwnedMessageResult => {
      const refusal = this.#owned(uid, id);
      if (refusal !== null) return refusal;
      const now = this.#now();
      this.#s.cancel.run(MessageState.DELETED, now, now, id);
      return { ok: true, message: rowToMessage(this.#s.getMessage.get(id) as Row) };
    });
  }

  replaceMessage(uid: string, id: string, patch: MessageReplacement): Promise<OwnedMessageResult> {
    return this.#write((): OwnedMessageResult => {
      const refusal = this.#owned(uid, id);
      if (refusal !== null) return refusal;
      this.#s.replace.run(
        patch.short_message,
        patch.registered_delivery,
        patch.schedule_at,
        patch.expires_at,
        this.#now(),
        id,
      );
      return { ok: true, message: rowToMessage(this.#s.getMessage.get(id) as Row) };
    });
  }

  queueDepth(cid: string): Promise<number> {
    return this.#read(() => (this.#s.depth.get(cid) as { n: number }).n);
  }

  queueDepths(): Promise<Record<string, number>> {
    return this.#read(() => {
      const out: Record<string, number> = {};
      for (const r of this.#s.depths.all() as Row[]) out[r.cid as string] = r.n as number;
      return out;
    });
  }

  expireQueued(now: number): Promise<MessageRecord[]> {
    return this.#write(() => {
      const rows = this.#s.dueExpiry.all(now) as Row[];
      return rows.map((r) => {
        this.#s.expire.run(MessageState.EXPIRED, now, now, r.id);
        const m = rowToMessage(r);
        m.status = 'failed';
        m.state = MessageState.EXPIRED;
        m.final_at = now;
        m.updated_at = now;
        return m;
      });
    });
  }

  listMessages(query: MessageQuery): Promise<MessageRecord[]> {
    return this.#read(() => {
      const where: string[] = [];
      const args: unknown[] = [];
      if (query.uid !== undefined) {
        where.push('uid = ?');
        args.push(query.uid);
      }
      if (query.destination_addr !== undefined) {
        where.push('destination_addr = ?');
        args.push(query.destination_addr);
      }
      if (query.from !== undefined) {
        where.push('submitted_at >= ?');
        args.push(query.from);
      }
      if (query.to !== undefined) {
        where.push('submitted_at <= ?');
        args.push(query.to);
      }
      const limit = Math.max(1, Math.min(query.limit ?? 100, 10_000));
      const sql = `SELECT * FROM messages ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY submitted_at DESC, seq DESC LIMIT ?`;
      return (this.#cached(sql).all(...args, limit) as Row[]).map(rowToMessage);
    });
  }

  queueStats(): Promise<Record<string, QueueStat>> {
    return this.#read(() => {
      const out: Record<string, QueueStat> = {};
      for (const r of this.#s.queueHeads.all() as Row[]) {
        const head = this.#s.messageBySeq.get(r.head) as
          | { submitted_at: number; schedule_at: number | null }
          | undefined;
        const due = head === undefined ? null : Math.max(head.submitted_at, head.schedule_at ?? 0);
        out[r.cid as string] = { depth: r.n as number, oldest_at: due };
      }
      return out;
    });
  }

  // ---------------------------------------------------------------------------------------------- history

  appendHistory(events: HistoryEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.#write(() => {
      for (const e of events) this.#s.insertHistory.run(e.message_id, e.message_id, e.at, e.type, toJson(e.data));
    });
  }

  messageHistory(id: string): Promise<MessageHistory | null> {
    return this.#read(() => {
      const r = this.#s.getMessage.get(id) as Row | undefined;
      if (r === undefined) return null;
      return this.#withEvents(rowToMessage(r), r.seq as number);
    });
  }

  #withEvents(message: MessageRecord, seq: number): MessageHistory {
    const stored = (this.#s.historyOf.all(seq, message.id) as Row[]).map(rowToHistory);
    // A stable sort: events of one time keep their append order, after the acceptance.
    return { message, events: [acceptedEvent(message), ...stored].sort(byTime) };
  }

  queryHistory(query: HistoryQuery): Promise<HistoryPage> {
    let after: [number, number] | null = null;
    try {
      if (query.cursor !== undefined && query.cursor !== '') after = decodeCursor(query.cursor);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#read(() => {
      const where: string[] = [];
      const args: unknown[] = [];
      if (query.uid !== undefined) {
        where.push('uid = ?');
        args.push(query.uid);
      }
      if (query.destination_addr !== undefined) {
        where.push('destination_addr = ?');
        args.push(query.destination_addr);
      }
      if (query.from !== undefined) {
        where.push('submitted_at >= ?');
        args.push(query.from);
      }
      if (query.to !== undefined) {
        where.push('submitted_at <= ?');
        args.push(query.to);
      }
      if (after !== null) {
        where.push('(submitted_at < ? OR (submitted_at = ? AND seq < ?))');
        args.push(after[0], after[0], after[1]);
      }
      const limit = Math.max(1, Math.min(query.limit ?? 50, 1000));
      const sql = `SELECT * FROM messages ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY submitted_at DESC, seq DESC LIMIT ?`;
      // One row more than asked tells whether another page exists.
      const rows = this.#cached(sql).all(...args, limit + 1) as Row[];
      const more = rows.length > limit;
      const page = more ? rows.slice(0, limit) : rows;
      const last = page[page.length - 1];
      return {
        items: page.map((r) => this.#withEvents(rowToMessage(r), r.seq as number)),
        next_cursor: more ? encodeCursor(last.submitted_at as number, last.seq as number) : null,
      };
    });
  }

  async pruneHistory(before: number): Promise<number> {
    let deleted = 0;
    // Events: from the lowest id, a chunk per transaction, until a chunk has nothing old left in it.
    let lo = (this.#s.historyMinId.get() as { id: number | null }).id;
    while (lo !== null) {
      const from: number = lo;
      const edge = this.#s.historyChunk.get(from, PRUNE_BATCH - 1) as { id: number } | undefined;
      const hi = edge?.id ?? Number.MAX_SAFE_INTEGER;
      const n = await this.#write(() => this.#s.pruneHistory.run(from, hi, before).changes);
      deleted += n;
      if (n === 0 || edge === undefined) break;
      lo = hi + 1;
    }
    // Messages done before `before`: in acceptance order, until the chunks are newer than `before`.
    let seq = 0;
    for (;;) {
      const chunk = this.#s.messagesChunk.get(seq, PRUNE_BATCH) as { hi: number | null; newest: number | null };
      if (chunk.hi === null) break;
      const lowSeq = seq;
      const hi = chunk.hi;
      deleted += await this.#write(() => this.#s.pruneMessages.run(lowSeq, hi, before, before).changes);
      if ((chunk.newest ?? 0) >= before) break;
      seq = hi;
    }
    return deleted;
  }

  // ---------------------------------------------------------------------------------------------- receipt map

  putReceiptMaps(entries: ReceiptMapEntry[]): Promise<void> {
    return this.#write(() => {
      for (const e of entries) this.#s.putMap.run(e.cid, e.upstream_id, e.message_id, e.expires_at);
    });
  }

  getReceiptMap(cid: string, upstreamId: string): Promise<ReceiptMapEntry | null> {
    return this.#read(() => (this.#s.getMap.get(cid, upstreamId) as ReceiptMapEntry | undefined) ?? null);
  }

  deleteReceiptMap(cid: string, upstreamId: string): Promise<void> {
    return this.#write(() => {
      this.#s.deleteMap.run(cid, upstreamId);
    });
  }

  expireReceiptMaps(now: number): Promise<number> {
    return this.#write(() => this.#s.expireMap.run(now).changes);
  }

  // ---------------------------------------------------------------------------------------------- deliveries

  enqueueDeliveries(items: NewDelivery[]): Promise<number[]> {
    return this.#write(() =>
      items.map(
        (d) =>
          Number(
            this.#s.insertDelivery.run(d.uid, d.kind, toJson(d.payload), d.created_at, d.expires_at).lastInsertRowid,
          ) as number,
      ),
    );
  }

  peekDeliveries(uid: string, max: number, now: number, afterSeq?: number): Promise<DeliveryRecord[]> {
    return this.#read(() => {
      // Strict order per user: only the due prefix of the queue, never a later one past a held earlier one.
      const out: DeliveryRecord[] = [];
      const rows =
        afterSeq === undefined ? this.#s.headDeliveries.all(uid, max) : this.#s.deliveriesAfter.all(uid, afterSeq, max);
      for (const r of rows as unknown[][]) {
        if ((r[7] as number) > now) break;
        out.push(arrayToDelivery(r));
      }
      return out;
    });
  }

  ackDelivery(uid: string, seq: number): Promise<void> {
    return this.#write(() => {
      this.#s.ackDelivery.run(uid, seq);
    });
  }

  retryDelivery(uid: string, seq: number, notBefore: number): Promise<void> {
    return this.#write(() => {
      this.#s.retryDelivery.run(notBefore, uid, seq);
    });
  }

  expireDeliveries(now: number): Promise<DeliveryRecord[]> {
    return this.#write(() => {
      const rows = this.#s.dueDeliveryExpiry.all(now) as Row[];
      for (const r of rows) this.#s.deleteDeliveryBySeq.run(r.seq);
      return rows.map(rowToDelivery);
    });
  }

  pendingDeliveries(uid: string): Promise<number> {
    return this.#read(() => (this.#s.pendingDeliveries.get(uid) as { n: number }).n);
  }

  usersWithDeliveries(now: number): Promise<string[]> {
    return this.#read(() => (this.#s.usersWithDeliveries.all(now) as Row[]).map((r) => r.uid as string));
  }

  // ---------------------------------------------------------------------------------------------- lifecycle

  /** Transactions committed (or attempted) so far and the write calls they carried: the group-commit ratio. */
  commitStats(): { batches: number; calls: number } {
    return { batches: this.#batches, calls: this.#calls };
  }

  /** The durability settings in effect on the connection, as SQLite reports them. */
  durability(): { journalMode: string; synchronous: 'full' | 'normal' | 'other' } {
    const sync = this.#db.pragma('synchronous', { simple: true }) as number;
    return {
      journalMode: this.#db.pragma('journal_mode', { simple: true }) as string,
      synchronous: sync === 2 ? 'full' : sync === 1 ? 'normal' : 'other',
    };
  }

  /** Bytes of the database's pages (the file once checkpointed), for the benchmarks' store-size figure. */
  sizeBytes(): number {
    const page = this.#db.pragma('page_size', { simple: true }) as number;
    const pages = this.#db.pragma('page_count', { simple: true }) as number;
    return page * pages;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    try {
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // A checkpoint failure leaves the WAL for the next open to replay: nothing is lost.
    }
    this.#db.close();
  }
}

/** Brings the database to the latest schema version, one migration per transaction. */
function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  let version = row?.version ?? 0;
  if (version > MIGRATIONS.length) {
    throw new Error(`schema version ${version} is newer than this smppgate knows (${MIGRATIONS.length})`);
  }
  if (row === undefined) db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
  while (version < MIGRATIONS.length) {
    const sql = MIGRATIONS[version];
    db.transaction(() => {
      db.exec(sql);
      db.prepare('UPDATE schema_version SET version = ?').run(version + 1);
    }).immediate();
    version++;
  }
}

function rowToConnector(r: Row): ConnectorRecord {
  return {
    cid: r.cid as string,
    type: r.type as ConnectorRecord['type'],
    started: r.started === 1,
    settings: JSON.parse(r.settings as string) as Record<string, unknown>,
  };
}
