// Fuzzing the framer and codec (issue #8, "Bad input"): FUZZ_RUNS inputs (default 1,000,000) of golden PDUs mutated
// by a seeded engine (bit flips, truncation, length-field lies, TLV length lies, C-strings without NUL, huge counts,
// splices), plus a fast-check run over generated valid PDUs that are then damaged (so failures shrink). Checked on
// every input: decode returns a PDU or throws only SmppDecodeError / SmppFramingError; whatever decodes re-encodes
// to bytes that decode to the same PDU; the compiled fast decoder agrees with the reference one (sampled); a stream
// of mutants cut at random points frames only whole, bounded frames or throws SmppFramingError; no input takes long.
// Replay a failure with FUZZ_SEED=<seed printed> (and FUZZ_RUNS).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodePduReference } from '../../src/smpp/codec/decode.js';
import {
  CommandId,
  type CommandName,
  decodePdu,
  encodePdu,
  type FieldSpec,
  Framer,
  PDU_FIELDS,
  type Pdu,
  SmppDecodeError,
  SmppFramingError,
} from '../../src/smpp/codec/index.js';
import { fuzzRuns, fuzzSeed, MUTATIONS, mutate, Rng, seedPdus } from './mutate.js';

const RUNS = fuzzRuns(1_000_000);
const MAX = 65536;

type Outcome = { pdu: Pdu } | { error: string };

function describeInput(b: Buffer): string {
  return b.length > 200 ? `${b.subarray(0, 200).toString('hex')}… (${b.length} octets)` : b.toString('hex');
}

/** decodePdu's outcome; anything but the two typed errors fails the test with the input in hex. */
function decodeOutcome(decode: (b: Buffer) => Pdu, b: Buffer, seed: number): Outcome {
  try {
    return { pdu: decode(b) };
  } catch (e) {
    if (e instanceof SmppDecodeError || e instanceof SmppFramingError) return { error: `${e.name}:${e.commandStatus}` };
    assert.fail(`seed ${seed}: untyped error ${(e as Error)?.name}: ${(e as Error)?.message} on ${describeInput(b)}`);
  }
}

/** What decodes must re-encode, and the re-encoded bytes must decode to the same bytes again. */
function roundTrip(p: Pdu, b: Buffer, seed: number, deep: boolean): void {
  let once: Buffer;
  try {
    once = encodePdu(p);
  } catch (e) {
    assert.fail(`seed ${seed}: a decoded PDU does not re-encode (${(e as Error).message}) from ${describeInput(b)}`);
  }
  const again = decodePdu(once);
  if (deep) assert.deepStrictEqual(again, p, `seed ${seed}: decode∘encode changed the PDU from ${describeInput(b)}`);
  assert.ok(encodePdu(again).equals(once), `seed ${seed}: encode∘decode∘encode is not stable on ${describeInput(b)}`);
}

