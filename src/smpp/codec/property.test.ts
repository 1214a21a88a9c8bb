// Property-based tests: arbitraries are built from the field table itself, so every command and every field kind
// is covered; round trips both ways, framing under random chunking, and decode of hostile bytes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CommandId, type CommandName } from './commands.js';
import { decodePdu, decodePduReference } from './decode.js';
import { encodePdu } from './encode.js';
import { SmppDecodeError, SmppFramingError } from './errors.js';
import { Framer } from './framer.js';
import { GOLDEN } from './golden.fixtures.js';
import { type FieldSpec, PDU_FIELDS, type Pdu } from './pdus.js';
import { formatAbsoluteTime, formatRelativeTime } from './time.js';
import { TLV_TABLE, type TlvName, type TlvType } from './tlv.js';

/** fc.record with ordinary objects (deepStrictEqual compares prototypes). */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(model, { noNullPrototype: true });

const latin1Char = fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c));
const cstring = (maxLength: number) => fc.string({ unit: latin1Char, maxLength });
const bytes = (minLength: number, maxLength: number) =>
  fc.uint8Array({ minLength, maxLength }).map((a) => Buffer.from(a));

const smppTime = fc.oneof(
  fc.constant(''),
  fc
    .tuple(fc.integer({ min: Date.UTC(2000, 0, 2), max: Date.UTC(2099, 11, 30) }), fc.integer({ min: -48, max: 48 }))
    .map(([ms, q]) => formatAbsoluteTime(new Date(ms), q)),
  fc.integer({ min: 0, max: 100 * 86400 - 1 }).map(formatRelativeTime),
  fc.stringMatching(/^[0-9]{15}R$/),
);

const destAddress = fc.oneof(
  rec({
    dest_flag: fc.constant(1 as const),
    dest_addr_ton: fc.integer({ min: 0, max: 255 }),
    dest_addr_npi: fc.integer({ min: 0, max: 255 }),
    destination_addr: cstring(20),
  }),
  rec({ dest_flag: fc.constant(2 as const), dl_name: cstring(20) }),
);

const unsuccessSme = rec({
  dest_addr_ton: fc.integer({ min: 0, max: 255 }),
  dest_addr_npi: fc.integer({ min: 0, max: 255 }),
  destination_addr: cstring(20),
  error_status_code: fc.integer({ min: 0, max: 0xffffffff }),
});

function fieldArbitrary(field: FieldSpec): fc.Arbitrary<unknown> {
  switch (field.kind) {
    case 'u8':
      return fc.integer({ min: 0, max: 255 });
    case 'u32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'cstr':
      return fc.oneof(cstring(field.max - 1), fc.constant('x'.repeat(field.max - 1)));
    case 'time':
      return smppTime;
    case 'sm':
      return fc.oneof(bytes(0, 254), bytes(254, 254));
    case 'dest_address':
      return fc.array(destAddress, { maxLength: 12 });
    case 'unsuccess_sme':
      return fc.array(unsuccessSme, { maxLength: 12 });
  }
}

function tlvArbitrary(type: TlvType): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'u8':
      return fc.integer({ min: 0, max: 0xff });
    case 'u16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'u32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'cstr':
      return cstring(type.max - 1);
    case 'octets':
      return bytes(type.min, Math.min(type.max, 300));
    case 'network_error_code':
      return rec({
        network_type: fc.integer({ min: 0, max: 255 }),
        error_code: fc.integer({ min: 0, max: 0xffff }),
      });
    case 'flag':
      return fc.constant(true);
  }
}

const knownTags = new Set<number>(Object.values(TLV_TABLE).map((t) => t.tag));
const rawTlv = rec({
  tag: fc.oneof(
    fc.integer({ min: 0x1400, max: 0x3fff }),
    fc.integer({ min: 0, max: 0xffff }).filter((t) => !knownTags.has(t)),
  ),
  value: bytes(0, 40),
});

const tlvsArbitrary = fc
  .record(
    {
      ...(Object.fromEntries(Object.entries(TLV_TABLE).map(([name, { type }]) => [name, tlvArbitrary(type)])) as Record<
        TlvName,
        fc.Arbitrary<unknown>
      >),
      unknown: fc.array(rawTlv, { minLength: 1, maxLength: 4 }),
    },
    { requiredKeys: [], noNullPrototype: true },
  )
  .filter((t) => Object.keys(t).length > 0);

function pduArbitrary(command: CommandName): fc.Arbitrary<Pdu> {
  const fields: readonly FieldSpec[] = PDU_FIELDS[command];
  const body = Object.fromEntries(fields.map((f) => [f.name, fieldArbitrary(f)]));
  return fc
    .record({
      header: rec({
        command_status: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
        sequence_number: fc.integer({ min: 0, max: 0xffffffff }),
      }),
      body: rec(body),
      tlvs: fc.option(tlvsArbitrary, { nil: undefined, freq: 2 }),
    })
    .map(({ header, body, tlvs }) => {
      const p: Record<string, unknown> = { command, ...header, ...body };
      if (tlvs !== undefined) p.tlvs = tlvs;
      return p as Pdu;
    });
}

