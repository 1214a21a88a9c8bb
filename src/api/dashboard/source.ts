// What the dashboard reads and drives: one snapshot of the live gateway (binds, totals, queues, connectors, last
// errors), a message lookup with its history, and connector start/stop. `createDashboardSource` builds it from the
// admin API's AdminControl and the store, so the dashboard shows exactly what the admin API shows.

import { statusName } from '../../smpp/codec/index.js';
import type { MessageRecord } from '../../store/model.js';
import { MessageState, type MessageStateValue } from '../../store/model.js';
import type { HistoryEvent, Store } from '../../store/store.js';
import type { AdminControl, BindType, GatewayStats } from '../admin/control.js';
import { type MessageView, messageView } from '../admin/messageView.js';
import { type ErrorEntry, ErrorRing } from './errors.js';

/** How much of a bind's windows is in use right now. */
export interface BindWindow {
  /** The ESME's requests being processed (bounded by `[smpp-server] max_inbound_in_flight`). */
  inbound: number;
  /** Our requests (deliver_sm, enquire_link …) awaiting the ESME's response (bounded by `window_size`). */
  outbound: number;
}

/** One bound ESME session. */
export interface DashboardBind {
  session_id: string;
  uid: string;
  username: string;
  bind_type: BindType;
  peer: string;
  /** Epoch milliseconds. */
  bound_at: number;
  /** Null when the gateway does not expose the session's windows. */
  window: BindWindow | null;
}

/** Monotonic gateway-wide counters since start. Null: this gateway does not count it (nothing wired). */
export interface DashboardTotals {
  /** MT message parts accepted (submit_sm ROK, HTTP /send). */
  mt_accepted: number;
  /** MT requests refused (any status, throttling included). */
  mt_refused: number;
  /** Message parts accepted by an upstream SMSC. */
  sent_upstream: number | null;
  /** Receipts received from upstreams, by state name (DELIVRD, UNDELIV …). */
  receipts: Readonly<Record<string, number>>;
  /** MO messages received from upstreams. */
  mo: number | null;
  /** deliver_sm / data_sm sent to ESMEs (receipts and MO). */
  deliveries: number;
}

/** One connector as the dashboard shows it. */
export interface DashboardConnector {
  cid: string;
  type: string;
  /** The operator's durable wish. */
  started: boolean;
  /** Live state word (`bound`, `stopped`, …), or `not running` when this process does not run it. */
  state: string;
  /** Upstream binds up. */
  binds: number;
  last_error: string | null;
  /** Message parts waiting in its queue. */
  queue: number;
}

/** Everything the dashboard shows at one instant. */
export interface DashboardSnapshot {
  /** Epoch milliseconds when it was taken. */
  at: number;
  /** Epoch milliseconds when the gateway started. */
  started_at: number;
  binds: DashboardBind[];
  totals: DashboardTotals;
  connectors: DashboardConnector[];
  /** The last warnings and errors, oldest first. */
  errors: ErrorEntry[];
}

/** One step of a message's life. */
export interface HistoryStep {
  /** Epoch milliseconds. */
  at: number;
  /** What happened: `accepted`, `routed`, `sent`, `receipt`, `delivery` … */
  event: string;
  /** Human-readable detail. */
  detail: string;
}

/** A looked-up message and its history, oldest step first. */
export interface MessageLookup {
  message: MessageView;
  history: HistoryStep[];
  /** Where the steps come from: the history store, or the message record's own timestamps. */
  history_source: 'history' | 'record';
}

/** What the dashboard reads and drives. */
export interface DashboardSource {
  /** The live state now. */
  snapshot(): Promise<DashboardSnapshot>;
  /** The counters alone, cheap enough to sample every second while nobody watches (for the rate chart). */
  totals(): Promise<DashboardTotals>;
  /** A message part by our message_id, or null when unknown. */
  lookupMessage(id: string): Promise<MessageLookup | null>;
  /** Marks the connector started (durably) and starts it. Rejects with UnknownConnectorError. */
  startConnector(cid: string): Promise<void>;
  /** Marks the connector stopped (durably) and stops it. Rejects with UnknownConnectorError. */
  stopConnector(cid: string): Promise<void>;
}

