import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MessageState, type MessageStateValue } from '../store/model.js';
import {
  firstCodePoints,
  formatReceipt,
  formatReceiptDate,
  isFinalState,
  isSuccessState,
  parseReceipt,
  parseReceiptDate,
  parseReceiptStatus,
  RECEIPT_STATE_NAMES,
  receiptIdKey,
  receiptStateName,
  stateFromReceiptName,
  submitRespIdKey,
  wantsReceipt,
} from './receipt.js';

const ALL_STATES = Object.values(MessageState) as MessageStateValue[];
const submit = new Date(2025, 0, 31, 9, 5).getTime();
const done = new Date(2025, 1, 1, 23, 59).getTime();

describe('states', () => {
  test('names ↔ message_state numbers', () => {
    const expected = ['ENROUTE', 'DELIVRD', 'EXPIRED', 'DELETED', 'UNDELIV', 'ACCEPTD', 'UNKNOWN', 'REJECTD'];
    assert.deepEqual(
      ALL_STATES.map((s) => receiptStateName(s)),
      expected,
    );
    for (const s of ALL_STATES) assert.equal(stateFromReceiptName(RECEIPT_STATE_NAMES[s]), s);
    assert.equal(stateFromReceiptName('delivrd'), MessageState.DELIVERED);
    assert.equal(stateFromReceiptName('DELIVERED'), MessageState.DELIVERED);
    assert.equal(stateFromReceiptName('UNDELIVERABLE'), MessageState.UNDELIVERABLE);
    assert.equal(stateFromReceiptName('FAILED'), MessageState.UNDELIVERABLE);
    assert.equal(stateFromReceiptName(' rejected '), MessageState.REJECTED);
    assert.equal(stateFromReceiptName('2'), MessageState.DELIVERED);
    assert.equal(stateFromReceiptName('9'), null);
    assert.equal(stateFromReceiptName('SOMETHING'), null);
  });

  test('final and success states', () => {
    assert.deepEqual(
      ALL_STATES.filter((s) => !isFinalState(s)),
      [MessageState.ENROUTE],
    );
    assert.deepEqual(
      ALL_STATES.filter((s) => isSuccessState(s)),
      [MessageState.DELIVERED, MessageState.ACCEPTED],
    );
  });

  test('wantsReceipt by registered_delivery', () => {
    const { ENROUTE, DELIVERED, EXPIRED, UNDELIVERABLE, REJECTED, ACCEPTED, UNKNOWN, DELETED } = MessageState;
    const wanted = (rd: number) => ALL_STATES.filter((s) => wantsReceipt(rd, s));
    assert.deepEqual(wanted(0), []);
    assert.deepEqual(wanted(1), [DELIVERED, EXPIRED, DELETED, UNDELIVERABLE, ACCEPTED, UNKNOWN, REJECTED]);
    assert.deepEqual(wanted(2), [EXPIRED, DELETED, UNDELIVERABLE, UNKNOWN, REJECTED]);
    assert.deepEqual(wanted(3), wanted(1), '3 is taken as final');
    assert.deepEqual(wanted(0x10), [ENROUTE], 'intermediate only');
    assert.deepEqual(wanted(0x11), ALL_STATES);
    assert.deepEqual(wanted(0x12), [ENROUTE, EXPIRED, DELETED, UNDELIVERABLE, UNKNOWN, REJECTED]);
    // SME acknowledgement bits (2–3) and the unused bits are ignored.
    assert.deepEqual(wanted(0x0c | 0x01), wanted(1));
    assert.deepEqual(wanted(0xe0), []);
    assert.deepEqual(wanted(0xe1), wanted(1));
  });
});

