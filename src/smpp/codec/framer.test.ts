import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cstr, hdr, pdu, u8 } from '../../../test/helpers/bytes.js';
import { SmppFramingError } from './errors.js';
import { DEFAULT_MAX_COMMAND_LENGTH, Framer } from './framer.js';
import { GOLDEN } from './golden.fixtures.js';

/** Pushes the chunks, draining after each, and returns every frame as hex. */
function frames(chunks: Buffer[], framer = new Framer()): string[] {
  const out: string[] = [];
  for (const c of chunks) {
    framer.push(c);
    for (let f = framer.next(); f !== undefined; f = framer.next()) out.push(f.toString('hex'));
  }
  return out;
}

const stream = Buffer.concat(GOLDEN.map((g) => g.bytes));
const expected = GOLDEN.map((g) => g.bytes.toString('hex'));

describe('Framer', () => {
  it('yields a whole frame as a zero-copy view of the chunk', () => {
    const bytes = GOLDEN[1].bytes;
    const framer = new Framer();
    framer.push(bytes);
    const frame = framer.next();
    assert.ok(frame !== undefined);
    assert.equal(frame.buffer, bytes.buffer);
    assert.equal(frame.byteOffset, bytes.byteOffset);
    assert.equal(framer.next(), undefined);
    assert.equal(framer.hasPartial, false);
    assert.equal(framer.bufferedBytes, 0);
  });

  it('every golden frame split at every byte offset yields the same frame', () => {
    for (const g of GOLDEN) {
      for (let cut = 0; cut <= g.bytes.length; cut++) {
        const got = frames([g.bytes.subarray(0, cut), g.bytes.subarray(cut)]);
        assert.deepStrictEqual(got, [g.bytes.toString('hex')], `${g.name} cut at ${cut}`);
      }
    }
  });

  it('every golden frame in three pieces at many offsets yields the same frame', () => {
    for (const g of GOLDEN) {
      const n = g.bytes.length;
      const step = n > 60 ? 3 : 1;
      for (let a = 0; a <= n; a += step) {
        for (let b = a; b <= n; b += step) {
          const got = frames([g.bytes.subarray(0, a), g.bytes.subarray(a, b), g.bytes.subarray(b)]);
          assert.deepStrictEqual(got, [g.bytes.toString('hex')], `${g.name} cut at ${a}, ${b}`);
        }
      }
    }
  });

  it('a stream of every PDU split at every offset yields all of them, in order', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      assert.deepStrictEqual(frames([stream.subarray(0, cut), stream.subarray(cut)]), expected, `cut at ${cut}`);
    }
  });

  it('a stream fed one byte at a time yields all PDUs', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) chunks.push(stream.subarray(i, i + 1));
    assert.deepStrictEqual(frames(chunks), expected);
  });

  it('many PDUs in one chunk come out one per next()', () => {
    const many = Buffer.concat(Array.from({ length: 1000 }, () => stream));
    const got = frames([many]);
    assert.equal(got.length, 1000 * GOLDEN.length);
    assert.deepStrictEqual(got.slice(0, expected.length), expected);
    assert.deepStrictEqual(got.slice(-expected.length), expected);
  });

  it('keeps chunks pushed while the consumer is not draining, in order', () => {
    const framer = new Framer();
    framer.push(stream.subarray(0, 50));
    framer.push(stream.subarray(50, 51));
    framer.push(stream.subarray(51, 300));
    framer.push(stream.subarray(300));
    const got: string[] = [];
    for (let f = framer.next(); f !== undefined; f = framer.next()) got.push(f.toString('hex'));
    assert.deepStrictEqual(got, expected);
  });

  it('a frame spanning chunks is copied into one buffer of exactly command_length', () => {
    const bytes = GOLDEN[1].bytes;
    const framer = new Framer();
    framer.push(bytes.subarray(0, 10));
    assert.equal(framer.next(), undefined);
    framer.push(bytes.subarray(10, 20));
    assert.equal(framer.next(), undefined);
    framer.push(bytes.subarray(20));
    const frame = framer.next();
    assert.ok(frame !== undefined);
    assert.equal(frame.length, bytes.length);
    assert.notEqual(frame.buffer, bytes.buffer, 'a copy, not a view of a chunk');
    assert.ok(frame.equals(bytes));
  });

  it('reports a partial PDU and what is known of its header', () => {
    const bytes = pdu(0x00000004, 0, 0x01020304, cstr('a'), u8(1));
    const framer = new Framer();
    assert.equal(framer.hasPartial, false);
    assert.equal(framer.partialHeader, undefined);
    framer.push(bytes.subarray(0, 2));
    assert.equal(framer.next(), undefined);
    assert.equal(framer.hasPartial, true);
    assert.deepStrictEqual(framer.partialHeader, {
      commandLength: undefined,
      commandId: undefined,
      sequenceNumber: undefined,
      received: 2,
    });
    framer.push(bytes.subarray(2, 9));
    assert.equal(framer.next(), undefined);
    assert.deepStrictEqual(framer.partialHeader, {
      commandLength: bytes.length,
      commandId: 4,
      sequenceNumber: undefined,
      received: 9,
    });
    assert.equal(framer.partialSequence, undefined);
    framer.push(bytes.subarray(9, 17));
    assert.equal(framer.next(), undefined);
    assert.equal(framer.partialSequence, 0x01020304);
    assert.equal(framer.partialCommandId, 4);
    assert.equal(framer.bufferedBytes, 17);
    framer.push(bytes.subarray(17));
    assert.ok(framer.next()?.equals(bytes));
    assert.equal(framer.hasPartial, false);
    assert.equal(framer.partialSequence, undefined);
  });

  it('a complete frame waiting to be taken is not a partial PDU', () => {
    const framer = new Framer();
    framer.push(stream.subarray(0, GOLDEN[0].bytes.length));
    assert.equal(framer.hasPartial, false, 'whole frame buffered, not yet taken');
    assert.equal(framer.bufferedBytes, GOLDEN[0].bytes.length);
  });

  for (const length of [0, 1, 15]) {
    it(`command_length ${length} is a SmppFramingError as soon as its 4 octets are known`, () => {
      const framer = new Framer();
      framer.push(Buffer.from(hdr(length, 0x15, 0, 1)).subarray(0, 4));
      assert.throws(
        () => framer.next(),
        (e: unknown) => e instanceof SmppFramingError && e.commandLength === length && e.commandStatus === 0x02,
      );
    });
  }

  it('command_length over the maximum fails before any body octet is buffered', () => {
    const max = 1024;
    const framer = new Framer({ maxCommandLength: max });
    // The length octets split over two chunks, followed by body octets already at hand.
    const header = Buffer.from(hdr(max + 1, 0x04, 0, 1));
    framer.push(header.subarray(0, 3));
    assert.equal(framer.next(), undefined);
    framer.push(Buffer.concat([header.subarray(3), Buffer.alloc(500)]));
    assert.throws(() => framer.next(), SmppFramingError);
    // Framing is lost: the error sticks.
    framer.push(GOLDEN[0].bytes);
    assert.throws(() => framer.next(), SmppFramingError);
  });

  it('a huge command_length in a big chunk fails without allocating for it', () => {
    const framer = new Framer();
    framer.push(Buffer.concat([Buffer.from(hdr(0xffffffff, 4, 0, 1)), Buffer.alloc(100)]));
    assert.throws(
      () => framer.next(),
      (e: unknown) => e instanceof SmppFramingError && e.commandLength === 0xffffffff,
    );
  });

  it('accepts command_length exactly at the maximum', () => {
    const atMax = Buffer.concat([Buffer.from(hdr(DEFAULT_MAX_COMMAND_LENGTH, 0x15, 0, 1)), Buffer.alloc(65520)]);
    const framer = new Framer();
    framer.push(atMax.subarray(0, 1000));
    assert.equal(framer.next(), undefined);
    framer.push(atMax.subarray(1000));
    assert.equal(framer.next()?.length, DEFAULT_MAX_COMMAND_LENGTH);
  });

  it('rejects a nonsensical maximum', () => {
    assert.throws(() => new Framer({ maxCommandLength: 15 }), RangeError);
    assert.throws(() => new Framer({ maxCommandLength: 1.5 }), RangeError);
  });

  it('ignores empty chunks', () => {
    assert.deepStrictEqual(frames([Buffer.alloc(0), GOLDEN[0].bytes, Buffer.alloc(0)]), [expected[0]]);
  });
});
