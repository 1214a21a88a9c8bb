// Test fixtures shared by the connector tests: a real SQLite store in a temp folder, a recording fake of
// UpstreamEvents, message parts, and a wait helper. Not part of the product.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SubmitOutcome, UpstreamDeliver, UpstreamEvents } from '../../gateway/upstream.js';
import type { Tlvs } from '../../smpp/codec/index.js';
import { tlvsSize, writeTlvs } from '../../smpp/codec/tlv.js';
import { messageFixture } from '../../store/conformance/suite.js';
import type { MessageRecord } from '../../store/model.js';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqliteStore.js';
import type { ConnectorClock } from '../manager.js';

/** One outcome the fake gateway was told. */
export interface RecordedOutcome {
  cid: string;
  id: string;
  outcome: SubmitOutcome;
  attempts: number;
}

/** A recording UpstreamEvents: outcomes and inbound PDUs, with a settable answer to deliveries. */
export class RecordingEvents implements UpstreamEvents {
  readonly outcomes: RecordedOutcome[] = [];
  readonly inbound: { cid: string; pdu: UpstreamDeliver }[] = [];
  /** What delivered() resolves with (may be replaced by a test). */
  answer: (pdu: UpstreamDeliver) => Promise<number> = async () => 0;
  /** Make submitted() fail this many more times (a store outage). */
  failSubmitted = 0;

  async submitted(cid: string, message: MessageRecord, outcome: SubmitOutcome): Promise<void> {
    if (this.failSubmitted > 0) {
      this.failSubmitted--;
      throw new Error('store unavailable (test)');
    }
    this.outcomes.push({ cid, id: message.id, outcome, attempts: message.attempts });
    await Promise.resolve();
  }

  async delivered(cid: string, pdu: UpstreamDeliver): Promise<number> {
    this.inbound.push({ cid, pdu });
    return this.answer(pdu);
  }

  /** Outcomes of one kind. */
  of(kind: SubmitOutcome['kind']): RecordedOutcome[] {
    return this.outcomes.filter((o) => o.outcome.kind === kind);
  }
}

/** Real wall clock with unref'd timers. */
export const testClock: ConnectorClock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** A SQLite store in a fresh temp folder; `cleanup` closes and removes it. */
export function tempStore(): { store: SqliteStore; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'smppgate-conn-'));
  const store = openSqliteStore({ path: dir, synchronous: 'normal' });
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Encodes TLVs the way the pipeline stores them in MessageRecord.tlvs. */
export function encodeTlvs(tlvs: Tlvs): Buffer {
  const out = Buffer.alloc(tlvsSize(tlvs));
  writeTlvs(out, 0, tlvs);
  return out;
}

/** `n` queued parts for connector `cid` (accepted now), each with text `text-<i>`. */
export function parts(cid: string, n: number, over: Partial<MessageRecord> = {}): MessageRecord[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) =>
    messageFixture('u1', cid, {
      submitted_at: now,
      updated_at: now,
      short_message: Buffer.from(`text-${i}`),
      ...over,
    }),
  );
}

/** Waits until `predicate` holds (polled every 5 ms); fails with `what` after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
