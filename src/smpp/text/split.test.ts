import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { seededRandom } from '../../../test/helpers/random.js';
import { countParts } from './choose.js';
import { decodeText } from './dataCoding.js';
import { MessageTooLongError, UnrepresentableTextError } from './errors.js';
import { gsm7FillBits } from './gsm7.js';
import type { SplitMethod } from './limits.js';
import { Reassembler } from './reassembly.js';
import { type SplitResult, splitBinary, splitText } from './split.js';
import { parseUdh } from './udh.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const a = (n: number) => 'a'.repeat(n);

describe('splitText', () => {
  test('a text that fits gets one part, no UDH, no SAR', () => {
    for (const method of ['udh8', 'udh16', 'sar'] as const) {
      const { parts, data_coding } = splitText(a(160), { method, ref: 1 });
      assert.equal(data_coding, 0x00);
      assert.equal(parts.length, 1);
      assert.deepEqual(parts[0], { short_message: Buffer.from(a(160)), esmClassUdhi: false, data_coding: 0 });
    }
    assert.deepEqual(splitText('').parts, [{ short_message: Buffer.alloc(0), esmClassUdhi: false, data_coding: 0 }]);
    assert.deepEqual(splitText('hi').parts[0].short_message, Buffer.from('hi')); // no ref needed for one part
  });

  test('8-bit reference UDH, exact bytes', () => {
    const { method, parts } = splitText(a(161), { ref: 0x42 });
    assert.equal(method, 'udh8');
    assert.equal(parts.length, 2);
    assert.equal(hex(parts[0].short_message), `050003420201${'61'.repeat(153)}`);
    assert.equal(hex(parts[1].short_message), `050003420202${'61'.repeat(8)}`);
    assert.ok(parts.every((p) => p.esmClassUdhi && p.data_coding === 0 && p.sar === undefined));
  });

  test('16-bit reference UDH, exact bytes', () => {
    const { parts } = splitText(a(161), { method: 'udh16', ref: 0x1234 });
    assert.equal(parts.length, 2);
    assert.equal(hex(parts[0].short_message), `06080412340201${'61'.repeat(152)}`);
    assert.equal(hex(parts[1].short_message), `06080412340202${'61'.repeat(9)}`);
  });

  test('SAR: no UDH, the TLV values on each part', () => {
    const { parts } = splitText(a(161), { method: 'sar', ref: 0xabcd });
    assert.deepEqual(
      parts.map((p) => [p.short_message.length, p.esmClassUdhi, p.sar]),
      [
        [152, false, { sar_msg_ref_num: 0xabcd, sar_total_segments: 2, sar_segment_seqnum: 1 }],
        [9, false, { sar_msg_ref_num: 0xabcd, sar_total_segments: 2, sar_segment_seqnum: 2 }],
      ],
    );
  });

  test('payload: one part, everything in message_payload', () => {
    const { method, parts } = splitText('Привет'.repeat(100), { method: 'payload' });
    assert.equal(method, 'payload');
    assert.equal(parts.length, 1);
    assert.equal(parts[0].short_message.length, 0);
    assert.equal(parts[0].esmClassUdhi, false);
    assert.equal(parts[0].data_coding, 0x08);
    assert.equal(decodeText(parts[0].message_payload!, 0x08), 'Привет'.repeat(100));
    assert.throws(() => splitText('я'.repeat(32768), { method: 'payload' }), MessageTooLongError);
  });

  test('never cuts a GSM escape sequence', () => {
    const { parts } = splitText(`${a(152)}€${a(152)}`, { ref: 1 });
    assert.equal(parts.length, 3);
    assert.equal(parts[0].short_message.length, 6 + 152);
    assert.equal(hex(parts[1].short_message.subarray(6, 8)), '1B65');
  });

  test('never cuts a surrogate pair', () => {
    const { parts, data_coding } = splitText(`${'я'.repeat(66)}😀${'я'.repeat(66)}`, { ref: 1 });
    assert.equal(data_coding, 0x08);
    assert.equal(parts.length, 3);
    assert.equal(parts[0].short_message.length, 6 + 132);
    assert.equal(hex(parts[1].short_message.subarray(6, 10)), 'D83DDE00');
  });

  test('a forced coding is used, or refused when it cannot carry the text', () => {
    const { parts } = splitText('façade', { dataCoding: 0x03 });
    assert.equal(hex(parts[0].short_message), '6661E7616465');
    assert.equal(splitText('façade', { allowLatin1: true }).data_coding, 0x03);
    assert.throws(() => splitText('façade', { dataCoding: 0x00 }), UnrepresentableTextError);
    assert.throws(() => splitText('x', { dataCoding: 0x04 }), TypeError);
  });

  test('references are the caller’s and are checked', () => {
    assert.throws(() => splitText(a(161)), TypeError);
    assert.throws(() => splitText(a(161), { ref: 256 }), RangeError);
    assert.throws(() => splitText(a(161), { ref: -1 }), RangeError);
    assert.throws(() => splitText(a(161), { method: 'udh16', ref: 65536 }), RangeError);
    assert.equal(splitText(a(161), { method: 'sar', ref: 65535 }).parts[1].sar?.sar_msg_ref_num, 65535);
  });

  test('at most 255 parts', () => {
    assert.equal(splitText(a(153 * 255), { ref: 9 }).parts.length, 255);
    assert.throws(() => splitText(a(153 * 255 + 1), { ref: 9 }), MessageTooLongError);
  });
});

