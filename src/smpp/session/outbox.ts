// The session's writer: everything queued during one tick leaves in one write (one syscall on a socket). PDUs are
// copied into a shared segment rather than written one Buffer each, and the two shapes that make up nearly all of a
// busy server's output — header-only PDUs (SMPP 3.4 §3.2: enquire_link_resp, generic_nack, error responses) and
// responses whose only mandatory field is message_id (submit_sm_resp, data_sm_resp, deliver_sm_resp, §4.4.2,
// §4.7.2, §4.6.2) — are written straight into it without an intermediate object or Buffer.

import type { Duplex } from 'node:stream';
import type { PduCounts } from './counters.js';

const SEGMENT = 64 * 1024;
/** SMPP 3.4 §5.2.23: message_id is a C-octet string of at most 65 octets including the NUL. */
const MAX_MESSAGE_ID = 64;

/** Batches a session's output per tick. `onFlush(ok)` reports each write (ok = false: the stream wants a drain). */
export class Outbox {
  readonly #stream: Duplex;
  readonly #onFlush: (ok: boolean) => void;
  // The segment being filled; [#start, #end) is queued and not yet written. Bytes before #start were handed to
  // the stream and may still be referenced by it, so a segment is never rewritten: a full one is replaced.
  #seg: Buffer = Buffer.allocUnsafe(SEGMENT);
  #start = 0;
  #end = 0;
  #full: Buffer[] = [];
  #scheduled = false;
  /** Flush as soon as this many octets are queued instead of waiting for the end of the tick. */
  readonly #eagerBytes: number;
  /** Where every queued PDU is counted by command and status (the metrics), if anywhere. */
  readonly #counts: PduCounts | undefined;

  constructor(stream: Duplex, onFlush: (ok: boolean) => void, eagerBytes = 16 * 1024, counts?: PduCounts) {
    this.#stream = stream;
    this.#onFlush = onFlush;
    this.#eagerBytes = eagerBytes;
    this.#counts = counts;
  }

  /** Octets queued and not yet written. */
  get pending(): number {
    let n = this.#end - this.#start;
    for (const b of this.#full) n += b.length;
    return n;
  }

  /** Queues a 16-octet PDU with no body. */
  header(commandId: number, status: number, sequence: number): void {
    const pos = this.#reserve(16);
    const b = this.#seg;
    writeU32(b, pos, 16);
    writeU32(b, pos + 4, commandId);
    writeU32(b, pos + 8, status);
    writeU32(b, pos + 12, sequence);
    this.#end = pos + 16;
    this.#counts?.add(commandId, status);
    this.#schedule();
  }

  /**
   * Queues a response whose body is message_id alone. Returns false, queuing nothing, when `messageId` is not a
   * valid C-octet string value (over 64 characters, NUL or non-Latin-1): the caller then goes through the encoder,
   * which reports the field error.
   */
  messageIdResponse(commandId: number, status: number, sequence: number, messageId: string): boolean {
    const n = messageId.length;
    if (n > MAX_MESSAGE_ID) return false;
    const length = 17 + n;
    const pos = this.#reserve(length);
    const b = this.#seg;
    let p = pos + 16;
    for (let i = 0; i < n; i++) {
      const c = messageId.charCodeAt(i);
      if (c === 0 || c > 0xff) return false; // nothing committed: #end has not moved
      b[p++] = c;
    }
    b[p] = 0;
    writeU32(b, pos, length);
    writeU32(b, pos + 4, commandId);
    writeU32(b, pos + 8, status);
    writeU32(b, pos + 12, sequence);
    this.#end = pos + length;
    this.#counts?.add(commandId, status);
    this.#schedule();
    return true;
  }

  /** Queues an encoded PDU (copied: the caller may reuse `pdu`). */
  bytes(pdu: Buffer): void {
    const pos = this.#reserve(pdu.length);
    pdu.copy(this.#seg, pos);
    this.#end = pos + pdu.length;
    if (this.#counts !== undefined && pdu.length >= 16) this.#counts.add(pdu.readUInt32BE(4), pdu.readUInt32BE(8));
    this.#schedule();
  }

  /** Writes everything queued now, in one write when it fits one segment (corked writes otherwise). */
  flush(): void {
    const stream = this.#stream;
    const full = this.#full;
    const start = this.#start;
    const end = this.#end;
    if (full.length === 0 && start === end) return;
    this.#start = end;
    if (stream.destroyed || stream.writableEnded) {
      this.#full = [];
      return;
    }
    let ok: boolean;
    if (full.length === 0) {
      ok = stream.write(this.#seg.subarray(start, end));
    } else {
      this.#full = [];
      stream.cork();
      for (const b of full) stream.write(b);
      ok = start < end ? stream.write(this.#seg.subarray(start, end)) : true;
      stream.uncork();
      ok = ok && stream.writableLength < stream.writableHighWaterMark;
    }
    // Reuse what is left of the segment only while it is roomy; a fresh one costs one allocation per 64 KiB.
    if (this.#seg.length - this.#end < 4096) {
      this.#seg = Buffer.allocUnsafe(SEGMENT);
      this.#start = 0;
      this.#end = 0;
    }
    this.#onFlush(ok);
  }

  #reserve(n: number): number {
    if (this.#end + n > this.#seg.length) {
      if (this.#end > this.#start) this.#full.push(this.#seg.subarray(this.#start, this.#end));
      this.#seg = Buffer.allocUnsafe(Math.max(SEGMENT, n));
      this.#start = 0;
      this.#end = 0;
    }
    return this.#end;
  }

  #schedule(): void {
    if (this.#end - this.#start >= this.#eagerBytes) {
      // A big batch: let the peer start on it while we produce the rest (pipelining across processes).
      this.flush();
      return;
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#tick);
    }
  }

  readonly #tick = (): void => {
    this.#scheduled = false;
    this.flush();
  };
}

function writeU32(b: Buffer, pos: number, v: number): void {
  b[pos] = v >>> 24;
  b[pos + 1] = (v >>> 16) & 0xff;
  b[pos + 2] = (v >>> 8) & 0xff;
  b[pos + 3] = v & 0xff;
}
