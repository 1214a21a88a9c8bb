import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { Esme } from '../../test/helpers/esme.js';
import { GatewayEvents } from '../gateway/events.js';
import { defaultRoute, makeUser, memoryLogger, PASSWORD, sqliteStoreWith } from '../gateway/pipeline.fixtures.js';
import { GatewayNode } from '../node/node.js';
import { CommandStatus, type PduOf } from '../smpp/codec/index.js';
import { LatencyHistogram } from '../smpp/session/counters.js';
import type { MoRoute, MtRoute } from '../store/model.js';
import { createMetricsHandler } from './http.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { instrumentStore, StoreTimings } from './storeTiming.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One sample of the text format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the Prometheus text format 0.0.4: every sample belongs to a family declared by HELP and TYPE
 * lines just before it, label values are quoted and escaped, values are numbers; histograms have increasing
 * cumulative buckets ending in +Inf equal to _count. Throws on anything else.
 */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  let family: string | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (help !== null) {
      family = help[1];
      continue;
    }
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type !== null) {
      assert.equal(type[1], family, `TYPE follows its HELP: ${line}`);
      assert.ok(!types.has(type[1]), `family declared once: ${type[1]}`);
      types.set(type[1], type[2]);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m !== null, `a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = m;
    assert.ok(family !== null && (name === family || name.startsWith(`${family}_`)), `${name} in family ${family}`);
    const labels: Record<string, string> = {};
    if (labelText !== undefined && labelText !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let consumed = 0;
      for (let lm = re.exec(labelText); lm !== null; lm = re.exec(labelText)) {
        labels[lm[1]] = lm[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        consumed = re.lastIndex;
        if (lm[3] === '') break;
      }
      assert.equal(consumed, labelText.length, `labels parse: ${labelText}`);
    }
    // Go's ParseFloat (Prometheus) takes NaN in any case; prom-client prints an event loop not yet sampled as "Nan".
    const isNan = /^nan$/i.test(valueText);
    const value = valueText === '+Inf' ? Number.POSITIVE_INFINITY : isNan ? Number.NaN : Number(valueText);
    assert.ok(isNan || !Number.isNaN(value), `numeric value: ${line}`);
    samples.push({ name, labels, value });
  }
  for (const [name, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${name}_bucket`)) {
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      for (let i = 1; i < buckets.length; i++)
        assert.ok(buckets[i].value >= buckets[i - 1].value, `${name} cumulative`);
      assert.equal(buckets[buckets.length - 1].labels.le, '+Inf');
      const count = samples.find((x) => x.name === `${name}_count` && JSON.stringify(x.labels) === key);
      assert.equal(count?.value, buckets[buckets.length - 1].value, `${name} +Inf = count`);
    }
  }
  return { types, samples };
}

