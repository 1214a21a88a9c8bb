import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { UdhError } from './errors.js';
import { buildConcatUdh, buildUdh, hasUdhi, parseUdh } from './udh.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const bytes = (h: string) => Buffer.from(h.replace(/ /g, ''), 'hex');

describe('buildConcatUdh', () => {
  test('8- and 16-bit reference headers, byte for byte', () => {
    assert.equal(hex(buildConcatUdh(0xcc, 3, 1)), '050003CC0301');
    assert.equal(hex(buildConcatUdh(0, 2, 2, 8)), '050003000202');
    assert.equal(hex(buildConcatUdh(0x1234, 3, 2, 16)), '0608041234' + '0302');
    assert.equal(hex(buildConcatUdh(0xffff, 255, 255, 16)), '060804FFFFFFFF');
  });

  test('out-of-range values are refused', () => {
    assert.throws(() => buildConcatUdh(256, 2, 1, 8), RangeError);
    assert.throws(() => buildConcatUdh(65536, 2, 1, 16), RangeError);
    assert.throws(() => buildConcatUdh(1, 0, 1), RangeError);
    assert.throws(() => buildConcatUdh(1, 256, 1), RangeError);
    assert.throws(() => buildConcatUdh(1, 2, 0), RangeError);
    assert.throws(() => buildConcatUdh(1, 2, 3), RangeError);
  });
});

describe('parseUdh', () => {
  test('8-bit concatenation', () => {
    const udh = parseUdh(bytes('050003CC0302 68656C6C6F'));
    assert.equal(udh.headerLength, 6);
    assert.deepEqual(udh.concat, { ref: 0xcc, total: 3, seq: 2, refBits: 8 });
    assert.deepEqual(udh.elements, [{ iei: 0, data: bytes('CC0302') }]);
    assert.equal(udh.payload.toString('latin1'), 'hello');
    assert.equal(udh.ports, undefined);
  });

  test('16-bit concatenation', () => {
    const udh = parseUdh(bytes('060804BEEF0505 41'));
    assert.equal(udh.headerLength, 7);
    assert.deepEqual(udh.concat, { ref: 0xbeef, total: 5, seq: 5, refBits: 16 });
    assert.equal(hex(udh.payload), '41');
  });

  test('unknown elements are kept and skipped; ports are read', () => {
    // 0x70 (unknown, 2 octets), 16-bit ports 2948 → 9200 (WAP push), concat 8-bit.
    const udh = parseUdh(bytes('0F 7002ABCD 0504 0B84 23F0 0003 0702 01 DEAD'));
    assert.equal(udh.headerLength, 16);
    assert.deepEqual(
      udh.elements.map((e) => [e.iei, hex(e.data)]),
      [
        [0x70, 'ABCD'],
        [0x05, '0B8423F0'],
        [0x00, '070201'],
      ],
    );
    assert.deepEqual(udh.ports, { destination: 2948, source: 9200, bits: 16 });
    assert.deepEqual(udh.concat, { ref: 7, total: 2, seq: 1, refBits: 8 });
    assert.equal(hex(udh.payload), 'DEAD');
    assert.deepEqual(parseUdh(bytes('04 0402 FA 10')).ports, { destination: 0xfa, source: 0x10, bits: 8 });
  });

  test('an empty header and a header with no payload are fine', () => {
    assert.deepEqual(parseUdh(bytes('00 41')), { headerLength: 1, elements: [], payload: bytes('41') });
    assert.equal(parseUdh(bytes('050003010101')).payload.length, 0);
  });

  test('impossible concatenation values are ignored, as TS 23.040 §9.2.3.24.1 says', () => {
    assert.equal(parseUdh(bytes('050003010001')).concat, undefined); // total 0
    assert.equal(parseUdh(bytes('050003010200')).concat, undefined); // seq 0
    assert.equal(parseUdh(bytes('050003010203')).concat, undefined); // seq > total
    assert.equal(parseUdh(bytes('0400020102')).concat, undefined); // wrong length
    assert.equal(parseUdh(bytes('050003010203')).elements.length, 1);
  });

  test('when elements repeat, the last valid one wins', () => {
    const udh = parseUdh(bytes('0B 0003010201 0804BEEF0302'));
    assert.deepEqual(udh.concat, { ref: 0xbeef, total: 3, seq: 2, refBits: 16 });
    assert.deepEqual(parseUdh(bytes('0B 0804BEEF0302 0003010201')).concat, { ref: 1, total: 2, seq: 1, refBits: 8 });
    assert.deepEqual(parseUdh(bytes('0A 0003010201 0003090200')).concat, { ref: 1, total: 2, seq: 1, refBits: 8 });
  });

  test('malformed headers are a UdhError', () => {
    for (const h of ['', '05', '050003CC03', '03 0005 01', '02 00', '01 00']) {
      assert.throws(
        () => parseUdh(bytes(h)),
        (e: unknown) => e instanceof UdhError && e.name === 'UdhError',
        `UDH ${h || '(empty)'}`,
      );
    }
  });

  test('property: any octets either parse within bounds or throw UdhError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40, size: 'max' }), (b) => {
        try {
          const udh = parseUdh(b);
          assert.ok(udh.headerLength <= b.length);
          assert.equal(udh.headerLength + udh.payload.length, b.length);
          const inner = udh.elements.reduce((n, e) => n + 2 + e.data.length, 0);
          assert.equal(1 + inner, udh.headerLength);
        } catch (e) {
          assert.ok(e instanceof UdhError, String(e));
        }
      }),
    );
  });

  test('property: buildUdh then parseUdh gives the elements back', () => {
    const element = fc.record({
      iei: fc.integer({ min: 0, max: 255 }),
      data: fc.uint8Array({ maxLength: 10 }).map((a) => Buffer.from(a)),
    });
    fc.assert(
      fc.property(fc.array(element, { maxLength: 8 }), fc.uint8Array({ maxLength: 20 }), (elements, payload) => {
        const udh = parseUdh(Buffer.concat([buildUdh(elements), payload]));
        assert.deepEqual(
          udh.elements,
          elements.map((e) => ({ ...e })),
        );
        assert.deepEqual([...udh.payload], [...payload]);
      }),
    );
  });
});

test('hasUdhi reads esm_class bit 6', () => {
  assert.equal(hasUdhi(0x40), true);
  assert.equal(hasUdhi(0x43), true);
  assert.equal(hasUdhi(0x04), false);
});
