// The admin API (SPEC.md §6): JSON over HTTP, a bearer token on every resource but /api/v1/health. The
// composition root creates the server on `[admin] bind/port` and hands it this listener.

import type { RequestListener } from 'node:http';
import { StoreConflictError, StoreInUseError, StoreNotFoundError, StoreUnavailableError } from '../../store/errors.js';
import { VERSION } from '../../version.js';
import { createSlowedBearerCheck, type TokenFailureDelay, unauthorized } from '../http/auth.js';
import { DEFAULT_BODY_LIMIT } from '../http/body.js';
import { HttpError, notFound } from '../http/errors.js';
import { createJsonListener } from '../http/listener.js';
import { Router } from '../http/router.js';
import { registerConnectors } from './connectors.js';
import type { AdminControl } from './control.js';
import { type AdminDeps, type AdminLogger, type AdminStore, silentLogger } from './deps.js';
import { registerGroups } from './groups.js';
import { connectorStats, registerHistory } from './history.js';
import { messageView } from './messageView.js';
import { registerRoutes } from './routes.js';
import { registerUsers } from './users.js';

/** Options of createAdminApi. */
export interface AdminApiOptions {
  store: AdminStore;
  control: AdminControl;
  /** The bearer token clients must present (`[admin] token`); must not be empty. */
  token: string;
  /** The admin port's slow-down of wrong tokens (shared with /metrics and the dashboard); absent: none. */
  tokenFailures?: TokenFailureDelay;
  logger?: AdminLogger;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
}

/** Maps the store's typed errors to HTTP answers; null for anything else (a 500). */
export function mapStoreError(err: unknown): HttpError | null {
  if (err instanceof StoreConflictError || err instanceof StoreInUseError) {
    return new HttpError(409, err.message, { cause: err });
  }
  if (err instanceof StoreNotFoundError) return new HttpError(404, err.message, { cause: err });
  if (err instanceof StoreUnavailableError) {
    return new HttpError(503, 'the store is unavailable; try again', { cause: err, headers: { 'Retry-After': '1' } });
  }
  return null;
}

/** The admin API's routes over the given dependencies. */
export function createAdminRouter(deps: AdminDeps): Router {
  const router = new Router();
  router.add('GET', '/api/v1/health', () => ({ status: 200, body: { status: 'ok', version: VERSION } }));
  registerGroups(router, deps);
  registerUsers(router, deps);
  registerConnectors(router, deps);
  registerRoutes(router, deps);
  registerHistory(router, deps);

  router.add('GET', '/api/v1/messages/:id', async ({ params }) => {
    const message = await deps.store.getMessage(params.id);
    if (message === null) throw notFound('message', params.id, 'id');
    return { status: 200, body: messageView(message) };
  });

  router.add('GET', '/api/v1/binds', async ({ url }) => {
    const uid = url.searchParams.get('uid');
    const binds = await deps.control.listBinds();
    return { status: 200, body: binds.filter((b) => uid === null || b.uid === uid) };
  });

  router.add('GET', '/api/v1/stats', async () => {
    const [stats, queues, connectors] = await Promise.all([
      deps.control.stats(),
      deps.store.queueDepths(),
      connectorStats(deps),
    ]);
    return { status: 200, body: { ...stats, users: stats.users ?? {}, queues, connectors } };
  });
  return router;
}

/** The admin API as a node:http request listener. */
export function createAdminApi(options: AdminApiOptions): RequestListener {
  const deps: AdminDeps = { store: options.store, control: options.control, logger: options.logger ?? silentLogger };
  const tokenMatches = createSlowedBearerCheck(options.token, options.tokenFailures);
  const router = createAdminRouter(deps);

  return createJsonListener({
    router,
    isPublic: (method, pathname) => method === 'GET' && pathname.replace(/\/+$/, '') === '/api/v1/health',
    authenticate: (req) => {
      const ok = tokenMatches(req);
      if (ok === true) return;
      if (ok === false) throw unauthorized();
      return ok.then(() => {
        throw unauthorized();
      });
    },
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: deps.logger,
    mapError: mapStoreError,
  });
}
