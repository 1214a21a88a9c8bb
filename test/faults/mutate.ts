// A cheap, seeded byte-mutation engine for the fault suite: it turns golden PDUs into hostile ones (bit flips,
// truncation, command_length lies, TLV length lies, C-strings without NUL, huge counts, splices) fast enough to run
// a million inputs in seconds. Shared by the codec fuzzer and the live-server fuzzer.

import { GOLDEN } from '../../src/smpp/codec/golden.fixtures.js';
import { encodePdu } from '../../src/smpp/codec/index.js';
import { submitDefaults } from '../helpers/esme.js';

/** A seeded xorshift32 generator: `next()` is a uint32, the rest derive from it. */
export class Rng {
  #s: number;

  /** A generator from a 32-bit seed (0 is replaced, xorshift cannot leave it). */
  constructor(seed: number) {
    this.#s = seed >>> 0 || 0x9e3779b9;
  }

  /** The next uint32. */
  next(): number {
    let x = this.#s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s;
  }

  /** An integer in 0…n-1 (n ≥ 1). */
  below(n: number): number {
    return this.next() % n;
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)];
  }
}

/** The seed a fuzz run uses: FUZZ_SEED when set, else one from the clock (printed, so a failure can be replayed). */
export function fuzzSeed(): number {
  const env = process.env.FUZZ_SEED;
  if (env !== undefined && env !== '') return Number(env) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** How many inputs a fuzz run tries: FUZZ_RUNS when set, else `fallback`. */
export function fuzzRuns(fallback: number): number {
  const env = process.env.FUZZ_RUNS;
  const n = env === undefined || env === '' ? fallback : Number(env);
  if (!Number.isFinite(n) || n < 1) throw new RangeError(`FUZZ_RUNS must be a positive number, got ${env}`);
  return Math.floor(n);
}

/** Seeds: every golden PDU plus a few rich ones (TLVs, long lists, a full short_message). */
export function seedPdus(): Buffer[] {
  const seeds = GOLDEN.map((g) => g.bytes);
  const base = { ...submitDefaults(), command_status: 0, sequence_number: 7 };
  seeds.push(
    encodePdu({
      ...base,
      command: 'submit_sm',
      short_message: Buffer.alloc(0),
      tlvs: {
        message_payload: Buffer.alloc(300, 0x41),
        sar_msg_ref_num: 7,
        sar_total_segments: 3,
        sar_segment_seqnum: 1,
      },
    }),
    encodePdu({ ...base, command: 'submit_sm', short_message: Buffer.alloc(254, 0x42) }),
    encodePdu({
      ...base,
      command: 'submit_multi',
      dest_address: Array.from({ length: 20 }, (_, i) => ({
        dest_flag: 1 as const,
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: `3361234${String(i).padStart(4, '0')}`,
      })),
    }),
    encodePdu({
      command: 'data_sm',
      command_status: 0,
      sequence_number: 8,
      service_type: '',
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: '12345',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: '33612345678',
      esm_class: 0,
      registered_delivery: 1,
      data_coding: 8,
      tlvs: {
        message_payload: Buffer.from('0048006900', 'hex'),
        user_message_reference: 3,
        unknown: [{ tag: 0x1401, value: Buffer.from([1, 2]) }],
      },
    }),
  );
  return seeds;
}

const INTERESTING_U8 = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff] as const;
const INTERESTING_U32 = [0, 1, 15, 16, 17, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 65536, 65537] as const;

/** The names of the mutations, in the order `mutate` numbers them (for the run's tally). */
export const MUTATIONS = [
  'bit_flip',
  'byte_set',
  'truncate',
  'extend',
  'length_lie',
  'tlv_length_lie',
  'cstring_no_nul',
  'huge_count',
  'splice',
  'duplicate_region',
  'delete_region',
  'command_id_swap',
  'random_bytes',
] as const;

/** One mutation's name. */
export type Mutation = (typeof MUTATIONS)[number];

/** A frame and whether its command_length was set to agree with its size (so the body is what gets exercised). */
export interface Mutant {
  bytes: Buffer;
  mutation: Mutation;
}

const COMMAND_IDS = [
  0x80000000, 0x00000001, 0x80000001, 0x00000002, 0x80000002, 0x00000003, 0x80000003, 0x00000004, 0x80000004,
  0x00000005, 0x80000005, 0x00000006, 0x80000006, 0x00000007, 0x80000007, 0x00000008, 0x80000008, 0x00000009,
  0x80000009, 0x0000000b, 0x00000015, 0x80000015, 0x00000021, 0x80000021, 0x00000102, 0x00000103, 0x80000103,
  0x12345678, 0x7fffffff, 0xffffffff,
] as const;

function fixLength(b: Buffer): void {
  if (b.length >= 4) b.writeUInt32BE(b.length, 0);
}

