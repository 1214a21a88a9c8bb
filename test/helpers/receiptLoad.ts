// The whole-path load client of bench/gateway.ts: transceiver binds that submit windowed submit_sm asking for a
// receipt (registered_delivery 1), answer every deliver_sm, and match each receipt to its submit by message_id.
// Measures submit_sm_resp latency, submit-to-receipt latency, receipts per second, and after the run waits for the
// receipts still owed so that lost and duplicate receipts are counted, not guessed.

import type net from 'node:net';
import { CommandId, decodePdu, encodePdu, type PduOf } from '../../src/smpp/codec/index.js';
import { Esme, submitDefaults } from './esme.js';

/** A receipt load run's parameters. */
export interface ReceiptLoadOptions {
  port: number;
  /** Several gateway nodes: bind b connects to ports[b % ports.length] (default [port]). */
  ports?: number[];
  host?: string;
  binds: number;
  /** Outstanding submit_sm per bind. */
  window: number;
  durationMs: number;
  warmupMs: number;
  system_id: string;
  password: string;
  messageLength?: number;
  /** After the run, how long to wait for receipts still owed. */
  drainMs?: number;
}

/** What a receipt load run measured. */
export interface ReceiptLoadResult {
  /** submit_sm_resp ROK in the measured interval. */
  accepted: number;
  /** Non-ROK submit_sm_resp in the measured interval. */
  refused: number;
  /** Receipts received in the measured interval (for messages submitted at any time). */
  receipts: number;
  seconds: number;
  /** Receipts per second in the measured interval: messages completed with their receipt. */
  rate: number;
  submitP50: number;
  submitP99: number;
  receiptP50: number;
  receiptP99: number;
  /** Over the whole run, after the drain: every message accepted, receipts matched, still missing, duplicated. */
  totalAccepted: number;
  totalReceipts: number;
  missing: number;
  duplicates: number;
  /** deliver_sm that matched no message we submitted. */
  unknown: number;
}

const SEQ_SLOTS = 1 << 16;

function percentile(values: Float64Array, n: number, p: number): number {
  if (n === 0) return 0;
  const sorted = values.subarray(0, n).sort();
  return sorted[Math.min(n - 1, Math.floor((p / 100) * n))];
}

/** Reads the NUL-terminated message_id of a submit_sm_resp at `pos` (latin1, as the codec writes it). */
function messageIdAt(buf: Buffer, pos: number, end: number): string {
  let i = pos + 16;
  while (i < end && buf[i] !== 0) i++;
  return buf.toString('latin1', pos + 16, i);
}

const RECEIPTED_MESSAGE_ID = 0x001e;

/** The offset just past the NUL of the C-octet string at `pos`, or -1 when it has none before `end`. */
function skipCString(buf: Buffer, pos: number, end: number): number {
  const nul = buf.indexOf(0, pos);
  return nul < 0 || nul >= end ? -1 : nul + 1;
}

/**
 * The receipted_message_id TLV (SMPP 3.4 §5.3.2.12) of the deliver_sm at `buf[pos, end)`, read off the wire as the
 * codec reads it (the first such TLV, up to its NUL or its length); undefined when the PDU has none or does not parse
 * plainly, and the caller then decodes it whole. Decoding each receipt whole was most of the load client's CPU.
 */