/** A start/stop named a connector that does not exist. */
export class UnknownConnectorError extends Error {
  override readonly name = 'UnknownConnectorError';
  /** The cid asked for. */
  readonly cid: string;

  /** For connector `cid`. */
  constructor(cid: string) {
    super(`no connector "${cid}"`);
    this.cid = cid;
  }
}

/** Counters the gateway's event stream feeds (sent upstream, receipts, MO) beyond what AdminControl.stats has. */
export interface DashboardTallySource {
  /** Current values; each is monotonic. */
  read(): { sent_upstream: number; receipts: Readonly<Record<string, number>>; mo: number };
}

/** A live session's windows, as the SMPP server exposes them (structural: SmppServer satisfies it). */
export interface SessionWindows {
  /** Every open session with its window use. */
  sessions(): Iterable<{ readonly id: string; readonly inflight: number; readonly outstanding: number }>;
}

/** Options of createDashboardSource. */
export interface DashboardSourceOptions {
  control: AdminControl;
  /** The store; its `messageHistory` gives the lookup its steps (a backend without it: the record's timestamps). */
  store: Pick<Store, 'getMessage' | 'queueDepths' | 'listConnectors' | 'getConnector' | 'setConnectorStarted'> &
    Partial<Pick<Store, 'messageHistory'>>;
  /** The last-errors ring (default: a fresh one, fed with connector errors only). */
  errors?: ErrorRing;
  /** Counters from the gateway's events (sent upstream, receipts by state, MO); absent: shown as not counted. */
  tally?: DashboardTallySource;
  /** The SMPP server, for the windows in use per bind. */
  server?: SessionWindows;
  /** Epoch milliseconds (tests). */
  now?: () => number;
  /** Monotonic milliseconds that time the queue reads (default performance.now; tests pass a manual clock). */
  monotonic?: () => number;
}

/** How many times its own cost must pass before the queue depths are read again. */
const QUEUE_COST_FACTOR = 50;

const STATE_NAMES = new Map<MessageStateValue, string>(
  Object.entries(MessageState).map(([name, value]) => [value, name] as const),
);

