// Prometheus metrics (issue #6), in the standard text format by prom-client, on a registry of our own (never the
// global one). Nearly everything is read at scrape time from counters that already exist — the SMPP server's
// counters (connections, binds, PDUs, submit_sm_resp latency), the pipeline's, the store's queues, the connectors'
// live states — so the message path pays nothing for metrics beyond those counters. What has no counter elsewhere
// (receipts by state, upstream outcomes, deliveries, MO, refusals per user) is tallied from the gateway events in
// plain maps. docs/metrics.md lists every metric.

import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { GatewayEvent, GatewayEventListener } from '../gateway/events.js';
import { receiptStateName } from '../gateway/receipt.js';
import { commandName, statusName } from '../smpp/codec/index.js';
import { PduCounts, type ServerCounters } from '../smpp/session/counters.js';
import type { QueueStat } from '../store/store.js';
import { registerCountedHistogram } from './histogram.js';
import type { StoreTimings } from './storeTiming.js';

/** What the metrics read from the SMPP server (SmppServer satisfies it). */
export interface MetricsServer {
  readonly counters: ServerCounters;
}

/** What the metrics read from the MT pipeline (MtPipeline satisfies it). */
export interface MetricsPipeline {
  counters(): Record<string, number>;
}

/** What the metrics read from the store at scrape time. */
export interface MetricsStore {
  queueStats(): Promise<Record<string, QueueStat>>;
}

/** The connectors' live states (the connector manager, or AdminControl.connectorStates). */
export interface MetricsConnectors {
  states():
    | Readonly<Record<string, { state: string; binds: number }>>
    | Promise<Readonly<Record<string, { state: string; binds: number }>>>;
}

/** Where the metrics subscribe to gateway events (GatewayEvents satisfies it). */
export interface MetricsEventSource {
  listen(listener: GatewayEventListener): () => void;
}

/** Options of createMetrics. */
export interface MetricsOptions {
  server: MetricsServer;
  pipeline: MetricsPipeline;
  store: MetricsStore;
  events: MetricsEventSource;
  connectors?: MetricsConnectors;
  /** Store call latencies (instrumentStore); absent: no store latency histogram. */
  storeTimings?: StoreTimings;
  /** Delivery engine figures (DeliveryEngine satisfies it). */
  delivery?: { counters(): Readonly<{ delivered: number; retried: number; expired: number; dropped: number }> };
  /** Process metrics (CPU, memory, event loop lag, GC) from prom-client; default true. */
  processMetrics?: boolean;
  /** Wall clock for queue ages, epoch milliseconds; default Date.now. */
  now?: () => number;
}

/** The gateway's metrics: the registry, its text and content type, and the event subscription to end. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** The Content-Type of `render()`'s text (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** Every metric in the Prometheus text format. */
  render(): Promise<string>;
  /** Stops listening to the gateway events. */
  close(): void;
}

/** Connector states always exported (0 or 1) so that a dashboard's series exist before a connector ever reaches them. */
export const CONNECTOR_STATES: readonly string[] = ['stopped', 'connecting', 'bound', 'unbound', 'standby'];

const BIND_TYPES = [
  ['transmitter', 'boundTx', 'bindTx'],
  ['receiver', 'boundRx', 'bindRx'],
  ['transceiver', 'boundTrx', 'bindTrx'],
] as const;

/** Counts per label set, kept in a plain map by the event listener and copied into prom-client at scrape. */
class Tally {
  readonly #rows = new Map<string, { labels: Record<string, string>; n: number }>();

  add(labels: Record<string, string>, key: string, n = 1): void {
    const row = this.#rows.get(key);
    if (row !== undefined) row.n += n;
    else this.#rows.set(key, { labels, n });
  }

  rows(): Iterable<{ labels: Record<string, string>; n: number }> {
    return this.#rows.values();
  }
}

function commandLabel(id: number): string {
  return id === PduCounts.OTHER ? 'other' : commandName(id);
}

function statusLabel(status: number): string {
  return status === PduCounts.OTHER ? 'other' : statusName(status);
}

