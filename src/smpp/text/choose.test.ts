import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseEncoding, countParts } from './choose.js';
import { UnrepresentableTextError } from './errors.js';

const a = (n: number) => 'a'.repeat(n);
const ya = (n: number) => 'я'.repeat(n);
const e = (n: number) => 'é'.repeat(n);

describe('chooseEncoding', () => {
  test('GSM when possible, else UCS-2; Latin-1 only when allowed', () => {
    assert.equal(chooseEncoding('Hello {world} €5'), 0x00);
    assert.equal(chooseEncoding(''), 0x00);
    assert.equal(chooseEncoding('café'), 0x00); // é is in GSM
    assert.equal(chooseEncoding('façade'), 0x08); // ç is not
    assert.equal(chooseEncoding('façade', { allowLatin1: true }), 0x03);
    assert.equal(chooseEncoding('façade €', { allowLatin1: true }), 0x08); // € is not in Latin-1
    assert.equal(chooseEncoding('Привет'), 0x08);
    assert.equal(chooseEncoding('hi 😀', { allowLatin1: true }), 0x08);
  });
});

describe('countParts at the boundaries', () => {
  const count = (text: string, opts = {}) => {
    const c = countParts(text, opts);
    return [c.parts, c.unitsPerPart, c.totalUnits];
  };

  test('GSM: 160 alone, 153 per part (152 with a 16-bit reference)', () => {
    assert.deepEqual(count(''), [1, 160, 0]);
    assert.deepEqual(count(a(160)), [1, 160, 160]);
    assert.deepEqual(count(a(161)), [2, 153, 161]);
    assert.deepEqual(count(a(306)), [2, 153, 306]);
    assert.deepEqual(count(a(307)), [3, 153, 307]);
    assert.deepEqual(count(a(304), { method: 'udh16' }), [2, 152, 304]);
    assert.deepEqual(count(a(305), { method: 'udh16' }), [3, 152, 305]);
    assert.equal(countParts(a(161)).dataCoding, 0x00);
    assert.equal(countParts(a(161)).unit, 'septet');
  });

  test('GSM extension characters count two septets', () => {
    assert.deepEqual(count(`${a(158)}€`), [1, 160, 160]);
    assert.deepEqual(count(`${a(159)}€`), [2, 153, 161]);
    assert.deepEqual(count('{}'.repeat(40)), [1, 160, 160]);
  });

  test('an escape sequence at the split point moves whole to the next part', () => {
    assert.deepEqual(count(`${a(151)}€${a(153)}`), [2, 153, 306]); // € ends part 1 exactly
    assert.deepEqual(count(`${a(152)}€${a(152)}`), [3, 153, 306]); // € would straddle: part 1 keeps 152
  });

  test('UCS-2: 70 alone, 67 per part (66 with a 16-bit reference)', () => {
    assert.deepEqual(count(ya(70)), [1, 70, 70]);
    assert.deepEqual(count(ya(71)), [2, 67, 71]);
    assert.deepEqual(count(ya(134)), [2, 67, 134]);
    assert.deepEqual(count(ya(135)), [3, 67, 135]);
    assert.deepEqual(count(ya(132), { method: 'udh16' }), [2, 66, 132]);
    assert.deepEqual(count(ya(133), { method: 'udh16' }), [3, 66, 133]);
    assert.equal(countParts(ya(71)).dataCoding, 0x08);
  });

  test('a character outside the BMP is two UCS-2 units and is never split', () => {
    assert.deepEqual(count('😀'.repeat(35)), [1, 70, 70]);
    assert.deepEqual(count('😀'.repeat(36)), [2, 67, 72]);
    assert.deepEqual(count(`${ya(65)}😀${ya(67)}`), [2, 67, 134]); // the pair ends part 1 exactly
    assert.deepEqual(count(`${ya(66)}😀${ya(66)}`), [3, 67, 134]); // the pair would straddle
  });

  test('Latin-1 and other 8-bit text: 140 alone, 134 per part (133)', () => {
    const latin1 = { allowLatin1: true, dataCoding: 0x03 };
    assert.deepEqual(count(`ç${e(139)}`, latin1), [1, 140, 140]);
    assert.deepEqual(count(`ç${e(140)}`, latin1), [2, 134, 141]);
    assert.deepEqual(count(`ç${e(267)}`, latin1), [2, 134, 268]);
    assert.deepEqual(count(`ç${e(268)}`, latin1), [3, 134, 269]);
    assert.deepEqual(count(`ç${e(265)}`, { ...latin1, method: 'udh16' }), [2, 133, 266]);
    assert.deepEqual(count(`ç${e(139)}`, { allowLatin1: true }), [1, 140, 140]);
    assert.equal(countParts(`ç${e(139)}`, { allowLatin1: true }).unit, 'octet');
    assert.deepEqual(count(`ç${e(139)}`), [3, 67, 140]); // the default goes to UCS-2
  });

  test('SAR parts are sized for a 16-bit reference; payload is counted as the SMSC would split it', () => {
    assert.deepEqual(count(a(304), { method: 'sar' }), [2, 152, 304]);
    assert.deepEqual(count(a(305), { method: 'sar' }), [3, 152, 305]);
    assert.deepEqual(count(a(160), { method: 'sar' }), [1, 160, 160]);
    assert.deepEqual(count(a(307), { method: 'payload' }), [3, 153, 307]);
  });

  test('a forced coding that cannot carry the text is a typed error', () => {
    assert.throws(() => countParts('façade', { dataCoding: 0x00 }), UnrepresentableTextError);
    assert.deepEqual(count('abc', { dataCoding: 0x08 }), [1, 70, 3]);
  });

  test('long texts count past 255 parts (splitText is what refuses them)', () => {
    assert.equal(countParts(a(153 * 300)).parts, 300);
  });
});
