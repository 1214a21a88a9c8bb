// Codec benchmark: decode and encode rates for a submit_sm (160-character message), a deliver_sm receipt and an
// enquire_link, the framer over a stream of 1,000,000 PDUs cut at random chunk boundaries, and node-smpp's decode
// (PDU.fromBuffer) and encode (toBuffer) of the same PDUs in the same run. Each figure is the median of several
// timed runs after a warm-up. Run: npm run bench:codec [-- --quick] [-- --json]
// --quick: 3 runs of 100 ms (for a fast look); --json: one machine-readable line after the table (bench/all.ts).

import { decodePdu, encodePdu, Framer, type Pdu } from '../src/smpp/codec/index.js';
import { nodeSmpp } from '../test/helpers/nodeSmpp.js';
import { seededRandom } from '../test/helpers/random.js';

const QUICK = process.argv.includes('--quick');
const JSON_OUT = process.argv.includes('--json');
const RUNS = QUICK ? 3 : 7;
const RUN_MS = QUICK ? 100 : 300;

const text160 = 'The quick brown fox jumps over the lazy dog. '.repeat(4).slice(0, 160);
const receiptText =
  'id:5d2c2d5e-7f3a-4b1c sub:001 dlvrd:001 submit date:2401021504 done date:2401021505 stat:DELIVRD err:000 text:The quick brown fox ';

const submitSm: Pdu = {
  command: 'submit_sm',
  command_status: 0,
  sequence_number: 1234,
  service_type: '',
  source_addr_ton: 5,
  source_addr_npi: 0,
  source_addr: 'ACME',
  dest_addr_ton: 1,
  dest_addr_npi: 1,
  destination_addr: '447700900123',
  esm_class: 0,
  protocol_id: 0,
  priority_flag: 0,
  schedule_delivery_time: '',
  validity_period: '',
  registered_delivery: 1,
  replace_if_present_flag: 0,
  data_coding: 0,
  sm_default_msg_id: 0,
  short_message: Buffer.from(text160, 'latin1'),
};

const receipt: Pdu = {
  command: 'deliver_sm',
  command_status: 0,
  sequence_number: 5678,
  service_type: '',
  source_addr_ton: 1,
  source_addr_npi: 1,
  source_addr: '447700900123',
  dest_addr_ton: 5,
  dest_addr_npi: 0,
  destination_addr: 'ACME',
  esm_class: 0x04,
  protocol_id: 0,
  priority_flag: 0,
  schedule_delivery_time: '',
  validity_period: '',
  registered_delivery: 0,
  replace_if_present_flag: 0,
  data_coding: 0,
  sm_default_msg_id: 0,
  short_message: Buffer.from(receiptText, 'latin1'),
  tlvs: { receipted_message_id: '5d2c2d5e-7f3a-4b1c', message_state: 2 },
};

const enquireLink: Pdu = { command: 'enquire_link', command_status: 0, sequence_number: 42 };

/** node-smpp's options for the same PDU (flattened TLVs). */
function nodeOptions(p: Pdu): Record<string, unknown> {
  const { command: _c, tlvs, ...rest } = p as Pdu & { tlvs?: Record<string, unknown> };
  return { ...rest, ...(tlvs ?? {}) };
}

let sink = 0;
// Results are kept in a ring so that the engine cannot elide the objects the codecs build (as real callers keep them).
const ring: unknown[] = new Array(1024).fill(undefined);
let slot = 0;
function keep(x: unknown): void {
  ring[slot] = x;
  slot = (slot + 1) & 1023;
}

