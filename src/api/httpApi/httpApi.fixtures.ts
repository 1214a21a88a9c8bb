// Test harness of the HTTP API: a real SQLite store, the real accounts, password verifier and MT pipeline, the API on
// a loopback port, and a client that speaks GET, form POST and JSON POST.

import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Accounts } from '../../gateway/accounts.js';
import { PasswordVerifier } from '../../gateway/password.js';
import {
  defaultRoute,
  ManualWallClock,
  makeUser,
  memoryLogger,
  sqliteStoreWith,
} from '../../gateway/pipeline.fixtures.js';
import { MtPipeline } from '../../gateway/pipeline.js';
import type { MtRoute, UserRecord } from '../../store/model.js';
import { createHttpApi, type HttpApiOptions } from './api.js';
import { createHttpApiServer, type HttpApiServerOptions } from './server.js';

/** One answer of the API. */
export interface ApiAnswer {
  status: number;
  body: string;
  headers: Headers;
}

/** How a request sends its arguments. */
export type Style = 'get' | 'form' | 'json';

/** A running HTTP API over a fresh store. */
export interface ApiHarness {
  base: string;
  store: Awaited<ReturnType<typeof sqliteStoreWith>>['store'];
  clock: ManualWallClock;
  logger: ReturnType<typeof memoryLogger>;
  access: Record<string, unknown>[];
  pipeline: MtPipeline;
  call(path: string, args: Record<string, string | number>, style?: Style): Promise<ApiAnswer>;
  close(): Promise<void>;
}

/** Options of startApi. */
export interface HarnessOptions {
  users?: UserRecord[];
  routes?: MtRoute[];
  settings?: Partial<HttpApiOptions['settings']>;
  /** Wraps the pipeline the API sees (to inject refusals). */
  wrap?: (pipeline: MtPipeline) => HttpApiOptions['pipeline'];
  billingFeature?: boolean;
  /** The server's time limits (the defaults of `smppgate start` when absent). */
  server?: HttpApiServerOptions;
}

let ids = 0;

/** Starts the API on 127.0.0.1, port 0, over a fresh SQLite store. */
export async function startApi(options: HarnessOptions = {}): Promise<ApiHarness> {
  const users = options.users ?? [await makeUser({ mt: { quotas: { balance: 10 } } })];
  const { store, cleanup } = await sqliteStoreWith(users, options.routes ?? [defaultRoute(0.1, 'c1')]);
  const logger = memoryLogger();
  const clock = new ManualWallClock(Date.now());
  const passwords = new PasswordVerifier();
  const accounts = new Accounts({ store, logger, verifier: passwords });
  const pipeline = new MtPipeline({ store, accounts, logger, clock, idGenerator: () => `msg-${++ids}` });
  const access: Record<string, unknown>[] = [];
  const listener = createHttpApi({
    pipeline: options.wrap?.(pipeline) ?? pipeline,
    accounts,
    store,
    passwords,
    settings: { long_content_max_parts: 5, long_content_split: 'udh', ...options.settings },
    ...(options.billingFeature !== undefined ? { billingFeature: options.billingFeature } : {}),
    logger,
    accessLog: { info: (event, fields) => access.push({ event, ...fields }) },
    clock,
  });
  const server: Server = createHttpApiServer(listener, options.server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    store,
    clock,
    logger,
    access,
    pipeline,
    async call(path, args, style = 'get') {
      const params = new URLSearchParams(Object.entries(args).map(([k, v]): [string, string] => [k, String(v)]));
      let res: Response;
      if (style === 'get') res = await fetch(`${base}${path}?${params}`);
      else if (style === 'form') res = await fetch(`${base}${path}`, { method: 'POST', body: params });
      else {
        res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(args),
        });
      }
      return { status: res.status, body: await res.text(), headers: res.headers };
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await listener.drain();
      await pipeline.close();
      await cleanup();
    },
  };
}

/** The message_id of a `Success "<id>"` body. */
export function idOf(body: string): string {
  const m = /^Success "([^"]+)"$/u.exec(body);
  if (m === null) throw new Error(`not a success: ${body}`);
  return m[1];
}

/** The usual credentials of the fixture user. */
export const AUTH = { username: 'user1', password: 'secret' } as const;
