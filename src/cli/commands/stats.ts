// smppgate stats: the gateway's figures as tables — the SMPP server (Jasmin's smppsapi counters), other gateway
// counters, one row per user, one row per connector; then what /metrics adds (PDUs by command and status, latency,
// refusals per user, upstream outcomes, receipts by state, deliveries, MO by route, store latency), read from the
// same admin port. --json prints the admin API's answer as it is. docs/metrics.md lists the metrics.

import type { Command } from '../command.js';
import { renderKeyValues, renderTable } from '../table.js';
import { withDates } from './misc.js';
import { asRecord } from './util.js';

function section(title: string, body: string): string {
  return `${title}\n${body === '' ? '(none)\n' : body}`;
}

function num(v: unknown): unknown {
  return typeof v === 'number' ? v : null;
}

/** The human rendering of `GET /api/v1/stats`. */
export function renderStats(value: unknown): string {
  const s = asRecord(value);
  const server = renderKeyValues(withDates({ started_at: s.started_at, smpps: s.smpps }));
  const counters = renderKeyValues(s.counters ?? {});
  const users = Object.entries(asRecord(s.users)).sort(([a], [b]) => a.localeCompare(b));
  const userRows = users.map(([uid, raw]) => {
    const u = asRecord(raw);
    const bound = asRecord(u.bound_connections_count);
    return [
      uid,
      num(bound.bind_transmitter),
      num(bound.bind_receiver),
      num(bound.bind_transceiver),
      num(u.bind_count),
      num(u.submit_sm_request_count),
      num(u.submit_sm_count),
      num(u.throttling_error_count),
      num(u.other_submit_error_count),
      num(u.deliver_sm_count),
      typeof u.last_activity_at === 'number' ? new Date(u.last_activity_at).toISOString() : null,
    ];
  });
  const connectors = Object.entries(asRecord(s.connectors)).sort(([a], [b]) => a.localeCompare(b));
  const connectorRows = connectors.map(([cid, raw]) => {
    const c = asRecord(raw);
    return [cid, c.state, num(c.binds), num(c.queued), num(c.oldest_age_secs), c.last_error];
  });
  return [
    section('Server', server),
    section('Counters', counters),
    section(
      'Users',
      userRows.length === 0
        ? ''
        : renderTable(
            [
              'uid',
              'tx',
              'rx',
              'trx',
              'binds',
              'submits',
              'accepted',
              'throttled',
              'errors',
              'deliver_sm',
              'last_activity',
            ],
            userRows,
          ),
    ),
    section(
      'Connectors',
      connectorRows.length === 0
        ? ''
        : renderTable(['cid', 'state', 'binds', 'queued', 'oldest_s', 'last_error'], connectorRows),
    ),
  ].join('\n');
}

/** One sample of the Prometheus text format. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/u;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gu;

/** Reads the samples of a Prometheus text exposition (comments skipped, a line it cannot read ignored). */
export function parseMetrics(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      labels[l[1]] = l[2].replace(/\\(.)/gu, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value =
      m[3] === '+Inf' ? Number.POSITIVE_INFINITY : m[3] === '-Inf' ? Number.NEGATIVE_INFINITY : Number(m[3]);
    out.push({ name: m[1], labels, value });
  }
  return out;
}

