// The HTTP API's node:http server: the listener, its answers to what node:http refuses before the listener (in
// Jasmin's words rather than node's empty 400/431), and time limits that keep a client declaring more body than it
// sends (or sending its headers a byte at a time) from holding a connection for node's default 5 minutes.

import { createServer, type Server } from 'node:http';
import type { HttpApiListener } from './api.js';

/** Time limits of the HTTP API's connections. */
export interface HttpApiServerOptions {
  /** Whole request (headers and body) must arrive within this; default 30 s. */
  requestTimeoutMs?: number;
  /** Headers must arrive within this; default 15 s. */
  headersTimeoutMs?: number;
  /** How often node:http checks those limits; default 2 s. */
  checkIntervalMs?: number;
}

/** Default time limits: Jasmin's clients send a few kilobytes at most. */
export const HTTP_API_REQUEST_TIMEOUT_MS = 30_000;
export const HTTP_API_HEADERS_TIMEOUT_MS = 15_000;

/** A server for the HTTP API listener (listen on it; close it, then `listener.drain()`, at shutdown). */
export function createHttpApiServer(listener: HttpApiListener, options: HttpApiServerOptions = {}): Server {
  const requestTimeout = options.requestTimeoutMs ?? HTTP_API_REQUEST_TIMEOUT_MS;
  const server = createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(options.headersTimeoutMs ?? HTTP_API_HEADERS_TIMEOUT_MS, requestTimeout),
      connectionsCheckingInterval: options.checkIntervalMs ?? 2000,
      // The API never reads Host (Jasmin does not need it); node's own refusal of an HTTP/1.1 request without one
      // is an empty 400 a client cannot make sense of.
      requireHostHeader: false,
    },
    listener,
  );
  server.on('clientError', listener.clientError);
  return server;
}
