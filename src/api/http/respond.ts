// JSON answers. Every response is JSON (errors included), never cached, and carries its exact length.

import type { ServerResponse } from 'node:http';
import { HttpError } from './errors.js';

/** Writes `body` as JSON with the given status (and extra headers). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const payload = Buffer.from(`${JSON.stringify(body)}\n`, 'utf8');
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(payload.length),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(payload);
}

/** The JSON body of an error answer. */
export interface ErrorBody {
  error: string;
  field?: string;
}

/**
 * Answers an error: an HttpError with its own status, message and field; anything else as a 500 with a generic
 * message (the caller logs the detail). Returns the status sent. Does nothing when headers are already out.
 */
export function sendError(res: ServerResponse, err: unknown): number {
  const httpError = err instanceof HttpError ? err : null;
  const status = httpError?.status ?? 500;
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  const body: ErrorBody = { error: httpError?.message ?? 'internal error' };
  if (httpError?.field !== undefined) body.field = httpError.field;
  sendJson(res, status, body, httpError?.headers ?? {});
  return status;
}