describe('dates', () => {
  test('YYMMDDhhmm in local time, and back', () => {
    assert.equal(formatReceiptDate(submit), '2501310905');
    assert.equal(parseReceiptDate('2501310905'), submit);
    assert.equal(parseReceiptDate('250131090530'), submit + 30_000);
  });

  test('refuses what is not a date', () => {
    for (const bad of [
      '',
      '25013109',
      '2513310905',
      '2502300905',
      '2501312405',
      '2501310960',
      '250131090561',
      'abcdefghij',
      '25013109051',
    ]) {
      assert.equal(parseReceiptDate(bad), null, bad);
    }
  });
});

describe('formatReceipt', () => {
  test('the exact text', () => {
    const text = formatReceipt({
      id: 'a1b2',
      submitDate: submit,
      doneDate: done,
      state: MessageState.DELIVERED,
      text: 'Hello world',
    });
    assert.equal(
      text,
      'id:a1b2 sub:001 dlvrd:001 submit date:2501310905 done date:2502012359 stat:DELIVRD err:000 text:Hello world',
    );
  });

  test('failure, error code, dlvrd 0, text cut to 20 characters (code points)', () => {
    const text = formatReceipt({
      id: 'x',
      submitDate: submit,
      doneDate: done,
      state: MessageState.UNDELIVERABLE,
      err: 34,
      text: '0123456789abcdefghijKLMNOP',
    });
    assert.equal(
      text,
      'id:x sub:001 dlvrd:000 submit date:2501310905 done date:2502012359 stat:UNDELIV err:034 text:0123456789abcdefghij',
    );
    const emoji = formatReceipt({
      id: 'y',
      submitDate: submit,
      doneDate: done,
      state: MessageState.ENROUTE,
      text: `${'😀'.repeat(25)}`,
    });
    assert.ok(emoji.endsWith(`text:${'😀'.repeat(20)}`));
    const noText = formatReceipt({ id: 'z', submitDate: submit, doneDate: done, state: MessageState.EXPIRED });
    assert.ok(noText.endsWith('stat:EXPIRED err:000 text:'));
  });
});

