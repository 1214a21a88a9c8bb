// Bearer-token authentication (RFC 6750 §2.1). The presented token and the expected one are both hashed to
// SHA-256 before `timingSafeEqual`, so the comparison takes the same time whatever the presented length: neither
// the token's length nor a matching prefix leaks through timing. Wrong tokens can be slowed down per peer address
// (TokenFailureDelay); the delay comes after the comparison and only on a failure, so the right token never waits.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m === null ? null : m[1];
}

/** A checker for one expected token: true when the request's bearer token is it (constant time). */
export function createBearerCheck(expected: string): (req: IncomingMessage) => boolean {
  if (expected === '') throw new RangeError('the bearer token must not be empty');
  const expectedDigest = digest(expected);
  return (req) => {
    const presented = bearerToken(req.headers.authorization);
    if (presented === null) return false;
    return timingSafeEqual(digest(presented), expectedDigest);
  };
}

/** Options of TokenFailureDelay. */
export interface TokenFailureDelayOptions {
  /** Delay of the second wrong token in a row from one address (the first is answered at once); 0 disables. */
  baseMs: number;
  /** Ceiling. Default 8,000 ms. */
  maxMs?: number;
  /** An address with no wrong token for this long starts afresh. Default 10 minutes. */
  forgetMs?: number;
  /** Addresses remembered at most, the one with the oldest failure forgotten first. Default 10,000. */
  maxAddresses?: number;
  /** Epoch milliseconds (tests). */
  now?: () => number;
  /** Told of each delayed failure (the composition root logs it). */
  onDelay?: (peer: string, delayMs: number, failures: number) => void;
}

interface TokenFailures {
  count: number;
  lastAt: number;
}

/**
 * The slow-down of wrong admin tokens, per peer address, as the SMPP bind slow-down: the n-th wrong token in a row
 * from one address is answered after min(baseMs·2^(n−2), maxMs). A right token is never delayed and does not clear
 * the count (on a shared address, a scraper's successes must not reset a guesser's). Bounded memory: a map in
 * order of last failure, entries expire after `forgetMs` and the oldest goes beyond `maxAddresses`.
 */
export class TokenFailureDelay {
  readonly #o: Required<Omit<TokenFailureDelayOptions, 'onDelay'>> & Pick<TokenFailureDelayOptions, 'onDelay'>;
  readonly #failures = new Map<string, TokenFailures>();

  constructor(options: TokenFailureDelayOptions) {
    this.#o = {
      baseMs: options.baseMs,
      maxMs: options.maxMs ?? 8000,
      forgetMs: options.forgetMs ?? 600_000,
      maxAddresses: options.maxAddresses ?? 10_000,
      now: options.now ?? Date.now,
      onDelay: options.onDelay,
    };
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.#failures.size;
  }

  /** Counts a wrong token from `peer`; returns how long to hold its answer (ms). */
  failed(peer: string): number {
    const o = this.#o;
    if (o.baseMs <= 0) return 0;
    const now = o.now();
    let rec = this.#failures.get(peer);
    if (rec !== undefined) this.#failures.delete(peer); // re-inserted below: the map stays in order of last failure
    if (rec !== undefined && now - rec.lastAt > o.forgetMs) rec = undefined;
    // Drop what expired from the old end, then the oldest beyond the cap.
    for (const [key, r] of this.#failures) {
      if (now - r.lastAt <= o.forgetMs && this.#failures.size < o.maxAddresses) break;
      this.#failures.delete(key);
    }
    rec ??= { count: 0, lastAt: now };
    rec.count++;
    rec.lastAt = now;
    this.#failures.set(peer, rec);
    const delay = rec.count <= 1 ? 0 : Math.min(o.maxMs, o.baseMs * 2 ** (rec.count - 2));
    if (delay > 0) o.onDelay?.(peer, delay, rec.count);
    return delay;
  }
}

/**
 * Like createBearerCheck, with the slow-down: true for the right token and false when no bearer token was presented
 * (nothing was guessed), both synchronously; for a wrong one, false, or a promise of false resolving once the
 * address's delay is over. Synchronous when nothing is held, so an answer that needs no delay goes out in the same
 * tick as before (a client that sends a body Node cannot frame still gets its 401, not the parser's 400).
 */
export function createSlowedBearerCheck(
  expected: string,
  failures: TokenFailureDelay | undefined,
): (req: IncomingMessage) => boolean | Promise<false> {
  const check = createBearerCheck(expected);
  return (req) => {
    if (check(req)) return true;
    if (failures === undefined || bearerToken(req.headers.authorization) === null) return false;
    return holdFailure(failures, req)?.then(() => false) ?? false;
  };
}

/** Counts a wrong token from the request's peer; a promise that resolves after its delay, or undefined for none. */
export function holdFailure(failures: TokenFailureDelay, req: IncomingMessage): Promise<void> | undefined {
  const delay = failures.failed(req.socket?.remoteAddress ?? '');
  if (delay <= 0) return undefined;
  return new Promise<void>((resolve) => setTimeout(resolve, delay));
}

/** The 401 answer for a missing or wrong token. */
export function unauthorized(): HttpError {
  return new HttpError(401, 'missing or invalid bearer token (Authorization: Bearer <token>)', {
    headers: { 'WWW-Authenticate': 'Bearer realm="smppgate"' },
  });
}
