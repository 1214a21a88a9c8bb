// A small method + path router. Patterns are literal segments and `:name` parameters (`/api/v1/users/:uid/credit`);
// parameters are percent-decoded. No match is a 404; a path that exists under other methods is a 405 with `Allow`.
// Handlers return their answer (status and JSON body) rather than writing to the response.

import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

/** What a handler answers: a status and a JSON body. */
export interface Reply {
  status: number;
  body: unknown;
}

/** What a handler receives: the request, its parsed URL, the path parameters and a size-limited JSON reader. */
export interface RouteContext {
  req: IncomingMessage;
  url: URL;
  params: Readonly<Record<string, string>>;
  /** Reads the body as JSON (undefined when empty), within the listener's body limit. */
  json(): Promise<unknown>;
}

/** A route handler. */
export type Handler = (ctx: RouteContext) => Promise<Reply> | Reply;

/** HTTP methods the router knows. */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Route {
  method: Method;
  segments: readonly string[];
  handler: Handler;
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** A found route: its handler and decoded parameters. */
export interface RouteMatch {
  handler: Handler;
  params: Record<string, string>;
}

/** Routes requests by method and path pattern. */
export class Router {
  readonly #routes: Route[] = [];

  /** Registers a handler for a method and a pattern such as `/api/v1/groups/:gid`. */
  add(method: Method, pattern: string, handler: Handler): this {
    this.#routes.push({ method, segments: split(pattern), handler });
    return this;
  }

  /** Every registered method and pattern, in registration order (for documentation checks). */
  list(): { method: Method; pattern: string }[] {
    return this.#routes.map((r) => ({ method: r.method, pattern: `/${r.segments.join('/')}` }));
  }

  /** Finds the handler for a request; throws HttpError 404, 405 (with Allow) or 400 (bad percent-encoding). */
  match(method: string, pathname: string): RouteMatch {
    const parts = split(pathname);
    const allowed = new Set<string>();
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (params === null) continue;
      if (route.method === method) return { handler: route.handler, params };
      allowed.add(route.method);
    }
    if (allowed.size > 0) {
      const allow = [...allowed].join(', ');
      throw new HttpError(405, `method ${method} not allowed on ${pathname} (allowed: ${allow})`, {
        headers: { Allow: allow },
      });
    }
    throw new HttpError(404, `no such resource: ${pathname}`);
  }
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(parts[i]);
      } catch (err) {
        throw new HttpError(400, `bad percent-encoding in path segment ${JSON.stringify(parts[i])}`, {
          field: p.slice(1),
          cause: err,
        });
      }
      params[p.slice(1)] = value;
    } else if (p !== parts[i]) {
      return null;
    }
  }
  return params;
}
