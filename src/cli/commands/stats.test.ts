// `smppgate stats` shows what /metrics adds to GET /api/v1/stats (issue #6: "the same figures as readable tables"):
// PDUs by command and status, latency, refusals per user, receipts by state, MO by route, store latency — read from
// a real metrics registry over HTTP with the admin token.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GatewayEvents } from '../../gateway/events.js';
import { createMetrics, type GatewayMetrics } from '../../metrics/metrics.js';
import { StoreTimings } from '../../metrics/storeTiming.js';
import { CommandId, CommandStatus } from '../../smpp/codec/index.js';
import { ServerCounters } from '../../smpp/session/counters.js';
import { MessageState } from '../../store/model.js';
import { cli } from '../cli.fixtures.js';
import { parseMetrics, renderFigures } from './stats.js';

const TOKEN = 'stats-test-token-0123456789';

/** The lines of one titled section of the output (up to the blank line after it). */
function sectionOf(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(title);
  assert.ok(start >= 0, `no section ${title} in:\n${text}`);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end < 0 ? undefined : end).map((l) => l.replace(/\s+/g, ' '));
}

describe('smppgate stats: the /metrics figures', () => {
  let server: Server;
  let metrics: GatewayMetrics;
  let url: string;
  let withMetrics = true;

  before(async () => {
    const counters = new ServerCounters();
    for (let i = 0; i < 5; i++) counters.pdusIn.add(CommandId.submit_sm, CommandStatus.ESME_ROK);
    counters.pdusOut.add(CommandId.submit_sm_resp, CommandStatus.ESME_ROK);
    counters.pdusOut.add(CommandId.submit_sm_resp, CommandStatus.ESME_RTHROTTLED);
    for (const s of [0.001, 0.002, 0.004, 0.2]) counters.submitLatency.observe(s);
    const timings = new StoreTimings();
    timings.histogram('acceptMessages').observe(0.003);
    timings.histogram('acceptMessages').observe(0.005);
    const events = new GatewayEvents();
    metrics = createMetrics({
      server: { counters },
      pipeline: { counters: () => ({ mt_accepted: 4 }) },
      store: { queueStats: async () => ({ c1: { depth: 2, oldest_at: Date.now() - 5000 } }) },
      events,
      storeTimings: timings,
      processMetrics: false,
    });
    const at = Date.now();
    events.emit({
      type: 'accepted',
      at,
      uid: 'u1',
      ids: ['m1', 'm2', 'm3'],
      cid: 'c1',
      route: 0,
      parts: 3,
      channel: 'smpps',
    });
    events.emit({
      type: 'refused',
      at,
      uid: 'u1',
      status: CommandStatus.ESME_RINVDSTADR,
      reason: 'r',
      channel: 'smpps',
    });
    events.emit({ type: 'throttled', at, uid: 'u2', channel: 'http' });
    events.emit({ type: 'upstream', at, cid: 'c1', id: 'm1', uid: 'u1', outcome: 'accepted', attempts: 1 });
    for (const state of [MessageState.DELIVERED, MessageState.DELIVERED, MessageState.UNDELIVERABLE]) {
      events.emit({ type: 'receipt', at, cid: 'c1', id: 'm1', uid: 'u1', state, error_code: 0, forwarded: true });
    }
    events.emit({ type: 'delivery', at, uid: 'u1', seq: 1, kind: 'receipt', session: 's1', result: 'timeout' });
    events.emit({ type: 'mo', at, cid: 'c1', route: 20, target: 'smpps(user2)' });
    events.emit({ type: 'mo', at, cid: 'c1', route: null, target: null });
    server = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401).end();
        return;
      }
      if (req.url === '/api/v1/stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ started_at: 0, smpps: { connected_count: 1 }, counters: { mt_accepted: 4 } }));
      } else if (req.url === '/metrics' && withMetrics) {
        void metrics.render().then((text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text));
      } else res.writeHead(404).end('{"error":"no such resource"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    metrics.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('prints PDUs, latency, refusals, receipts, deliveries, MO and store latency as tables', async () => {
    withMetrics = true;
    const r = await cli(['stats', '--url', url, '--token', TOKEN]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^smpps\.connected_count\s+1$/m, 'the admin API figures come first');
    assert.deepEqual(sectionOf(r.stdout, 'PDUs'), [
      'DIR COMMAND STATUS COUNT',
      'in submit_sm ESME_ROK 5',
      'out submit_sm_resp ESME_ROK 1',
      'out submit_sm_resp ESME_RTHROTTLED 1',
    ]);
    const latency = sectionOf(r.stdout, 'submit_sm_resp latency (ms)');
    assert.equal(latency[0], 'COUNT MEAN P50 P99');
    assert.match(latency[1], /^4 51\.\d+ ≤\S+ ≤\S+$/);
    assert.deepEqual(sectionOf(r.stdout, 'Refusals per user'), [
      'USER STATUS CHANNEL COUNT',
      'u1 ESME_RINVDSTADR - 1',
      'u2 ESME_RTHROTTLED http 1',
    ]);
    assert.deepEqual(sectionOf(r.stdout, 'Parts accepted'), ['USER CONNECTOR COUNT', 'u1 c1 3']);
    assert.deepEqual(sectionOf(r.stdout, 'Upstream outcomes'), ['CONNECTOR OUTCOME COUNT', 'c1 accepted 1']);
    assert.deepEqual(sectionOf(r.stdout, 'Receipts by state'), [
      'CONNECTOR STATE COUNT',
      'c1 DELIVRD 2',
      'c1 UNDELIV 1',
    ]);
    assert.deepEqual(sectionOf(r.stdout, 'Deliveries to ESMEs'), ['KIND RESULT COUNT', 'receipt timeout 1']);
    assert.deepEqual(sectionOf(r.stdout, 'MO by route'), ['ROUTE TARGET COUNT', '20 smpps(user2) 1', 'none none 1']);
    const store = sectionOf(r.stdout, 'Store latency (ms)');
    assert.equal(store[0], 'OP CALLS MEAN P50 P99');
    assert.match(store[1], /^acceptMessages 2 4\.00 ≤\S+ ≤\S+$/);
  });

  it('--json prints the admin API answer alone; a gateway without /metrics still gets its tables', async () => {
    const json = await cli(['stats', '--json', '--url', url, '--token', TOKEN]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(Object.keys(JSON.parse(json.stdout)).sort(), ['counters', 'smpps', 'started_at']);
    withMetrics = false;
    const r = await cli(['stats', '--url', url, '--token', TOKEN]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^smpps\.connected_count\s+1$/m);
    assert.match(r.stdout, /the \/metrics figures could not be read: HTTP 404/);
  });
});

describe('parseMetrics and renderFigures', () => {
  it('reads labels with escapes, +Inf and timestamps, and shows empty families as (none)', () => {
    const samples = parseMetrics(
      [
        '# HELP x_total a',
        '# TYPE x_total counter',
        'x_total{a="q\\"uote",b="back\\\\slash"} 3 1700000000000',
        'h_bucket{le="+Inf"} 7',
        'not a sample line',
      ].join('\n'),
    );
    assert.deepEqual(samples, [
      { name: 'x_total', labels: { a: 'q"uote', b: 'back\\slash' }, value: 3 },
      { name: 'h_bucket', labels: { le: '+Inf' }, value: 7 },
    ]);
    assert.match(renderFigures([]), /^Receipts by state\n\(none\)$/m);
  });
});