/** The value of one sample (labels must match exactly), or undefined. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}

const receiptOf = (upstreamId: string, stat = 'DELIVRD') =>
  ({
    command: 'deliver_sm',
    command_status: 0,
    sequence_number: 1,
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '33600000001',
    dest_addr_ton: 0,
    dest_addr_npi: 0,
    destination_addr: '999',
    esm_class: 0x04,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from(
      `id:${upstreamId} sub:001 dlvrd:001 submit date:2611251200 done date:2611251201 stat:${stat} err:000 text:`,
    ),
  }) as PduOf<'deliver_sm'>;

interface GatewayOptions {
  routes?: MtRoute[];
  moRoutes?: MoRoute[];
  connectorStates?: Record<string, { state: string; binds: number }>;
}

async function startGateway(options: GatewayOptions = {}) {
  const users = [
    await makeUser({ mt: { value_filters: { dst_addr: '^33' } } }),
    await makeUser({ uid: 'u2', username: 'user2', mt: { quotas: { smpps_throughput: 1 } } }),
  ];
  const { store: raw, cleanup } = await sqliteStoreWith(users, options.routes ?? [defaultRoute(0, 'c1')]);
  for (const r of options.moRoutes ?? []) await raw.putMoRoute(r);
  const timings = new StoreTimings();
  const store = instrumentStore(raw, timings);
  const node = new GatewayNode({
    store,
    logger: memoryLogger(),
    dlrExpirySecs: 600,
    server: {
      id: 'smpps_01',
      bind: '127.0.0.1',
      port: 0,
      timers: { enquireLinkMs: 0, inactivityMs: 0, sessionInitMs: 10_000, responseMs: 2000, pduReadMs: 0 },
      bindSlowdown: { baseMs: 1, maxMs: 1 },
    },
    delivery: { sweepMs: 60_000 },
  });
  // The node reports to its own events: the pipeline, its receipt and delivery engines, the MO router.
  const { events, receipts } = node;
  const port = (await node.listen()).tcp!.port;
  const metrics = createMetrics({
    server: node.server,
    pipeline: node.gateway.pipeline,
    store,
    events,
    connectors: { states: () => options.connectorStates ?? { c1: { state: 'bound', binds: 2 } } },
    storeTimings: timings,
    delivery: node.delivery,
    processMetrics: false,
  });
  cleanups.push(async () => {
    metrics.close();
    await node.close();
    await cleanup();
  });
  return { node, store, port, metrics, receipts };
}

async function scrape(metrics: GatewayMetrics) {
  return parseExposition(await metrics.render()).samples;
}

describe('metrics after a scripted scenario', () => {
  it('counts binds, PDUs, refusals, throttling, receipts, queues and latency, and gauges recover after a crash', async () => {
    const { store, port, metrics, receipts } = await startGateway();
    const tx = await Esme.connect({ port });
    cleanups.push(() => tx.destroy());
    const trx = await Esme.connect({ port });
    cleanups.push(() => trx.destroy());
    assert.equal((await tx.bind('transmitter', 'user1', PASSWORD)).command_status, 0);
    assert.equal((await trx.bind('transceiver', 'user2', PASSWORD)).command_status, 0);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = (await tx.submit()) as PduOf<'submit_sm_resp'>;
      assert.equal(r.command_status, 0);
      ids.push(r.message_id);
    }
    assert.equal((await tx.submit({ destination_addr: '4470000001' })).command_status, CommandStatus.ESME_RINVDSTADR);
    assert.equal((await trx.submit()).command_status, 0);
    assert.equal((await trx.submit()).command_status, CommandStatus.ESME_RTHROTTLED);

    // Upstream: one part goes out, is accepted and gets a receipt.
    const [claimed] = await store.claimMessages('c1', 1, Date.now());
    await receipts.submitted('c1', claimed, { kind: 'accepted', upstreamId: 'UP-1' });
    assert.equal(await receipts.delivered('c1', receiptOf('UP-1')), 0);

    let s = await scrape(metrics);
    assert.equal(value(s, 'smppgate_smpp_connections'), 2);
    assert.equal(value(s, 'smppgate_smpp_connections_opened_total'), 2);
    assert.equal(value(s, 'smppgate_smpp_binds', { type: 'transmitter' }), 1);
    assert.equal(value(s, 'smppgate_smpp_binds', { type: 'transceiver' }), 1);
    assert.equal(value(s, 'smppgate_smpp_binds', { type: 'receiver' }), 0);
    assert.equal(value(s, 'smppgate_smpp_binds_total', { type: 'transceiver' }), 1);
    assert.equal(value(s, 'smppgate_smpp_user_binds', { user: 'u1', type: 'transmitter' }), 1);
    assert.equal(value(s, 'smppgate_smpp_pdus_received_total', { command: 'submit_sm', status: 'ESME_ROK' }), 6);
    assert.equal(value(s, 'smppgate_smpp_pdus_received_total', { command: 'bind_transmitter', status: 'ESME_ROK' }), 1);
    assert.equal(value(s, 'smppgate_smpp_pdus_sent_total', { command: 'submit_sm_resp', status: 'ESME_ROK' }), 4);
    assert.equal(
      value(s, 'smppgate_smpp_pdus_sent_total', { command: 'submit_sm_resp', status: 'ESME_RINVDSTADR' }),
      1,
    );
    assert.equal(
      value(s, 'smppgate_smpp_pdus_sent_total', { command: 'submit_sm_resp', status: 'ESME_RTHROTTLED' }),
      1,
    );
    assert.equal(
      value(s, 'smppgate_smpp_pdus_sent_total', { command: 'bind_transceiver_resp', status: 'ESME_ROK' }),
      1,
    );
    assert.equal(value(s, 'smppgate_smpp_submit_sm_resp_seconds_count'), 6);
    assert.ok((value(s, 'smppgate_smpp_submit_sm_resp_seconds_sum') ?? 0) > 0);
    assert.equal(value(s, 'smppgate_smpp_user_submits_total', { user: 'u2', outcome: 'throttled' }), 1);
    assert.equal(value(s, 'smppgate_mt_accepted_total'), 4);
    assert.equal(value(s, 'smppgate_mt_parts_accepted_total', { user: 'u1', connector: 'c1' }), 3);
    assert.equal(value(s, 'smppgate_mt_rejected_total', { user: 'u1', status: 'ESME_RINVDSTADR' }), 1);
    assert.equal(value(s, 'smppgate_mt_throttled_total', { user: 'u2', channel: 'smpps' }), 1);
    assert.equal(value(s, 'smppgate_mt_rejected_total', { user: 'u2', status: 'ESME_RTHROTTLED' }), undefined);
    assert.equal(value(s, 'smppgate_upstream_outcomes_total', { connector: 'c1', outcome: 'accepted' }), 1);
    assert.equal(value(s, 'smppgate_receipts_total', { connector: 'c1', state: 'DELIVRD' }), 1);
    assert.equal(value(s, 'smppgate_queue_depth', { connector: 'c1' }), 3);
    const age = value(s, 'smppgate_queue_oldest_age_seconds', { connector: 'c1' });
    assert.ok(age !== undefined && age >= 0 && age < 60, `age ${age}`);
    assert.equal(value(s, 'smppgate_connector_state', { connector: 'c1', state: 'bound' }), 1);
    assert.equal(value(s, 'smppgate_connector_state', { connector: 'c1', state: 'stopped' }), 0);
    assert.equal(value(s, 'smppgate_connector_binds', { connector: 'c1' }), 2);
    assert.ok((value(s, 'smppgate_store_call_seconds_count', { op: 'acceptMessages' }) ?? 0) >= 1);

    // An abrupt disconnect: gauges come back down, counters never do.
    tx.destroy();
    await until('the server saw the close', async () => {
      s = await scrape(metrics);
      return value(s, 'smppgate_smpp_connections') === 1;
    });
    assert.equal(value(s, 'smppgate_smpp_binds', { type: 'transmitter' }), 0);
    assert.equal(value(s, 'smppgate_smpp_user_binds', { user: 'u1', type: 'transmitter' }), 0);
    assert.equal(value(s, 'smppgate_smpp_connections_opened_total'), 2);
    assert.equal(value(s, 'smppgate_smpp_connections_closed_total'), 1);
    assert.equal(value(s, 'smppgate_smpp_binds_total', { type: 'transmitter' }), 1);
    assert.equal(value(s, 'smppgate_smpp_unbinds_total'), 0, 'a crash is no unbind');
    assert.equal(value(s, 'smppgate_smpp_pdus_received_total', { command: 'submit_sm', status: 'ESME_ROK' }), 6);
    assert.equal(value(s, 'smppgate_receipts_total', { connector: 'c1', state: 'DELIVRD' }), 1);
  });
});

/** An MO from the upstream (esm_class 0: not a receipt). */
const moOf = (destination: string) =>
  ({
    ...receiptOf('none'),
    esm_class: 0,
    destination_addr: destination,
    short_message: Buffer.from('hello from a phone'),
  }) as PduOf<'deliver_sm'>;

