// The live dashboard on the admin port (SPEC.md §6), mounted under /dashboard in front of the admin API: a login
// that turns the admin token into a session cookie, one page with its own script and style (every byte served from
// here, under a strict Content-Security-Policy), a server-sent event stream of snapshots, the message lookup and
// connector start/stop. The handler answers only paths under /dashboard and says so by returning true.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { mapStoreError } from '../admin/api.js';
import { type AdminLogger, silentLogger } from '../admin/deps.js';
import { bearerToken, holdFailure, type TokenFailureDelay } from '../http/auth.js';
import { readBody } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import { requestUrl } from '../http/target.js';
import { CLIENT_JS } from './assets/client.js';
import { dashboardPage, FAVICON_SVG, loginPage } from './assets/page.js';
import { STYLE_CSS } from './assets/style.js';
import { CSRF_HEADER, DashboardAuth, type Principal, sameOrigin } from './auth.js';
import { LiveFeed } from './feed.js';
import { type DashboardSource, UnknownConnectorError } from './source.js';
import { sseComment, sseFrame, sseRetry } from './sse.js';

/** Where the dashboard is mounted. */
export const DASHBOARD_PATH = '/dashboard';

/**
 * The Content-Security-Policy of every dashboard answer: nothing but this origin's own script, style and images, no
 * inline code, no framing, forms only to here.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // The ?token= link must not leak through a Referer to another site. Not no-referrer: under it the browser sends
  // `Origin: null` on our own form posts, and the login's same-origin check could not tell them from a foreign page.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** Options of createDashboard. */
export interface DashboardOptions {
  source: DashboardSource;
  /** The admin token (`[admin] token`). */
  token: string;
  logger?: AdminLogger;
  /** Snapshot period (default 1000 ms). */
  intervalMs?: number;
  /** Session lifetime (default 12 h). */
  sessionTtlMs?: number;
  /** Epoch milliseconds (tests). */
  now?: () => number;
  /** The constant-time comparison of token digests (tests spy on it). */
  equal?: (a: Buffer, b: Buffer) => boolean;
  /** The admin port's slow-down of wrong tokens (shared with the admin API and /metrics); absent: none. */
  tokenFailures?: TokenFailureDelay;
}

/** The dashboard's request handler: true when it answered (the path is under /dashboard). */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse): boolean;
  /** The live feed (viewers, ticks). */
  readonly feed: LiveFeed;
  /** The sessions. */
  readonly auth: DashboardAuth;
  /** Ends every event stream and stops ticking: call before closing the admin server, or it waits for them. */
  close(): void;
}

/** Largest login form accepted. */
const LOGIN_BODY_LIMIT = 4096;
/** A viewer this far behind (bytes buffered) is cut off rather than buffered without end. */
const SLOW_VIEWER_BYTES = 1024 * 1024;

type Send = (status: number, type: string, body: string | Buffer, headers?: Record<string, string>) => void;

