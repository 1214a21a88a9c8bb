// Test helpers of the HTTP connectors: a tiny receiving application on a loopback port and a store in a temporary
// folder. Not part of the product.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../store/index.js';

/** One request the application received. */
export interface Received {
  method: string;
  path: string;
  /** Query string fields (GET) or form body fields (POST). */
  fields: Record<string, string>;
  /** How the application answered (`hang` when it never did). */
  answer: Answer;
}

/** How the application answers one request: a status and body, or never (`hang`). */
export type Answer = { status: number; body?: string } | 'hang';

/** A receiving application: answers from `script` in turn, then `fallback`. */
export interface App {
  url: string;
  received: Received[];
  /** Answers for the next requests, in order. */
  script: Answer[];
  fallback: Answer;
  /** Resolves when `n` requests have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts the application on 127.0.0.1, port 0. */
export async function startApp(fallback: Answer = { status: 200, body: 'ACK/Jasmin' }): Promise<App> {
  const received: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const hung: ServerResponse[] = [];
  const app: Partial<App> & { script: Answer[]; fallback: Answer } = { script: [], fallback };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const source =
      req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : url.searchParams;
    const answer = app.script.shift() ?? app.fallback;
    received.push({ method: req.method ?? '', path: url.pathname, fields: Object.fromEntries(source), answer });
    for (const w of waiters.splice(0)) {
      if (received.length >= w.n) w.resolve();
      else waiters.push(w);
    }
    if (answer === 'hang') {
      hung.push(res);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'text/plain' });
    res.end(answer.body ?? '');
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  app.url = `http://127.0.0.1:${port}/mo`;
  app.received = received;
  app.waitFor = (n, timeoutMs = 5000) =>
    new Promise<void>((resolve, reject) => {
      if (received.length >= n) return resolve();
      const timer = setTimeout(() => reject(new Error(`${received.length} of ${n} requests arrived`)), timeoutMs);
      waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  app.close = async () => {
    for (const res of hung) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return app as App;
}

/** A SQLite store in a fresh temporary folder; `reopen()` closes it and opens the same files again (a restart). */
export function tempStore(): {
  store: () => SqliteStore;
  reopen: () => Promise<SqliteStore>;
  cleanup: () => Promise<void>;
} {
  const dir = mkdtempSync(join(tmpdir(), 'smppgate-http-'));
  let current = openSqliteStore({ path: dir });
  return {
    store: () => current,
    reopen: async () => {
      await current.close();
      current = openSqliteStore({ path: dir });
      return current;
    },
    cleanup: async () => {
      await current.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `check()` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
