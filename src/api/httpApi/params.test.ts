// Argument reading and checking of the HTTP API, and content building: octets kept as sent, Jasmin's check order,
// defaults of the receipt arguments, splitting at GSM escapes and surrogate pairs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUdh } from '../../smpp/text/index.js';
import { buildContent, type SplitSettings } from './content.js';
import { HttpApiError } from './errors.js';
import { type Args, decodeFormComponent, parseForm, rateArgs, sendArgs } from './params.js';

function args(pairs: Record<string, string>): Args {
  return new Map(Object.entries(pairs).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));
}

const udh: SplitSettings = { split: 'udh', maxParts: 255, nextRef: () => 7 };

describe('form decoding', () => {
  it('decodes percent-escapes and + to octets, keeping unencoded octets as sent', () => {
    assert.deepEqual(decodeFormComponent('a+b%20c%00%ff'), Buffer.from([0x61, 0x20, 0x62, 0x20, 0x63, 0x00, 0xff]));
    assert.deepEqual(decodeFormComponent('\u00e9'), Buffer.from([0xe9]), 'one latin1 char is one octet');
  });

  it('refuses a malformed percent-escape with a 400 naming the argument and where, never the password', () => {
    for (const [raw, at] of [
      ['%zz', 1],
      ['100%', 4],
      ['ab%4', 3],
      ['%4g', 1],
      ['a%%41', 2],
    ] as const) {
      assert.throws(() => decodeFormComponent(raw), { name: 'MalformedEscapeError', offset: at - 1 }, raw);
      assert.throws(
        () => parseForm(`to=1&content=${raw}`, new Map()),
        (e: unknown) =>
          e instanceof HttpApiError &&
          e.status === 400 &&
          e.argument === 'content' &&
          e.message.startsWith('Argument [content] has an invalid value: [') &&
          e.message.includes(`Malformed percent-encoding at character ${at}.`) &&
          e.message.includes('%25'),
        raw,
      );
    }
    assert.throws(
      () => parseForm('password=Secret%zz', new Map()),
      (e: unknown) => {
        assert.ok(e instanceof HttpApiError && e.argument === 'password');
        assert.ok(!e.message.includes('Secret'), e.message);
        return true;
      },
    );
    assert.throws(() => parseForm('con%tent=x', new Map()), /^HttpApiError: Argument name \[con%tent\] is not valid/);
    // A name that is not one (a whole XML or JSON body sent as a form) is not repeated, since it may hold a password.
    assert.throws(
      () => parseForm('<a>Secret%zz</a>', new Map()),
      (e: unknown) => {
        assert.ok(e instanceof HttpApiError && !e.message.includes('Secret'), String(e));
        return true;
      },
    );
    assert.throws(() => sendArgs(args({ '{"password":"Secret"}': '' })), {
      message: 'Argument [(a name of 21 characters, not shown)] is unknown.',
    });
    // A repeated argument's value is checked too, though the first value is the one kept.
    assert.throws(() => parseForm('to=1&to=%', new Map()), { argument: 'to' });
  });

  it('keeps the first value of a repeated argument, and empty values', () => {
    const a: Args = new Map();
    parseForm('to=1&to=2&content=&flag', a);
    assert.equal(a.get('to')?.toString(), '1');
    assert.deepEqual(a.get('content'), Buffer.alloc(0));
    assert.deepEqual(a.get('flag'), Buffer.alloc(0));
  });
});

