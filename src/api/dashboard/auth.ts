// Dashboard authentication. A browser cannot put a bearer header on a page load or on an EventSource, so the admin
// token is presented once (the login form, or `?token=` on a link) and exchanged for a session: a random id in an
// HttpOnly, SameSite=Strict cookie, kept in memory with an expiry. Scripts may still send the bearer header.
// Tokens are compared as SHA-256 digests with timingSafeEqual, so neither length nor a matching prefix leaks.
// State-changing requests carry a per-session CSRF token and, when the browser sends one, a same-origin Origin.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { bearerToken } from '../http/auth.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'smppgate_dashboard';

/** The header the page sends its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** One logged-in browser. */
export interface DashboardSession {
  /** The cookie value (256 random bits, base64url). */
  readonly id: string;
  /** The token the page echoes in CSRF_HEADER on actions (256 random bits, base64url). */
  readonly csrf: string;
  /** Epoch milliseconds after which the session is gone. */
  readonly expiresAt: number;
}

/** Who a request is: a browser session, a script with the bearer token, or nobody. */
export type Principal = { kind: 'session'; session: DashboardSession } | { kind: 'bearer' } | null;

/** Options of DashboardAuth. */
export interface DashboardAuthOptions {
  /** The admin token (`[admin] token`); must not be empty. */
  token: string;
  /** Session lifetime (default 12 h). */
  ttlMs?: number;
  /** Sessions kept at most; the oldest is dropped beyond (default 1000). */
  maxSessions?: number;
  /** Epoch milliseconds (tests). */
  now?: () => number;
  /** The constant-time comparison of two equal-length digests (tests spy on it). */
  equal?: (a: Buffer, b: Buffer) => boolean;
}

const DEFAULT_TTL_MS = 12 * 3600_000;

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** The value of cookie `name` in a Cookie header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Sessions and token checks of one dashboard. */
export class DashboardAuth {
  readonly #expected: Buffer;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #equal: (a: Buffer, b: Buffer) => boolean;
  /** Keyed by the SHA-256 of the session id, so a lookup's timing says nothing about the id itself. */
  readonly #sessions = new Map<string, DashboardSession>();

  /** Checks against `options.token`. */
  constructor(options: DashboardAuthOptions) {
    if (options.token === '') throw new RangeError('the admin token must not be empty');
    this.#expected = digest(options.token);
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#max = options.maxSessions ?? 1000;
    this.#now = options.now ?? Date.now;
    this.#equal = options.equal ?? timingSafeEqual;
  }

  /** Whether `presented` is the admin token (constant time). */
  tokenMatches(presented: string): boolean {
    return this.#equal(digest(presented), this.#expected);
  }

  /** A new session when `presented` is the admin token, else null. */
  login(presented: string): DashboardSession | null {
    if (!this.tokenMatches(presented)) return null;
    this.#prune();
    while (this.#sessions.size >= this.#max) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const session: DashboardSession = {
      id: randomBytes(32).toString('base64url'),
      csrf: randomBytes(32).toString('base64url'),
      expiresAt: this.#now() + this.#ttlMs,
    };
    this.#sessions.set(digest(session.id).toString('hex'), session);
    return session;
  }

  /** The live session the request's cookie names, or null. */
  sessionOf(req: IncomingMessage): DashboardSession | null {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (id === null || id === '') return null;
    const key = digest(id).toString('hex');
    const session = this.#sessions.get(key);
    if (session === undefined) return null;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(key);
      return null;
    }
    return session;
  }

  /** Who the request is: the cookie's session first, then the bearer header. */
  principal(req: IncomingMessage): Principal {
    const session = this.sessionOf(req);
    if (session !== null) return { kind: 'session', session };
    const presented = bearerToken(req.headers.authorization);
    if (presented !== null && this.tokenMatches(presented)) return { kind: 'bearer' };
    return null;
  }

  /** Ends the request's session, if any. */
  logout(req: IncomingMessage): void {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (id !== null) this.#sessions.delete(digest(id).toString('hex'));
  }

  /** Whether `presented` is the session's CSRF token (constant time). */
  csrfMatches(session: DashboardSession, presented: string | undefined): boolean {
    if (presented === undefined || presented === '') return false;
    return this.#equal(digest(presented), digest(session.csrf));
  }

  /** The Set-Cookie value that installs `session`. */
  cookie(session: DashboardSession): string {
    const maxAge = Math.max(0, Math.floor((session.expiresAt - this.#now()) / 1000));
    return `${SESSION_COOKIE}=${session.id}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`;
  }

  /** The Set-Cookie value that removes the session cookie. */
  clearCookie(): string {
    return `${SESSION_COOKIE}=; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  /** Sessions alive now. */
  get size(): number {
    this.#prune();
    return this.#sessions.size;
  }

  #prune(): void {
    const now = this.#now();
    for (const [key, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(key);
  }
}

/**
 * Whether a state-changing request comes from our own page: a cross-site Sec-Fetch-Site, or an Origin whose host is
 * not the request's Host, is refused. A request without either (curl, a script) passes: it carries no ambient cookie
 * a third-party page could have made it send, and the cookie is SameSite=Strict anyway.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (origin === 'null') return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