const commands = Object.keys(CommandId) as CommandName[];

describe('property: round trips', () => {
  for (const command of commands) {
    it(`${command}: decode(encode(pdu)) equals pdu, and re-encoding gives the same bytes`, () => {
      fc.assert(
        fc.property(pduArbitrary(command), (p) => {
          const encoded = encodePdu(p);
          assert.equal(encoded.readUInt32BE(0), encoded.length);
          const decoded = decodePdu(encoded);
          assert.deepStrictEqual(decoded, p);
          assert.deepStrictEqual(decodePduReference(encoded), p, 'the compiled fast path and the reference agree');
          assert.ok(encodePdu(decoded).equals(encoded));
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe('property: framing', () => {
  it('a stream of random PDUs cut at random places frames back to the same PDUs', () => {
    const anyPdu = fc.oneof(...commands.map(pduArbitrary));
    fc.assert(
      fc.property(
        fc.array(anyPdu, { minLength: 1, maxLength: 15 }),
        fc.array(fc.integer({ min: 0, max: 4000 }), { maxLength: 20 }),
        (pdus, cuts) => {
          const encoded = pdus.map(encodePdu);
          const stream = Buffer.concat(encoded);
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const framer = new Framer();
          const got: Buffer[] = [];
          let from = 0;
          for (const to of [...points, stream.length]) {
            framer.push(stream.subarray(from, to));
            from = to;
            for (let f = framer.next(); f !== undefined; f = framer.next()) got.push(f);
          }
          assert.equal(framer.hasPartial, false);
          assert.equal(got.length, encoded.length);
          got.forEach((f, i) => {
            assert.ok(f.equals(encoded[i]));
            assert.deepStrictEqual(decodePdu(f), pdus[i]);
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** The outcome of one decoder: the PDU, or the typed error's class, status and field. */
function outcome(decode: (b: Buffer) => Pdu, frame: Buffer): { pdu?: Pdu; error?: string } {
  try {
    return { pdu: decode(frame) };
  } catch (e) {
    if (e instanceof SmppDecodeError || e instanceof SmppFramingError) {
      return { error: `${e.name} ${e.commandStatus} ${e.field}` };
    }
    throw e;
  }
}

/** Decode may only throw the typed errors; the fast path and the reference decoder agree; what decodes re-encodes. */
function onlyTypedErrors(frame: Buffer): void {
  const fast = outcome(decodePdu, frame);
  assert.deepStrictEqual(fast, outcome(decodePduReference, frame));
  if (fast.pdu === undefined) return;
  const again = encodePdu(fast.pdu);
  assert.deepStrictEqual(decodePdu(again), fast.pdu);
}

/** Sets command_length to the frame's size, so the body is what gets exercised. */
function withLength(frame: Buffer): Buffer {
  if (frame.length >= 4) frame.writeUInt32BE(frame.length, 0);
  return frame;
}

const knownIds = Object.values(CommandId);

describe('property: hostile bytes', () => {
  it('random bytes decode or throw only the typed errors', () => {
    fc.assert(
      fc.property(bytes(0, 300), (b) => onlyTypedErrors(b)),
      { numRuns: 2000 },
    );
  });

  it('a known header over a random body decodes or throws only the typed errors', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...knownIds),
        fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
        bytes(0, 300),
        (id, status, body) => {
          const header = Buffer.alloc(16);
          header.writeUInt32BE(16 + body.length, 0);
          header.writeUInt32BE(id, 4);
          header.writeUInt32BE(status, 8);
          header.writeUInt32BE(1, 12);
          onlyTypedErrors(Buffer.concat([header, body]));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('valid PDUs with octets flipped, cut or extended decode or throw only the typed errors', () => {
    const anyPdu = fc.oneof(...commands.map(pduArbitrary));
    fc.assert(
      fc.property(
        anyPdu,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        bytes(0, 8),
        (p, flips, cut, extra) => {
          const b = Buffer.from(encodePdu(p));
          for (const [at, v] of flips) if (b.length > 16) b[16 + (at % (b.length - 16))] = v;
          onlyTypedErrors(withLength(Buffer.from(b)));
          onlyTypedErrors(withLength(Buffer.from(b.subarray(0, 16 + (cut % Math.max(1, b.length - 15))))));
          onlyTypedErrors(withLength(Buffer.concat([b, extra])));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('golden PDUs cut at every length decode or throw only the typed errors', () => {
    for (const g of GOLDEN) {
      for (let n = 0; n <= g.bytes.length; n++) onlyTypedErrors(withLength(Buffer.from(g.bytes.subarray(0, n))));
    }
  });
});