/**
 * One mutant of `seed` (never modified). Most mutants get a truthful command_length so the decoder reads the body;
 * `length_lie` keeps a false one.
 */
export function mutate(rng: Rng, seeds: readonly Buffer[]): Mutant {
  const seed = rng.pick(seeds);
  const kind = rng.below(MUTATIONS.length);
  const mutation = MUTATIONS[kind];
  let b: Buffer;
  switch (mutation) {
    case 'bit_flip': {
      b = Buffer.from(seed);
      const flips = 1 + rng.below(4);
      for (let i = 0; i < flips; i++) {
        const at = 4 + rng.below(b.length - 4);
        b[at] ^= 1 << rng.below(8);
      }
      fixLength(b);
      break;
    }
    case 'byte_set': {
      b = Buffer.from(seed);
      const at = 16 + rng.below(Math.max(1, b.length - 16));
      if (at < b.length) b[at] = rng.pick(INTERESTING_U8);
      fixLength(b);
      break;
    }
    case 'truncate': {
      b = Buffer.from(seed.subarray(0, rng.below(seed.length + 1)));
      if (rng.below(2) === 0) fixLength(b);
      break;
    }
    case 'extend': {
      const extra = Buffer.allocUnsafe(1 + rng.below(64));
      for (let i = 0; i < extra.length; i++) extra[i] = rng.next() & 0xff;
      b = Buffer.concat([seed, extra]);
      fixLength(b);
      break;
    }
    case 'length_lie': {
      b = Buffer.from(seed);
      b.writeUInt32BE(rng.below(2) === 0 ? rng.pick(INTERESTING_U32) : (b.length + rng.below(64) - 32) >>> 0, 0);
      break;
    }
    case 'tlv_length_lie': {
      // Append a TLV whose length field claims more (or fewer) octets than follow it; or lie in an existing one.
      const tag = rng.pick([0x0424, 0x001e, 0x0427, 0x020c, 0x0423, 0x1401, 0x130c, 0x0210]);
      const real = rng.below(8);
      const claimed = rng.pick([0, 1, 2, 3, real + 1, 0x7fff, 0xffff]);
      const t = Buffer.alloc(4 + real, 0x33);
      t.writeUInt16BE(tag, 0);
      t.writeUInt16BE(claimed, 2);
      b = Buffer.concat([seed, rng.below(3) === 0 ? t.subarray(0, 2 + rng.below(3)) : t]);
      fixLength(b);
      break;
    }
    case 'cstring_no_nul': {
      // Overwrite every NUL from some point of the body on: the C-octet strings lose their terminators.
      b = Buffer.from(seed);
      const from = 16 + rng.below(Math.max(1, b.length - 16));
      for (let i = from; i < b.length; i++) if (b[i] === 0) b[i] = 0x41;
      if (rng.below(2) === 0) {
        const tail = Buffer.alloc(rng.below(300), 0x5a);
        b = Buffer.concat([b, tail]);
      }
      fixLength(b);
      break;
    }
    case 'huge_count': {
      // A count or length octet (number_of_dests, sm_length, no_unsuccess) set high, or u16 TLV lengths maxed.
      b = Buffer.from(seed);
      const n = 1 + rng.below(3);
      for (let i = 0; i < n && b.length > 16; i++) {
        const at = 16 + rng.below(b.length - 16);
        b[at] = rng.pick([0xff, 0xfe, 0x80, 0xfd]);
      }
      fixLength(b);
      break;
    }
    case 'splice': {
      const other = rng.pick(seeds);
      const cut = rng.below(seed.length + 1);
      const from = rng.below(other.length + 1);
      b = Buffer.concat([seed.subarray(0, cut), other.subarray(from)]);
      fixLength(b);
      break;
    }
    case 'duplicate_region': {
      const start = 16 + rng.below(Math.max(1, seed.length - 16));
      const end = Math.min(seed.length, start + 1 + rng.below(40));
      b = Buffer.concat([seed.subarray(0, end), seed.subarray(start, end), seed.subarray(end)]);
      fixLength(b);
      break;
    }
    case 'delete_region': {
      const start = 16 + rng.below(Math.max(1, seed.length - 16));
      const end = Math.min(seed.length, start + 1 + rng.below(20));
      b = Buffer.concat([seed.subarray(0, start), seed.subarray(end)]);
      fixLength(b);
      break;
    }
    case 'command_id_swap': {
      b = Buffer.from(seed);
      b.writeUInt32BE(rng.pick(COMMAND_IDS), 4);
      break;
    }
    case 'random_bytes': {
      b = Buffer.allocUnsafe(rng.below(80));
      for (let i = 0; i < b.length; i++) b[i] = rng.next() & 0xff;
      if (rng.below(2) === 0) fixLength(b);
      break;
    }
  }
  return { bytes: b, mutation };
}
