// `GET /metrics` on the admin port: the Prometheus text of the gateway's metrics, behind the admin bearer token
// (the same constant-time check as the admin API). Metrics name users and connectors, so they are not public; a
// Prometheus scrape job sends the token with `authorization: { credentials_file: … }` (docs/metrics.md).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSlowedBearerCheck, type TokenFailureDelay } from '../api/http/auth.js';
import { requestUrl } from '../api/http/target.js';
import type { GatewayMetrics } from './metrics.js';

/** The path the metrics are served on. */
export const METRICS_PATH = '/metrics';

/** Options of createMetricsHandler. */
export interface MetricsHandlerOptions {
  metrics: Pick<GatewayMetrics, 'render' | 'contentType'>;
  /** The admin token (`[admin] token`) a scrape must present as `Authorization: Bearer <token>`. */
  token: string;
  /** The admin port's slow-down of wrong tokens (shared with the admin API and the dashboard); absent: none. */
  tokenFailures?: TokenFailureDelay;
  logger?: { error(event: string, fields?: Record<string, unknown>): void };
}

/** A request handler for the admin server: true when it answered (the path was /metrics), false to pass it on. */
export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

function answer(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Serves the metrics at /metrics (GET and HEAD) to requests bearing the admin token. */
export function createMetricsHandler(options: MetricsHandlerOptions): MetricsHandler {
  const tokenMatches = createSlowedBearerCheck(options.token, options.tokenFailures);
  return (req, res) => {
    const pathname = requestUrl(req)?.pathname.replace(/\/+$/, '');
    if (pathname !== METRICS_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(res, 405, 'only GET and HEAD\n', { Allow: 'GET, HEAD' });
      return true;
    }
    const ok = tokenMatches(req);
    const refuse = () =>
      answer(res, 401, 'missing or invalid bearer token (Authorization: Bearer <token>)\n', {
        'WWW-Authenticate': 'Bearer realm="smppgate"',
      });
    if (ok === true) serve(req, res);
    else if (ok === false) refuse();
    else void ok.then(refuse);
    return true;
  };

  function serve(req: IncomingMessage, res: ServerResponse): void {
    options.metrics.render().then(
      (text) => {
        res.writeHead(200, {
          'Content-Type': options.metrics.contentType,
          'Cache-Control': 'no-store',
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        options.logger?.error('metrics_failed', { error: error instanceof Error ? error.message : String(error) });
        answer(res, 500, 'metrics could not be collected\n');
      },
    );
  }
}
