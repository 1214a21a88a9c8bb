import assert from 'node:assert/strict';
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MemoryLogger } from '../admin/testing.js';
import { SESSION_COOKIE } from './auth.js';
import { CONTENT_SECURITY_POLICY, createDashboard, type DashboardHandler } from './dashboard.js';
import type { MessageLookup } from './source.js';
import { FakeSource } from './testing.js';

const TOKEN = 'dashboard-test-token-0123456789';

interface Harness {
  url: string;
  source: FakeSource;
  dashboard: DashboardHandler;
  logger: MemoryLogger;
  compared: [number, number][];
  server: Server;
  clock: { now: number };
}

async function startHarness(options: { sessionTtlMs?: number } = {}): Promise<Harness> {
  const source = new FakeSource();
  const logger = new MemoryLogger();
  const compared: [number, number][] = [];
  const clock = { now: Date.now() };
  const dashboard = createDashboard({
    source,
    token: TOKEN,
    logger,
    intervalMs: 40,
    now: () => clock.now,
    equal: (a, b) => {
      compared.push([a.length, b.length]);
      return timingSafeEqual(a, b);
    },
    ...options,
  });
  const server = createServer((req, res) => {
    if (!dashboard(req, res)) {
      res.writeHead(418);
      res.end('admin api');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, source, dashboard, logger, compared, server, clock };
}

async function stopHarness(h: Harness): Promise<void> {
  h.dashboard.close();
  const closed = new Promise<void>((resolve) => h.server.close(() => resolve()));
  h.server.closeAllConnections();
  await closed;
}

/** Logs in with the form; returns the Cookie header value and the page's CSRF token. */
async function login(h: Harness): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${h.url}/dashboard/login`, {
    method: 'POST',
    body: new URLSearchParams({ token: TOKEN }),
    redirect: 'manual',
  });
  assert.equal(res.status, 303);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0];
  const page = await (await fetch(`${h.url}/dashboard`, { headers: { cookie } })).text();
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)?.[1] ?? '';
  assert.notEqual(csrf, '');
  return { cookie, csrf };
}

/** Reads an event stream until `count` events of type `type` arrived; returns every event seen. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  type: string,
  count: number,
  timeoutMs = 3000,
): Promise<{ event: string; data: string }[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: string }[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  try {
    while (events.filter((e) => e.event === type).length < count) {
      if (Date.now() > deadline) throw new Error(`only ${events.length} events within ${timeoutMs} ms`);
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split('\n');
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
        if (data.length > 0) {
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
          events.push({ event, data: data.join('\n') });
        }
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return events;
}

describe('dashboard', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => stopHarness(h));

  it('leaves every path outside /dashboard to the admin API', async () => {
    assert.equal((await fetch(`${h.url}/api/v1/stats`)).status, 418);
    assert.equal((await fetch(`${h.url}/dashboardx`)).status, 418);
  });

  it('sends a browser without a session to the login, and answers data routes 401', async () => {
    const page = await fetch(`${h.url}/dashboard`, { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/dashboard/login');
    for (const path of [
      '/dashboard/events',
      '/dashboard/api/snapshot',
      '/dashboard/api/messages/x',
      '/dashboard/nope',
    ]) {
      const res = await fetch(`${h.url}${path}`);
      assert.equal(res.status, 401, path);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    const forged = await fetch(`${h.url}/dashboard/api/snapshot`, { headers: { cookie: `${SESSION_COOKIE}=forged` } });
    assert.equal(forged.status, 401);
    const stop = await fetch(`${h.url}/dashboard/api/connectors/sim/stop`, { method: 'POST' });
    assert.equal(stop.status, 401);
    assert.deepEqual(h.source.calls, []);
  });

  it('refuses a wrong token, comparing digests of equal length in constant time whatever was sent', async () => {
    h.compared.length = 0;
    for (const token of ['x', `${TOKEN}-and-more`, TOKEN.slice(0, -1)]) {
      const res = await fetch(`${h.url}/dashboard/login`, {
        method: 'POST',
        body: new URLSearchParams({ token }),
        redirect: 'manual',
      });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('set-cookie'), null);
      assert.match(await res.text(), /not the admin token/);
    }
    const bearer = await fetch(`${h.url}/dashboard/api/snapshot`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(bearer.status, 401);
    assert.deepEqual(h.compared, [
      [32, 32],
      [32, 32],
      [32, 32],
      [32, 32],
    ]);
    assert.ok(h.logger.lines.some((l) => l.includes('dashboard.login.failed')));
    assert.ok(!h.logger.lines.some((l) => l.includes(TOKEN.slice(0, -1))), 'a presented token is never logged');
  });

  it('logs in with the form: an HttpOnly, SameSite=Strict session cookie that opens the page and the data', async () => {
    const res = await fetch(`${h.url}/dashboard/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN }),
      redirect: 'manual',
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/dashboard');
    const setCookie = res.headers.get('set-cookie') ?? '';
    assert.match(setCookie, new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Strict/);
    assert.match(setCookie, /; Path=\/dashboard/);
    const cookie = setCookie.split(';')[0];
    const page = await fetch(`${h.url}/dashboard`, { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<meta name="csrf-token" content="[A-Za-z0-9_-]{43}">/);
    const snap = await fetch(`${h.url}/dashboard/api/snapshot`, { headers: { cookie } });
    assert.equal(snap.status, 200);
    const body = (await snap.json()) as { snapshot: { binds: unknown[] }; history: unknown[] };
    assert.equal(body.snapshot.binds.length, 1);
  });

  it('refuses a cross-site login', async () => {
    const res = await fetch(`${h.url}/dashboard/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN }),
      headers: { origin: 'http://evil.example' },
      redirect: 'manual',
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('set-cookie'), null);
  });

  it('turns ?token= into a cookie once and drops it from the address', async () => {
    const res = await fetch(`${h.url}/dashboard?token=${TOKEN}&x=1`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/dashboard?x=1');
    assert.equal(res.headers.get('referrer-policy'), 'same-origin');
    assert.match(res.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
    const wrong = await fetch(`${h.url}/dashboard?token=wrong`, { redirect: 'manual' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
  });

  it('accepts the bearer header as the admin API does', async () => {
    const res = await fetch(`${h.url}/dashboard/api/snapshot`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
  });

  it('sends the strict CSP on every answer, and the page needs no inline script or style', async () => {
    const { cookie } = await login(h);
    const paths = [
      '/dashboard',
      '/dashboard/login',
      '/dashboard/app.js',
      '/dashboard/app.css',
      '/dashboard/api/snapshot',
    ];
    for (const path of paths) {
      const res = await fetch(`${h.url}${path}`, { headers: { cookie } });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      const text = await res.text();
      if (path === '/dashboard' || path === '/dashboard/login') {
        assert.doesNotMatch(text, /<script(?![^>]*\ssrc=)[^>]*>/, `${path}: inline script`);
        assert.doesNotMatch(text, /\sstyle=|<style/, `${path}: inline style`);
        assert.doesNotMatch(text, /(src|href)="https?:/, `${path}: external resource`);
      }
    }
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|\*/);
  });

  it('runs a connector action only with the session CSRF token and a same-origin request', async () => {
    const { cookie, csrf } = await login(h);
    h.source.calls.length = 0;
    const post = (path: string, headers: Record<string, string>) =>
      fetch(`${h.url}${path}`, { method: 'POST', headers: { cookie, ...headers } });
    assert.equal((await post('/dashboard/api/connectors/sim/stop', {})).status, 403, 'no CSRF token');
    assert.equal((await post('/dashboard/api/connectors/sim/stop', { 'x-csrf-token': 'wrong' })).status, 403);
    assert.equal(
      (await post('/dashboard/api/connectors/sim/stop', { 'x-csrf-token': csrf, origin: 'http://evil.example' }))
        .status,
      403,
    );
    assert.equal(
      (await post('/dashboard/api/connectors/sim/stop', { 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' }))
        .status,
      403,
    );
    assert.deepEqual(h.source.calls, [], 'nothing reached the source');

    const origin = h.url;
    const ok = await post('/dashboard/api/connectors/sim/stop', { 'x-csrf-token': csrf, origin });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { cid: 'sim', action: 'stop' });
    assert.equal((await post('/dashboard/api/connectors/sim/start', { 'x-csrf-token': csrf })).status, 200);
    const unknown = await post('/dashboard/api/connectors/nope/stop', { 'x-csrf-token': csrf });
    assert.equal(unknown.status, 404);
    assert.deepEqual(h.source.calls, ['stop sim', 'start sim', 'stop nope']);
    assert.equal((await fetch(`${h.url}/dashboard/api/connectors/sim/stop`, { headers: { cookie } })).status, 405);
    const bearer = await fetch(`${h.url}/dashboard/api/connectors/sim/stop`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(bearer.status, 200, 'a script with the bearer token needs no CSRF token');
  });

  it('looks a message up by id', async () => {
    const { cookie } = await login(h);
    const found = { message: { id: 'm/1' }, history: [], history_source: 'record' } as unknown as MessageLookup;
    h.source.messages.set('m/1', found);
    const res = await fetch(`${h.url}/dashboard/api/messages/${encodeURIComponent('m/1')}`, { headers: { cookie } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), found);
    const missing = await fetch(`${h.url}/dashboard/api/messages/none`, { headers: { cookie } });
    assert.equal(missing.status, 404);
    const long = await fetch(`${h.url}/dashboard/api/messages/${'x'.repeat(200)}`, { headers: { cookie } });
    assert.equal(long.status, 400);
  });

  it('streams snapshots as server-sent events, one snapshot per tick for every viewer', async () => {
    const { cookie } = await login(h);
    const open = async () => {
      const res = await fetch(`${h.url}/dashboard/events`, { headers: { cookie } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
      return res;
    };
    const [a, b] = await Promise.all([open(), open()]);
    const ticksBefore = h.dashboard.feed.ticks;
    const snapshotsBefore = h.source.snapshots;
    const [eventsA, eventsB] = await Promise.all([
      readEvents(a.body!, 'snapshot', 4),
      readEvents(b.body!, 'snapshot', 4),
    ]);
    assert.equal(eventsA[0].event, 'history');
    assert.ok(Array.isArray(JSON.parse(eventsA[0].data).points));
    const frame = JSON.parse(eventsA.filter((e) => e.event === 'snapshot')[0].data);
    assert.equal(frame.snapshot.binds[0].username, 'alice');
    assert.ok('rates' in frame && 'point' in frame);
    const ticks = h.dashboard.feed.ticks - ticksBefore;
    const snapshots = h.source.snapshots - snapshotsBefore;
    assert.ok(snapshots <= ticks + 1, `${snapshots} snapshots for ${ticks} ticks and two viewers`);
    assert.ok(eventsB.some((e) => e.event === 'snapshot'));
  });

  it('ends streams on close(), so the admin server can close', async () => {
    const h2 = await startHarness();
    const { cookie } = await login(h2);
    const res = await fetch(`${h2.url}/dashboard/events`, { headers: { cookie } });
    const reader = res.body!.getReader();
    await reader.read();
    h2.dashboard.close();
    const closed = new Promise<void>((resolve) => h2.server.close(() => resolve()));
    let done = false;
    while (!done) done = (await reader.read()).done;
    await closed;
  });

  it('logs out: the session is gone', async () => {
    const { cookie, csrf } = await login(h);
    const res = await fetch(`${h.url}/dashboard/logout`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf },
      redirect: 'manual',
    });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('set-cookie') ?? '', /Max-Age=0/);
    assert.equal((await fetch(`${h.url}/dashboard/api/snapshot`, { headers: { cookie } })).status, 401);
  });
});

describe('dashboard sessions', () => {
  it('expire: the data routes answer 401 and an open stream is told so', async () => {
    const h = await startHarness({ sessionTtlMs: 60_000 });
    try {
      const { cookie } = await login(h);
      const res = await fetch(`${h.url}/dashboard/events`, { headers: { cookie } });
      h.clock.now += 61_000;
      const events = await readEvents(res.body!, 'expired', 1);
      assert.equal(events.at(-1)?.event, 'expired');
      assert.equal((await fetch(`${h.url}/dashboard/api/snapshot`, { headers: { cookie } })).status, 401);
    } finally {
      await stopHarness(h);
    }
  });
});
