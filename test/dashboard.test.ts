// The dashboard in a real browser (issue #6): Debian's Chromium driven by playwright-core against a real gateway
// started as `smppgate start --demo` does. An ESME binds and submits; the page must show the bind and the counts
// rising, stop the connector and show its new state, look a message up, and a dropped event stream must come back
// without a reload. A screenshot lands in test-output/dashboard.png.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { messageView } from '../src/api/admin/messageView.js';
import { createDashboard } from '../src/api/dashboard/index.js';
import { FakeSource } from '../src/api/dashboard/testing.js';
import { runStart, type StartedGateway } from '../src/cli/start.js';
import { messageFixture } from '../src/store/conformance/suite.js';
import { connectClient, type NodeSmppSession, request } from './helpers/smppClient.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'dashboard-browser-test-token-42';
const OUTPUT = new URL('../test-output/', import.meta.url).pathname;

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function launch(): Promise<Browser> {
  // Never a silent skip: CI installs Chromium (.ci/run), so its absence is a failure to fix.
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`,
  );
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Collects what would show a broken page: script errors and CSP violations. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
    if (/Content Security Policy/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  return problems;
}

async function textOf(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent()) ?? '';
}

// The callbacks given to the page run in the browser; these are the few browser globals they use (the project's
// TypeScript lib has no DOM).
interface BrowserElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  getElementById(id: string): BrowserElement | null;
  querySelector(selector: string): BrowserElement | null;
};
declare const window: { marker?: number; scrollTo(x: number, y: number): void };

const count = (s: string) => Number(s.replace(/[^0-9]/g, ''));

describe('dashboard in Chromium', () => {
  let browser: Browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('shows a real gateway live: binds, counts rising, connector stop, message lookup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smppgate-dashboard-'));
    const config = join(dir, 'smppgate.cfg');
    writeFileSync(
      config,
      `[smpp-server]\nid = "smpps_dash"\nbind = 127.0.0.1\nport = 0\nlog_level = ERROR\nlog_file = ${join(dir, 'smpps.log')}\n\n` +
        `[store]\npath = ${join(dir, 'data')}\n\n[admin]\nbind = 127.0.0.1\nport = 0\ntoken = ${TOKEN}\n\n[http-api]\nbind = 127.0.0.1\nport = 0\n`,
    );
    let stop!: (signal: string) => void;
    const stopSignal = new Promise<string>((resolve) => {
      stop = resolve;
    });
    let onReady!: (r: StartedGateway) => void;
    const ready = new Promise<StartedGateway>((resolve) => {
      onReady = resolve;
    });
    const stderr = new Sink();
    const exit = runStart(['--config', config, '--demo'], {
      stdout: new Sink(),
      stderr,
      stopSignal,
      onReload: () => {},
      onReady,
    });
    const started = await Promise.race([
      ready,
      exit.then((code) => Promise.reject(new Error(`exit ${code}: ${stderr.text}`))),
    ]);
    const base = `http://127.0.0.1:${started.admin.port}`;
    let esme: NodeSmppSession | undefined;
    const context = await browser.newContext({ viewport: { width: 1360, height: 1100 } });
    context.setDefaultTimeout(10_000);
    try {
      esme = await connectClient(started.smpp!.port, { answer: true });
      const bind = await request(esme, 'bind_transceiver', { system_id: 'demo', password: 'demo' });
      assert.equal(bind.command_status, 0);
      const session = esme;
      const submit = async (i: number) => {
        const resp = await request(session, 'submit_sm', {
          source_addr: 'DEMO',
          destination_addr: `3361000${String(i).padStart(4, '0')}`,
          short_message: `dashboard test ${i}`,
          registered_delivery: 1,
        });
        assert.equal(resp.command_status, 0, `submit ${i}`);
        return resp.message_id as string;
      };
      const firstId = await submit(0);

      const page = await context.newPage();
      const problems = watchProblems(page);
      // No CDN: everything the page loads comes from the gateway.
      const offsite: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(`${base}/`)) offsite.push(r.url());
      });
      await page.goto(`${base}/dashboard`);
      assert.match(page.url(), /\/dashboard\/login$/, 'no session: the login page');
      await page.fill('#token', 'not-the-token');
      await page.click('button[type=submit]');
      await page.waitForSelector('.error');
      assert.match(await textOf(page, '.error'), /not the admin token/);
      await page.fill('#token', TOKEN);
      await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('button[type=submit]')]);

      // The bind, as the server lists it.
      await page.waitForSelector('#binds tr[data-session]', { timeout: 5000 });
      const bindRow = await textOf(page, '#binds tr[data-session]');
      assert.match(bindRow, /demo/);
      assert.match(bindRow, /transceiver/);
      assert.match(bindRow, /127\.0\.0\.1/);
      assert.match(bindRow, /\d\d:\d\d:\d\d \d+ s ago/, 'since when, and how long ago');
      assert.match(bindRow, /in \d+ · out \d+/, 'the windows in use');
      await page.waitForFunction(() => document.getElementById('live')?.getAttribute('data-state') === 'live');

      // Counts rising while the ESME sends, without a reload.
      await page.waitForFunction(() => document.getElementById('mt-accepted')?.textContent === '1');
      const ids = [firstId];
      for (let i = 1; i <= 30; i++) {
        ids.push(await submit(i));
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 300));
      }
      await page.waitForFunction(() => document.getElementById('mt-accepted')?.textContent === '31', undefined, {
        timeout: 5000,
      });
      // The simulator accepts them upstream and sends receipts back: both show up.
      await page.waitForFunction(() => document.getElementById('sent-upstream')?.textContent === '31', undefined, {
        timeout: 8000,
      });
      await page.waitForSelector('#receipts tr:not(.empty)', { timeout: 8000 });
      assert.match(await textOf(page, '#receipts'), /DELIVRD|UNDELIV|EXPIRED|REJECTD|ACCEPTD|UNKNOWN|DELETED/);
      const chartPoints = await page.locator('#chart polyline.series-in').getAttribute('points');
      assert.ok(chartPoints !== null && chartPoints.split(' ').length >= 2, 'the chart draws the in rate');
      const peak = await page.evaluate(() =>
        Math.max(
          ...(document.querySelector('#chart polyline.series-in')?.getAttribute('points') ?? '0,0')
            .split(' ')
            .map((p) => 220 - Number(p.split(',')[1])),
        ),
      );
      assert.ok(peak > 22, 'the in line rises above the baseline');
      const outPoints = await page.locator('#chart polyline.series-out').getAttribute('points');
      assert.ok(outPoints !== null && outPoints.split(' ').length >= 2, 'the chart draws the out rate');

      // The connector: stop it, see its state change; start it again.
      const row = page.locator('#connectors tr[data-cid="sim"]');
      await row.waitFor();
      const stateBefore = (await row.locator('.state').textContent()) ?? '';
      assert.notEqual(stateBefore, 'stopped', 'the demo connector starts started');
      const [stopped] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/dashboard/api/connectors/sim/stop')),
        row.locator('button[data-action="stop"]').click(),
      ]);
      assert.equal(stopped.status(), 200, 'the gateway stopped the connector');
      await page.waitForFunction(
        () => document.querySelector('#connectors tr[data-cid="sim"] .state')?.textContent === 'stopped',
        undefined,
        { timeout: 5000 },
      );
      assert.equal(await row.locator('button[data-action]').textContent(), 'Start');
      // Stopped, the connector's queue fills as the ESME sends, live; started again, it drains.
      for (let i = 31; i < 34; i++) ids.push(await submit(i));
      await page.waitForFunction(
        () => document.querySelector('#connectors tr[data-cid="sim"] td:nth-child(5)')?.textContent === '3',
        undefined,
        { timeout: 5000 },
      );
      const [restarted] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/dashboard/api/connectors/sim/start')),
        row.locator('button[data-action="start"]').click(),
      ]);
      assert.equal(restarted.status(), 200);
      await page.waitForFunction(
        () => document.querySelector('#connectors tr[data-cid="sim"] .state')?.textContent !== 'stopped',
        undefined,
        { timeout: 5000 },
      );
      await page.waitForFunction(
        () => document.querySelector('#connectors tr[data-cid="sim"] td:nth-child(5)')?.textContent === '0',
        undefined,
        { timeout: 8000 },
      );

      // Message lookup by id, with its history and times.
      const id = ids[7];
      await page.fill('#lookup-id', id);
      await page.click('#lookup button[type=submit]');
      await page.waitForSelector('#lookup-result table tbody tr');
      const result = (await page.locator('#lookup-result').textContent()) ?? '';
      assert.ok(result.includes(id), 'shows the message_id');
      assert.match(result, /33610000007/);
      assert.match(result, /accepted/);
      assert.match(result, /upstream accepted/, 'the history store has the upstream outcome');
      assert.match(result, /accepted by sim, upstream id \S+/, 'sent, with its upstream id');
      assert.match(result, /receipt[A-Z]+ from sim/, 'its receipt');
      assert.match(result, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/, 'each step with its time');
      await page.fill('#lookup-id', 'no-such-message');
      await page.click('#lookup button[type=submit]');
      await page.waitForFunction(() =>
        /No message with id/.test(document.getElementById('lookup-result')?.textContent ?? ''),
      );
      await page.fill('#lookup-id', id);
      await page.click('#lookup button[type=submit]');
      await page.waitForSelector('#lookup-result table tbody tr');

      // Last errors: a WARNING log line (an ESME's PDU shorter than its header) shows with its session, live,
      // although log_level = ERROR keeps it out of the log file.
      const bad = connect(started.smpp!.port, '127.0.0.1');
      bad.on('error', () => {});
      await new Promise<void>((resolve) => bad.once('connect', () => resolve()));
      bad.write(Buffer.from([0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1]));
      await page.waitForFunction(() => /framing_error/.test(document.getElementById('errors')?.textContent ?? ''));
      bad.destroy();
      const lastErrors = await textOf(page, '#errors');
      assert.match(lastErrors, /framing_error.*session=smpps_dash-\d+ peer=127\.0\.0\.1/);

      mkdirSync(OUTPUT, { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });
      assert.deepEqual(problems, [], 'no script error and no CSP violation');
      assert.deepEqual(offsite, [], 'nothing loaded from elsewhere');
      assert.ok(count(await textOf(page, '#mt-accepted')) >= 34);
    } finally {
      await context.close();
      esme?.destroy();
      stop('SIGTERM');
      assert.equal(await exit, 0, stderr.text);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reconnects by itself when the event stream drops, and goes to the login once the session is gone', async () => {
    const source = new FakeSource();
    const clock = { now: Date.now() };
    const dashboard = createDashboard({
      source,
      token: TOKEN,
      intervalMs: 200,
      sessionTtlMs: 3600_000,
      now: () => clock.now,
    });
    const server = createServer((req, res) => {
      if (!dashboard(req, res)) {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    try {
      const page = await context.newPage();
      const problems = watchProblems(page);
      // ?token= once: the address loses it, the cookie stays.
      await page.goto(`${base}/dashboard?token=${TOKEN}`);
      assert.equal(page.url(), `${base}/dashboard`);
      await page.waitForFunction(() => document.getElementById('mt-accepted')?.textContent === '0');
      await page.waitForFunction(() => document.getElementById('live')?.getAttribute('data-state') === 'live');

      // A last error about a message: its Look up button shows that message below.
      source.messages.set('m-77', {
        message: messageView(messageFixture('u1', 'sim', { id: 'm-77', destination_addr: '33699000077' })),
        history: [{ at: source.clock, event: 'upstream rejected', detail: 'refused by sim: ESME_RTHROTTLED' }],
        history_source: 'history',
      });
      source.errors = [
        {
          at: source.clock,
          level: 'warn',
          event: 'upstream_rejected',
          message: 'sim refused m-77: ESME_RTHROTTLED',
          message_id: 'm-77',
        },
      ];
      await page.click('#errors button[data-lookup="m-77"]');
      await page.waitForFunction(() =>
        /refused by sim: ESME_RTHROTTLED/.test(document.getElementById('lookup-result')?.textContent ?? ''),
      );
      assert.ok(source.calls.includes('lookup m-77'));
      assert.equal(await page.inputValue('#lookup-id'), 'm-77');

      await page.evaluate(() => {
        window.marker = 42;
      });
      server.closeAllConnections(); // the stream drops (a proxy restart, a network blip)
      source.totals_.mt_accepted = 1234;
      await page.waitForFunction(() => document.getElementById('mt-accepted')?.textContent === '1,234', undefined, {
        timeout: 8000,
      });
      assert.equal(await page.evaluate(() => window.marker), 42, 'no reload');
      assert.equal(await page.getAttribute('#live', 'data-state'), 'live');

      // The session ends while the stream is down: the reconnection is refused, and the page asks to log in.
      clock.now += 3601_000;
      server.closeAllConnections();
      await page.waitForURL(`${base}/dashboard/login`, { timeout: 10_000 });
      assert.deepEqual(
        problems.filter((p) => !/events|snapshot|401/.test(p)),
        [],
      );
    } finally {
      await context.close();
      dashboard.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
