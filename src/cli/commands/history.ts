// smppgate history: a message's life by id (accepted, upstream outcome, receipts, deliveries to the ESME), or the
// messages of a user over a time range, or to a destination, newest first. Over the admin API's history routes.

import { UsageError } from '../args.js';
import type { Command } from '../command.js';
import { renderKeyValues, renderTable } from '../table.js';
import { asList, asRecord, pathId } from './util.js';

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A point in time for --since / --until: a duration back from `now` (`90s`, `15m`, `1h`, `2d`), epoch ms or ISO 8601. */
export function parseWhen(option: string, raw: string, now: number): number {
  const ago = /^(\d+)([smhdw])$/.exec(raw);
  if (ago !== null) return now - Number(ago[1]) * UNITS[ago[2]];
  if (/^\d{10,15}$/.test(raw)) return Number(raw);
  if (/^\d{4}-\d{2}-\d{2}/.test(raw)) {
    const t = Date.parse(raw);
    if (!Number.isNaN(t)) return t;
  }
  throw new UsageError(
    `--${option}: expected a duration back from now (30m, 1h, 2d), epoch ms or an ISO date, got ${JSON.stringify(raw)}`,
  );
}

function iso(v: unknown): string | null {
  return typeof v === 'number' ? new Date(v).toISOString() : null;
}

/** What an event says, in one cell: its data fields as `key=value`. */
function details(data: unknown): string {
  return Object.entries(asRecord(data))
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

/** The human rendering of one message's history. */
export function renderMessageHistory(value: unknown): string {
  const h = asRecord(value);
  const m = asRecord(h.message);
  const summary = renderKeyValues({
    message_id: m.id,
    uid: m.uid,
    source_addr: m.source_addr,
    destination_addr: m.destination_addr,
    connector: m.cid,
    route: m.route_order,
    status: m.status,
    state: m.state_name,
    upstream_id: m.upstream_id,
    text: asRecord(m.short_message).text,
  });
  const events = asList(h.events).map((e) => [iso(e.at), e.type, details(e.data)]);
  return `${summary}\n${renderTable(['at', 'event', 'details'], events)}`;
}

/** The human rendering of a history page: one row per message part, and how to get the next page. */
export function renderHistoryPage(value: unknown): string {
  const page = asRecord(value);
  const rows = asList(page.items).map((item) => {
    const m = asRecord(item.message);
    const events = asList(item.events);
    const last = events[events.length - 1];
    return [
      iso(m.submitted_at),
      m.id,
      m.uid,
      m.destination_addr,
      m.cid,
      m.status,
      m.state_name,
      last === undefined ? null : `${last.type} ${iso(last.at)}`,
    ];
  });
  const table =
    rows.length === 0
      ? 'no messages\n'
      : renderTable(['submitted_at', 'message_id', 'uid', 'destination', 'cid', 'status', 'state', 'last_event'], rows);
  const next = page.next_cursor;
  return typeof next === 'string' ? `${table}more: add --cursor ${next}\n` : table;
}

const QUERY_OPTIONS = ['user', 'since', 'until', 'to', 'limit', 'cursor'] as const;

/** `smppgate history` */
export const historyCommand: Command = {
  name: 'history',
  summary: "Message history: one message's life by id, or a user's or a destination's messages over time.",
  usage: '[<message_id>] [--user UID] [--since WHEN] [--until WHEN] [--to DEST] [--limit N] [--cursor C]',
  positionals: { min: 0, max: 1 },
  options: [
    { name: 'user', kind: 'value', arg: 'UID', help: "this user's messages" },
    {
      name: 'since',
      kind: 'value',
      arg: 'WHEN',
      help: 'accepted at or after: 30m, 1h, 2d back from now, epoch ms or ISO date',
    },
    { name: 'until', kind: 'value', arg: 'WHEN', help: 'accepted at or before (same forms)' },
    { name: 'to', kind: 'value', arg: 'DEST', help: 'messages to this destination_addr' },
    { name: 'limit', kind: 'value', arg: 'N', help: 'messages per page, 1–1000 (default 50)' },
    { name: 'cursor', kind: 'value', arg: 'C', help: 'the next page, as printed after the previous one' },
  ],
  details:
    'Examples:\n  smppgate history 0194f1c2-…            one message: its events with times\n' +
    '  smppgate history --user u1 --since 1h   u1’s messages of the last hour, newest first\n' +
    '  smppgate history --to 33612345678       messages to that number\n' +
    'History is kept [store] history_retention seconds (7 days by default); see docs/history.md.',
  async run(ctx) {
    const client = await ctx.client();
    const [id] = ctx.args.positionals;
    const v = ctx.args.values;
    if (id !== undefined) {
      if (QUERY_OPTIONS.some((o) => v.has(o))) throw new UsageError('give a message_id or query options, not both');
      ctx.print(await client.request('GET', `/api/v1/messages/${pathId(id)}/history`), renderMessageHistory);
      return;
    }
    const user = v.get('user');
    const to = v.get('to');
    if (user === undefined && to === undefined) throw new UsageError('give a message_id, --user UID or --to DEST');
    const now = Date.now();
    const q = new URLSearchParams();
    if (user !== undefined) q.set('uid', user);
    if (to !== undefined) q.set('destination', to);
    const since = v.get('since');
    if (since !== undefined) q.set('from', String(parseWhen('since', since, now)));
    const until = v.get('until');
    if (until !== undefined) q.set('to', String(parseWhen('until', until, now)));
    const limit = v.get('limit');
    if (limit !== undefined) q.set('limit', limit);
    const cursor = v.get('cursor');
    if (cursor !== undefined) q.set('cursor', cursor);
    ctx.print(await client.request('GET', `/api/v1/history?${q}`), renderHistoryPage);
  },
};
