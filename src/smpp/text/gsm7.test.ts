import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TextDecodeError, UnrepresentableTextError } from './errors.js';
import { decodeGsm7, encodeGsm7, gsm7FillBits, gsm7Length, isGsm7, packGsm7, unpackGsm7 } from './gsm7.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const septets = (s: string) => Buffer.from(s, 'latin1'); // ASCII letters and digits share their GSM septet

// An independent packer: a list of bits, least significant first, as TS 23.038 §6.1.2.1 draws it.
function referencePack(values: Uint8Array, fill: number, pad?: number): string {
  const bits: number[] = new Array(fill).fill(0);
  const push = (v: number) => {
    for (let i = 0; i < 7; i++) bits.push((v >> i) & 1);
  };
  values.forEach(push);
  if (pad !== undefined) push(pad);
  while (bits.length % 8) bits.push(0);
  const out: number[] = [];
  for (let i = 0; i < bits.length; i += 8) out.push(bits.slice(i, i + 8).reduce((a, b, j) => a | (b << j), 0));
  return hex(Buffer.from(out));
}

describe('GSM 03.38 unpacked', () => {
  test('known vectors', () => {
    assert.equal(hex(encodeGsm7('hello world')), '68656C6C6F20776F726C64');
    assert.equal(hex(encodeGsm7('@£$¥')), '00010203');
    assert.equal(hex(encodeGsm7('Δ_ΦΓΛΩΠΨΣΘΞ')), '101112131415161718191A');
    assert.equal(hex(encodeGsm7('ÆæßÉ¤¡ÄÖÑÜ§¿äöñüà')), '1C1D1E1F24405B5C5D5E5F607B7C7D7E7F');
    assert.equal(hex(encodeGsm7('\n\r')), '0A0D');
  });

  test('extension table: each character is the escape then its septet', () => {
    assert.equal(hex(encodeGsm7('^{}\\[~]|€\f')), '1B141B281B291B2F1B3C1B3D1B3E1B401B651B0A');
    assert.equal(decodeGsm7(Buffer.from('1B141B281B291B2F1B3C1B3D1B3E1B401B651B0A', 'hex')), '^{}\\[~]|€\f');
    assert.equal(hex(encodeGsm7('a€b')), '611B6562');
  });

  test('agrees with node-smpp’s table (an independent copy of TS 23.038)', () => {
    const require = createRequire(import.meta.url);
    const { gsmCoder } = require('smpp/lib/defs.js') as {
      gsmCoder: { GSM: { chars: string; extChars: string; escChars: string } };
    };
    const { chars, extChars, escChars } = gsmCoder.GSM;
    assert.equal(chars.length, 128);
    for (let septet = 0; septet < 128; septet++) {
      if (septet === 0x1b) continue;
      assert.equal(decodeGsm7(Buffer.from([septet])), chars[septet], `septet 0x${septet.toString(16)}`);
      assert.deepEqual([...encodeGsm7(chars[septet])], [septet]);
    }
    let checked = 0;
    for (let i = 0; i < extChars.length; i++) {
      if (escChars[i] === '\\') continue; // node-smpp's regex-escaping pair, not a table entry
      assert.deepEqual([...encodeGsm7(extChars[i])], [0x1b, chars.indexOf(escChars[i])], extChars[i]);
      checked++;
    }
    assert.equal(checked, 10);
  });

  test('a character outside GSM is a typed error naming it, never a ?', () => {
    assert.throws(
      () => encodeGsm7('abç'),
      (e: unknown) => e instanceof UnrepresentableTextError && e.char === 'ç' && e.index === 2 && e.dataCoding === 0,
    );
    assert.throws(
      () => encodeGsm7('hi 😀', 0xf0),
      (e: unknown) =>
        e instanceof UnrepresentableTextError && e.char === '😀' && e.index === 3 && e.dataCoding === 0xf0,
    );
    assert.throws(() => encodeGsm7('\x1b'), UnrepresentableTextError); // the escape is not a character
    assert.equal(new UnrepresentableTextError('ç', 0, 0).name, 'UnrepresentableTextError');
  });

  test('isGsm7 and gsm7Length (extension characters count 2)', () => {
    assert.equal(isGsm7('Hello @ £5, {ok}?'), true);
    assert.equal(isGsm7('Ç'), true);
    assert.equal(isGsm7('ç'), false);
    assert.equal(isGsm7('日本'), false);
    assert.equal(isGsm7(''), true);
    assert.equal(gsm7Length('hello'), 5);
    assert.equal(gsm7Length('€10 [x]'), 10);
    assert.equal(gsm7Length(''), 0);
    assert.throws(() => gsm7Length('é ok, ê not'), UnrepresentableTextError);
  });

  test('decoding follows the receiver rules of TS 23.038 §6.2.1.1', () => {
    assert.equal(decodeGsm7(Buffer.from([0x1b, 0x41])), 'A'); // undefined extension: the default character
    assert.equal(decodeGsm7(Buffer.from([0x61, 0x1b])), 'a '); // dangling escape: a space
    assert.equal(decodeGsm7(Buffer.from([0x1b, 0x1b, 0x61])), ' a'); // escape to a further table: a space
    assert.throws(
      () => decodeGsm7(Buffer.from([0x61, 0x80])),
      (e: unknown) => e instanceof TextDecodeError && e.offset === 1,
    );
    assert.throws(() => decodeGsm7(Buffer.from([0x1b, 0xff])), TextDecodeError);
  });
});