describe('codec fuzz: mutated golden PDUs', () => {
  it(`${RUNS.toLocaleString('en')} mutants decode or throw only typed errors, round trip, and frame safely`, () => {
    const seed = fuzzSeed();
    const rng = new Rng(seed);
    const seeds = seedPdus();
    const tally = new Map<string, { n: number; decoded: number }>(MUTATIONS.map((m) => [m, { n: 0, decoded: 0 }]));
    let decoded = 0;
    let typedErrors = 0;
    let slowest = 0;
    let framed = 0;
    let framingErrors = 0;
    // The framer sees the same mutants as streams of four (a framing error ends a stream), cut at random points.
    let stream: Buffer[] = [];
    let streamBytes = 0;
    const frameStream = () => {
      const all = Buffer.concat(stream, streamBytes);
      stream = [];
      streamBytes = 0;
      const framer = new Framer({ maxCommandLength: MAX });
      let from = 0;
      while (from < all.length) {
        const to = Math.min(all.length, from + 1 + rng.below(300));
        framer.push(all.subarray(from, to));
        from = to;
        for (;;) {
          let f: Buffer | undefined;
          try {
            f = framer.next();
          } catch (e) {
            assert.ok(e instanceof SmppFramingError, `seed ${seed}: the framer threw ${(e as Error).name}`);
            framingErrors++;
            return; // framing is lost: a session closes here
          }
          if (f === undefined) break;
          framed++;
          const len = f.readUInt32BE(0);
          assert.ok(len === f.length && len >= 16 && len <= MAX, `seed ${seed}: framer gave a bad frame`);
        }
      }
    };

    const t0 = performance.now();
    for (let i = 0; i < RUNS; i++) {
      const { bytes, mutation } = mutate(rng, seeds);
      const s = performance.now();
      const out = decodeOutcome(decodePdu, bytes, seed);
      const t = tally.get(mutation)!;
      t.n++;
      if ('pdu' in out) {
        decoded++;
        t.decoded++;
        roundTrip(out.pdu, bytes, seed, (i & 63) === 0);
      } else typedErrors++;
      if ((i & 15) === 0) {
        const ref = decodeOutcome(decodePduReference, bytes, seed);
        if ('pdu' in out && 'pdu' in ref) {
          assert.ok(
            encodePdu(out.pdu).equals(encodePdu(ref.pdu)),
            `seed ${seed}: fast ≠ reference on ${describeInput(bytes)}`,
          );
        } else {
          assert.deepStrictEqual(ref, out, `seed ${seed}: fast ≠ reference on ${describeInput(bytes)}`);
        }
      }
      const took = performance.now() - s;
      if (took > slowest) slowest = took;
      stream.push(bytes);
      streamBytes += bytes.length;
      if (stream.length >= 4) frameStream();
    }
    frameStream();
    const seconds = (performance.now() - t0) / 1000;

    console.log(`codec fuzz: seed ${seed}, ${RUNS.toLocaleString('en')} inputs in ${seconds.toFixed(1)} s`);
    console.log(
      `  decoded ${decoded.toLocaleString('en')}, typed errors ${typedErrors.toLocaleString('en')}, ` +
        `framer: ${framed.toLocaleString('en')} frames, ${framingErrors} framing errors, slowest input ${slowest.toFixed(2)} ms`,
    );
    console.log('  | mutation | inputs | decoded |');
    for (const [m, { n, decoded: d }] of tally) console.log(`  | ${m} | ${n} | ${d} |`);
    assert.equal(decoded + typedErrors, RUNS);
    assert.ok(decoded > 0 && typedErrors > 0, 'the mutants reach both the decoders and the error paths');
    // A generous bound: a hang or a quadratic path would be seconds, not this.
    assert.ok(slowest < 250, `one input took ${slowest.toFixed(1)} ms`);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// fast-check: generated valid PDUs (from the field table), round-tripped, then damaged; failures shrink.

const latin1 = fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c));
const cstring = (max: number) => fc.string({ unit: latin1, maxLength: Math.max(0, max - 1) });

function fieldArb(f: FieldSpec): fc.Arbitrary<unknown> {
  switch (f.kind) {
    case 'u8':
      return fc.integer({ min: 0, max: 255 });
    case 'u32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'cstr':
      return cstring(f.max);
    case 'time':
      return fc.constantFrom('', '000001000000000R', '251231235959000+', '010101000000004-');
    case 'sm':
      return fc.uint8Array({ maxLength: 254 }).map((a) => Buffer.from(a));
    case 'dest_address':
      return fc.array(
        fc.oneof(
          fc.record({
            dest_flag: fc.constant(1 as const),
            dest_addr_ton: fc.integer({ min: 0, max: 255 }),
            dest_addr_npi: fc.integer({ min: 0, max: 255 }),
            destination_addr: cstring(21),
          }),
          fc.record({ dest_flag: fc.constant(2 as const), dl_name: cstring(21) }),
        ),
        { maxLength: 8 },
      );
    case 'unsuccess_sme':
      return fc.array(
        fc.record({
          dest_addr_ton: fc.integer({ min: 0, max: 255 }),
          dest_addr_npi: fc.integer({ min: 0, max: 255 }),
          destination_addr: cstring(21),
          error_status_code: fc.integer({ min: 0, max: 0xffffffff }),
        }),
        { maxLength: 8 },
      );
  }
}

const tlvsArb = fc.record(
  {
    message_payload: fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
    receipted_message_id: cstring(65),
    message_state: fc.integer({ min: 0, max: 255 }),
    sar_msg_ref_num: fc.integer({ min: 0, max: 0xffff }),
    network_error_code: fc.record({
      network_type: fc.integer({ min: 0, max: 255 }),
      error_code: fc.integer({ min: 0, max: 0xffff }),
    }),
  },
  { requiredKeys: [] },
);

const commands = Object.keys(CommandId) as CommandName[];
const anyPdu: fc.Arbitrary<Pdu> = fc.oneof(
  ...commands.map((command) =>
    fc
      .record({
        body: fc.record(Object.fromEntries(PDU_FIELDS[command].map((f: FieldSpec) => [f.name, fieldArb(f)]))),
        seq: fc.integer({ min: 1, max: 0x7fffffff }),
        tlvs: fc.option(tlvsArb, { nil: undefined }),
      })
      .map(({ body, seq, tlvs }) => {
        const p: Record<string, unknown> = { command, command_status: 0, sequence_number: seq, ...body };
        if (tlvs !== undefined && Object.keys(tlvs).length > 0) p.tlvs = tlvs;
        return p as Pdu;
      }),
  ),
);

describe('codec fuzz: fast-check', () => {
  const runs = Math.max(2000, Math.floor(RUNS / 100));
  it(`${runs.toLocaleString('en')} generated PDUs round trip, and stay safe once damaged`, () => {
    const seed = fuzzSeed();
    fc.assert(
      fc.property(
        anyPdu,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.nat(),
        (p, flips, cut) => {
          const bytes = encodePdu(p);
          const back = decodePdu(bytes);
          assert.ok(encodePdu(back).equals(bytes), 'encode∘decode∘encode');
          const damaged = Buffer.from(bytes);
          for (const [at, v] of flips) damaged[16 + (at % Math.max(1, damaged.length - 16))] = v;
          const cutAt = 16 + (cut % Math.max(1, damaged.length - 15));
          for (const frame of [damaged, damaged.subarray(0, cutAt)]) {
            const f = Buffer.from(frame);
            if (f.length >= 4) f.writeUInt32BE(f.length, 0);
            const out = decodeOutcome(decodePdu, f, seed);
            if ('pdu' in out) roundTrip(out.pdu, f, seed, true);
          }
        },
      ),
      { numRuns: runs, seed },
    );
  });
});
