// Bearer-token authentication (RFC 6750 §2.1). The presented token and the expected one are both hashed to
// SHA-256 before `timingSafeEqual`, so the comparison takes the same time whatever the presented length: neither
// the token's length nor a matching prefix leaks through timing.

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

/** The 401 answer for a missing or wrong token. */
export function unauthorized(): HttpError {
  return new HttpError(401, 'missing or invalid bearer token (Authorization: Bearer <token>)', {
    headers: { 'WWW-Authenticate': 'Bearer realm="smppgate"' },
  });
}