describe('parseReceipt', () => {
  test('round trip of our own receipts', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9A-Za-z-]{1,36}$/),
        fc.constantFrom(...ALL_STATES),
        fc.integer({ min: 0, max: 999 }),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 .,!?]{0,18}[A-Za-z0-9]$/),
        (id, state, err, text) => {
          const parsed = parseReceipt(formatReceipt({ id, submitDate: submit, doneDate: done, state, err, text }));
          assert.ok(parsed !== null);
          assert.equal(parsed.id, id);
          assert.equal(parsed.state, state);
          assert.equal(parsed.errorCode, err);
          assert.equal(parsed.submitDate, submit);
          assert.equal(parsed.doneDate, done);
          assert.equal(parsed.sub, 1);
          assert.equal(parsed.dlvrd, state === MessageState.DELIVERED ? 1 : 0);
          assert.equal(parsed.text, text);
        },
      ),
    );
  });

  test('a typical SMSC receipt with Text: capitalised and 12-digit dates', () => {
    const r = parseReceipt(
      'id:0123456789 sub:001 dlvrd:001 submit date:250131090530 done date:250131090612 stat:DELIVRD err:000 Text:Hello there, how are',
    );
    assert.ok(r);
    assert.equal(r.id, '0123456789');
    assert.equal(r.submitDate, submit + 30_000);
    assert.equal(r.doneDate, submit + 72_000);
    assert.equal(r.state, MessageState.DELIVERED);
    assert.equal(r.text, 'Hello there, how are');
  });

  test('Id: in another case, fields in another order, missing fields', () => {
    const r = parseReceipt('Id:ABCDEF12 Stat:UNDELIV Err:001 Done Date:2502012359');
    assert.ok(r);
    assert.equal(r.id, 'ABCDEF12');
    assert.equal(r.state, MessageState.UNDELIVERABLE);
    assert.equal(r.errorCode, 1);
    assert.equal(r.doneDate, done);
    assert.equal(r.submitDate, null);
    assert.equal(r.sub, null);
    assert.equal(r.dlvrd, null);
    assert.equal(r.text, null);
  });

  test('underscored date keys, single-digit counters, hex and odd err, trailing NULs', () => {
    const r = parseReceipt(
      'id:77 sub:1 dlvrd:0 submit_date:2501310905 done_date:2502012359 stat:REJECTD err:0x0B text:\0\0',
    );
    assert.ok(r);
    assert.equal(r.sub, 1);
    assert.equal(r.dlvrd, 0);
    assert.equal(r.submitDate, submit);
    assert.equal(r.doneDate, done);
    assert.equal(r.err, '0x0B');
    assert.equal(r.errorCode, 11);
    assert.equal(r.text, '');
    const odd = parseReceipt('id:1 stat:EXPIRED err:X99');
    assert.equal(odd?.err, 'X99');
    assert.equal(odd?.errorCode, null);
  });

  test('text with spaces and with field names inside it', () => {
    const r = parseReceipt(
      'id:42 sub:001 dlvrd:001 submit date:2501310905 done date:2502012359 stat:DELIVRD err:000 text:your id: 5 stat: ok',
    );
    assert.ok(r);
    assert.equal(r.id, '42');
    assert.equal(r.state, MessageState.DELIVERED);
    assert.equal(r.text, 'your id: 5 stat: ok');
  });

  test('text first: the fields after it are still found', () => {
    const r = parseReceipt('text:Hello world id:9 stat:DELIVRD err:000');
    assert.ok(r);
    assert.equal(r.id, '9');
    assert.equal(r.text, 'Hello world');
    assert.equal(r.state, MessageState.DELIVERED);
  });

  test('an unknown stat keeps its text and has no state; an unknown date is null', () => {
    const r = parseReceipt('id:1 submit date:garbage stat:SKIPPED');
    assert.ok(r);
    assert.equal(r.stat, 'SKIPPED');
    assert.equal(r.state, null);
    assert.equal(r.submitDate, null);
  });

  test('extra spaces around values', () => {
    const r = parseReceipt('  id: 123   sub: 001  stat:  DELIVRD  err: 000 ');
    assert.equal(r?.id, '123');
    assert.equal(r?.state, MessageState.DELIVERED);
    assert.equal(r?.errorCode, 0);
  });

  test('no id: null', () => {
    assert.equal(parseReceipt(''), null);
    assert.equal(parseReceipt('hello world'), null);
    assert.equal(parseReceipt('stat:DELIVRD err:000'), null);
    assert.equal(parseReceipt('id: stat:DELIVRD'), null);
    assert.equal(parseReceipt('valid:123 stat:DELIVRD'), null, '"id" must be a whole key');
  });
});

describe('upstream message ids', () => {
  test('same: untouched, unless zeros or case are to be ignored', () => {
    assert.equal(submitRespIdKey('00A1', { base: 'same' }), '00A1');
    assert.equal(receiptIdKey('00A1', { base: 'same' }), '00A1');
    assert.equal(receiptIdKey('00A1', { base: 'same', stripLeadingZeros: true }), 'A1');
    assert.equal(submitRespIdKey('00A1', { base: 'same', stripLeadingZeros: true }), 'A1');
    assert.equal(receiptIdKey('0000', { base: 'same', stripLeadingZeros: true }), '0');
    assert.equal(
      receiptIdKey('479ab700', { base: 'same', ignoreCase: true }),
      submitRespIdKey('479AB700', { base: 'same', ignoreCase: true }),
    );
    assert.equal(receiptIdKey('  ', { base: 'same' }), null);
  });

  test('dec_to_hex: receipt in decimal finds the hex submit_sm_resp id', () => {
    const opts = { base: 'dec_to_hex' } as const;
    assert.equal(submitRespIdKey('00479AB700', opts), '479ab700');
    assert.equal(receiptIdKey('1201321728', opts), '479ab700');
    assert.equal(receiptIdKey('0001201321728', opts), '479ab700');
    assert.equal(receiptIdKey('12x', opts), null);
  });

  test('hex_to_dec: receipt in hex finds the decimal submit_sm_resp id', () => {
    const opts = { base: 'hex_to_dec' } as const;
    assert.equal(submitRespIdKey('001201321728', opts), '1201321728');
    assert.equal(receiptIdKey('479AB700', opts), '1201321728');
    assert.equal(receiptIdKey('0x479ab700', opts), '1201321728');
    assert.equal(receiptIdKey('xyz', opts), null);
  });

  test('ids larger than 2^53 convert exactly', () => {
    const hex = 'ffffffffffffffffff';
    const dec = BigInt(`0x${hex}`).toString(10);
    assert.equal(receiptIdKey(hex, { base: 'hex_to_dec' }), dec);
    assert.equal(receiptIdKey(dec, { base: 'dec_to_hex' }), hex);
  });

  test('both sides meet for any id in either direction', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 80n) - 1n }), fc.integer({ min: 0, max: 3 }), (n, zeros) => {
        const pad = '0'.repeat(zeros);
        const hexResp = pad + n.toString(16).toUpperCase();
        assert.equal(
          receiptIdKey(pad + n.toString(10), { base: 'dec_to_hex' }),
          submitRespIdKey(hexResp, { base: 'dec_to_hex' }),
        );
        assert.equal(
          receiptIdKey(pad + n.toString(16), { base: 'hex_to_dec' }),
          submitRespIdKey(pad + n.toString(10), { base: 'hex_to_dec' }),
        );
      }),
    );
  });
});

