// Accounts as the running gateway sees them (SPEC.md §2 bind row, §3): users and groups cached from the store, the
// SMPP server's authenticator, and the per-submit "is this account still active" check.
//
// The cache is explicit: everything the store answered stays until `invalidate()` (the admin API calls it after any
// change to users or groups), so a change applies at once to sessions already bound — the next submit reads the new
// record — without a store round trip per submit. Balances are NOT read from the cache: the store's atomic `charge`
// decides credit (pipeline.ts).

import { CommandStatus } from '../smpp/codec/index.js';
import type { ServerPrincipal } from '../smpp/server/server.js';

import type { BindResult, BindRequest as SessionBindRequest } from '../smpp/session/session.js';
import type { Group, UserRecord } from '../store/model.js';
import type { Store } from '../store/store.js';
import { checkBind } from './credentials.js';
import { PasswordVerifier } from './password.js';
import type { GatewayLogger } from './pipeline.js';

/** The account a session bound as: what the server's registry and the MT handlers need to know about it. */
export interface GatewayPrincipal extends ServerPrincipal {
  /** The user's uid (the server keys its registry and counters by it). */
  readonly id: string;
  /** The SMPP system_id the user bound with. */
  readonly username: string;
  /** Quota `max_bindings` at bind time; the server admits binds against it synchronously (no race). */
  readonly maxBindings: number | null;
}

/** The store methods Accounts reads. */
export type AccountsStore = Pick<Store, 'getUser' | 'getUserByUsername' | 'getGroup'>;

/** Options of Accounts. */
export interface AccountsOptions {
  store: AccountsStore;
  /** Verifies bind passwords (scrypt with a cache of successes); default a new PasswordVerifier. */
  verifier?: PasswordVerifier;
  /** Binds the user holds right now, all types counted (the server's registry); default none. */
  bindingCount?: (uid: string) => number;
  logger: GatewayLogger;
}

/** An account that may submit now, or why it may not. */
export type ActiveAccount = { ok: true; user: UserRecord; group: Group } | { ok: false; reason: string };

/**
 * Users and groups from the store, cached until `invalidate()`; the SMPP server's authenticator; the per-submit
 * check that a bound account is still enabled.
 */
export class Accounts {
  readonly #store: AccountsStore;
  readonly #verifier: PasswordVerifier;
  readonly #log: GatewayLogger;
  #bindingCount: (uid: string) => number;
  // Values and in-flight loads share one map per key space: a Promise until the store answers, then the value.
  // invalidate() replaces the maps, so a load that started before it lands in a map nobody reads any more.
  #byUid = new Map<string, UserRecord | null | Promise<UserRecord | null>>();
  #byUsername = new Map<string, UserRecord | null | Promise<UserRecord | null>>();
  #groups = new Map<string, Group | null | Promise<Group | null>>();
  // The outcome of active() per uid, so that a submit of a cached account needs no await at all.
  #active = new Map<string, ActiveAccount>();

  /** Creates the account cache over `store`. */
  constructor(options: AccountsOptions) {
    this.#store = options.store;
    this.#verifier = options.verifier ?? new PasswordVerifier();
    this.#bindingCount = options.bindingCount ?? (() => 0);
    this.#log = options.logger;
  }

  /** Sets how the current binding count of a user is learnt (the server exists after the gateway). */
  setBindingCount(fn: (uid: string) => number): void {
    this.#bindingCount = fn;
  }

  /** Forgets every cached user and group: the next bind or submit reads the store again. */
  invalidate(): void {
    this.#byUid = new Map();
    this.#byUsername = new Map();
    this.#groups = new Map();
    this.#active = new Map();
  }

  /** The user with this uid (cached), or null. */
  user(uid: string): Promise<UserRecord | null> | UserRecord | null {
    return cached(this.#byUid, uid, () => this.#store.getUser(uid));
  }

  /** The user with this username (SMPP system_id), cached, or null. */
  userByUsername(username: string): Promise<UserRecord | null> | UserRecord | null {
    return cached(this.#byUsername, username, () => this.#store.getUserByUsername(username));
  }

  /** The group with this gid (cached), or null. */
  group(gid: string): Promise<Group | null> | Group | null {
    return cached(this.#groups, gid, () => this.#store.getGroup(gid));
  }

  /**
   * Whether a bound account may submit now: the user still exists and is enabled and so is its group. Disabling a
   * user or a group (or deleting it) takes effect on the next submit of sessions already bound.
   */
  async active(uid: string): Promise<ActiveAccount> {
    const cache = this.#active;
    const result = await this.#checkActive(uid);
    cache.set(uid, result);
    return result;
  }

  /** What active() last answered for `uid`, if nothing changed since; undefined when it must be asked. */
  activeNow(uid: string): ActiveAccount | undefined {
    return this.#active.get(uid);
  }

  async #checkActive(uid: string): Promise<ActiveAccount> {
    const user = await this.user(uid);
    if (user === null) return { ok: false, reason: `user ${uid} no longer exists` };
    if (!user.enabled) return { ok: false, reason: `user ${user.username} is disabled` };
    const group = await this.group(user.gid);
    if (group === null) return { ok: false, reason: `group ${user.gid} of ${user.username} no longer exists` };
    if (!group.enabled) return { ok: false, reason: `group ${group.gid} of ${user.username} is disabled` };
    return { ok: true, user, group };
  }

  /**
   * The SMPP server's authenticator (SPEC.md §2): unknown user, wrong password, disabled user or group →
   * ESME_RINVPASWD; bind not allowed, IP not allowed, max_bindings reached → ESME_RBINDFAIL; a store that fails →
   * ESME_RSYSERR. The password is verified even for an unknown user, so timing does not tell which names exist.
   */
  readonly authenticate = async (request: SessionBindRequest): Promise<BindResult<GatewayPrincipal>> => {
    const { system_id: username, peerAddress } = request;
    try {
      const user = await this.userByUsername(username);
      const passwordOk = await this.#verifier.verify(username, request.password, user?.password_hash ?? null);
      const group = user === null ? null : await this.group(user.gid);
      const count = user === null ? 0 : this.#bindingCount(user.uid);
      const check = checkBind(user, group, peerAddress, count, passwordOk);
      if (!check.ok) {
        this.#log.info('bind_refused', {
          system_id: username,
          peer: peerAddress,
          bind_type: request.bindType,
          status: check.status,
          reason: check.reason,
        });
        return { status: CommandStatus[check.status] };
      }
      const u = user as UserRecord;
      return {
        status: CommandStatus.ESME_ROK,
        principal: { id: u.uid, username: u.username, maxBindings: u.smpps_cred.quotas.max_bindings },
      };
    } catch (error) {
      this.#log.error('bind_store_error', {
        system_id: username,
        peer: peerAddress,
        error: error instanceof Error ? error.message : String(error),
      });
      return { status: CommandStatus.ESME_RSYSERR };
    }
  };
}

/** The cached value of `key`, or a load shared by every caller until it settles (a failed load is not kept). */
function cached<T>(map: Map<string, T | Promise<T>>, key: string, load: () => Promise<T>): T | Promise<T> {
  const hit = map.get(key);
  if (hit !== undefined) return hit;
  const pending: Promise<T> = load().then(
    (value) => {
      if (map.get(key) === pending) map.set(key, value);
      return value;
    },
    (error: unknown) => {
      if (map.get(key) === pending) map.delete(key);
      throw error;
    },
  );
  map.set(key, pending);
  return pending;
}