/** Builds the dashboard handler and starts its feed. */
export function createDashboard(options: DashboardOptions): DashboardHandler {
  const log = options.logger ?? silentLogger;
  const auth = new DashboardAuth({
    token: options.token,
    ...(options.sessionTtlMs === undefined ? {} : { ttlMs: options.sessionTtlMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.equal === undefined ? {} : { equal: options.equal }),
  });
  const feed = new LiveFeed({
    source: options.source,
    logger: log,
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const streams = new Set<ServerResponse>();
  const source = options.source;
  feed.start();

  async function route(req: IncomingMessage, res: ServerResponse, url: URL, send: Send): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname.slice(DASHBOARD_PATH.length).replace(/\/+$/, '');

    // `?token=` once: a session cookie, then the same address without the token.
    const linkToken = url.searchParams.get('token');
    if (linkToken !== null && method === 'GET') {
      const session = auth.login(linkToken);
      if (session === null) {
        log.warn('dashboard.login.failed', { peer: peerOf(req), via: 'link' });
        const held = slowed(req);
        if (held !== undefined) await held;
        send(401, 'text/html; charset=utf-8', loginPage('That link does not carry the admin token.'));
        return;
      }
      log.info('dashboard.login', { peer: peerOf(req), via: 'link' });
      url.searchParams.delete('token');
      send(303, 'text/plain; charset=utf-8', 'logged in\n', {
        Location: url.pathname + url.search,
        'Set-Cookie': auth.cookie(session),
      });
      return;
    }

    // Public: the login, and the assets (the source of an open-source page tells nobody anything).
    if (path === '/login') {
      if (method === 'GET') return send(200, 'text/html; charset=utf-8', loginPage(null));
      if (method === 'POST') return login(req, send);
      return send(405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, POST' });
    }
    if (method === 'GET' && path === '/app.js') return send(200, 'text/javascript; charset=utf-8', CLIENT_JS);
    if (method === 'GET' && path === '/app.css') return send(200, 'text/css; charset=utf-8', STYLE_CSS);
    if (method === 'GET' && path === '/favicon.svg') return send(200, 'image/svg+xml', FAVICON_SVG);

    const who = auth.principal(req);
    // A bearer header that is not the token (and no session) is a wrong guess like a failed login.
    if (who === null && bearerToken(req.headers.authorization) !== null) {
      const held = slowed(req);
      if (held !== undefined) await held;
    }
    if (path === '') {
      if (method !== 'GET') return send(405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET' });
      if (who === null) return send(303, 'text/plain; charset=utf-8', 'log in\n', { Location: '/dashboard/login' });
      return send(200, 'text/html; charset=utf-8', dashboardPage(who.kind === 'session' ? who.session.csrf : ''));
    }
    if (who === null) {
      return sendJson(
        send,
        401,
        { error: 'log in at /dashboard/login, or send Authorization: Bearer <token>' },
        {
          'WWW-Authenticate': 'Bearer realm="smppgate"',
        },
      );
    }

    if (path === '/events' && method === 'GET') return openStream(req, res, who);
    if (path === '/api/snapshot' && method === 'GET') {
      const snapshot = feed.latest()?.snapshot ?? (await source.snapshot());
      return sendJson(send, 200, { snapshot, history: feed.history() });
    }
    const lookup = /^\/api\/messages\/([^/]+)$/.exec(path);
    if (lookup !== null && method === 'GET') {
      const id = decodeSegment(lookup[1]);
      if (id === null || id.length === 0 || id.length > 128) {
        return sendJson(send, 400, { error: 'id: not a message id', field: 'id' });
      }
      const found = await source.lookupMessage(id);
      if (found === null) return sendJson(send, 404, { error: `no message "${id}"`, field: 'id' });
      return sendJson(send, 200, found);
    }
    const action = /^\/api\/connectors\/([^/]+)\/(start|stop)$/.exec(path);
    if (action !== null) {
      if (method !== 'POST') return send(405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'POST' });
      if (!actionAllowed(req, who)) {
        log.warn('dashboard.action.forbidden', { peer: peerOf(req), path: url.pathname });
        return sendJson(send, 403, { error: 'cross-site request or missing CSRF token refused' });
      }
      const cid = decodeSegment(action[1]);
      if (cid === null) return sendJson(send, 400, { error: 'cid: not a connector id', field: 'cid' });
      const verb = action[2] as 'start' | 'stop';
      try {
        if (verb === 'start') await source.startConnector(cid);
        else await source.stopConnector(cid);
      } catch (error) {
        if (error instanceof UnknownConnectorError) return sendJson(send, 404, { error: error.message, field: 'cid' });
        throw error;
      }
      log.info(verb === 'start' ? 'dashboard.connector.started' : 'dashboard.connector.stopped', { cid });
      // The next tick shows the new state to every viewer at once, not a second later.
      void feed.tick();
      return sendJson(send, 200, { cid, action: verb });
    }
    if (path === '/logout' && method === 'POST') {
      if (!actionAllowed(req, who)) return sendJson(send, 403, { error: 'cross-site request refused' });
      auth.logout(req);
      return send(303, 'text/plain; charset=utf-8', 'logged out\n', {
        Location: '/dashboard/login',
        'Set-Cookie': auth.clearCookie(),
      });
    }
    return sendJson(send, 404, { error: `no dashboard resource ${url.pathname}` });
  }

  function actionAllowed(req: IncomingMessage, who: Exclude<Principal, null>): boolean {
    if (!sameOrigin(req)) return false;
    // A script with the bearer header carries no ambient credential a foreign page could borrow.
    if (who.kind === 'bearer') return true;
    const presented = req.headers[CSRF_HEADER];
    return auth.csrfMatches(who.session, typeof presented === 'string' ? presented : undefined);
  }

  /**
   * Counts a wrong token; a promise to await when its answer is held, else undefined (then the answer goes in this
   * tick, as before). The right token never gets here.
   */
  function slowed(req: IncomingMessage): Promise<void> | undefined {
    return options.tokenFailures === undefined ? undefined : holdFailure(options.tokenFailures, req);
  }

  async function login(req: IncomingMessage, send: Send): Promise<void> {
    if (!sameOrigin(req)) return send(403, 'text/plain; charset=utf-8', 'cross-site login refused\n');
    const body = await readBody(req, LOGIN_BODY_LIMIT);
    const token = new URLSearchParams(body.toString('utf8')).get('token') ?? '';
    const session = auth.login(token);
    if (session === null) {
      log.warn('dashboard.login.failed', { peer: peerOf(req), via: 'form' });
      const held = slowed(req);
      if (held !== undefined) await held;
      return send(401, 'text/html; charset=utf-8', loginPage('That is not the admin token.'));
    }
    log.info('dashboard.login', { peer: peerOf(req), via: 'form' });
    send(303, 'text/plain; charset=utf-8', 'logged in\n', {
      Location: '/dashboard',
      'Set-Cookie': auth.cookie(session),
    });
  }

  function openStream(req: IncomingMessage, res: ServerResponse, who: Exclude<Principal, null>): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
      // Reverse proxies (nginx) must pass each event on at once.
      'X-Accel-Buffering': 'no',
    });
    res.write(sseRetry(2000));
    res.write(sseFrame({ event: 'history', data: JSON.stringify({ points: feed.history() }) }));
    const latest = feed.latestFrame();
    if (latest !== null) res.write(latest);
    streams.add(res);
    const expiresAt = who.kind === 'session' ? who.session.expiresAt : Number.POSITIVE_INFINITY;
    const now = options.now ?? Date.now;
    const unsubscribe = feed.subscribe((frame) => {
      if (res.writableEnded || res.destroyed) return; // ended here, its 'close' not yet seen
      if (now() >= expiresAt) {
        res.end(sseFrame({ event: 'expired', data: '{}' }));
        return;
      }
      if (res.writableLength > SLOW_VIEWER_BYTES) {
        log.warn('dashboard.viewer.too_slow', { peer: peerOf(req) });
        res.destroy();
        return;
      }
      res.write(frame);
    });
    const done = () => {
      unsubscribe();
      streams.delete(res);
    };
    res.on('close', done);
    res.write(sseComment('connected'));
  }

  const handler = ((req: IncomingMessage, res: ServerResponse): boolean => {
    const url = requestUrl(req);
    if (url === null) return false; // not a path: the admin API answers it
    if (url.pathname !== DASHBOARD_PATH && !url.pathname.startsWith(`${DASHBOARD_PATH}/`)) return false;
    const started = Date.now();
    const send: Send = (status, type, body, headers = {}) => {
      const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      res.writeHead(status, {
        ...SECURITY_HEADERS,
        'Content-Type': type,
        'Content-Length': String(payload.length),
        ...headers,
      });
      res.end(payload);
    };
    route(req, res, url, send)
      .catch((error: unknown) => {
        const mapped = error instanceof HttpError ? error : mapStoreError(error);
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (mapped !== null) {
          sendJson(send, mapped.status, { error: mapped.message }, { ...mapped.headers });
          return;
        }
        log.error('dashboard.request.failed', {
          method: req.method,
          path: url.pathname,
          error: error instanceof Error ? error.message : String(error),
        });
        sendJson(send, 500, { error: 'internal error' });
      })
      .finally(() => {
        if (url.pathname !== `${DASHBOARD_PATH}/events`) {
          log.info('http.request', {
            method: req.method,
            path: url.pathname,
            status: res.statusCode,
            ms: Date.now() - started,
          });
        }
      });
    return true;
  }) as DashboardHandler;

  Object.defineProperties(handler, {
    feed: { value: feed, enumerable: true },
    auth: { value: auth, enumerable: true },
    close: {
      value: () => {
        feed.close();
        for (const res of streams) res.end();
        streams.clear();
      },
      enumerable: true,
    },
  });
  return handler;
}

function sendJson(send: Send, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`, headers);
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function peerOf(req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
}
