import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TextDecoder } from 'node:util';
import fc from 'fast-check';
import { DataCoding, decodeText, describeDataCoding, encodeText, isBinaryCoding } from './dataCoding.js';
import { TextDecodeError, UnrepresentableTextError, UnsupportedDataCodingError } from './errors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const bytes = (h: string) => Buffer.from(h, 'hex');

describe('describeDataCoding', () => {
  test('SMPP 3.4 §5.2.19 values', () => {
    const alphabets = [...Array(16).keys()].map((dc) => describeDataCoding(dc).alphabet);
    assert.deepEqual(alphabets, [
      'gsm7',
      'ascii',
      'binary',
      'latin1',
      'binary',
      'jis',
      'cyrillic',
      'hebrew',
      'ucs2',
      'pictogram',
      'iso2022jp',
      'reserved',
      'reserved',
      'kanji',
      'ksc5601',
      'reserved',
    ]);
    assert.equal(DataCoding.UCS2, 0x08);
    assert.equal(DataCoding.KS_C_5601, 0x0e);
  });

  test('GSM 03.38 data coding / message class group 0xF0–0xFF: bit 2 is 8-bit data', () => {
    assert.deepEqual(describeDataCoding(0xf0), { alphabet: 'gsm7', messageClass: 0 });
    assert.deepEqual(describeDataCoding(0xf1), { alphabet: 'gsm7', messageClass: 1 });
    assert.deepEqual(describeDataCoding(0xf4), { alphabet: 'binary', messageClass: 0 });
    assert.deepEqual(describeDataCoding(0xf6), { alphabet: 'binary', messageClass: 2 });
    assert.deepEqual(describeDataCoding(0xfb), { alphabet: 'gsm7', messageClass: 3 });
    assert.deepEqual(describeDataCoding(0xff), { alphabet: 'binary', messageClass: 3 });
  });

  test('other GSM 03.38 groups: general (flash 0x10, 0x18), message waiting, compressed, reserved', () => {
    assert.deepEqual(describeDataCoding(0x10), { alphabet: 'gsm7', messageClass: 0 });
    assert.deepEqual(describeDataCoding(0x18), { alphabet: 'ucs2', messageClass: 0 });
    assert.deepEqual(describeDataCoding(0x15), { alphabet: 'binary', messageClass: 1 });
    assert.deepEqual(describeDataCoding(0x44), { alphabet: 'binary', messageClass: null });
    assert.equal(describeDataCoding(0x1c).alphabet, 'reserved');
    assert.equal(describeDataCoding(0x20).alphabet, 'compressed');
    assert.equal(describeDataCoding(0x80).alphabet, 'reserved');
    assert.equal(describeDataCoding(0xc0).alphabet, 'gsm7');
    assert.equal(describeDataCoding(0xd8).alphabet, 'gsm7');
    assert.equal(describeDataCoding(0xe0).alphabet, 'ucs2');
    assert.equal(isBinaryCoding(0x02), true);
    assert.equal(isBinaryCoding(0xf5), true);
    assert.equal(isBinaryCoding(0x03), false);
    assert.throws(() => describeDataCoding(256), RangeError);
    assert.throws(() => describeDataCoding(-1), RangeError);
  });
});

