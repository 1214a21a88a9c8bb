// The URL of a request as the admin port's handlers route it. `new URL(req.url, base)` throws on some request
// targets (`//`, `/\`, `//[`), and a handler that throws while node:http dispatches the request takes the whole
// process down; it also reads `//x` as the host `x` with the path `/`.

import type { IncomingMessage } from 'node:http';

/** The request's URL under a fixed origin (the Host header is never read), or null when its target is not one. */
export function requestUrl(req: Pick<IncomingMessage, 'url'>): URL | null {
  const target = req.url ?? '/';
  try {
    // Origin-form (`/path?query`) is appended to the origin, so `//x` stays a path; absolute-form keeps its path.
    return target.startsWith('/') ? new URL(`http://localhost${target}`) : new URL(target, 'http://localhost');
  } catch {
    return null;
  }
}