describe('splitBinary', () => {
  test('140 octets alone, 134 per part with an 8-bit reference, 133 with SAR', () => {
    const data = Buffer.alloc(300, 0xab);
    assert.deepEqual(splitBinary(data.subarray(0, 140)).parts, [
      { short_message: data.subarray(0, 140), esmClassUdhi: false, data_coding: 0x04 },
    ]);
    const udh = splitBinary(data.subarray(0, 141), { ref: 7 }).parts;
    assert.deepEqual(
      udh.map((p) => [hex(p.short_message.subarray(0, 6)), p.short_message.length - 6]),
      [
        ['050003070201', 134],
        ['050003070202', 7],
      ],
    );
    const sar = splitBinary(data, { method: 'sar', ref: 7, dataCoding: 0xf5 }).parts;
    assert.deepEqual(
      sar.map((p) => [p.short_message.length, p.data_coding]),
      [
        [133, 0xf5],
        [133, 0xf5],
        [34, 0xf5],
      ],
    );
    assert.throws(() => splitBinary(data, { dataCoding: 0x00 }), TypeError);
  });
});

// ---- properties: whatever is split comes back whole, however the parts arrive ----

/** The parts shuffled, with some sent twice. */
function deliveryOrder<T>(parts: T[], seed: number): T[] {
  const rand = seededRandom(seed);
  const out = [...parts];
  for (const p of parts) if (rand() < 0.3) out.push(p);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Receives split parts as an SMSC or a handset would, and rebuilds the message octets. */
function receive(result: SplitResult, seed: number): Buffer {
  const { method, parts } = result;
  if (method === 'payload') return parts[0].message_payload!;
  if (parts.length === 1 && !parts[0].esmClassUdhi && !parts[0].sar) return parts[0].short_message;
  const reassembler = new Reassembler<null>({ now: () => 0, timeoutMs: 1000, maxPending: 4 });
  let whole: Buffer | undefined;
  for (const part of deliveryOrder(parts, seed)) {
    let key: string;
    let total: number;
    let seq: number;
    let payload: Buffer;
    if (part.esmClassUdhi) {
      const udh = parseUdh(part.short_message);
      assert.ok(udh.concat);
      ({ total, seq } = udh.concat);
      key = `${udh.concat.refBits}:${udh.concat.ref}`;
      payload = udh.payload;
    } else {
      assert.ok(part.sar);
      key = `sar:${part.sar.sar_msg_ref_num}`;
      total = part.sar.sar_total_segments;
      seq = part.sar.sar_segment_seqnum;
      payload = part.short_message;
    }
    const r = reassembler.add({ key, total, seq, payload, meta: null });
    assert.deepEqual(r.dropped, []);
    if (r.status === 'complete') {
      assert.equal(whole, undefined, 'completed twice');
      whole = Buffer.concat(r.message.parts.map((p) => p.payload));
    }
  }
  assert.ok(whole, 'never completed');
  return whole;
}

/** Octets of a part on the air interface: UDH (the SMSC builds one for SAR, 7 octets at most) plus packed text. */
function airOctets(result: SplitResult, index: number): number {
  const part = result.parts[index];
  const udhOctets = part.esmClassUdhi ? part.short_message[0] + 1 : part.sar ? 7 : 0;
  const body = part.short_message.length - (part.esmClassUdhi ? udhOctets : 0);
  if (result.data_coding !== 0x00) return udhOctets + body;
  return udhOctets + Math.ceil((gsm7FillBits(udhOctets) + 7 * body) / 8);
}

/** A part's text octets, after its UDH if it has one. */
function body(part: SplitResult['parts'][number]): Buffer {
  return part.esmClassUdhi ? parseUdh(part.short_message).payload : part.short_message;
}

/** False when the octets end inside a character: after a GSM escape, or on a UTF-16 high surrogate. */
function endsOnCharacter(dataCoding: number, octets: Buffer): boolean {
  if (dataCoding === 0x00) return octets[octets.length - 1] !== 0x1b;
  if (dataCoding === 0x08) return !(octets[octets.length - 2] >= 0xd8 && octets[octets.length - 2] <= 0xdb);
  return true;
}

const GSM = [...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà'];
const EXT = [...'^{}\\[~]|€\f'];
const gsmText = fc.string({
  unit: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...GSM) }, { weight: 1, arbitrary: fc.constantFrom(...EXT) }),
  maxLength: 700,
  size: 'max',
});
const latin1Text = fc.string({ unit: 'binary-ascii', maxLength: 500, size: 'max' });
const unicodeText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('a', 'я', '€'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.constantFrom('😀', '𝄞', '🇫🇷'),
  ),
  maxLength: 400,
  size: 'max',
});
const methods = fc.constantFrom<SplitMethod>('udh8', 'udh16', 'sar', 'payload');