/** The dashboard source over the admin API's control and the store. */
export function createDashboardSource(options: DashboardSourceOptions): DashboardSource {
  const { control, store, tally, server } = options;
  const now = options.now ?? Date.now;
  const monotonic = options.monotonic ?? (() => performance.now());
  const errors = options.errors ?? new ErrorRing();
  // Connector errors are state, not events: record each new last_error once, when it first shows.
  const seenConnectorErrors = new Map<string, string | null>();

  function noteConnectorError(cid: string, lastError: string | null, at: number): void {
    const before = seenConnectorErrors.get(cid) ?? null;
    seenConnectorErrors.set(cid, lastError);
    if (lastError !== null && lastError !== before) {
      errors.record({ at, level: 'error', event: 'connector_error', message: `${cid}: ${lastError}` });
    }
  }

  function totalsOf(stats: GatewayStats): DashboardTotals {
    const counted = tally?.read();
    const c = stats.counters;
    return {
      mt_accepted: c.mt_accepted ?? stats.smpps.submit_sm_count,
      mt_refused: c.mt_refused ?? stats.smpps.throttling_error_count + stats.smpps.other_submit_error_count,
      sent_upstream: counted?.sent_upstream ?? null,
      receipts: counted?.receipts ?? {},
      mo: counted?.mo ?? null,
      deliveries: stats.smpps.deliver_sm_count + stats.smpps.data_sm_count,
    };
  }

  // Counting a queue costs time in proportion to its depth (SQLite: ~45 ms for a million queued parts, on the event
  // loop). Depths are read again only once the time since the last read is QUEUE_COST_FACTOR times what that read
  // cost, so a deep backlog costs the gateway at most ~2% of its time however many pages watch it.
  let queues: { at: number; cost: number; value: Promise<Record<string, number>> } | null = null;
  function queueDepths(): Promise<Record<string, number>> {
    const t = monotonic();
    if (queues !== null && t - queues.at < queues.cost * QUEUE_COST_FACTOR) return queues.value;
    const value = store.queueDepths();
    // Until it answers, its cost is unknown: concurrent snapshots share the read in progress.
    const entry = { at: t, cost: Number.POSITIVE_INFINITY, value };
    queues = entry;
    value.then(
      () => {
        entry.cost = monotonic() - t;
      },
      () => {
        if (queues === entry) queues = null; // a failed read is not kept
      },
    );
    return value;
  }

  async function requireConnector(cid: string): Promise<void> {
    if ((await store.getConnector(cid)) === null) throw new UnknownConnectorError(cid);
  }

  return {
    async snapshot() {
      const [binds, states, stats, queues, records] = await Promise.all([
        control.listBinds(),
        control.connectorStates(),
        control.stats(),
        queueDepths(),
        store.listConnectors(),
      ]);
      const at = now();
      const windows = new Map<string, BindWindow>();
      if (server !== undefined) {
        for (const s of server.sessions()) windows.set(s.id, { inbound: s.inflight, outbound: s.outstanding });
      }
      const connectors: DashboardConnector[] = records
        .map((r) => {
          const live = states[r.cid];
          noteConnectorError(r.cid, live?.last_error ?? null, at);
          return {
            cid: r.cid,
            type: r.type,
            started: r.started,
            state: live?.state ?? 'not running',
            binds: live?.binds ?? 0,
            last_error: live?.last_error ?? null,
            queue: queues[r.cid] ?? 0,
          };
        })
        .sort((a, b) => a.cid.localeCompare(b.cid));
      return {
        at,
        started_at: stats.started_at,
        binds: binds
          .map((b) => ({ ...b, window: windows.get(b.session_id) ?? null }))
          .sort((a, b) => a.bound_at - b.bound_at || a.session_id.localeCompare(b.session_id)),
        totals: totalsOf(stats),
        connectors,
        errors: errors.entries(),
      };
    },

    async totals() {
      return totalsOf(await control.stats());
    },

    async lookupMessage(id) {
      const record = await store.getMessage(id);
      if (record === null) return null;
      const view = messageView(record);
      if (store.messageHistory !== undefined) {
        const found = await store.messageHistory(id);
        if (found !== null && found.events.length > 0) {
          // A stable sort: events of the same millisecond keep the order they were appended in.
          const steps = found.events.map(historyStep).sort((a, b) => a.at - b.at);
          return { message: view, history: steps, history_source: 'history' };
        }
      }
      return { message: view, history: stepsFromRecord(record), history_source: 'record' };
    },

    async startConnector(cid) {
      await requireConnector(cid);
      // As the admin API does: the wish is durable first, so a restart in between still starts it.
      await store.setConnectorStarted(cid, true);
      await control.startConnector(cid);
    },

    async stopConnector(cid) {
      await requireConnector(cid);
      await store.setConnectorStarted(cid, false);
      await control.stopConnector(cid);
    },
  };
}

/** A value of a history event's data as text: states by name, statuses by name, objects as JSON. */
function describeValue(key: string, v: unknown): string {
  if (key === 'state' && typeof v === 'number') return STATE_NAMES.get(v as MessageStateValue) ?? String(v);
  if (key === 'status' && typeof v === 'number') {
    try {
      return statusName(v);
    } catch {
      return `0x${v.toString(16).padStart(8, '0')}`;
    }
  }
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A stored history event as one readable step: its type (with its outcome) and a sentence from its data. */
export function historyStep(e: HistoryEvent): HistoryStep {
  const data = e.data;
  const qualifier =
    e.type === 'upstream' && typeof data.outcome === 'string'
      ? data.outcome
      : e.type === 'delivery' && typeof data.result === 'string'
        ? data.result
        : null;
  const event = qualifier === null ? e.type : `${e.type} ${qualifier}`;
  return { at: e.at, event, detail: sentence(e) ?? keyValues(data, qualifier !== null) };
}

/** Every field as `key=value` (an event whose shape this page does not know). */
function keyValues(data: Readonly<Record<string, unknown>>, dropQualifier: boolean): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (v === null || v === undefined || (dropQualifier && (k === 'outcome' || k === 'result'))) continue;
    parts.push(`${k}=${describeValue(k, v)}`);
  }
  return parts.join(' ');
}

