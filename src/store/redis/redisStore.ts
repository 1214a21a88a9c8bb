// The Redis backend of the store: several gateway nodes share one Redis (SPEC.md §7, issue #7).
//
// Every read-modify-write that must be atomic is one Lua script (./scripts.ts), so a charge, a claim, a cancel or a
// delivery ack is atomic against every other node. Calls are auto-pipelined: all the calls of one tick leave in one
// write and come back in order, which is Redis's group commit. Durability is the server's: with `appendonly yes` and
// `appendfsync always` a resolved write survives a crash of Redis; with `everysec` up to a second can be lost
// (`durability()` reports the server's setting). See docs/redis.md.
//
// Failures: while Redis is unreachable every call fails at once with StoreUnavailableError (no offline queue, no
// resend: a script is never run twice); ioredis reconnects by itself and the store works again once Redis is back.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { StoreConflictError, StoreInUseError, StoreNotFoundError, StoreUnavailableError } from '../errors.js';
import {
  type ConnectorRecord,
  type DeliveryRecord,
  type Group,
  type MessageRecord,
  MessageState,
  type MoRoute,
  type MtRoute,
  type UserRecord,
} from '../model.js';
import { fromMicros, toMicros } from '../money.js';
import { mergePatch } from '../sqlite/sqliteStore.js';
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
  type OwnedMessageRefusal,
  type OwnedMessageResult,
  type QueueStat,
  type ReceiptMapEntry,
  type Store,
  type StoreChange,
} from '../store.js';
import {
  messageLayout,
  parseDelivery,
  parseMessage,
  parsePayload,
  parseUser,
  patchArgs,
  payloadJson,
  userJson,
} from './records.js';
import { SCRIPTS, type ScriptName, scriptSource } from './scripts.js';

/** Options of the Redis store. */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  url: string;
  /** Prefix of every key and of the change channel (default `smppgate:`), so several gateways can share a Redis. */
  keyPrefix?: string;
  /**
   * This node's id, the owner of the parts it claims: `recoverInFlight` at start takes back the parts of an earlier
   * run of the same id. Every node on one Redis needs its own (default: the host name).
   */
  nodeId?: string;
  /**
   * How long a claimed part may stay `sending` before any node may claim it again (its claimer is taken for dead).
   * Longer than a connector's response timeout. Default 120 000 ms.
   */
  claimTimeoutMs?: number;
  /**
   * How long one call may wait for Redis before failing with StoreUnavailableError (default 5000 ms), counted from
   * the call (not from when the auto-pipeline sends it, which can be a whole timeout later while Redis is stuck).
   */
  commandTimeoutMs?: number;
  /**
   * The MT writes (charge, credit, acceptMessages) carry a deadline `Date.now() + commandTimeoutMs − this margin`
   * (or the caller's deadline − this margin, if earlier); a script that Redis runs after it by its own clock writes
   * nothing, so a call that timed out (answered as a refusal) is never kept. The margin covers the skew between this
   * node's clock and Redis's plus the reply's way back. Default 1000 ms, at most half of commandTimeoutMs.
   */
  deadlineMarginMs?: number;
  /** How long the first connection may take (default 5000 ms). */
  connectTimeoutMs?: number;
  /**
   * The node id is held as a lease (`<prefix>node:<id>`) renewed every third of this, so that a second node started
   * with the same id is refused instead of sharing claims and connector leases with the first. A node that died
   * frees its id after this long; one that closed frees it at once. Default 10 000 ms.
   */
  nodeLeaseMs?: number;
  /** Receipt-map keys live this long past their expiry unless expireReceiptMaps drops them first (default 1 h). */
  receiptMapGraceMs?: number;
  /** The clock for `updated_at` stamps. */
  now?: () => number;
}

/** What the server promises for an acknowledged write, as it reports it. */
export interface RedisDurability {
  appendonly: string;
  appendfsync: string;
}

type ScriptCall = (...args: Array<string | Buffer>) => Promise<unknown>;

const UNAVAILABLE_REPLY = /^(OOM|LOADING|BUSY|MISCONF|READONLY|NOREPLICAS|MASTERDOWN|TRYAGAIN|NOAUTH|WRONGPASS|NOPERM)/;

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** Maps a client error to StoreUnavailableError unless it is a script's own (a bug, thrown as is). */
function mapError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || error instanceof RangeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const isReply = (error as { name?: unknown } | null)?.name === 'ReplyError';
  if (isReply && !UNAVAILABLE_REPLY.test(message)) return error;
  return new StoreUnavailableError(`store unavailable: ${message}`, { cause: error, full: message.startsWith('OOM') });
}

function closedError(): StoreUnavailableError {
  return new StoreUnavailableError('the store is closed');
}

