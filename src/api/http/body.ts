// Request bodies with a hard size limit. A body over the limit is answered 413 without buffering it: a declared
// Content-Length over the limit is refused before a byte is read; a chunked body is counted as it arrives and the
// excess is read and discarded (so the client, still writing, gets the 413 instead of a connection reset), up to a
// bound past which the connection is dropped.

import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

/** Default body limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** How much of an oversized body is read and thrown away, as a multiple of the limit, before the socket is cut. */
const DRAIN_FACTOR = 4;

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body larger than ${limit} bytes`, { headers: { Connection: 'close' } });
}

/** Reads the whole body into one Buffer; rejects with HttpError 413 when it exceeds `limit` bytes. */
export function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    // Do not read it; the response carries Connection: close so the rest is never parsed.
    return Promise.reject(tooLarge(limit));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (over) {
        if (size > limit * DRAIN_FACTOR) {
          // Settle before cutting: the caller must still see the refusal (and finish its request), else its handler
          // waits forever and a server waiting for its requests at shutdown never stops.
          cleanup();
          reject(tooLarge(limit));
          req.destroy();
        }
        return;
      }
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (over) reject(tooLarge(limit));
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new HttpError(400, 'request body could not be read', { cause: err }));
    };
    const onClose = () => {
      // Closed before 'end': the client went away (or was cut off for sending far too much).
      cleanup();
      reject(over ? tooLarge(limit) : new HttpError(400, 'request body incomplete'));
    };
    function cleanup() {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Reads a JSON body. An empty body is `undefined` (for actions that take no body); anything that is not JSON is a
 * 400. The Content-Type is not enforced, so `curl -d '{…}'` works without `-H 'Content-Type: application/json'`.
 */
export async function readJson(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const body = await readBody(req, limit);
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`, {
      field: 'body',
      cause: err,
    });
  }
}