describe('metrics per connector, per state, per route', () => {
  it('queues and ages per connector, receipts by state, MO by route, and every gauge at zero after all sockets die', async () => {
    const { store, port, metrics, receipts } = await startGateway({
      routes: [
        defaultRoute(0, 'c1'),
        {
          order: 10,
          type: 'static',
          connectors: ['c2'],
          filters: [{ type: 'destination_addr', regex: '^3399' }],
          rate: 0,
        },
      ],
      moRoutes: [
        {
          order: 20,
          type: 'static',
          targets: [{ kind: 'smpps', username: 'user2' }],
          filters: [{ type: 'destination_addr', regex: '^555' }],
        },
      ],
      connectorStates: {
        c1: { state: 'bound', binds: 1 },
        c2: { state: 'connecting', binds: 0 },
        c3: { state: 'stopped', binds: 0 },
      },
    });
    const tx = await Esme.connect({ port });
    cleanups.push(() => tx.destroy());
    const rx = await Esme.connect({ port });
    cleanups.push(() => rx.destroy());
    const trx = await Esme.connect({ port });
    cleanups.push(() => trx.destroy());
    assert.equal((await tx.bind('transmitter', 'user1', PASSWORD)).command_status, 0);
    assert.equal((await rx.bind('receiver', 'user2', PASSWORD)).command_status, 0);
    assert.equal((await trx.bind('transceiver', 'user1', PASSWORD)).command_status, 0);
    for (const destination_addr of ['33600000001', '33600000002', '33600000003', '33990000001', '33990000002']) {
      assert.equal((await tx.submit({ destination_addr })).command_status, 0);
    }
    // c1 had three parts, c2 two; one of each goes out and comes back with a different state.
    const [m1] = await store.claimMessages('c1', 1, Date.now());
    const [m2] = await store.claimMessages('c2', 1, Date.now());
    await receipts.submitted('c1', m1, { kind: 'accepted', upstreamId: 'A-1' });
    await receipts.submitted('c2', m2, { kind: 'accepted', upstreamId: 'B-1' });
    assert.equal(await receipts.delivered('c1', receiptOf('A-1', 'DELIVRD')), 0);
    assert.equal(await receipts.delivered('c2', receiptOf('B-1', 'UNDELIV')), 0);
    // Two MO: one matches route 20 (to user2's receiver), one matches nothing.
    assert.equal(await receipts.delivered('c1', moOf('5551234')), 0);
    await receipts.delivered('c2', moOf('7770000'));

    let s = await scrape(metrics);
    assert.equal(value(s, 'smppgate_queue_depth', { connector: 'c1' }), 2);
    assert.equal(value(s, 'smppgate_queue_depth', { connector: 'c2' }), 1);
    assert.equal(value(s, 'smppgate_queue_depth', { connector: 'c3' }), 0, 'a connector with nothing queued shows 0');
    for (const cid of ['c1', 'c2']) {
      const age = value(s, 'smppgate_queue_oldest_age_seconds', { connector: cid });
      assert.ok(age !== undefined && age >= 0 && age < 60, `${cid} age ${age}`);
    }
    assert.equal(value(s, 'smppgate_queue_oldest_age_seconds', { connector: 'c3' }), 0);
    assert.equal(value(s, 'smppgate_connector_state', { connector: 'c2', state: 'connecting' }), 1);
    assert.equal(value(s, 'smppgate_connector_state', { connector: 'c2', state: 'bound' }), 0);
    assert.equal(value(s, 'smppgate_connector_state', { connector: 'c3', state: 'stopped' }), 1);
    assert.equal(value(s, 'smppgate_mt_parts_accepted_total', { user: 'u1', connector: 'c1' }), 3);
    assert.equal(value(s, 'smppgate_mt_parts_accepted_total', { user: 'u1', connector: 'c2' }), 2);
    assert.equal(value(s, 'smppgate_receipts_total', { connector: 'c1', state: 'DELIVRD' }), 1);
    assert.equal(value(s, 'smppgate_receipts_total', { connector: 'c2', state: 'UNDELIV' }), 1);
    assert.equal(value(s, 'smppgate_receipts_total', { connector: 'c2', state: 'DELIVRD' }), undefined);
    assert.equal(value(s, 'smppgate_mo_total', { route: '20', target: 'smpps(user2)' }), 1);
    assert.equal(value(s, 'smppgate_mo_total', { route: 'none', target: 'none' }), 1);
    assert.equal(value(s, 'smppgate_smpp_binds', { type: 'transmitter' }), 1);
    assert.equal(value(s, 'smppgate_smpp_binds', { type: 'receiver' }), 1);
    assert.equal(value(s, 'smppgate_smpp_binds', { type: 'transceiver' }), 1);
    assert.equal(value(s, 'smppgate_smpp_user_binds', { user: 'u1', type: 'transceiver' }), 1);
    assert.equal(value(s, 'smppgate_smpp_user_binds', { user: 'u2', type: 'receiver' }), 1);
    // The routed MO reaches user2's receiver, both receipts user1's transceiver (each Esme answers ESME_ROK).
    await until('the MO and both receipts delivered', async () => {
      s = await scrape(metrics);
      return (
        value(s, 'smppgate_deliveries_total', { kind: 'mo', result: 'ok' }) === 1 &&
        value(s, 'smppgate_deliveries_total', { kind: 'receipt', result: 'ok' }) === 2
      );
    });
    assert.equal(value(s, 'smppgate_smpp_pdus_sent_total', { command: 'deliver_sm', status: 'ESME_ROK' }), 3);
    assert.equal(value(s, 'smppgate_smpp_pdus_received_total', { command: 'deliver_sm_resp', status: 'ESME_ROK' }), 3);

    // Every socket destroyed without an unbind: the live gauges go back to zero, the counters stay.
    tx.destroy();
    rx.destroy();
    trx.destroy();
    await until('the server saw every close', async () => {
      s = await scrape(metrics);
      return value(s, 'smppgate_smpp_connections') === 0;
    });
    for (const type of ['transmitter', 'receiver', 'transceiver']) {
      assert.equal(value(s, 'smppgate_smpp_binds', { type }), 0, type);
      assert.equal(value(s, 'smppgate_smpp_binds_total', { type }), 1, type);
    }
    for (const [user, type] of [
      ['u1', 'transmitter'],
      ['u2', 'receiver'],
      ['u1', 'transceiver'],
    ]) {
      const v = value(s, 'smppgate_smpp_user_binds', { user, type });
      assert.ok(v === 0 || v === undefined, `${user} ${type}: ${v}`);
    }
    assert.equal(value(s, 'smppgate_smpp_connections_closed_total'), 3);
    assert.equal(value(s, 'smppgate_smpp_unbinds_total'), 0);
    assert.equal(value(s, 'smppgate_receipts_total', { connector: 'c2', state: 'UNDELIV' }), 1);
    assert.equal(value(s, 'smppgate_mo_total', { route: '20', target: 'smpps(user2)' }), 1);
    assert.equal(value(s, 'smppgate_queue_depth', { connector: 'c1' }), 2, 'queues do not depend on binds');
  });
});

