// Password hashing for SMPP and HTTP API users (SPEC.md §3): scrypt with a per-user random salt.
//
// Parameters: N=16384 (2^14), r=8, p=1, 32-byte key, 16-byte salt. That is 16 MiB of memory and ~40–60 ms of one
// libuv worker per hash on a small server: Percival's recommendation for interactive logins, expensive enough that
// a stolen store cannot be brute-forced cheaply, cheap enough that a storm of binds does not starve the thread pool
// (with PasswordVerifier's cache, a storm of 1,000 binds of one user costs one hash). Stronger parameters (OWASP's
// N=2^17) would cost 128 MiB and ~0.4 s per bind. The parameters are stored in each hash, so they can be raised
// later: old hashes keep verifying and `needsRehash` tells the caller to re-hash on the next successful bind.

import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt parameters of new hashes. */
export const SCRYPT_PARAMS = { N: 16384, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

// Bounds on the parameters read back from a stored hash, so that a corrupted or hostile record cannot make one
// verification allocate gigabytes or run for minutes.
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_KEY_LENGTH = 128;

/** A stored password hash that cannot be read (wrong prefix, bad numbers, bad base64, out-of-range parameters). */
export class PasswordHashFormatError extends Error {
  override readonly name = 'PasswordHashFormatError';
}

/** The parts of an encoded `scrypt$N$r$p$salt$hash` string. */
export interface ParsedPasswordHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function scryptAsync(password: Buffer, salt: Buffer, keyLength: number, N: number, r: number, p: number) {
  return new Promise<Buffer>((resolve, reject) => {
    // scrypt needs 128·N·r bytes; leave headroom above Node's 32 MiB default for the larger parameters we accept.
    const maxmem = 128 * N * r + 1024 * 1024;
    scrypt(password, salt, keyLength, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DECIMAL = /^[1-9][0-9]{0,9}$/;

/** Reads an encoded hash; throws PasswordHashFormatError when it is not one this module wrote. */
export function parsePasswordHash(encoded: string): ParsedPasswordHash {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw new PasswordHashFormatError('not an scrypt$N$r$p$salt$hash');
  const [, n, r, p, salt, hash] = parts;
  if (!DECIMAL.test(n) || !DECIMAL.test(r) || !DECIMAL.test(p)) throw new PasswordHashFormatError('bad parameters');
  const N = Number(n);
  const R = Number(r);
  const P = Number(p);
  // scrypt requires N to be a power of two greater than 1.
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0) throw new PasswordHashFormatError(`N out of range: ${n}`);
  if (R > MAX_R) throw new PasswordHashFormatError(`r out of range: ${r}`);
  if (P > MAX_P) throw new PasswordHashFormatError(`p out of range: ${p}`);
  if (!BASE64.test(salt) || !BASE64.test(hash)) throw new PasswordHashFormatError('bad base64');
  const saltBytes = Buffer.from(salt, 'base64');
  const hashBytes = Buffer.from(hash, 'base64');
  if (saltBytes.length < 8) throw new PasswordHashFormatError('salt too short');
  if (hashBytes.length < 16 || hashBytes.length > MAX_KEY_LENGTH) throw new PasswordHashFormatError('bad hash length');
  return { N, r: R, p: P, salt: saltBytes, hash: hashBytes };
}

/** Hashes a password (UTF-8, any length) with a fresh random salt; `salt` is for tests only. */
export async function hashPassword(password: string, salt: Buffer = randomBytes(SCRYPT_PARAMS.saltLength)) {
  const { N, r, p, keyLength } = SCRYPT_PARAMS;
  const key = await scryptAsync(Buffer.from(password, 'utf8'), salt, keyLength, N, r, p);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when the password matches the encoded hash (constant-time compare); false for a malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  let parsed: ParsedPasswordHash;
  try {
    parsed = parsePasswordHash(encoded);
  } catch {
    return false;
  }
  const key = await scryptAsync(
    Buffer.from(password, 'utf8'),
    parsed.salt,
    parsed.hash.length,
    parsed.N,
    parsed.r,
    parsed.p,
  );
  return timingSafeEqual(key, parsed.hash);
}

/** True when an encoded hash uses other parameters than new hashes would (re-hash after a successful verify). */
export function needsRehash(encoded: string): boolean {
  try {
    const { N, r, p, hash, salt } = parsePasswordHash(encoded);
    return (
      N !== SCRYPT_PARAMS.N ||
      r !== SCRYPT_PARAMS.r ||
      p !== SCRYPT_PARAMS.p ||
      hash.length !== SCRYPT_PARAMS.keyLength ||
      salt.length !== SCRYPT_PARAMS.saltLength
    );
  } catch {
    return true;
  }
}

/** Options of a PasswordVerifier. */
export interface PasswordVerifierOptions {
  /** Most users remembered at once (least recently used forgotten first). Default 10,000. */
  maxEntries?: number;
  /** The HMAC key; default 32 random bytes per process. For tests only. */
  hmacKey?: Buffer;
  /** Runs the slow verification; default verifyPassword. Injected by tests to count scrypt runs. */
  verify?: (password: string, encoded: string) => Promise<boolean>;
}

interface CacheEntry {
  /** The stored hash the password was verified against: a changed hash invalidates the entry. */
  encoded: string;
  /** HMAC-SHA256 of the password under the per-process key. */
  mac: Buffer;
}

/**
 * Verifies bind passwords with a bounded cache of successful verifications, so that a storm of binds (or the
 * second bind of a session pool) does not run scrypt again for a password already proven.
 *
 * The cache holds, per username, the stored hash it was checked against and an HMAC of the password under a key
 * that lives only in this process's memory: never the password, and nothing an attacker who reads a memory dump
 * can use without also brute-forcing the HMAC key. A changed hash (password change) misses; a deleted user
 * (`encoded` null) misses and is forgotten. Only successes are cached: a wrong password always pays full price.
 * Concurrent verifications of the same (username, password, hash) share one scrypt run.
 */
export class PasswordVerifier {
  readonly #maxEntries: number;
  readonly #key: Buffer;
  readonly #verify: (password: string, encoded: string) => Promise<boolean>;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inFlight = new Map<string, Promise<boolean>>();
  #dummyHash: Promise<string> | null = null;

  /** Creates a verifier with its own random HMAC key. */
  constructor(options: PasswordVerifierOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.#key = options.hmacKey ?? randomBytes(32);
    this.#verify = options.verify ?? verifyPassword;
  }

  /** Number of users whose last successful password is remembered. */
  get size(): number {
    return this.#cache.size;
  }

  /**
   * True when `password` is the user's. `encoded` is the stored hash, or null for an unknown user: then the
   * answer is false after the same scrypt work as a real check, so timing does not reveal which usernames exist.
   */
  async verify(username: string, password: string, encoded: string | null): Promise<boolean> {
    const mac = createHmac('sha256', this.#key).update(password, 'utf8').digest();
    if (encoded === null) {
      this.#cache.delete(username);
      await this.#shared(username, mac, await this.#dummy(), password);
      return false;
    }
    const hit = this.#cache.get(username);
    if (hit !== undefined) {
      if (hit.encoded === encoded && timingSafeEqual(hit.mac, mac)) {
        // Refresh recency: Map keeps insertion order, so the first key is the least recently used.
        this.#cache.delete(username);
        this.#cache.set(username, hit);
        return true;
      }
      if (hit.encoded !== encoded) this.#cache.delete(username);
    }
    const ok = await this.#shared(username, mac, encoded, password);
    if (ok) {
      this.#cache.delete(username);
      this.#cache.set(username, { encoded, mac });
      while (this.#cache.size > this.#maxEntries) {
        const oldest = this.#cache.keys().next().value;
        if (oldest === undefined) break;
        this.#cache.delete(oldest);
      }
    }
    return ok;
  }

  /** Forgets a user (password changed, user deleted or disabled). */
  invalidate(username: string): void {
    this.#cache.delete(username);
  }

  /** Forgets everyone. */
  clear(): void {
    this.#cache.clear();
  }

  #shared(username: string, mac: Buffer, encoded: string, password: string): Promise<boolean> {
    const key = `${username}\0${mac.toString('base64')}\0${encoded}`;
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = this.#verify(password, encoded).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= hashPassword(randomBytes(16).toString('base64'));
    return this.#dummyHash;
  }
}