/** Runs `fn` (which does `batch` operations) for RUN_MS, RUNS times after a warm-up; returns the median ops/s. */
function measure(batch: number, fn: () => void): number {
  const warmEnd = performance.now() + RUN_MS;
  while (performance.now() < warmEnd) fn();
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let ops = 0;
    const start = performance.now();
    let now = start;
    while (now - start < RUN_MS) {
      fn();
      ops += batch;
      now = performance.now();
    }
    rates.push((ops * 1000) / (now - start));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

const BATCH = 1000;

function benchDecode(bytes: Buffer): number {
  return measure(BATCH, () => {
    for (let i = 0; i < BATCH; i++) keep(decodePdu(bytes));
  });
}

function benchEncode(p: Pdu): number {
  return measure(BATCH, () => {
    for (let i = 0; i < BATCH; i++) keep(encodePdu(p));
  });
}

function benchNodeDecode(bytes: Buffer): number {
  return measure(BATCH / 10, () => {
    for (let i = 0; i < BATCH / 10; i++) {
      keep(nodeSmpp.PDU.fromBuffer(bytes));
    }
  });
}

function benchNodeEncode(p: Pdu): number {
  const pdu = new nodeSmpp.PDU(p.command, nodeOptions(p));
  return measure(BATCH / 10, () => {
    for (let i = 0; i < BATCH / 10; i++) keep(pdu.toBuffer());
  });
}

// Framer: a base stream of 10,000 PDUs (the three kinds in turn), cut into random chunks of 1 octet to 64 KiB
// (weighted towards the sizes TCP reads give), fed 100 times: 1,000,000 PDUs per pass.
function framerStream(): { chunks: Buffer[]; pdus: number; bytes: number } {
  const kinds = [encodePdu(submitSm), encodePdu(receipt), encodePdu(enquireLink)];
  const parts: Buffer[] = [];
  for (let i = 0; i < 10_000; i++) parts.push(kinds[i % 3]);
  const base = Buffer.concat(parts);
  const random = seededRandom(2775);
  const chunks: Buffer[] = [];
  let pos = 0;
  while (pos < base.length) {
    const roll = random();
    const size =
      roll < 0.1
        ? 1 + Math.floor(random() * 64)
        : roll < 0.5
          ? 1 + Math.floor(random() * 4096)
          : 1 + Math.floor(random() * 65536);
    chunks.push(base.subarray(pos, pos + size));
    pos += size;
  }
  return { chunks, pdus: 10_000, bytes: base.length };
}

function benchFramer(decode: boolean): { pdusPerSec: number; mbPerSec: number } {
  const { chunks, pdus, bytes } = framerStream();
  const PASSES = 100;
  const pass = (): void => {
    const framer = new Framer();
    for (let p = 0; p < PASSES; p++) {
      for (const chunk of chunks) {
        framer.push(chunk);
        for (let f = framer.next(); f !== undefined; f = framer.next()) {
          if (decode) keep(decodePdu(f));
          else sink += f.length;
        }
      }
    }
  };
  pass(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < (decode ? 3 : 5); r++) {
    const start = performance.now();
    pass();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const seconds = times[Math.floor(times.length / 2)] / 1000;
  return { pdusPerSec: (pdus * PASSES) / seconds, mbPerSec: (bytes * PASSES) / seconds / 1e6 };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

function main(): void {
  console.log(
    `smppgate codec benchmark: Node ${process.version}, ${process.arch}, median of ${RUNS} runs of ${RUN_MS} ms`,
  );
  console.log('');
  const widths = [26, 14, 14, 14, 14, 9, 9];
  const rows: { pdu: string; bytes: number; decode: number; nodeDecode: number; encode: number; nodeEncode: number }[] =
    [];
  console.log(row(['PDU (bytes)', 'decode/s', 'node-smpp', 'encode/s', 'node-smpp', 'dec ×', 'enc ×'], widths));
  console.log('-'.repeat(widths.reduce((a, b) => a + b + 2, -2)));
  for (const [name, p] of [
    ['submit_sm 160 chars', submitSm],
    ['deliver_sm receipt', receipt],
    ['enquire_link', enquireLink],
  ] as const) {
    const bytes = encodePdu(p);
    const dec = benchDecode(bytes);
    const enc = benchEncode(p);
    const nodeDec = benchNodeDecode(bytes);
    const nodeEnc = benchNodeEncode(p);
    rows.push({ pdu: name, bytes: bytes.length, decode: dec, nodeDecode: nodeDec, encode: enc, nodeEncode: nodeEnc });
    console.log(
      row(
        [
          `${name} (${bytes.length})`,
          fmt(dec),
          fmt(nodeDec),
          fmt(enc),
          fmt(nodeEnc),
          `${(dec / nodeDec).toFixed(1)}×`,
          `${(enc / nodeEnc).toFixed(1)}×`,
        ],
        widths,
      ),
    );
  }
  console.log('');
  const framing = benchFramer(false);
  console.log(
    `framer, 1,000,000 PDUs in random chunks:            ${fmt(framing.pdusPerSec)} PDUs/s  ${framing.mbPerSec.toFixed(0)} MB/s`,
  );
  const full = benchFramer(true);
  console.log(
    `framer + decode, 1,000,000 PDUs in random chunks:   ${fmt(full.pdusPerSec)} PDUs/s  ${full.mbPerSec.toFixed(0)} MB/s`,
  );
  if (JSON_OUT) {
    console.log(
      JSON.stringify({ bench: 'codec', runs: RUNS, runMs: RUN_MS, rows, framer: framing, framerDecode: full }),
    );
  }
  if (sink === 0.5 || ring[slot] === sink) console.log(''); // keeps the results observable
}

main();