describe('hot-path shortcuts agree with the long way', () => {
  const two = (n: number) => String(n).padStart(2, '0');
  const reference = (ms: number) => {
    const d = new Date(ms);
    return (
      two(d.getFullYear() % 100) + two(d.getMonth() + 1) + two(d.getDate()) + two(d.getHours()) + two(d.getMinutes())
    );
  };

  test('formatReceiptDate (cached by the second) across minute edges, in any order', () => {
    const edge = Date.UTC(2025, 0, 31, 23, 59, 0) + 60_000; // a minute, hour, day, month edge in UTC
    const times = [edge - 1, edge, edge - 1, edge + 1, edge - 1000, edge + 59_999, edge + 60_000, edge - 1];
    for (const t of times) assert.equal(formatReceiptDate(t), reference(t), String(t));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: edge - 120_000, max: edge + 120_000 }), { maxLength: 20 }), (ts) => {
        for (const t of ts) assert.equal(formatReceiptDate(t), reference(t), String(t));
      }),
    );
  });

  test('firstCodePoints is Array.from(s).slice(0, n)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.integer({ min: 0, max: 30 }), (s, n) => {
        assert.equal(firstCodePoints(s, n), Array.from(s).slice(0, n).join(''));
      }),
      { numRuns: 5000 },
    );
    assert.equal(firstCodePoints('👍'.repeat(25), 20), '👍'.repeat(20));
    assert.equal(firstCodePoints(`${'a'.repeat(19)}${'👍'.repeat(5)}`, 20), `${'a'.repeat(19)}👍`);
  });

  test('parseReceiptStatus reads id, state and error as parseReceipt does', () => {
    const field = fc.constantFrom(
      'id:',
      'Id:',
      'stat:',
      'STAT:',
      'err:',
      'Err:',
      'text:',
      'submit date:',
      'done_date:',
      'sub:',
    );
    const value = fc.constantFrom(
      '',
      'abc',
      '001',
      '0x1F',
      'DELIVRD',
      'undeliv',
      '7',
      'X99',
      '2501311200',
      ' ',
      '  5 6',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(field, value), { maxLength: 8 }), (pairs) => {
        const s = pairs.map(([f, v]) => f + v).join(' ');
        const full = parseReceipt(s);
        const status = parseReceiptStatus(s);
        assert.deepEqual(
          status,
          full === null
            ? null
            : { id: full.id, stat: full.stat, state: full.state, err: full.err, errorCode: full.errorCode },
          s,
        );
      }),
      { numRuns: 5000 },
    );
  });
});
