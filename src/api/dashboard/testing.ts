// A recording DashboardSource for the dashboard's own tests: counters the test moves, connectors it sets, and a
// count of every call, so a test can tell a snapshot from a cheap totals read.

import type { ErrorEntry } from './errors.js';
import type { DashboardSnapshot, DashboardSource, DashboardTotals, MessageLookup } from './source.js';
import { UnknownConnectorError } from './source.js';

/** A DashboardSource over plain fields. */
export class FakeSource implements DashboardSource {
  readonly calls: string[] = [];
  snapshots = 0;
  totalsReads = 0;
  clock = 1_700_000_000_000;
  totals_: DashboardTotals = {
    mt_accepted: 0,
    mt_refused: 0,
    sent_upstream: 0,
    receipts: {},
    mo: 0,
    deliveries: 0,
  };
  connectors = new Map<string, { started: boolean; state: string }>([['sim', { started: true, state: 'bound' }]]);
  messages = new Map<string, MessageLookup>();
  /** The last errors the snapshot shows. */
  errors: ErrorEntry[] = [];
  /** When set, snapshot() and totals() reject with it. */
  failure: Error | null = null;

  /** The snapshot built from the fields. */
  async snapshot(): Promise<DashboardSnapshot> {
    this.snapshots++;
    if (this.failure !== null) throw this.failure;
    return {
      at: this.clock,
      started_at: this.clock - 60_000,
      binds: [
        {
          session_id: 's1',
          uid: 'u1',
          username: 'alice',
          bind_type: 'transceiver',
          peer: '127.0.0.1:40000',
          bound_at: this.clock - 5000,
          window: { inbound: 1, outbound: 0 },
        },
      ],
      totals: { ...this.totals_ },
      connectors: [...this.connectors].map(([cid, c]) => ({
        cid,
        type: 'sim',
        started: c.started,
        state: c.state,
        binds: c.state === 'bound' ? 1 : 0,
        last_error: null,
        queue: 0,
      })),
      errors: [...this.errors],
    };
  }

  /** The counters alone. */
  async totals(): Promise<DashboardTotals> {
    this.totalsReads++;
    if (this.failure !== null) throw this.failure;
    return { ...this.totals_ };
  }

  /** From `messages`. */
  async lookupMessage(id: string): Promise<MessageLookup | null> {
    this.calls.push(`lookup ${id}`);
    return this.messages.get(id) ?? null;
  }

  /** Records and marks it bound. */
  async startConnector(cid: string): Promise<void> {
    this.calls.push(`start ${cid}`);
    const c = this.connectors.get(cid);
    if (c === undefined) throw new UnknownConnectorError(cid);
    c.started = true;
    c.state = 'bound';
  }

  /** Records and marks it stopped. */
  async stopConnector(cid: string): Promise<void> {
    this.calls.push(`stop ${cid}`);
    const c = this.connectors.get(cid);
    if (c === undefined) throw new UnknownConnectorError(cid);
    c.started = false;
    c.state = 'stopped';
  }
}