describe('GSM 03.38 packed', () => {
  test('known vectors', () => {
    assert.equal(hex(packGsm7(septets('hellohello'))), 'E8329BFD4697D9EC37');
    assert.equal(hex(packGsm7(septets('hello world'))), 'E8329BFD06DDDF723619');
    assert.equal(hex(packGsm7(encodeGsm7('@£$¥'))), '80806000');
    assert.equal(unpackGsm7(Buffer.from('E8329BFD4697D9EC37', 'hex')).toString('latin1'), 'hellohello');
  });

  test('after a UDH, fill bits bring the text to a septet boundary', () => {
    assert.equal(gsm7FillBits(6), 1); // 05 00 03 rr tt ss
    assert.equal(gsm7FillBits(7), 0); // 06 08 04 rr rr tt ss
    assert.equal(gsm7FillBits(0), 0);
    assert.equal(gsm7FillBits(12), 2);
    assert.equal(hex(packGsm7(septets('hello'), 1)), 'D06536FB0D');
    assert.equal(unpackGsm7(Buffer.from('D06536FB0D', 'hex'), 1).toString('latin1'), 'hello');
    // The whole user data of one 153-septet part is exactly 140 octets.
    assert.equal(6 + packGsm7(Buffer.alloc(153, 0x41), gsm7FillBits(6)).length, 140);
    assert.equal(7 + packGsm7(Buffer.alloc(152, 0x41), gsm7FillBits(7)).length, 140);
  });

  test('7 spare bits hold a CR, which unpacking without a count drops (TS 23.038 §6.1.2.3.1)', () => {
    assert.equal(hex(packGsm7(septets('1234567'))), '31D98C56B3DD1A');
    assert.equal(hex(packGsm7(septets('1234567'))), referencePack(septets('1234567'), 0, 0x0d));
    assert.equal(unpackGsm7(Buffer.from('31D98C56B3DD1A', 'hex')).toString('latin1'), '1234567');
    // Zero padding is ambiguous: without a count the spare bits read as '@'.
    assert.deepEqual([...unpackGsm7(Buffer.from('31D98C56B3DD00', 'hex'))], [...septets('1234567'), 0]);
    assert.deepEqual([...unpackGsm7(Buffer.from('31D98C56B3DD00', 'hex'), 0, 7)], [...septets('1234567')]);
    // A text that really ends with CR on an octet boundary gets a second CR, so the first survives.
    const endsWithCr = septets('1234567\r');
    assert.equal(hex(packGsm7(endsWithCr)), referencePack(endsWithCr, 0, 0x0d));
    assert.equal(unpackGsm7(packGsm7(endsWithCr)).toString('latin1'), '1234567\r\r');
  });

  test('bad arguments', () => {
    assert.throws(() => packGsm7(Buffer.from([0x80])), RangeError);
    assert.throws(() => packGsm7(Buffer.from([1]), 7), RangeError);
    assert.throws(() => unpackGsm7(Buffer.from([1]), 0, 2), TextDecodeError);
  });

  const septetArrays = fc.uint8Array({ maxLength: 200, size: 'max' }).map((a) => a.map((v) => v & 0x7f));
  const fills = fc.integer({ min: 0, max: 6 });

  test('property: packGsm7 matches the reference bit packer', () => {
    fc.assert(
      fc.property(septetArrays, fills, (values, fill) => {
        const bits = fill + 7 * values.length;
        const endsOnBoundaryWithCr = bits % 8 === 0 && values.length > 0 && values[values.length - 1] === 0x0d;
        const pad = bits % 8 === 1 || endsOnBoundaryWithCr ? 0x0d : undefined;
        assert.equal(hex(packGsm7(values, fill)), referencePack(values, fill, pad));
      }),
    );
  });

  test('property: unpack(pack(s)) = s with the count, and without it unless s ends with CR on a boundary', () => {
    fc.assert(
      fc.property(septetArrays, fills, (values, fill) => {
        const packed = packGsm7(values, fill);
        assert.deepEqual([...unpackGsm7(packed, fill, values.length)], [...values]);
        const ambiguous = (fill + 7 * values.length) % 8 === 0 && values[values.length - 1] === 0x0d;
        const expected = ambiguous ? [...values, 0x0d] : [...values];
        assert.deepEqual([...unpackGsm7(packed, fill)], expected);
      }),
    );
  });
});
