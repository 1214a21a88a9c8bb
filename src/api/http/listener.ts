// Turns a Router into a node:http request listener: parse the URL, authenticate, route, run the handler, answer
// JSON. Bad input is always a 4xx from the handler's HttpError; anything else thrown is logged and answered 500
// without detail, so a backend message never reaches the client.

import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { DEFAULT_BODY_LIMIT, readJson } from './body.js';
import { HttpError } from './errors.js';
import { sendError, sendJson } from './respond.js';
import type { Router } from './router.js';
import { requestUrl } from './target.js';

/** Structured log lines of the listener. */
export interface ListenerLogger {
  info(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** Options of createJsonListener. */
export interface JsonListenerOptions {
  router: Router;
  /** Decides per request whether it needs no credentials (e.g. a health check). */
  isPublic?: (method: string, pathname: string) => boolean;
  /** Throws (or rejects with) an HttpError (401/403) when the request is not allowed; omitted: no authentication. */
  authenticate?: (req: IncomingMessage) => void | Promise<void>;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  logger?: ListenerLogger;
  /** Maps an error thrown by a handler to an HttpError when it is one in disguise (a backend's typed errors). */
  mapError?: (err: unknown) => HttpError | null;
}

/** A request listener that routes to JSON handlers. */
export function createJsonListener(options: JsonListenerOptions): RequestListener {
  const { router, isPublic, authenticate, logger, mapError } = options;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    // The host is irrelevant to routing; a fixed origin keeps a hostile Host header out of URL parsing.
    const url = requestUrl(req);
    const started = Date.now();
    if (url === null) {
      const status = sendError(res, new HttpError(400, 'the request target is not a path'));
      logger?.info('http.request', { method, path: null, status, ms: Date.now() - started });
      return;
    }
    let status: number;
    try {
      if (authenticate !== undefined && !(isPublic?.(method, url.pathname) ?? false)) {
        // Awaited only when it is a promise: a synchronous refusal is answered in this tick.
        const pending = authenticate(req);
        if (pending instanceof Promise) await pending;
      }
      const { handler, params } = router.match(method, url.pathname);
      const reply = await handler({ req, url, params, json: () => readJson(req, bodyLimit) });
      sendJson(res, reply.status, reply.body);
      status = reply.status;
    } catch (err) {
      const mapped = err instanceof HttpError ? err : (mapError?.(err) ?? err);
      status = sendError(res, mapped);
      if (status >= 500) {
        logger?.error('http.request.failed', { method, path: url.pathname, status, err: describe(err) });
      }
    }
    logger?.info('http.request', { method, path: url.pathname, status, ms: Date.now() - started });
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only a failure to write the answer gets here (the socket went away): nothing left to tell the client.
      logger?.error('http.response.failed', { err: describe(err) });
      res.destroy();
    });
  };
}

function describe(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { value: String(err) };
}
