// The whole path for fault tests that need the real node: an ESME → a GatewayNode (any store) → an smppc connector →
// the fake SMSC (test/helpers/smsc.ts) → receipts back. Also what those tests share: a seeded random source, an ESME
// that keeps the outcome and latency of every submit and counts the receipts it got per message id, and a Markdown
// table printer for the figures.

import { defaultRoute, makeUser, memoryLogger } from '../../src/gateway/pipeline.fixtures.js';
import { GatewayNode } from '../../src/node/node.js';
import type { PduOf } from '../../src/smpp/codec/index.js';
import type { MemoryLogger } from '../../src/smpp/session/log.js';
import type { Store } from '../../src/store/index.js';
import { Esme, submitDefaults } from '../helpers/esme.js';
import { type FakeSmsc, type SmscOptions, smscConnector, startSmsc } from '../helpers/smsc.js';
import { PASSWORD } from './harness.js';

/** Polls `cond` every 20 ms; throws naming `what` after `ms`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A node wired to a fake SMSC through connector `up1` (user1 / PASSWORD, default route to up1). */
export interface NodeWorld {
  node: GatewayNode;
  /** Every log line of the node (all levels). */
  log: MemoryLogger;
  smsc: FakeSmsc;
  port: number;
  close(): Promise<void>;
}

/** Options of {@link startNodeWorld}. */
export interface NodeWorldOptions {
  smsc?: SmscOptions;
  /** Connector settings over the defaults (fast reconnects, 2 s response timeout). */
  connector?: Record<string, unknown>;
  /** The server's response timeout for deliver_sm to ESMEs, ms (default 2000). */
  responseMs?: number;
  /** Record message history, kept this long (its recorder also prunes finished messages). */
  historyRetentionSecs?: number;
}

/**
 * Puts user1, the default MT route to `up1` and the smppc connector `up1` (pointing at a new fake SMSC) into `store`
 * (which must already hold group g1), then starts a node over it and waits for the connector to bind.
 */
export async function startNodeWorld(store: Store, options: NodeWorldOptions = {}): Promise<NodeWorld> {
  const smsc = await startSmsc({ receipts: { delayMs: 20 }, ...options.smsc });
  try {
    return await startNode(store, smsc, options);
  } catch (error) {
    await smsc.close();
    throw error;
  }
}

async function startNode(store: Store, smsc: FakeSmsc, options: NodeWorldOptions): Promise<NodeWorld> {
  await store.createUser(await makeUser());
  await store.putMtRoute(defaultRoute(0, 'up1'));
  await store.putConnector(
    smscConnector('up1', smsc.port, {
      bind: 'transceiver',
      reconnect_delay_secs: 0.05,
      reconnect_max_delay_secs: 0.5,
      response_timeout_secs: 2,
      ...options.connector,
    }),
  );
  const log = memoryLogger();
  const node = new GatewayNode({
    store,
    logger: log,
    dlrExpirySecs: 600,
    ...(options.historyRetentionSecs !== undefined ? { historyRetentionSecs: options.historyRetentionSecs } : {}),
    server: {
      id: 'smpps_fnode',
      bind: '127.0.0.1',
      port: 0,
      timers: {
        enquireLinkMs: 0,
        inactivityMs: 0,
        sessionInitMs: 10_000,
        responseMs: options.responseMs ?? 2000,
        pduReadMs: 0,
      },
      bindSlowdown: { baseMs: 1, maxMs: 1 },
    },
    delivery: { sweepMs: 200, retryBaseMs: 50, retryMaxMs: 500 },
  });
  let port = 0;
  try {
    port = (await node.listen()).tcp?.port ?? 0;
    await until('the connector bound', () => node.connectors.isUp('up1'));
  } catch (error) {
    await node.close();
    throw error;
  }
  return {
    node,
    log,
    smsc,
    port,
    close: async () => {
      await node.close();
      await smsc.close();
    },
  };
}

/** One submit's outcome as the ESME saw it. */
export interface SubmitOutcome {
  /** The command_status, or -1 when no response came (timeout, closed connection). */
  status: number;
  /** The message_id of an ROK answer. */
  id: string | undefined;
  /** Milliseconds from the write to the response (or to the failure). */
  ms: number;
  error?: string;
}

/** A transceiver ESME of user1 that records every submit and counts receipts per receipted_message_id. */
export class CountingEsme {
  readonly esme: Esme;
  readonly outcomes: SubmitOutcome[] = [];

  private constructor(esme: Esme) {
    this.esme = esme;
  }

  static async bind(port: number): Promise<CountingEsme> {
    const esme = await Esme.connect({ port });
    const resp = await esme.bind('transceiver', 'user1', PASSWORD);
    if (resp.command_status !== 0) throw new Error(`bind refused: 0x${resp.command_status.toString(16)}`);
    return new CountingEsme(esme);
  }

  /** Submits `text` asking for a receipt; never throws (a missing answer is status -1). */
  async submit(text: string, timeoutMs = 5000): Promise<SubmitOutcome> {
    const t = performance.now();
    let outcome: SubmitOutcome;
    try {
      const r = (await this.esme.request<'submit_sm'>(
        {
          command: 'submit_sm',
          ...submitDefaults(),
          short_message: Buffer.from(text),
        },
        timeoutMs,
      )) as PduOf<'submit_sm_resp'>;
      outcome = {
        status: r.command_status,
        id: r.command_status === 0 ? r.message_id : undefined,
        ms: performance.now() - t,
      };
    } catch (error) {
      outcome = { status: -1, id: undefined, ms: performance.now() - t, error: (error as Error).message };
    }
    this.outcomes.push(outcome);
    return outcome;
  }

  /** The ids of ROK answers. */
  acceptedIds(): string[] {
    return this.outcomes.flatMap((o) => (o.id === undefined ? [] : [o.id]));
  }

  /** Receipts received, counted by receipted_message_id. */
  receiptCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const p of this.esme.received) {
      if (p.command !== 'deliver_sm' || (p.esm_class & 0x3c) !== 0x04) continue;
      const rid = String(p.tlvs?.receipted_message_id ?? '');
      counts.set(rid, (counts.get(rid) ?? 0) + 1);
    }
    return counts;
  }

  /** Receipt states (stat:…) received for `id`. */
  receiptStates(id: string): string[] {
    return this.esme.received
      .filter((p) => p.command === 'deliver_sm' && String(p.tlvs?.receipted_message_id ?? '') === id)
      .map((p) => /stat:(\w+)/.exec((p as PduOf<'deliver_sm'>).short_message.toString('latin1'))?.[1] ?? '?');
  }

  close(): void {
    this.esme.destroy();
  }
}

/** The p-th percentile (0–100) of unsorted values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Prints a one-row-per-entry Markdown table (test output) under a title. */
export function printTable(title: string, rows: readonly Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]);
  const cell = (v: string | number) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v));
  console.log(
    [
      title,
      `| ${keys.join(' | ')} |`,
      `| ${keys.map(() => '---').join(' | ')} |`,
      ...rows.map((r) => `| ${keys.map((k) => cell(r[k] ?? '')).join(' | ')} |`),
    ].join('\n'),
  );
}

/** Status names of the statuses these tests see. */
export function statusName(status: number): string {
  switch (status) {
    case 0:
      return 'ROK';
    case 0x08:
      return 'RSYSERR';
    case 0x14:
      return 'RMSGQFUL';
    case 0x58:
      return 'RTHROTTLED';
    case -1:
      return 'no answer';
    default:
      return `0x${status.toString(16)}`;
  }
}