/** The known event types as a sentence (docs/history.md lists their data); null when a field it needs is missing. */
function sentence(e: HistoryEvent): string | null {
  const d = e.data;
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : null);
  const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : null);
  const status = () => str('status_name') ?? (num('status') === null ? null : describeValue('status', num('status')));
  switch (e.type) {
    case 'accepted': {
      const part = d.part as { seq?: unknown; total?: unknown } | null | undefined;
      if (str('cid') === null || num('route') === null) return null;
      const parts = part !== null && typeof part === 'object' ? ` · part ${part.seq}/${part.total}` : '';
      return `route ${num('route')} → ${str('cid')} · ${str('source_addr') ?? '?'} → ${str('destination_addr') ?? '?'}${parts}`;
    }
    case 'upstream': {
      const cid = str('cid');
      if (cid === null) return null;
      const n = num('attempts');
      const attempts = n === null || n < 1 ? '' : ` (attempt ${n})`;
      if (d.outcome === 'accepted') return `accepted by ${cid}, upstream id ${str('upstream_id') ?? '?'}${attempts}`;
      if (d.outcome === 'rejected') return `refused by ${cid}: ${status() ?? 'no status'}${attempts}`;
      if (d.outcome === 'expired') return `expired before ${cid} could send it`;
      return null;
    }
    case 'receipt': {
      const stat = str('stat') ?? (num('state') === null ? null : describeValue('state', num('state')));
      if (stat === null) return null;
      const err = num('error_code') ? ` err ${num('error_code')}` : '';
      const forwarded = d.forwarded === true ? ', queued for the ESME' : d.forwarded === false ? ', not asked for' : '';
      return `${stat} from ${str('cid') ?? '?'}${err}${forwarded}`;
    }
    case 'delivery': {
      const session = str('session');
      if (session === null) return null;
      const answer = d.result === 'error' ? `: ${status() ?? 'error'}` : d.result === 'timeout' ? ': no response' : '';
      return `${str('kind') ?? 'deliver_sm'} to session ${session}${answer}`;
    }
    default:
      return null;
  }
}

/** The steps a message record's own fields tell, when no history store is there. */
export function stepsFromRecord(m: MessageRecord): HistoryStep[] {
  const steps: HistoryStep[] = [
    {
      at: m.submitted_at,
      event: 'accepted',
      detail: `from ${m.uid} to ${m.destination_addr}${m.part === null ? '' : ` (part ${m.part.seq}/${m.part.total})`}`,
    },
    { at: m.submitted_at, event: 'routed', detail: `route ${m.route_order} → connector ${m.cid}` },
  ];
  if (m.upstream_id !== null) {
    steps.push({ at: m.updated_at, event: 'sent', detail: `upstream id ${m.upstream_id} (attempts ${m.attempts})` });
  } else if (m.status === 'sending') {
    steps.push({ at: m.updated_at, event: 'sending', detail: `attempt ${m.attempts}` });
  }
  if (m.final_at !== null) {
    const state = STATE_NAMES.get(m.state) ?? 'UNKNOWN';
    steps.push({
      at: m.final_at,
      event: m.status === 'final' ? 'receipt' : m.status,
      detail: `${state}${m.error_code === 0 ? '' : ` err ${m.error_code}`}`,
    });
  }
  return steps;
}