describe('argument checks', () => {
  const base = { username: 'u', password: 'p', to: '336', content: 'x' };

  it('reports an unknown argument before a missing one, as Jasmin does', () => {
    assert.throws(() => sendArgs(args({ foo: '1' })), { message: 'Argument [foo] is unknown.' });
    assert.throws(() => sendArgs(args({ content: 'x' })), { message: 'Mandatory argument [to] is not found.' });
  });

  it('checks known arguments in Jasmin order (to before coding before username)', () => {
    assert.throws(() => sendArgs(args({ to: 'x', coding: '99', content: 'x' })), /Argument \[to\]/);
    assert.throws(() => sendArgs(args({ to: '1', coding: '99', content: 'x' })), /Argument \[coding\]/);
  });

  it('defaults dlr-level to 1 and dlr-method to POST, upper-cases the method', () => {
    assert.deepEqual(sendArgs(args({ ...base, dlr: 'yes', 'dlr-url': 'http://h/p' })).dlr, {
      url: 'http://h/p',
      method: 'POST',
      level: 1,
    });
    assert.equal(sendArgs(args({ ...base, 'dlr-url': 'http://h/p', 'dlr-method': 'get' })).dlr?.method, 'GET');
    assert.equal(sendArgs(args({ ...base, dlr: 'no' })).dlr, null);
    assert.equal(sendArgs(args({ ...base, dlr: 'no', 'dlr-url': 'http://h/p' })).dlr?.level, 1, 'a dlr-url wins');
    assert.equal(sendArgs(args(base)).dlr, null);
  });

  it('reads tags, priority and validity as numbers; rate content is optional', () => {
    const a = sendArgs(args({ ...base, tags: '1,22', priority: '3', 'validity-period': '15' }));
    assert.deepEqual([a.tags, a.priority, a.validityMinutes], [[1, 22], 3, 15]);
    assert.equal(rateArgs(args({ username: 'u', password: 'p', to: '1' })).content, null);
    assert.throws(() => rateArgs(args({ username: 'u', password: 'p', to: '1', sdt: '000000010000000R' })), {
      message: 'Argument [sdt] is unknown.',
    });
  });

  it('errors are HttpApiErrors with status 400 and the argument named', () => {
    try {
      sendArgs(args({ ...base, priority: '9' }));
      assert.fail('accepted');
    } catch (error) {
      assert.ok(error instanceof HttpApiError);
      assert.equal(error.status, 400);
      assert.equal(error.argument, 'priority');
    }
  });
});

describe('content building', () => {
  const build = (a: { coding?: number | null; content?: Buffer | null; hexContent?: Buffer | null }, s = udh) =>
    buildContent({ coding: a.coding ?? null, content: a.content ?? null, hexContent: a.hexContent ?? null }, s);

  it('passes content octets untouched for a coding it does not convert (binary, JIS…)', () => {
    const bytes = Buffer.from([0x00, 0xff, 0x80, 0x1b]);
    for (const coding of [2, 4, 5, 9, 10, 13, 14]) {
      const built = build({ coding, content: bytes });
      assert.equal(built.dataCoding, coding);
      assert.deepEqual(built.parts[0].short_message, bytes);
    }
  });

  it('refuses text content that is not UTF-8 for a text coding', () => {
    assert.throws(() => build({ coding: 0, content: Buffer.from([0xff, 0xfe]) }), /must be UTF-8/);
  });

  it('never cuts a GSM escape sequence or a surrogate pair', () => {
    const gsm = build({ content: Buffer.from(`${'a'.repeat(152)}€${'b'.repeat(10)}`) });
    assert.equal(gsm.parts.length, 2);
    assert.equal(parseUdh(gsm.parts[0].short_message).payload.length, 152, 'the escape moves to part 2');
    const emoji = build({ content: Buffer.from(`${'я'.repeat(66)}😀${'я'.repeat(5)}`) });
    assert.equal(emoji.dataCoding, 8);
    assert.equal(emoji.parts.length, 2);
    assert.equal(parseUdh(emoji.parts[0].short_message).payload.length, 132, 'the pair moves to part 2');
  });

  it('takes its references from nextRef, bounded for udh and sar', () => {
    const seen: number[] = [];
    const s: SplitSettings = {
      split: 'sar',
      maxParts: 9,
      nextRef: (max) => {
        seen.push(max);
        return max === 0xff ? 200 : 300;
      },
    };
    const built = build({ content: Buffer.from('s'.repeat(200)) }, s);
    assert.deepEqual(seen, [0xffff]);
    assert.equal(built.parts[1].tlvs?.sar_msg_ref_num, 300);
    build({ content: Buffer.from('u'.repeat(200)) }, { ...s, split: 'udh' });
    assert.deepEqual(seen, [0xffff, 0xff]);
  });
});