function receiptedIdAt(buf: Buffer, pos: number, end: number): string | undefined {
  let p = skipCString(buf, pos + 16, end); // service_type
  if (p < 0) return undefined;
  p = skipCString(buf, p + 2, end); // source_addr_ton, source_addr_npi, source_addr
  if (p < 0) return undefined;
  p = skipCString(buf, p + 2, end); // dest_addr_ton, dest_addr_npi, destination_addr
  if (p < 0) return undefined;
  p = skipCString(buf, p + 3, end); // esm_class, protocol_id, priority_flag, schedule_delivery_time
  if (p < 0) return undefined;
  p = skipCString(buf, p, end); // validity_period
  if (p < 0) return undefined;
  p += 4; // registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id
  if (p >= end) return undefined;
  p += 1 + buf[p]; // sm_length, short_message
  while (p + 4 <= end) {
    const tag = (buf[p] << 8) | buf[p + 1];
    const len = (buf[p + 2] << 8) | buf[p + 3];
    p += 4;
    if (len > end - p) return undefined;
    if (tag === RECEIPTED_MESSAGE_ID) {
      let nul = buf.indexOf(0, p);
      if (nul < 0 || nul >= p + len) nul = p + len;
      return nul - p > 64 ? undefined : buf.toString('latin1', p, nul);
    }
    p += len;
  }
  return undefined;
}

/** Writes a 16-octet PDU with no body (a _resp) at `off`. */
function writeHeader(out: Buffer, off: number, commandId: number, sequence: number): void {
  out.writeUInt32BE(16, off);
  out.writeUInt32BE(commandId, off + 4);
  out.writeUInt32BE(0, off + 8);
  out.writeUInt32BE(sequence, off + 12);
}