function roundTrip(text: string, method: SplitMethod, ref: number, seed: number, allowLatin1: boolean): void {
  const result = splitText(text, { method, ref, allowLatin1 });
  assert.equal(decodeText(receive(result, seed), result.data_coding), text);
  if (method !== 'payload') {
    assert.equal(result.parts.length, countParts(text, { method, allowLatin1 }).parts);
    result.parts.forEach((p, i) => {
      assert.ok(airOctets(result, i) <= 140, `part ${i + 1} takes ${airOctets(result, i)} octets on the air`);
      assert.ok(p.short_message.length <= 254, 'short_message over 254 octets');
      if (i < result.parts.length - 1)
        assert.ok(endsOnCharacter(result.data_coding, body(p)), `part ${i + 1} cuts a character`);
    });
  }
}

describe('properties: split, deliver shuffled with duplicates, reassemble', () => {
  const refs = fc.integer({ min: 0, max: 255 });
  test('GSM texts', () => {
    fc.assert(fc.property(gsmText, methods, refs, fc.integer(), (t, m, r, s) => roundTrip(t, m, r, s, false)));
  });
  test('Latin-1 texts (Latin-1 allowed)', () => {
    fc.assert(fc.property(latin1Text, methods, refs, fc.integer(), (t, m, r, s) => roundTrip(t, m, r, s, true)));
  });
  test('arbitrary Unicode texts', () => {
    fc.assert(fc.property(unicodeText, methods, refs, fc.integer(), (t, m, r, s) => roundTrip(t, m, r, s, false)));
  });
  test('binary data', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 700, size: 'max' }),
        methods,
        refs,
        fc.integer(),
        (b, method, ref, seed) => {
          const result = splitBinary(b, { method, ref });
          assert.deepEqual([...receive(result, seed)], [...b]);
          for (let i = 0; i < result.parts.length; i++) {
            assert.ok(method === 'payload' || airOctets(result, i) <= 140);
          }
        },
      ),
    );
  });
});
