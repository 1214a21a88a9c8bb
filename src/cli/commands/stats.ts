// smppgate stats: the gateway's figures as tables — the SMPP server (Jasmin's smppsapi counters), other gateway
// counters, one row per user, one row per connector. --json prints the admin API's answer as it is. The same
// figures are on /metrics for Prometheus (docs/metrics.md).

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
    'oldest has waited, last error). --json prints the admin API answer (GET /api/v1/stats).',
  async run(ctx) {
    const stats = await (await ctx.client()).request('GET', '/api/v1/stats');
    ctx.print(stats, renderStats);
  },
};
