// Message history and live figures on the admin API (issue #6): a part's history by id, history queries by user,
// time range and destination, page by page, and `/api/v1/stats` with per-user and per-connector figures.
// docs/history.md gives the event types; times are epoch milliseconds everywhere.

import type { HistoryEvent, MessageHistory } from '../../store/store.js';
import { badRequest, notFound } from '../http/errors.js';
import type { Router } from '../http/router.js';
import type { AdminDeps } from './deps.js';
import { type MessageView, messageView } from './messageView.js';

/** A message part and its events as the admin API shows them. */
export interface MessageHistoryView {
  message: MessageView;
  events: HistoryEvent[];
}

/** One page of `GET /api/v1/history`. */
export interface HistoryPageView {
  items: MessageHistoryView[];
  next_cursor: string | null;
}

/** Figures of one connector in `GET /api/v1/stats`. */
export interface ConnectorStats {
  state: string | null;
  binds: number;
  queued: number;
  /** Seconds the longest-waiting queued part has been due; 0 when the queue is empty. */
  oldest_age_secs: number;
  last_error: string | null;
}

/** Rows per history page at most. */
export const MAX_HISTORY_LIMIT = 1000;

function view(h: MessageHistory): MessageHistoryView {
  return { message: messageView(h.message), events: h.events };
}

/** A time query parameter: epoch milliseconds, or an ISO 8601 date (with its zone). */
export function parseTime(field: string, raw: string): number {
  if (/^\d{1,15}$/.test(raw)) return Number(raw);
  if (/^\d{4}-\d{2}-\d{2}/.test(raw)) {
    const t = Date.parse(raw);
    if (!Number.isNaN(t)) return t;
  }
  throw badRequest(field, `expected epoch milliseconds or an ISO 8601 date, got ${JSON.stringify(raw)}`);
}

const HISTORY_PARAMS = new Set(['uid', 'destination', 'from', 'to', 'limit', 'cursor']);

/** Registers the history routes. */
export function registerHistory(router: Router, deps: AdminDeps): void {
  const { store } = deps;

  router.add('GET', '/api/v1/messages/:id/history', async ({ params }) => {
    const h = await store.messageHistory(params.id);
    if (h === null) throw notFound('message', params.id, 'id');
    return { status: 200, body: view(h) satisfies MessageHistoryView };
  });

  router.add('GET', '/api/v1/history', async ({ url }) => {
    const q = url.searchParams;
    for (const key of q.keys()) {
      if (!HISTORY_PARAMS.has(key))
        throw badRequest(key, `unknown parameter (one of: ${[...HISTORY_PARAMS].join(', ')})`);
    }
    const uid = q.get('uid');
    const destination = q.get('destination');
    const fromRaw = q.get('from');
    const toRaw = q.get('to');
    const limitRaw = q.get('limit');
    const cursor = q.get('cursor');
    const from = fromRaw === null ? undefined : parseTime('from', fromRaw);
    const to = toRaw === null ? undefined : parseTime('to', toRaw);
    if (from !== undefined && to !== undefined && from > to) throw badRequest('from', 'is after to');
    let limit = 50;
    if (limitRaw !== null) {
      if (!/^\d+$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > MAX_HISTORY_LIMIT) {
        throw badRequest('limit', `expected an integer from 1 to ${MAX_HISTORY_LIMIT}`);
      }
      limit = Number(limitRaw);
    }
    let page: Awaited<ReturnType<typeof store.queryHistory>>;
    try {
      page = await store.queryHistory({
        ...(uid !== null && uid !== '' ? { uid } : {}),
        ...(destination !== null && destination !== '' ? { destination_addr: destination } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(cursor !== null && cursor !== '' ? { cursor } : {}),
        limit,
      });
    } catch (error) {
      if (error instanceof RangeError) throw badRequest('cursor', 'not a cursor this gateway gave', error);
      throw error;
    }
    const body: HistoryPageView = { items: page.items.map(view), next_cursor: page.next_cursor };
    return { status: 200, body };
  });
}

/** The per-connector part of `GET /api/v1/stats`: live state and queue for every connector known to either. */
export async function connectorStats(deps: AdminDeps, now = Date.now()): Promise<Record<string, ConnectorStats>> {
  const [states, queues] = await Promise.all([deps.control.connectorStates(), deps.store.queueStats()]);
  const out: Record<string, ConnectorStats> = {};
  for (const cid of new Set([...Object.keys(states), ...Object.keys(queues)])) {
    const s = states[cid];
    const q = queues[cid];
    out[cid] = {
      state: s?.state ?? null,
      binds: s?.binds ?? 0,
      queued: q?.depth ?? 0,
      oldest_age_secs:
        q === undefined || q.oldest_at === null ? 0 : Math.max(0, Math.round((now - q.oldest_at) / 1000)),
      last_error: s?.last_error ?? null,
    };
  }
  return out;
}