describe('encodeText / decodeText', () => {
  test('GSM (0x00 and the GSM schemes) is unpacked septets', () => {
    assert.equal(hex(encodeText('hello world', 0x00)), '68656C6C6F20776F726C64');
    assert.equal(hex(encodeText('{€}', DataCoding.SMSC_DEFAULT)), '1B281B651B29');
    assert.equal(decodeText(bytes('1B281B651B29'), 0x00), '{€}');
    assert.equal(decodeText(bytes('00010203'), 0xf1), '@£$¥');
  });

  test('UCS-2 is big-endian, and a character outside the BMP is its surrogate pair', () => {
    assert.equal(hex(encodeText('Hi 😀', DataCoding.UCS2)), '004800690020D83DDE00');
    assert.equal(decodeText(bytes('004800690020D83DDE00'), DataCoding.UCS2), 'Hi 😀');
    assert.equal(hex(encodeText('Привет', 0x08)), '041F04400438043204350442');
    assert.equal(decodeText(bytes('D83D'), 0x08), '\uD83D'); // a lone surrogate passes through, too
    assert.equal(decodeText(bytes('0041'), 0x18), 'A'); // UCS-2 flash
    assert.throws(
      () => decodeText(bytes('004100'), 0x08),
      (e: unknown) => e instanceof TextDecodeError && e.name === 'TextDecodeError' && e.offset === 2,
    );
  });

  test('Latin-1 and IA5', () => {
    assert.equal(hex(encodeText('café', DataCoding.LATIN1)), '636166E9');
    assert.equal(decodeText(bytes('636166E9'), DataCoding.LATIN1), 'café');
    assert.equal(decodeText(bytes('80FF'), 0x03), '\u0080ÿ');
    assert.throws(
      () => encodeText('naïve €', 0x03),
      (e: unknown) => e instanceof UnrepresentableTextError && e.char === '€' && e.index === 6 && e.dataCoding === 3,
    );
    assert.equal(hex(encodeText('A~{', DataCoding.IA5)), '417E7B');
    assert.equal(decodeText(bytes('417E7B'), 0x01), 'A~{');
    assert.throws(() => encodeText('é', 0x01), UnrepresentableTextError);
    assert.throws(() => decodeText(bytes('41E9'), 0x01), TextDecodeError);
  });

  test('Cyrillic (ISO-8859-5) and Latin/Hebrew (ISO-8859-8) agree with the platform decoder', (t) => {
    for (const [dc, label] of [
      [0x06, 'iso-8859-5'],
      [0x07, 'iso-8859-8'],
    ] as const) {
      let platform: TextDecoder;
      try {
        platform = new TextDecoder(label, { fatal: true });
      } catch {
        t.skip(`this Node has no ${label} decoder`);
        return;
      }
      let defined = 0;
      for (let octet = 0; octet < 256; octet++) {
        const one = Buffer.from([octet]);
        let expected: string | undefined;
        try {
          expected = platform.decode(one);
        } catch {
          expected = undefined;
        }
        if (expected === undefined) {
          assert.throws(() => decodeText(one, dc), TextDecodeError, `0x${octet.toString(16)} in ${label}`);
        } else {
          assert.equal(decodeText(one, dc), expected, `0x${octet.toString(16)} in ${label}`);
          assert.deepEqual(encodeText(expected, dc), one);
          defined++;
        }
      }
      assert.ok(defined >= 220, `${label}: ${defined} octets defined`);
    }
    assert.equal(hex(encodeText('Щ№', 0x06)), 'C9F0');
    assert.equal(decodeText(bytes('E0FA'), 0x07), 'את');
  });

  test('binary codings take and give octets untouched', () => {
    const data = bytes('00FF1B80');
    assert.equal(encodeText(data, DataCoding.BINARY), data);
    assert.equal(decodeText(data, 0x04), data);
    assert.equal(decodeText(data, 0x02), data);
    assert.equal(decodeText(data, 0xf5), data);
    const view = new Uint8Array([1, 2, 3]).subarray(1);
    assert.deepEqual([...encodeText(view, 0x04)], [2, 3]);
    assert.throws(() => encodeText('text', 0x04), TypeError);
    assert.throws(() => encodeText(data, 0x00), TypeError);
  });

  test('alphabets we cannot convert are a typed error, not a guess', () => {
    for (const dc of [0x05, 0x09, 0x0a, 0x0b, 0x0d, 0x0e, 0x24, 0x80]) {
      assert.throws(
        () => decodeText(bytes('4142'), dc),
        (e: unknown) => e instanceof UnsupportedDataCodingError && e.dataCoding === dc,
      );
      assert.throws(() => encodeText('AB', dc), UnsupportedDataCodingError);
    }
  });
});

describe('properties: decode(encode(t)) = t', () => {
  const gsmChars = [...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà^{}\\[~]|€\f'];
  const gsmText = fc.string({ unit: fc.constantFrom(...gsmChars), maxLength: 300, size: 'max' });
  const latin1Text = fc.string({ unit: 'binary-ascii', maxLength: 300, size: 'max' });
  const anyText = fc.string({
    unit: fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)), // lone surrogates
    ),
    maxLength: 300,
    size: 'max',
  });

  test('GSM texts, in 0x00 and 0xF0', () => {
    fc.assert(
      fc.property(gsmText, (t) => {
        assert.equal(decodeText(encodeText(t, 0x00), 0x00), t);
        assert.equal(decodeText(encodeText(t, 0xf0), 0xf0), t);
      }),
    );
  });

  test('Latin-1 texts', () => {
    fc.assert(fc.property(latin1Text, (t) => assert.equal(decodeText(encodeText(t, 0x03), 0x03), t)));
  });

  test('any UTF-16 string in UCS-2, surrogates and all', () => {
    fc.assert(
      fc.property(anyText, (t) => {
        const encoded = encodeText(t, 0x08);
        assert.equal(encoded.length, t.length * 2);
        assert.equal(decodeText(encoded, 0x08), t);
      }),
    );
  });

  test('any octets survive a binary coding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300, size: 'max' }), (b) =>
        assert.deepEqual([...decodeText(encodeText(b, 4), 4)], [...b]),
      ),
    );
  });
});