/** Runs the load; resolves once the run and the drain are over. */
export async function runReceiptLoad(options: ReceiptLoadOptions): Promise<ReceiptLoadResult> {
  const template = encodePdu({
    ...submitDefaults(),
    command: 'submit_sm',
    command_status: 0,
    sequence_number: 1,
    registered_delivery: 1,
    short_message: Buffer.alloc(options.messageLength ?? 160, 0x61),
  });
  const len = template.length;
  const submitLat = new Float64Array(4 * 1024 * 1024);
  const receiptLat = new Float64Array(4 * 1024 * 1024);
  let nSubmit = 0;
  let nReceipt = 0;
  let measuring = false;
  let stopping = false;
  let accepted = 0;
  let refused = 0;
  let receipts = 0;
  let totalAccepted = 0;
  let totalReceipts = 0;
  let duplicates = 0;
  let unknown = 0;
  /** message_id → accepted at (ms); deleted when its receipt comes. */
  const owed = new Map<string, number>();
  /** Receipts seen for ids no longer owed (duplicates) are told from unknown ones by this set. */
  const done = new Set<string>();
  /** Receipts that came before their submit_sm_resp was read (possible when the SMSC is faster than our read). */
  const early = new Map<string, number>();

  const sessions: Esme[] = [];
  for (let b = 0; b < options.binds; b++) {
    const ports = options.ports ?? [options.port];
    const esme = await Esme.connect({ port: ports[b % ports.length], host: options.host });
    const resp = await esme.bind('transceiver', options.system_id, options.password);
    if (resp.command_status !== 0) throw new Error(`bind refused: ${resp.command_status}`);
    sessions.push(esme);
  }
  let lastActivity = performance.now();
  const settled: Promise<void>[] = [];
  for (const esme of sessions) {
    const socket = esme.stream as net.Socket;
    socket.removeAllListeners('data');
    const sentAt = new Float64Array(SEQ_SLOTS);
    let seq = 1000;
    let outstanding = 0;
    let rest: Buffer | undefined;
    let resolveSettled!: () => void;
    settled.push(
      new Promise<void>((r) => {
        resolveSettled = r;
      }),
    );
    /** Writes `acks` (deliver_sm_resp / enquire_link_resp, by id and sequence) then `n` new submit_sm, in one write. */
    const send = (ackIds: number[], ackSeqs: number[], n: number): void => {
      const nAcks = ackIds.length;
      if (n <= 0 && nAcks === 0) return;
      const out = Buffer.allocUnsafe(nAcks * 16 + Math.max(0, n) * len);
      for (let i = 0; i < nAcks; i++) writeHeader(out, i * 16, ackIds[i], ackSeqs[i]);
      if (n > 0) {
        const now = performance.now();
        for (let i = 0; i < n; i++) {
          const off = nAcks * 16 + i * len;
          template.copy(out, off);
          seq = seq >= 0x7ffffff0 ? 1 : seq + 1;
          out.writeUInt32BE(seq, off + 12);
          sentAt[seq & (SEQ_SLOTS - 1)] = now;
        }
        outstanding += n;
      }
      socket.write(out);
    };
    const ackIds: number[] = [];
    const ackSeqs: number[] = [];
    socket.on('data', (chunk: Buffer) => {
      const buf = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
      rest = undefined;
      let pos = 0;
      let got = 0;
      ackIds.length = 0;
      ackSeqs.length = 0;
      const now = performance.now();
      lastActivity = now;
      while (buf.length - pos >= 16) {
        const l = buf.readUInt32BE(pos);
        if (buf.length - pos < l) break;
        const id = buf.readUInt32BE(pos + 4);
        const sequence = buf.readUInt32BE(pos + 12);
        if (id === CommandId.submit_sm_resp) {
          got++;
          if (buf.readUInt32BE(pos + 8) === 0) {
            totalAccepted++;
            const messageId = messageIdAt(buf, pos, pos + l);
            const earlyAt = early.get(messageId);
            if (earlyAt !== undefined) {
              early.delete(messageId);
              done.add(messageId);
              totalReceipts++;
            } else owed.set(messageId, now);
            if (measuring) {
              accepted++;
              if (nSubmit < submitLat.length) submitLat[nSubmit++] = now - sentAt[sequence & (SEQ_SLOTS - 1)];
            }
          } else if (measuring) refused++;
        } else if (id === CommandId.deliver_sm) {
          let rid = receiptedIdAt(buf, pos, pos + l);
          if (rid === undefined) {
            const pdu = decodePdu(buf.subarray(pos, pos + l)) as PduOf<'deliver_sm'>;
            rid = pdu.tlvs?.receipted_message_id ?? /^id:(\S+)/.exec(pdu.short_message.toString('latin1'))?.[1] ?? '';
          }
          const at = owed.get(rid);
          if (at !== undefined) {
            owed.delete(rid);
            done.add(rid);
            totalReceipts++;
            if (measuring) {
              receipts++;
              if (nReceipt < receiptLat.length) receiptLat[nReceipt++] = now - at;
            }
          } else if (done.has(rid)) duplicates++;
          else early.set(rid, now);
          ackIds.push(CommandId.deliver_sm_resp);
          ackSeqs.push(sequence);
        } else if (id === CommandId.enquire_link) {
          ackIds.push(CommandId.enquire_link_resp);
          ackSeqs.push(sequence);
        }
        pos += l;
      }
      if (pos < buf.length) rest = buf.subarray(pos);
      outstanding -= got;
      // The answers and the next submits leave in one write (the answers first, as when they were two).
      send(ackIds, ackSeqs, stopping ? 0 : got);
      if (stopping && outstanding === 0) resolveSettled();
    });
    send(ackIds, ackSeqs, options.window);
  }
  await new Promise((r) => setTimeout(r, options.warmupMs));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, options.durationMs));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  stopping = true;
  await Promise.race([Promise.all(settled), new Promise((r) => setTimeout(r, 5000))]);
  // Wait for the receipts still owed: until none is, or nothing arrived for a while, or the drain time is over.
  const drainEnd = performance.now() + (options.drainMs ?? 30_000);
  while (owed.size > 0 && performance.now() < drainEnd && performance.now() - lastActivity < 5000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const esme of sessions) esme.stream.destroy();
  unknown = early.size;
  return {
    accepted,
    refused,
    receipts,
    seconds,
    rate: receipts / seconds,
    submitP50: percentile(submitLat, nSubmit, 50),
    submitP99: percentile(submitLat, nSubmit, 99),
    receiptP50: percentile(receiptLat, nReceipt, 50),
    receiptP99: percentile(receiptLat, nReceipt, 99),
    totalAccepted,
    totalReceipts,
    missing: owed.size,
    duplicates,
    unknown,
  };
}