/** Builds the gateway's metrics over its parts (see the file comment and docs/metrics.md). */
export function createMetrics(options: MetricsOptions): GatewayMetrics {
  const registry = new Registry();
  const counters = options.server.counters;
  const now = options.now ?? Date.now;
  const reg = [registry];

  // ------------------------------------------------------------------------------------------ SMPP server
  new Gauge({
    name: 'smppgate_smpp_connections',
    help: 'ESME connections open now (bound or not).',
    registers: reg,
    collect() {
      this.set(counters.connected);
    },
  });
  new Counter({
    name: 'smppgate_smpp_connections_opened_total',
    help: 'ESME connections accepted.',
    registers: reg,
    collect() {
      this.reset();
      this.inc(counters.connectCount);
    },
  });
  new Counter({
    name: 'smppgate_smpp_connections_closed_total',
    help: 'ESME connections closed, however they closed.',
    registers: reg,
    collect() {
      this.reset();
      this.inc(counters.disconnectCount);
    },
  });
  new Gauge({
    name: 'smppgate_smpp_binds',
    help: 'ESME sessions bound now, by bind type.',
    labelNames: ['type'],
    registers: reg,
    collect() {
      for (const [type, bound] of BIND_TYPES) this.set({ type }, counters[bound]);
    },
  });
  new Counter({
    name: 'smppgate_smpp_binds_total',
    help: 'Successful binds, by bind type.',
    labelNames: ['type'],
    registers: reg,
    collect() {
      this.reset();
      for (const [type, , total] of BIND_TYPES) this.inc({ type }, counters[total]);
    },
  });
  new Counter({
    name: 'smppgate_smpp_unbinds_total',
    help: 'Bound sessions that ended with an unbind (either side); abrupt ends are not counted here.',
    registers: reg,
    collect() {
      this.reset();
      this.inc(counters.unbindCount);
    },
  });
  for (const [name, help, counts] of [
    ['smppgate_smpp_pdus_received_total', 'PDUs read from ESMEs, by command and command_status.', counters.pdusIn],
    ['smppgate_smpp_pdus_sent_total', 'PDUs written to ESMEs, by command and command_status.', counters.pdusOut],
  ] as const) {
    new Counter({
      name,
      help,
      labelNames: ['command', 'status'],
      registers: reg,
      collect() {
        this.reset();
        for (const e of counts.entries()) {
          this.inc({ command: commandLabel(e.commandId), status: statusLabel(e.status) }, e.count);
        }
      },
    });
  }
  registerCountedHistogram(
    registry,
    'smppgate_smpp_submit_sm_resp_seconds',
    'From reading an MT request (submit_sm, data_sm, submit_multi) to queuing its response for the socket.',
    [],
    () => [{ labels: {}, histogram: counters.submitLatency }],
  );
  new Gauge({
    name: 'smppgate_smpp_user_binds',
    help: 'Sessions bound now per user and bind type.',
    labelNames: ['user', 'type'],
    registers: reg,
    collect() {
      this.reset();
      for (const user of counters.userIds()) {
        const u = counters.user(user);
        this.set({ user, type: 'transmitter' }, u.boundTx);
        this.set({ user, type: 'receiver' }, u.boundRx);
        this.set({ user, type: 'transceiver' }, u.boundTrx);
      }
    },
  });
  new Counter({
    name: 'smppgate_smpp_user_submits_total',
    help: 'MT requests answered per SMPP user: ok, throttled (ESME_RTHROTTLED) or error (any other status).',
    labelNames: ['user', 'outcome'],
    registers: reg,
    collect() {
      this.reset();
      for (const user of counters.userIds()) {
        const u = counters.user(user);
        this.inc({ user, outcome: 'ok' }, u.submitSmCount);
        this.inc({ user, outcome: 'throttled' }, u.throttlingErrorCount);
        this.inc({ user, outcome: 'error' }, u.otherSubmitErrorCount);
      }
    },
  });

  // ------------------------------------------------------------------------------------------ MT pipeline
  new Counter({
    name: 'smppgate_mt_accepted_total',
    help: 'Messages accepted by the MT pipeline (SMPP and HTTP API), durable in the store.',
    registers: reg,
    collect() {
      this.reset();
      this.inc(options.pipeline.counters().mt_accepted ?? 0);
    },
  });

  // ------------------------------------------------------------------------------------------ from events
  const accepted = new Tally();
  const rejected = new Tally();
  const throttled = new Tally();
  const upstream = new Tally();
  const receipts = new Tally();
  const deliveries = new Tally();
  const mo = new Tally();
  const onEvent = (e: GatewayEvent): void => {
    switch (e.type) {
      case 'accepted':
        accepted.add({ user: e.uid, connector: e.cid }, `${e.uid}\0${e.cid}`, e.parts);
        return;
      case 'refused': {
        const status = statusName(e.status);
        rejected.add({ user: e.uid, status }, `${e.uid}\0${status}`);
        return;
      }
      case 'throttled':
        throttled.add({ user: e.uid, channel: e.channel }, `${e.uid}\0${e.channel}`);
        return;
      case 'upstream':
        upstream.add({ connector: e.cid, outcome: e.outcome }, `${e.cid}\0${e.outcome}`);
        return;
      case 'receipt': {
        const state = receiptStateName(e.state);
        receipts.add({ connector: e.cid, state }, `${e.cid}\0${state}`);
        return;
      }
      case 'delivery':
        deliveries.add({ kind: e.kind, result: e.result }, `${e.kind}\0${e.result}`);
        return;
      case 'mo': {
        const route = e.route === null ? 'none' : String(e.route);
        const target = e.target ?? 'none';
        mo.add({ route, target }, `${route}\0${target}`);
        return;
      }
    }
  };
  const unlisten = options.events.listen(onEvent);
  const tallied = (name: string, help: string, labelNames: string[], tally: Tally) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: reg,
      collect() {
        this.reset();
        for (const row of tally.rows()) this.inc(row.labels, row.n);
      },
    });
  tallied(
    'smppgate_mt_parts_accepted_total',
    'Message parts accepted per user and connector (billed parts).',
    ['user', 'connector'],
    accepted,
  );
  tallied(
    'smppgate_mt_rejected_total',
    'MT requests refused per user and command_status (throttling apart).',
    ['user', 'status'],
    rejected,
  );
  tallied(
    'smppgate_mt_throttled_total',
    'MT requests refused ESME_RTHROTTLED per user and channel.',
    ['user', 'channel'],
    throttled,
  );
  tallied(
    'smppgate_upstream_outcomes_total',
    'What upstreams did with message parts: accepted, rejected or expired before sending.',
    ['connector', 'outcome'],
    upstream,
  );
  tallied(
    'smppgate_receipts_total',
    'Upstream receipts matched to a message, by connector and state.',
    ['connector', 'state'],
    receipts,
  );
  tallied(
    'smppgate_deliveries_total',
    'Receipt and MO deliveries to ESMEs, by kind and result (ok, error status, timeout).',
    ['kind', 'result'],
    deliveries,
  );
  tallied('smppgate_mo_total', 'MO messages by MO route order and target.', ['route', 'target'], mo);
  if (options.delivery !== undefined) {
    const delivery = options.delivery;
    new Counter({
      name: 'smppgate_deliveries_expired_total',
      help: 'Receipts and MO dropped after waiting dlr_expiry for a receiver bind.',
      registers: reg,
      collect() {
        this.reset();
        this.inc(delivery.counters().expired);
      },
    });
  }

  // ------------------------------------------------------------------------------------------ queues, connectors
  // One store read and one look at the connectors per scrape, shared by the gauges below (they collect together).
  type Scrape = {
    stats: Record<string, QueueStat>;
    states: Readonly<Record<string, { state: string; binds: number }>>;
  };
  let pending: Promise<Scrape> | undefined;
  const scrape = (): Promise<Scrape> => {
    if (pending === undefined) {
      const load = Promise.all([
        options.store.queueStats(),
        options.connectors === undefined ? {} : options.connectors.states(),
      ]).then(([stats, states]) => ({ stats, states }));
      pending = load;
      const clear = () =>
        setImmediate(() => {
          if (pending === load) pending = undefined;
        });
      load.then(clear, clear);
    }
    return pending;
  };
  new Gauge({
    name: 'smppgate_queue_depth',
    help: 'Message parts queued for each connector (due or scheduled).',
    labelNames: ['connector'],
    registers: reg,
    async collect() {
      const { stats, states } = await scrape();
      this.reset();
      for (const cid of Object.keys(states)) this.set({ connector: cid }, 0);
      for (const [cid, q] of Object.entries(stats)) this.set({ connector: cid }, q.depth);
    },
  });
  new Gauge({
    name: 'smppgate_queue_oldest_age_seconds',
    help: 'How long the longest-waiting queued part of each connector has been due (0 when the queue is empty).',
    labelNames: ['connector'],
    registers: reg,
    async collect() {
      const { stats, states } = await scrape();
      const t = now();
      this.reset();
      for (const cid of Object.keys(states)) this.set({ connector: cid }, 0);
      for (const [cid, q] of Object.entries(stats)) {
        this.set({ connector: cid }, q.oldest_at === null ? 0 : Math.max(0, (t - q.oldest_at) / 1000));
      }
    },
  });
  new Gauge({
    name: 'smppgate_connector_state',
    help: 'Live state of each connector: 1 for the state it is in, 0 for the others.',
    labelNames: ['connector', 'state'],
    registers: reg,
    async collect() {
      const { states } = await scrape();
      this.reset();
      for (const [cid, s] of Object.entries(states)) {
        for (const state of CONNECTOR_STATES) this.set({ connector: cid, state }, state === s.state ? 1 : 0);
        if (!CONNECTOR_STATES.includes(s.state)) this.set({ connector: cid, state: s.state }, 1);
      }
    },
  });
  new Gauge({
    name: 'smppgate_connector_binds',
    help: 'Upstream binds up now per connector.',
    labelNames: ['connector'],
    registers: reg,
    async collect() {
      const { states } = await scrape();
      this.reset();
      for (const [cid, s] of Object.entries(states)) this.set({ connector: cid }, s.binds);
    },
  });

  // ------------------------------------------------------------------------------------------ store, process
  const timings = options.storeTimings;
  if (timings !== undefined) {
    registerCountedHistogram(
      registry,
      'smppgate_store_call_seconds',
      'Store call latency by method, from the call to its settlement (writes include their group commit).',
      ['op'],
      () => timings.entries().map(({ op, histogram }) => ({ labels: { op }, histogram })),
    );
  }
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    close: unlisten,
  };
}