describe('counted histograms', () => {
  it('print cumulative buckets, sum and count in the text format', async () => {
    const h = new LatencyHistogram([0.1, 1]);
    h.observe(0.05);
    h.observe(0.5);
    h.observe(0.5);
    h.observe(7);
    const { registerCountedHistogram } = await import('./histogram.js');
    const { Registry } = await import('prom-client');
    const registry = new Registry();
    registerCountedHistogram(registry, 't_seconds', 'test', ['op'], () => [{ labels: { op: 'x' }, histogram: h }]);
    const text = await registry.metrics();
    assert.equal(
      text,
      [
        '# HELP t_seconds test',
        '# TYPE t_seconds histogram',
        't_seconds_bucket{op="x",le="0.1"} 1',
        't_seconds_bucket{op="x",le="1"} 3',
        't_seconds_bucket{op="x",le="+Inf"} 4',
        't_seconds_sum{op="x"} 8.05',
        't_seconds_count{op="x"} 4',
        '',
      ].join('\n'),
    );
    assert.equal((await registry.getMetricsAsJSON())[0].values.length, 5);
  });
});

describe('GET /metrics', () => {
  it('serves the text format to the admin token only, and passes other paths on', async () => {
    const metrics = { contentType: 'text/plain; version=0.0.4; charset=utf-8', render: async () => 'a_total 1\n' };
    const handler = createMetricsHandler({ metrics, token: 'sekret' });
    const passed: string[] = [];
    const server: Server = createServer((req, res) => {
      if (handler(req, res)) return;
      passed.push(req.url ?? '');
      res.end('next');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const auth = { authorization: 'Bearer sekret' };
    const ok = await fetch(`${base}/metrics`, { headers: auth });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(await ok.text(), 'a_total 1\n');
    const none = await fetch(`${base}/metrics`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
    assert.equal((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const post = await fetch(`${base}/metrics`, { method: 'POST', headers: auth });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal(await (await fetch(`${base}/api/v1/stats`)).text(), 'next');
    assert.deepEqual(passed, ['/api/v1/stats']);
  });

  it('answers 500 without detail when collecting fails', async () => {
    const metrics = {
      contentType: 'text/plain',
      render: async (): Promise<string> => {
        throw new Error('store down');
      },
    };
    const errors: unknown[] = [];
    const handler = createMetricsHandler({ metrics, token: 't', logger: { error: (_e, f) => errors.push(f) } });
    const server = createServer((req, res) => {
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const r = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, {
      headers: { authorization: 'Bearer t' },
    });
    assert.equal(r.status, 500);
    assert.doesNotMatch(await r.text(), /store down/);
    assert.equal(errors.length, 1);
  });
});

describe('process metrics', () => {
  it('are on by default and parse', async () => {
    const events = new GatewayEvents();
    const { ServerCounters } = await import('../smpp/session/counters.js');
    const metrics = createMetrics({
      server: { counters: new ServerCounters() },
      pipeline: { counters: () => ({ mt_accepted: 0 }) },
      store: { queueStats: async () => ({}) },
      events,
    });
    cleanups.push(() => metrics.close());
    const { types } = parseExposition(await metrics.render());
    assert.equal(types.get('process_cpu_user_seconds_total'), 'counter');
    assert.equal(types.get('smppgate_smpp_submit_sm_resp_seconds'), 'histogram');
    assert.equal(events.active, true);
    metrics.close();
    assert.equal(events.active, false, 'close stops listening');
  });
});