/** Milliseconds, short. */
function ms(seconds: number): string {
  const v = seconds * 1000;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** The bucket bound a quantile falls under (`≤ 5 ms`), from a histogram's cumulative buckets. */
function quantile(buckets: MetricSample[], count: number, q: number): string {
  if (count === 0) return '-';
  const sorted = [...buckets].sort((a, b) => Number(a.labels.le) - Number(b.labels.le));
  let previous = 0;
  for (const b of sorted) {
    const le = b.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(b.labels.le);
    if (b.value >= q * count) return Number.isFinite(le) ? `≤${ms(le)}` : `>${ms(previous)}`;
    if (Number.isFinite(le)) previous = le;
  }
  return '-';
}

/** Rows of a counter family with the given labels, largest first (zero rows left out). */
function rowsOf(samples: readonly MetricSample[], name: string, labels: readonly string[]): unknown[][] {
  return samples
    .filter((s) => s.name === name && s.value > 0)
    .sort(
      (a, b) =>
        b.value - a.value ||
        labels
          .map((l) => a.labels[l])
          .join()
          .localeCompare(labels.map((l) => b.labels[l]).join()),
    )
    .map((s) => [...labels.map((l) => s.labels[l] ?? '-'), s.value]);
}

/** Histogram rows per label set: calls, mean, p50 and p99 bounds (in milliseconds). */
function latencyRows(samples: readonly MetricSample[], name: string, label: string | null): unknown[][] {
  const key = (s: MetricSample) => (label === null ? '' : (s.labels[label] ?? ''));
  const rows: unknown[][] = [];
  for (const count of samples.filter((s) => s.name === `${name}_count` && s.value > 0)) {
    const k = key(count);
    const sum = samples.find((s) => s.name === `${name}_sum` && key(s) === k)?.value ?? 0;
    const buckets = samples.filter((s) => s.name === `${name}_bucket` && key(s) === k);
    const row = [
      count.value,
      ms(sum / count.value),
      quantile(buckets, count.value, 0.5),
      quantile(buckets, count.value, 0.99),
    ];
    rows.push(label === null ? row : [k, ...row]);
  }
  return label === null ? rows : rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

/** The /metrics figures `GET /api/v1/stats` does not carry, as tables. */
export function renderFigures(samples: readonly MetricSample[]): string {
  const table = (title: string, headers: string[], rows: unknown[][]) =>
    section(title, rows.length === 0 ? '' : renderTable(headers, rows));
  const pdus = [
    ...rowsOf(samples, 'smppgate_smpp_pdus_received_total', ['command', 'status']).map((r) => ['in', ...r]),
    ...rowsOf(samples, 'smppgate_smpp_pdus_sent_total', ['command', 'status']).map((r) => ['out', ...r]),
  ];
  const refusals = [
    ...rowsOf(samples, 'smppgate_mt_rejected_total', ['user', 'status']).map((r) => [r[0], r[1], '-', r[2]]),
    ...rowsOf(samples, 'smppgate_mt_throttled_total', ['user', 'channel']).map((r) => [
      r[0],
      'ESME_RTHROTTLED',
      r[1],
      r[2],
    ]),
  ];
  return [
    table('PDUs', ['dir', 'command', 'status', 'count'], pdus),
    table(
      'submit_sm_resp latency (ms)',
      ['count', 'mean', 'p50', 'p99'],
      latencyRows(samples, 'smppgate_smpp_submit_sm_resp_seconds', null),
    ),
    table('Refusals per user', ['user', 'status', 'channel', 'count'], refusals),
    table(
      'Parts accepted',
      ['user', 'connector', 'count'],
      rowsOf(samples, 'smppgate_mt_parts_accepted_total', ['user', 'connector']),
    ),
    table(
      'Upstream outcomes',
      ['connector', 'outcome', 'count'],
      rowsOf(samples, 'smppgate_upstream_outcomes_total', ['connector', 'outcome']),
    ),
    table(
      'Receipts by state',
      ['connector', 'state', 'count'],
      rowsOf(samples, 'smppgate_receipts_total', ['connector', 'state']),
    ),
    table(
      'Deliveries to ESMEs',
      ['kind', 'result', 'count'],
      rowsOf(samples, 'smppgate_deliveries_total', ['kind', 'result']),
    ),
    table('MO by route', ['route', 'target', 'count'], rowsOf(samples, 'smppgate_mo_total', ['route', 'target'])),
    table(
      'Store latency (ms)',
      ['op', 'calls', 'mean', 'p50', 'p99'],
      latencyRows(samples, 'smppgate_store_call_seconds', 'op'),
    ),
  ].join('\n');
}

/** `smppgate stats` */
export const statsCommand: Command = {
  name: 'stats',
  summary: 'Gateway figures: SMPP server counters, per user, per connector (state, queue, oldest wait).',
  usage: '',
  positionals: { min: 0, max: 0 },
  options: [],
  details:
    'Tables: Server (Jasmin smppsapi counters), Counters, Users (bound tx/rx/trx now, binds, submits, accepted,\n' +
    'throttled, other errors, deliver_sm sent), Connectors (live state, upstream binds, queued parts, seconds the\n' +
    'oldest has waited, last error); then, from GET /metrics on the same port: PDUs by command and status,\n' +
    'submit_sm_resp latency, refusals per user, parts accepted, upstream outcomes, receipts by state, deliveries\n' +
    'to ESMEs, MO by route, store latency. --json prints the admin API answer (GET /api/v1/stats) alone.',
  async run(ctx) {
    const client = await ctx.client();
    const stats = await client.request('GET', '/api/v1/stats');
    let figures: string | null = null;
    if (!ctx.args.flags.has('json') && client.text !== undefined) {
      try {
        figures = renderFigures(parseMetrics(await client.text('/metrics')));
      } catch (error) {
        figures = `(the /metrics figures could not be read: ${(error as Error).message})\n`;
      }
    }
    ctx.print(stats, (v) => (figures === null ? renderStats(v) : `${renderStats(v)}\n${figures}`));
  },
};