/** Opens the Redis store: connects, checks the server (Redis ≥ 6.2) and loads the scripts. */
export async function openRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  let opened = false;
  let lastError: unknown;
  const client = new Redis(options.url, {
    lazyConnect: true,
    // RESP2: the script replies' shapes are the classic ones whatever the client's RESP3 mapping does.
    protocol: 2,
    enableAutoPipelining: true,
    // Fail fast while Redis is away, and never send a script twice: a resent charge would charge twice.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? 5000,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // How long a closing socket may take before it is destroyed (ioredis's 2 s timer otherwise outlives a failed open).
    disconnectTimeout: 200,
    // No retry before the first connection (the open fails with the reason); after it, reconnect for ever.
    retryStrategy: (times) => (opened ? Math.min(50 * 2 ** Math.min(times, 10), 1000) : null),
  });
  client.on('error', (error: unknown) => {
    // ioredis reports every failed reconnect here; the calls themselves fail with StoreUnavailableError.
    lastError = error;
  });
  try {
    await client.connect();
    opened = true;
    const info = await client.info('server');
    const version = /redis_version:(\d+)\.(\d+)/.exec(info);
    if (version === null || Number(version[1]) * 100 + Number(version[2]) < 602) {
      throw new Error(`Redis ${version === null ? '?' : `${version[1]}.${version[2]}`} is too old (6.2 or later)`);
    }
  } catch (error) {
    client.disconnect();
    const cause = lastError ?? error;
    const code = (cause as { code?: unknown } | null)?.code;
    const detail = typeof code === 'string' ? code : (cause as Error).message;
    throw new StoreUnavailableError(`cannot connect to ${redactUrl(options.url)}: ${detail}`, { cause });
  }
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
    client.defineCommand(name, { numberOfKeys: 0, lua: scriptSource(name) });
  }
  client.defineCommand('sgNodeHold', { numberOfKeys: 1, lua: NODE_HOLD });
  client.defineCommand('sgNodeFree', { numberOfKeys: 1, lua: NODE_FREE });
  const store = new RedisStore(client, options);
  try {
    await store.holdNodeId();
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return store;
}

/** Takes or extends the node-id lease when free or ours (KEYS[1] = the lease, ARGV = token, ttl). */
const NODE_HOLD = `
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** Drops the node-id lease when ours. */
const NODE_FREE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

/** The Redis backend of {@link Store}. */
export class RedisStore implements Store {
  /** The key prefix in use. */
  readonly prefix: string;
  /** The owner id of this node's claims. */
  readonly nodeId: string;
  readonly #client: Redis;
  readonly #scripts: Record<string, ScriptCall>;
  readonly #claimTimeout: string;
  readonly #grace: string;
  readonly #now: () => number;
  readonly #listeners = new Set<(change: StoreChange) => void>();
  readonly #nodeLeaseMs: number;
  readonly #nodeToken = randomUUID();
  readonly #timeoutMs: number;
  readonly #marginMs: number;
  #nodeTimer: NodeJS.Timeout | null = null;
  #subscriber: Redis | null = null;
  #closed = false;

  /** Use {@link openRedisStore}. */
  constructor(client: Redis, options: RedisStoreOptions) {
    this.#client = client;
    this.#scripts = client as unknown as Record<string, ScriptCall>;
    this.prefix = options.keyPrefix ?? 'smppgate:';
    this.nodeId = options.nodeId ?? hostname();
    this.#claimTimeout = String(Math.max(1, Math.floor(options.claimTimeoutMs ?? 120_000)));
    this.#grace = String(Math.max(0, Math.floor(options.receiptMapGraceMs ?? 3_600_000)));
    this.#now = options.now ?? Date.now;
    this.#nodeLeaseMs = Math.max(100, Math.floor(options.nodeLeaseMs ?? 10_000));
    this.#timeoutMs = Math.max(1, Math.floor(options.commandTimeoutMs ?? 5000));
    this.#marginMs = Math.max(0, Math.min(Math.floor(options.deadlineMarginMs ?? 1000), this.#timeoutMs / 2));
  }

  /** How long one call may take before it fails with StoreUnavailableError (commandTimeoutMs). */
  get callTimeoutMs(): number {
    return this.#timeoutMs;
  }

  /**
   * Takes this node's id lease, waiting up to one lease time for a dead holder's to lapse; StoreConflictError when
   * another running node holds it. Then renews it every third of the lease time until close.
   */
  async holdNodeId(): Promise<void> {
    const deadline = Date.now() + this.#nodeLeaseMs + 500;
    while (!(await this.#nodeHold())) {
      if (Date.now() >= deadline) {
        throw new StoreConflictError(
          `node id "${this.nodeId}" is in use by another running node; every node sharing a store needs its own`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, this.#nodeLeaseMs / 4)));
    }
    this.#nodeTimer = setInterval(() => {
      // A failure (Redis away) is retried at the next tick; the lease is taken again once it is free.
      this.#nodeHold().catch(() => {});
    }, this.#nodeLeaseMs / 3);
    this.#nodeTimer.unref();
  }

  async #nodeHold(): Promise<boolean> {
    const hold = this.#scripts.sgNodeHold as unknown as (key: string, token: string, ttl: string) => Promise<number>;
    const r = await hold.call(this.#client, this.#k(`node:${this.nodeId}`), this.#nodeToken, String(this.#nodeLeaseMs));
    return Number(r) === 1;
  }

  /** Runs a script with the common arguments (prefix, clock, claim timeout, node id) before its own. */
  #run(name: ScriptName, args: Array<string | Buffer>, buffers = false): Promise<unknown> {
    if (this.#closed) return Promise.reject(closedError());
    const fn = this.#scripts[buffers ? `${name}Buffer` : name];
    return this.#timed(
      fn.call(this.#client, this.prefix, String(this.#now()), this.#claimTimeout, this.nodeId, ...args),
      Date.now() + this.#timeoutMs,
    );
  }

  /**
   * Runs an MT write whose last argument is its deadline: it fails with StoreUnavailableError at `min(now + timeout,
   * callerDeadline)`, and the script refuses to write ('late') once Redis's clock passes that minus the margin.
   */
  async #runBy(
    name: ScriptName,
    args: Array<string | Buffer>,
    callerDeadline: number | undefined,
    buffers = false,
  ): Promise<unknown> {
    if (this.#closed) throw closedError();
    const now = Date.now();
    const until = Math.min(now + this.#timeoutMs, callerDeadline ?? Number.POSITIVE_INFINITY);
    const deadline = until - this.#marginMs;
    if (deadline <= now) throw new StoreUnavailableError('store unavailable: no time left before the deadline');
    const fn = this.#scripts[buffers ? `${name}Buffer` : name];
    const r = await this.#timed(
      fn.call(
        this.#client,
        this.prefix,
        String(this.#now()),
        this.#claimTimeout,
        this.nodeId,
        ...args,
        String(deadline),
      ),
      until,
    );
    if (r === 'late' || (Array.isArray(r) && r[0] === 'late') || (Buffer.isBuffer(r) && r.toString() === 'late')) {
      throw new StoreUnavailableError(`store unavailable: ${name} reached Redis after its deadline; nothing written`);
    }
    return r;
  }

  /** Runs plain commands against the client, mapping failures. */
  #read<T>(fn: (client: Redis) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#timed(fn(this.#client), Date.now() + this.#timeoutMs);
  }

  /**
   * The call's outcome, failures mapped, or StoreUnavailableError at `until`. ioredis's own command timeout starts
   * only when the auto-pipeline sends the command, and it sends one pipeline at a time: while Redis is stuck, a call
   * waits a whole timeout for the pipeline before it, then another for its own.
   */
  #timed<T>(call: Promise<T>, until: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new StoreUnavailableError(`store unavailable: no answer from Redis within ${this.#timeoutMs} ms`));
      }, until - Date.now());
      call.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(mapError(error));
        },
      );
    });
  }

  #k(suffix: string): string {
    return this.prefix + suffix;
  }

  // ---------------------------------------------------------------------------------------------- groups

  async createGroup(group: Group): Promise<void> {
    const r = await this.#run('sgCreateGroup', [group.gid, group.enabled ? '1' : '0']);
    if (r === 'conflict') throw new StoreConflictError(`group ${group.gid} exists`);
  }

  async getGroup(gid: string): Promise<Group | null> {
    const v = await this.#read((c) => c.hget(this.#k('groups'), gid));
    return v === null ? null : { gid, enabled: v === '1' };
  }

  async listGroups(): Promise<Group[]> {
    const all = await this.#read((c) => c.hgetall(this.#k('groups')));
    return Object.keys(all)
      .sort()
      .map((gid) => ({ gid, enabled: all[gid] === '1' }));
  }

  async updateGroup(gid: string, patch: { enabled: boolean }): Promise<Group> {
    const r = await this.#run('sgUpdateGroup', [gid, patch.enabled ? '1' : '0']);
    if (r === 'nf') throw new StoreNotFoundError(`group ${gid} does not exist`);
    return { gid, enabled: patch.enabled };
  }

  async deleteGroup(gid: string): Promise<void> {
    const r = String(await this.#run('sgDeleteGroup', [gid]));
    if (r.startsWith('inuse:')) throw new StoreInUseError(`group ${gid} still has ${r.slice(6)} user(s)`);
    if (r === 'nf') throw new StoreNotFoundError(`group ${gid} does not exist`);
  }

  // ---------------------------------------------------------------------------------------------- users

  async createUser(user: UserRecord): Promise<void> {
    const q = user.mt_messaging_cred.quotas;
    const r = await this.#run('sgCreateUser', [
      user.uid,
      user.username,
      user.gid,
      userJson(user),
      q.balance === null ? '' : String(toMicros(q.balance)),
      q.sms_count === null ? '' : String(q.sms_count),
    ]);
    if (r === 'uid') throw new StoreConflictError(`user ${user.uid} exists`);
    if (r === 'username') throw new StoreConflictError(`username ${user.username} is taken`);
  }

  async getUser(uid: string): Promise<UserRecord | null> {
    const [j, b, s] = await this.#read((c) => c.hmget(this.#k(`user:${uid}`), 'j', 'b', 's'));
    return j === null ? null : parseUser(j, b, s);
  }

  async getUserByUsername(username: string): Promise<UserRecord | null> {
    const uid = await this.#read((c) => c.hget(this.#k('usernames'), username));
    return uid === null ? null : this.getUser(uid);
  }

  async listUsers(): Promise<UserRecord[]> {
    const uids = (await this.#read((c) => c.smembers(this.#k('users')))).sort();
    const users = await Promise.all(uids.map((uid) => this.getUser(uid)));
    return users.filter((u): u is UserRecord => u !== null);
  }

  async updateUser(uid: string, patch: object): Promise<UserRecord> {
    const quotas = (patch as { mt_messaging_cred?: { quotas?: Record<string, unknown> } }).mt_messaging_cred?.quotas;
    // Optimistic: merge in JavaScript (the same deep merge as SQLite), then write only if nobody changed the user
    // meanwhile. Balance and sms_count move apart (charges), so they are written only when the patch names them.
    for (let attempt = 0; attempt < 20; attempt++) {
      const [j, b, s] = await this.#read((c) => c.hmget(this.#k(`user:${uid}`), 'j', 'b', 's'));
      if (j === null) throw new StoreNotFoundError(`user ${uid} does not exist`);
      const merged = mergePatch(parseUser(j, b, s), patch) as UserRecord;
      const mq = merged.mt_messaging_cred.quotas;
      const balanceMode = quotas?.balance === undefined ? 'keep' : mq.balance === null ? 'null' : 'set';
      const smsMode = quotas?.sms_count === undefined ? 'keep' : mq.sms_count === null ? 'null' : 'set';
      const r = (await this.#run('sgReplaceUser', [
        uid,
        j,
        merged.uid,
        merged.username,
        merged.gid,
        userJson(merged),
        balanceMode,
        mq.balance === null ? '' : String(toMicros(mq.balance)),
        smsMode,
        mq.sms_count === null ? '' : String(mq.sms_count),
      ])) as [string, string | number | null, string | number | null];
      switch (r[0]) {
        case 'retry':
          continue;
        case 'nf':
          throw new StoreNotFoundError(`user ${uid} does not exist`);
        case 'username':
          throw new StoreConflictError(`username ${merged.username} is taken`);
        case 'uid':
          throw new StoreConflictError(`user ${merged.uid} exists`);
      }
      mq.balance = r[1] === null || r[1] === undefined ? null : fromMicros(Number(r[1]));
      mq.sms_count = r[2] === null || r[2] === undefined ? null : Number(r[2]);
      return merged;
    }
    throw new StoreUnavailableError(`user ${uid} kept changing during the update; try again`);
  }

  async deleteUser(uid: string): Promise<void> {
    if ((await this.#run('sgDeleteUser', [uid])) === 'nf') throw new StoreNotFoundError(`user ${uid} does not exist`);
  }

  async charge(uid: string, amounts: Amounts, deadline?: number): Promise<ChargeResult> {
    checkAmounts(amounts, 'charge');
    const micros = toMicros(amounts.amount);
    const r = (await this.#runBy('sgCharge', [uid, String(micros), String(amounts.smsCount)], deadline)) as [
      string,
      number | null,
      number | null,
    ];
    if (r[0] === 'nf') throw new StoreNotFoundError(`user ${uid} does not exist`);
    if (r[0] === 'balance' || r[0] === 'sms_count') return { ok: false, reason: r[0] };
    return {
      ok: true,
      balance: r[1] === null || r[1] === undefined ? null : fromMicros(Number(r[1])),
      sms_count: r[2] === null || r[2] === undefined ? null : Number(r[2]),
    };
  }

  async credit(uid: string, amounts: Amounts, deadline?: number): Promise<void> {
    checkAmounts(amounts, 'credit');
    const micros = toMicros(amounts.amount);
    const args = [uid, String(micros), String(amounts.smsCount)];
    // Without a deadline (a refund, a top-up) a credit is kept whenever it runs: late is better than never.
    const r =
      deadline === undefined
        ? await this.#run('sgCredit', [...args, ''])
        : await this.#runBy('sgCredit', args, deadline);
    if (r === 'nf') throw new StoreNotFoundError(`user ${uid} does not exist`);
  }

  // ---------------------------------------------------------------------------------------------- connectors

  async putConnector(connector: ConnectorRecord): Promise<void> {
    const body = JSON.stringify({ type: connector.type, settings: connector.settings });
    await this.#run('sgPutConnector', [connector.cid, body, connector.started ? '1' : '0']);
  }

  async getConnector(cid: string): Promise<ConnectorRecord | null> {
    const [body, started] = await this.#read((c) =>
      Promise.all([c.hget(this.#k('conns'), cid), c.hget(this.#k('connstarted'), cid)]),
    );
    return body === null ? null : connectorOf(cid, body, started);
  }

  async listConnectors(): Promise<ConnectorRecord[]> {
    const [bodies, started] = await this.#read((c) =>
      Promise.all([c.hgetall(this.#k('conns')), c.hgetall(this.#k('connstarted'))]),
    );
    return Object.keys(bodies)
      .sort()
      .map((cid) => connectorOf(cid, bodies[cid], started[cid] ?? null));
  }

  async deleteConnector(cid: string): Promise<void> {
    if ((await this.#run('sgDeleteConnector', [cid])) === 'nf') {
      throw new StoreNotFoundError(`connector ${cid} does not exist`);
    }
  }

  async setConnectorStarted(cid: string, started: boolean): Promise<void> {
    if ((await this.#run('sgSetStarted', [cid, started ? '1' : '0'])) === 'nf') {
      throw new StoreNotFoundError(`connector ${cid} does not exist`);
    }
  }

  // ---------------------------------------------------------------------------------------------- routes

  async putMtRoute(route: MtRoute): Promise<void> {
    await this.#run('sgRoute', ['mt', String(route.order), JSON.stringify(route)]);
  }

  listMtRoutes(): Promise<MtRoute[]> {
    return this.#listRoutes<MtRoute>('mt');
  }

  async deleteMtRoute(order: number): Promise<void> {
    if ((await this.#run('sgRoute', ['mt', String(order), ''])) === 'nf') {
      throw new StoreNotFoundError(`no MT route with order ${order}`);
    }
  }

  async putMoRoute(route: MoRoute): Promise<void> {
    await this.#run('sgRoute', ['mo', String(route.order), JSON.stringify(route)]);
  }

  listMoRoutes(): Promise<MoRoute[]> {
    return this.#listRoutes<MoRoute>('mo');
  }

  async deleteMoRoute(order: number): Promise<void> {
    if ((await this.#run('sgRoute', ['mo', String(order), ''])) === 'nf') {
      throw new StoreNotFoundError(`no MO route with order ${order}`);
    }
  }

  async #listRoutes<R extends { order: number }>(kind: 'mt' | 'mo'): Promise<R[]> {
    const all = await this.#read((c) => c.hvals(this.#k(`${kind}routes`)));
    return all.map((json) => JSON.parse(json) as R).sort((a, b) => b.order - a.order);
  }

  async routesVersion(): Promise<number> {
    return Number((await this.#read((c) => c.get(this.#k('routesver')))) ?? 0);
  }

  // ---------------------------------------------------------------------------------------------- messages

  async acceptMessages(records: MessageRecord[], deadline?: number): Promise<void> {
    if (records.length === 0) return;
    const args: Array<string | Buffer> = [String(records.length)];
    for (const m of records) {
      const { blob, fields } = messageLayout(m);
      const priority = Math.min(255, Math.max(0, Math.trunc(m.priority_flag) || 0));
      args.push(
        m.id,
        String(priority),
        String(m.submitted_at),
        m.uid,
        m.destination_addr,
        m.status,
        m.cid,
        m.schedule_at === null ? '' : String(m.schedule_at),
        m.expires_at === null ? '' : String(m.expires_at),
        blob,
        String(fields.length / 2),
      );
      for (const f of fields) args.push(f);
    }
    const r = (await this.#runBy('sgAccept', args, deadline)) as string[];
    if (r[0] === 'conflict') throw new StoreConflictError(`a message id is already stored: ${r[1]}`);
  }

  async getMessage(id: string): Promise<MessageRecord | null> {
    const [h, blob] = await this.#read((c) =>
      Promise.all([c.hgetallBuffer(this.#k(`m:${id}`)), c.getBuffer(this.#k(`b:${id}`))]),
    );
    if (blob === null || h.status === undefined) return null;
    const flat = Object.entries(h).flatMap(([k, v]) => [Buffer.from(k), v]);
    flat.push(Buffer.from('_b'), blob);
    return parseMessage(flat);
  }

  async updateMessage(id: string, patch: MessagePatch): Promise<MessageRecord | null> {
    const r = (await this.#run('sgPatch', ['1', '1', ...patchArgs(id, patch)], true)) as Buffer[] | null;
    return r === null || !Array.isArray(r) ? null : parseMessage(r);
  }

  async updateMessages(updates: Array<{ id: string; patch: MessagePatch }>): Promise<void> {
    if (updates.length === 0) return;
    const args = [String(updates.length), '0'];
    for (const u of updates) args.push(...patchArgs(u.id, u.patch));
    await this.#run('sgPatch', args);
  }

  async claimMessages(cid: string, max: number, now: number): Promise<MessageRecord[]> {
    // With a deadline like the MT writes: a claim Redis runs after its caller gave up (Redis paused or stuck) would
    // mark parts `sending` that nobody sends until the claim timeout (2 minutes by default) gives them back.
    const r = (await this.#runBy(
      'sgClaim',
      [cid, String(Math.max(0, Math.floor(max))), String(now)],
      undefined,
      true,
    )) as Buffer[][];
    return r.map(parseMessage);
  }

  async releaseMessage(id: string, notBefore: number): Promise<void> {
    await this.#run('sgRelease', [id, String(notBefore)]);
  }

  async recoverInFlight(): Promise<number> {
    return Number(await this.#run('sgRecover', []));
  }

  async recoverConnector(cid: string): Promise<number> {
    return Number(await this.#run('sgRecoverConnector', [cid]));
  }

  async cancelMessage(uid: string, id: string): Promise<OwnedMessageResult> {
    return ownedResult(await this.#run('sgCancel', [uid, id, String(MessageState.DELETED)], true));
  }

  async replaceMessage(uid: string, id: string, patch: MessageReplacement): Promise<OwnedMessageResult> {
    const r = await this.#run(
      'sgReplace',
      [
        uid,
        id,
        patch.short_message,
        String(patch.registered_delivery),
        patch.schedule_at === null ? '' : String(patch.schedule_at),
        patch.expires_at === null ? '' : String(patch.expires_at),
      ],
      true,
    );
    return ownedResult(r);
  }

  async queueDepth(cid: string): Promise<number> {
    return Number((await this.#read((c) => c.hget(this.#k('depth'), cid))) ?? 0);
  }

  async queueDepths(): Promise<Record<string, number>> {
    const all = await this.#read((c) => c.hgetall(this.#k('depth')));
    const out: Record<string, number> = {};
    for (const [cid, n] of Object.entries(all)) if (Number(n) > 0) out[cid] = Number(n);
    return out;
  }

  async expireQueued(now: number): Promise<MessageRecord[]> {
    const r = (await this.#run('sgExpireQueued', [String(now), String(MessageState.EXPIRED)], true)) as Buffer[][];
    return r.map(parseMessage);
  }

  async listMessages(query: MessageQuery): Promise<MessageRecord[]> {
    const found = await this.#scanHistory(query, null, Math.max(1, Math.min(query.limit ?? 100, 10_000)));
    return found.map((f) => f.message);
  }

  /**
   * Parts matching the query, newest first (submitted_at, then acceptance order), after the cursor position. One
   * history index serves the query (by user, else by destination, else all); the other condition filters.
   */
  async #scanHistory(
    query: MessageQuery,
    after: HistoryCursor | null,
    limit: number,
  ): Promise<Array<{ message: MessageRecord; member: string }>> {
    const key =
      query.uid !== undefined
        ? this.#k(`hu:${query.uid}`)
        : query.destination_addr !== undefined
          ? this.#k(`hd:${query.destination_addr}`)
          : this.#k('hall');
    let top = query.to ?? Number.POSITIVE_INFINITY;
    if (after !== null) top = Math.min(top, after[0]);
    const max = top === Number.POSITIVE_INFINITY ? '+inf' : String(top);
    const min = query.from === undefined ? '-inf' : String(query.from);
    const chunk = Math.min(1000, limit * 2 + 2);
    const out: Array<{ message: MessageRecord; member: string }> = [];
    for (let offset = 0; out.length < limit; offset += chunk) {
      const members = (await this.#read((c) =>
        c.call('ZRANGE', key, max, min, 'BYSCORE', 'REV', 'LIMIT', String(offset), String(chunk)),
      )) as string[];
      const found = await Promise.all(members.map((member) => this.getMessage(member.slice(HISTORY_SEQ_DIGITS + 1))));
      for (let i = 0; i < found.length && out.length < limit; i++) {
        const m = found[i];
        if (m === null) continue;
        if (after !== null && m.submitted_at === after[0] && members[i] >= after[1]) continue;
        if (query.uid !== undefined && m.uid !== query.uid) continue;
        if (query.destination_addr !== undefined && m.destination_addr !== query.destination_addr) continue;
        out.push({ message: m, member: members[i] });
      }
      if (members.length < chunk) break;
    }
    return out;
  }

  async queueStats(): Promise<Record<string, QueueStat>> {
    const flat = (await this.#run('sgQueueStats', [])) as string[];
    const out: Record<string, QueueStat> = {};
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const depth = Number(flat[i + 1]);
      if (depth > 0) out[flat[i]] = { depth, oldest_at: flat[i + 2] === '' ? null : Number(flat[i + 2]) };
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------- history

  async appendHistory(events: HistoryEvent[]): Promise<void> {
    if (events.length === 0) return;
    const args = [String(events.length)];
    for (const e of events) {
      args.push(e.message_id, String(e.at), `${e.at}\t${e.type}\t${payloadJson(e.data)}`);
    }
    await this.#run('sgAppendHistory', args);
  }

  async messageHistory(id: string): Promise<MessageHistory | null> {
    const message = await this.getMessage(id);
    return message === null ? null : this.#withEvents(message);
  }

  async #withEvents(message: MessageRecord): Promise<MessageHistory> {
    const raw = await this.#read((c) => c.lrange(this.#k(`ev:${message.id}`), 0, -1));
    const stored = raw.map((line): HistoryEvent => {
      const a = line.indexOf('\t');
      const b = line.indexOf('\t', a + 1);
      return {
        message_id: message.id,
        at: Number(line.slice(0, a)),
        type: line.slice(a + 1, b) as HistoryEvent['type'],
        data: parsePayload(line.slice(b + 1)),
      };
    });
    // A stable sort: events of one time keep their append order, after the acceptance.
    return { message, events: [acceptedEvent(message), ...stored].sort(byTime) };
  }

  async queryHistory(query: HistoryQuery): Promise<HistoryPage> {
    const after = query.cursor === undefined || query.cursor === '' ? null : decodeCursor(query.cursor);
    const limit = Math.max(1, Math.min(query.limit ?? 50, 1000));
    // One more than asked tells whether another page exists.
    const found = await this.#scanHistory(query, after, limit + 1);
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: await Promise.all(page.map((f) => this.#withEvents(f.message))),
      next_cursor: found.length > limit ? encodeCursor([last.message.submitted_at, last.member]) : null,
    };
  }

  async pruneHistory(before: number): Promise<number> {
    let deleted = 0;
    // Small scripts in a row, so other nodes' calls run in between.
    for (const script of ['sgPruneEvents', 'sgPruneMessages'] as const) {
      for (;;) {
        const [looked, n] = (await this.#run(script, [String(before), String(PRUNE_BATCH)])) as [number, number];
        deleted += Number(n);
        if (Number(looked) < PRUNE_BATCH) break;
      }
    }
    return deleted;
  }

  // ---------------------------------------------------------------------------------------------- receipt map

  async putReceiptMaps(entries: ReceiptMapEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const args = [this.#grace, String(entries.length)];
    for (const e of entries) {
      args.push(receiptMapSuffix(e.cid, e.upstream_id), `${e.expires_at}\t${e.message_id}`, String(e.expires_at));
    }
    await this.#run('sgPutReceiptMaps', args);
  }

  async getReceiptMap(cid: string, upstreamId: string): Promise<ReceiptMapEntry | null> {
    const v = await this.#read((c) => c.get(this.#k(`rm:${receiptMapSuffix(cid, upstreamId)}`)));
    if (v === null) return null;
    const tab = v.indexOf('\t');
    return { cid, upstream_id: upstreamId, message_id: v.slice(tab + 1), expires_at: Number(v.slice(0, tab)) };
  }

  async deleteReceiptMap(cid: string, upstreamId: string): Promise<void> {
    await this.#run('sgDeleteReceiptMap', [receiptMapSuffix(cid, upstreamId)]);
  }

  async expireReceiptMaps(now: number): Promise<number> {
    return Number(await this.#run('sgExpireReceiptMaps', [String(now)]));
  }

  // ---------------------------------------------------------------------------------------------- deliveries

  async enqueueDeliveries(items: NewDelivery[]): Promise<number[]> {
    if (items.length === 0) return [];
    const args = [String(items.length)];
    for (const d of items) {
      args.push(d.uid, d.kind, payloadJson(d.payload), String(d.created_at), String(d.expires_at));
    }
    return ((await this.#run('sgEnqueue', args)) as number[]).map(Number);
  }

  async peekDeliveries(uid: string, max: number, now: number, afterSeq?: number): Promise<DeliveryRecord[]> {
    if (max < 1) return [];
    const args = [uid, String(Math.floor(max)), String(now)];
    if (afterSeq !== undefined) args.push(String(Math.floor(afterSeq)));
    const r = (await this.#run('sgPeek', args)) as string[][];
    return r.map(parseDelivery);
  }

  async ackDelivery(uid: string, seq: number): Promise<void> {
    await this.#run('sgAck', [uid, String(seq)]);
  }

  async retryDelivery(uid: string, seq: number, notBefore: number): Promise<void> {
    await this.#run('sgRetry', [uid, String(seq), String(notBefore)]);
  }

  async expireDeliveries(now: number): Promise<DeliveryRecord[]> {
    const r = (await this.#run('sgExpireDeliveries', [String(now)])) as string[][];
    return r.map(parseDelivery).sort((a, b) => a.seq - b.seq);
  }

  async pendingDeliveries(uid: string): Promise<number> {
    return this.#read((c) => c.zcard(this.#k(`dq:${uid}`)));
  }

  async usersWithDeliveries(now: number): Promise<string[]> {
    const uids = (await this.#read((c) => c.call('ZRANGE', this.#k('dusers'), '-inf', String(now), 'BYSCORE'))) as
      | string[]
      | null;
    return (uids ?? []).sort();
  }

  // ---------------------------------------------------------------------------------------------- changes, lifecycle

  watchChanges(listener: (change: StoreChange) => void): () => void {
    this.#listeners.add(listener);
    if (this.#subscriber === null && !this.#closed) this.#subscribe();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** One subscriber connection per store; after a reconnect every kind is announced, since changes were missed. */
  #subscribe(): void {
    const channel = this.#k('changes');
    const sub = this.#client.duplicate({ enableOfflineQueue: true, lazyConnect: false, enableAutoPipelining: false });
    this.#subscriber = sub;
    sub.on('error', () => {
      // Reconnects by itself; missed changes are announced on the next 'ready'.
    });
    let readies = 0;
    sub.on('ready', () => {
      if (readies++ === 0) return;
      for (const kind of ['accounts', 'routes', 'connectors'] as const) this.#emit({ kind });
    });
    sub.on('message', (ch: string, text: string) => {
      if (ch !== channel) return;
      let change: StoreChange;
      try {
        const parsed = JSON.parse(text) as { kind?: unknown; id?: unknown };
        if (parsed.kind !== 'accounts' && parsed.kind !== 'routes' && parsed.kind !== 'connectors') return;
        change = typeof parsed.id === 'string' ? { kind: parsed.kind, id: parsed.id } : { kind: parsed.kind };
      } catch {
        return;
      }
      this.#emit(change);
    });
    sub.subscribe(channel).catch(() => {
      // Resubscribed by ioredis when the connection comes back.
    });
  }

  #emit(change: StoreChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not stop the others nor the subscriber connection.
      }
    }
  }

  /** The server's persistence settings: `appendfsync always` is what makes every resolved write survive a crash. */
  async durability(): Promise<RedisDurability> {
    const [appendonly, appendfsync] = await Promise.all([
      this.#read((c) => c.call('CONFIG', 'GET', 'appendonly')),
      this.#read((c) => c.call('CONFIG', 'GET', 'appendfsync')),
    ]);
    const value = (reply: unknown) =>
      Array.isArray(reply) ? String(reply[1]) : String(Object.values(reply as object)[0]);
    return { appendonly: value(appendonly), appendfsync: value(appendfsync) };
  }

  /** Redis's memory in use (bytes) and the CPU it has used (µs, user + system), for benchmarks and status pages. */
  async serverUsage(): Promise<{ memoryBytes: number; cpuMicros: number }> {
    const info = await this.#read((c) => c.info());
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
    return {
      memoryBytes: field('used_memory'),
      cpuMicros: Math.round((field('used_cpu_user') + field('used_cpu_sys')) * 1e6),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#subscriber?.disconnect();
    if (this.#nodeTimer !== null) clearInterval(this.#nodeTimer);
    try {
      // The PING joins the auto-pipeline after every call already made, so its answer means they were all answered.
      await this.#client.ping();
      const free = this.#scripts.sgNodeFree as unknown as (key: string, token: string) => Promise<number>;
      await free.call(this.#client, this.#k(`node:${this.nodeId}`), this.#nodeToken);
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }
}

/** Digits of the zero-padded acceptance seq that starts a history member (`<seq>:<id>`). */
const HISTORY_SEQ_DIGITS = 16;

/** Parts looked at per pruning script. */
const PRUNE_BATCH = 500;

/** Where a history page ended: the last part's submitted_at and history member. */
type HistoryCursor = [number, string];

function encodeCursor(cursor: HistoryCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(cursor: string): HistoryCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !Number.isSafeInteger(parsed[0]) ||
    typeof parsed[1] !== 'string' ||
    parsed[1].length <= HISTORY_SEQ_DIGITS
  ) {
    throw new RangeError(`not a history cursor: ${JSON.stringify(cursor)}`);
  }
  return [parsed[0] as number, parsed[1] as string];
}

function connectorOf(cid: string, body: string, started: string | null): ConnectorRecord {
  const { type, settings } = JSON.parse(body) as Pick<ConnectorRecord, 'type' | 'settings'>;
  return { cid, type, started: started === '1', settings };
}

/** The receipt-map key suffix of one entry; the cid's length makes it unambiguous whatever the ids contain. */
function receiptMapSuffix(cid: string, upstreamId: string): string {
  return `${cid.length}:${cid}:${upstreamId}`;
}

function ownedResult(reply: unknown): OwnedMessageResult {
  if (Array.isArray(reply)) return { ok: true, message: parseMessage(reply as Buffer[]) };
  return { ok: false, reason: String(reply) as OwnedMessageRefusal };
}
