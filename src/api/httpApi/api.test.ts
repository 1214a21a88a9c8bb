// The HTTP API over loopback on a real store and pipeline: every /send argument and error, coding and hex-content,
// long content in parts, /balance, /rate, /ping, GET and POST forms, the access log.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawSocket } from '../../../test/helpers/rawSocket.js';
import { makeUser } from '../../gateway/pipeline.fixtures.js';
import { CommandStatus } from '../../smpp/codec/index.js';
import { decodeTlvs } from '../../smpp/codec/tlv.js';
import { parseUdh } from '../../smpp/text/index.js';
import { type ApiHarness, AUTH, idOf, startApi } from './httpApi.fixtures.js';

const TO = '33600000001';

describe('HTTP API /send: arguments', () => {
  let t: ApiHarness;
  before(async () => {
    t = await startApi();
  });
  after(() => t.close());

  for (const style of ['get', 'form', 'json'] as const) {
    it(`sends a message with ${style === 'get' ? 'GET' : style === 'form' ? 'a form POST' : 'a JSON POST'}`, async () => {
      const r = await t.call('/send', { ...AUTH, to: TO, content: 'hello' }, style);
      assert.equal(r.status, 200, r.body);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
      const m = await t.store.getMessage(idOf(r.body));
      assert.equal(m?.destination_addr, TO);
      assert.equal(m?.dest_addr_ton, 0);
      assert.equal(m?.data_coding, 0);
      assert.deepEqual(m?.short_message, Buffer.from('hello'));
      assert.equal(m?.registered_delivery, 0);
      assert.equal(m?.dlr ?? null, null);
      assert.equal(r.headers.get('x-message-ids'), m?.id);
    });
  }

  it('takes every optional argument into the message', async () => {
    const r = await t.call('/send', {
      ...AUTH,
      to: `+${TO}`,
      from: 'Jasmin',
      coding: 3,
      content: 'café',
      priority: 2,
      sdt: '000000010000000R',
      'validity-period': 120,
      tags: '7,42',
      dlr: 'yes',
      'dlr-url': 'http://127.0.0.1:9/dlr?x=1',
      'dlr-level': 3,
      'dlr-method': 'get',
    });
    assert.equal(r.status, 200, r.body);
    const m = await t.store.getMessage(idOf(r.body));
    assert.ok(m !== null);
    assert.equal(m.destination_addr, TO, 'the + becomes TON international');
    assert.equal(m.dest_addr_ton, 1);
    assert.equal(m.source_addr, 'Jasmin');
    assert.equal(m.source_addr_ton, 5, 'alphanumeric sender');
    assert.equal(m.data_coding, 3);
    assert.deepEqual(m.short_message, Buffer.from('café', 'latin1'));
    assert.equal(m.priority_flag, 2);
    assert.equal(m.schedule_at, t.clock.now() + 3600_000, 'sdt one hour from now');
    // validity-period counts from now (as Jasmin does), written as an absolute SMPP time to the tenth of a second.
    assert.ok(m.expires_at !== null && Math.abs(m.expires_at - (t.clock.now() + 120 * 60_000)) < 1000);
    assert.deepEqual(m.tags, [7, 42]);
    assert.equal(m.registered_delivery, 1);
    assert.deepEqual(m.dlr, { url: 'http://127.0.0.1:9/dlr?x=1', method: 'GET', level: 3 });
  });

  it('dlr-url alone asks for level 1 receipts by POST', async () => {
    const r = await t.call('/send', { ...AUTH, to: TO, content: 'x', 'dlr-url': 'https://example.test/d' });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual((await t.store.getMessage(idOf(r.body)))?.dlr, {
      url: 'https://example.test/d',
      method: 'POST',
      level: 1,
    });
  });

  const errors: [string, Record<string, string | number>, string][] = [
    ['no argument at all', {}, 'Mandatory arguments not found, please refer to the HTTPAPI specifications.'],
    ['an unknown argument', { ...AUTH, to: TO, content: 'x', foo: 1 }, 'Argument [foo] is unknown.'],
    ['no to', { ...AUTH, content: 'x' }, 'Mandatory argument [to] is not found.'],
    ['no username', { password: 'secret', to: TO, content: 'x' }, 'Mandatory argument [username] is not found.'],
    ['no password', { username: 'user1', to: TO, content: 'x' }, 'Mandatory argument [password] is not found.'],
    ['a bad to', { ...AUTH, to: '06-22', content: 'x' }, 'Argument [to] has an invalid value: [06-22].'],
    ['a long from', { ...AUTH, to: TO, from: 'x'.repeat(21), content: 'x' }, 'Argument [from] has an invalid value'],
    ['a bad coding', { ...AUTH, to: TO, coding: 11, content: 'x' }, 'Argument [coding] has an invalid value: [11].'],
    [
      'a bad priority',
      { ...AUTH, to: TO, priority: 4, content: 'x' },
      'Argument [priority] has an invalid value: [4].',
    ],
    ['a bad sdt', { ...AUTH, to: TO, sdt: '2026', content: 'x' }, 'Argument [sdt] has an invalid value: [2026].'],
    [
      'a bad validity-period',
      { ...AUTH, to: TO, 'validity-period': '1h', content: 'x' },
      'Argument [validity-period] has an invalid value: [1h].',
    ],
    ['a bad dlr', { ...AUTH, to: TO, dlr: 'maybe', content: 'x' }, 'Argument [dlr] has an invalid value: [maybe].'],
    [
      'a bad dlr-url',
      { ...AUTH, to: TO, 'dlr-url': 'ftp://x/y', content: 'x' },
      'Argument [dlr-url] has an invalid value: [ftp://x/y].',
    ],
    [
      'a bad dlr-level',
      { ...AUTH, to: TO, 'dlr-url': 'http://a/b', 'dlr-level': 4, content: 'x' },
      'Argument [dlr-level] has an invalid value: [4].',
    ],
    [
      'a bad dlr-method',
      { ...AUTH, to: TO, 'dlr-url': 'http://a/b', 'dlr-method': 'PUT', content: 'x' },
      'Argument [dlr-method] has an invalid value: [PUT].',
    ],
    [
      'dlr=yes without dlr-url',
      { ...AUTH, to: TO, dlr: 'yes', content: 'x' },
      'Mandatory argument [dlr-url] is not found.',
    ],
    ['bad tags', { ...AUTH, to: TO, tags: 'a,b', content: 'x' }, 'Argument [tags] has an invalid value: [a,b].'],
    ['no content', { ...AUTH, to: TO }, 'content or hex-content not present.'],
    [
      'content and hex-content',
      { ...AUTH, to: TO, content: 'x', 'hex-content': '41' },
      'content and hex-content cannot be used both in same request.',
    ],
    ['bad hex-content', { ...AUTH, to: TO, 'hex-content': '4G' }, "Invalid hex-content data: '4G'"],
    [
      'text the coding cannot carry',
      { ...AUTH, to: TO, coding: 0, content: 'привет' },
      'Argument [content] has an invalid value: [привет]. Coding 0 cannot carry it',
    ],
    [
      'content over long_content_max_parts',
      { ...AUTH, to: TO, content: 'a'.repeat(153 * 5 + 1) },
      'Argument [content] is too long: it needs 6 parts, more than long_content_max_parts (5).',
    ],
  ];
  for (const [what, args, message] of errors) {
    it(`answers 400 naming the argument for ${what}`, async () => {
      const r = await t.call('/send', args);
      assert.equal(r.status, 400, r.body);
      assert.ok(r.body.startsWith(`Error "${message}`), r.body);
    });
  }

  it('answers 404 for an unknown path and 405 for another method', async () => {
    assert.equal((await t.call('/nope', {})).status, 404);
    const r = await fetch(`${t.base}/send`, { method: 'DELETE' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET, POST');
  });

  it('/ping answers Jasmin/PONG', async () => {
    const r = await t.call('/ping', {});
    assert.equal(r.status, 200);
    assert.equal(r.body, 'Jasmin/PONG');
  });

  it('writes one access log line per request, never the password', async () => {
    t.access.length = 0;
    await t.call('/send', { ...AUTH, to: TO, content: 'x' });
    await t.call('/send', { ...AUTH, to: 'bad', content: 'x' });
    assert.equal(t.access.length, 2);
    assert.equal(t.access[0].status, 200);
    assert.equal(t.access[0].path, '/send');
    assert.equal(t.access[0].username, 'user1');
    assert.equal(typeof t.access[0].message_id, 'string');
    assert.equal(t.access[1].status, 400);
    assert.ok(!JSON.stringify(t.access).includes('secret'));
  });
});

describe('HTTP API /send: coding and hex-content', () => {
  let t: ApiHarness;
  before(async () => {
    t = await startApi();
  });
  after(() => t.close());
  const sent = async (args: Record<string, string | number>) => {
    const r = await t.call('/send', { ...AUTH, to: TO, ...args });
    assert.equal(r.status, 200, r.body);
    const m = await t.store.getMessage(idOf(r.body));
    assert.ok(m !== null);
    return m;
  };

  it('encodes GSM 03.38 unpacked, extension characters escaped', async () => {
    const m = await sent({ content: '€[x]' });
    assert.equal(m.data_coding, 0);
    assert.deepEqual(m.short_message, Buffer.from([0x1b, 0x65, 0x1b, 0x3c, 0x78, 0x1b, 0x3e]));
  });

  it('picks UCS-2 for text GSM cannot carry when no coding is given', async () => {
    const m = await sent({ content: 'привет 😀' });
    assert.equal(m.data_coding, 8);
    assert.deepEqual(m.short_message, Buffer.from('привет 😀', 'utf16le').swap16());
  });

  it('encodes UCS-2 when coding=8', async () => {
    const m = await sent({ coding: 8, content: 'hé' });
    assert.deepEqual(m.short_message, Buffer.from([0x00, 0x68, 0x00, 0xe9]));
  });

  it('passes hex-content octets untouched with their coding', async () => {
    const m = await sent({ coding: 4, 'hex-content': '00ff7f80' });
    assert.equal(m.data_coding, 4);
    assert.deepEqual(m.short_message, Buffer.from([0x00, 0xff, 0x7f, 0x80]));
    const ucs2 = await sent({ coding: 8, 'hex-content': '04410442' });
    assert.equal(ucs2.data_coding, 8);
    assert.deepEqual(ucs2.short_message, Buffer.from([0x04, 0x41, 0x04, 0x42]));
  });

  it('splits long content with an 8-bit UDH, each part its own message_id and bill', async () => {
    const before = (await t.store.getUser('u1'))?.mt_messaging_cred.quotas.balance ?? 0;
    const text = 'a'.repeat(153) + 'b'.repeat(10);
    const r = await t.call('/send', { ...AUTH, to: TO, content: text });
    assert.equal(r.status, 200, r.body);
    const ids = (r.headers.get('x-message-ids') ?? '').split(',');
    assert.equal(ids.length, 2);
    assert.equal(idOf(r.body), ids[0], 'the body names the first part, as Jasmin does');
    const parts = await Promise.all(ids.map((id) => t.store.getMessage(id)));
    const udhs = parts.map((p) => parseUdh(p?.short_message ?? Buffer.alloc(0)));
    assert.deepEqual(
      udhs.map((u) => [u.concat?.total, u.concat?.seq, u.concat?.refBits]),
      [
        [2, 1, 8],
        [2, 2, 8],
      ],
    );
    assert.equal(udhs[0].concat?.ref, udhs[1].concat?.ref);
    assert.equal(udhs[0].payload.toString(), 'a'.repeat(153));
    assert.equal(udhs[1].payload.toString(), 'b'.repeat(10));
    assert.ok(parts.every((p) => p?.esm_class === 0x40));
    const afterBalance = (await t.store.getUser('u1'))?.mt_messaging_cred.quotas.balance ?? 0;
    assert.equal(Math.round((before - afterBalance) * 1000) / 1000, 0.2, 'two parts at 0.1');
  });

  it('/rate counts the parts without sending', async () => {
    const r = await t.call('/rate', { ...AUTH, to: TO, content: 'a'.repeat(200) });
    assert.equal(r.status, 200, r.body);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(r.body), { unit_rate: 0.1, submit_sm_count: 2 });
    const ucs = await t.call('/rate', { ...AUTH, to: TO, content: 'я'.repeat(71) }, 'form');
    assert.deepEqual(JSON.parse(ucs.body), { unit_rate: 0.1, submit_sm_count: 2 });
    const empty = await t.call('/rate', { ...AUTH, to: TO });
    assert.deepEqual(JSON.parse(empty.body), { unit_rate: 0.1, submit_sm_count: 1 });
  });
});

describe('HTTP API /send: SAR split', () => {
  it('marks the parts with the SAR TLVs when long_content_split = sar', async () => {
    const t = await startApi({ settings: { long_content_split: 'sar' } });
    try {
      const r = await t.call('/send', { ...AUTH, to: TO, content: 'z'.repeat(300) });
      assert.equal(r.status, 200, r.body);
      const ids = (r.headers.get('x-message-ids') ?? '').split(',');
      assert.equal(ids.length, 2, '152 septets per SAR part');
      const parts = await Promise.all(ids.map((id) => t.store.getMessage(id)));
      const tlvs = parts.map((p) => decodeTlvs(p?.tlvs ?? Buffer.alloc(0), 0, p?.tlvs?.length ?? 0));
      assert.deepEqual(
        tlvs.map((x) => ('sar_total_segments' in x ? [x.sar_total_segments, x.sar_segment_seqnum] : null)),
        [
          [2, 1],
          [2, 2],
        ],
      );
      assert.equal(parts[0]?.esm_class, 0);
      assert.equal(parts[0]?.short_message.length, 152);
    } finally {
      await t.close();
    }
  });
});

describe('HTTP API /send: authentication, authorizations and refusals', () => {
  it('403 for a wrong password, an unknown user and a disabled user', async () => {
    const t = await startApi({
      users: [await makeUser(), await makeUser({ uid: 'u2', username: 'off', enabled: false })],
    });
    try {
      for (const [username, password] of [
        ['user1', 'wrong'],
        ['nobody', 'secret'],
        ['off', 'secret'],
      ]) {
        const r = await t.call('/send', { username, password, to: TO, content: 'x' });
        assert.equal(r.status, 403);
        assert.equal(r.body, `Error "Authentication failure for username:${username}"`);
      }
    } finally {
      await t.close();
    }
  });

  const denials: [string, Record<string, string | number>, string][] = [
    ['http_send', {}, 'Cannot send MT messages'],
    ['long_content', { content: 'l'.repeat(200) }, 'Long content not authorized'],
    ['dlr_level', { 'dlr-url': 'http://a/b' }, 'Setting dlr level not authorized'],
    ['src_addr', { from: '1234' }, 'Setting source address not authorized'],
    ['priority', { priority: 1 }, 'Setting priority not authorized'],
    ['validity_period', { 'validity-period': 5 }, 'Setting validity period not authorized'],
    [
      'hex_content',
      { 'hex-content': '41', content: undefined as unknown as string },
      'Setting hex content not authorized',
    ],
    ['schedule_delivery_time', { sdt: '000001000000000R' }, 'Setting schedule delivery time not authorized'],
  ];
  for (const [auth, extra, why] of denials) {
    it(`403 without the ${auth} authorization`, async () => {
      const t = await startApi({ users: [await makeUser({ mt: { authorizations: { [auth]: false } } })] });
      try {
        const args: Record<string, string | number> = { ...AUTH, to: TO, content: 'x', ...extra };
        if (args.content === undefined) delete args.content;
        const r = await t.call('/send', args);
        assert.equal(r.status, 403, r.body);
        assert.equal(r.body, `Error "Authorization failed for user [user1] (${why})."`);
      } finally {
        await t.close();
      }
    });
  }

  it('400 when a value filter refuses the destination', async () => {
    const t = await startApi({ users: [await makeUser({ mt: { value_filters: { dst_addr: '^44' } } })] });
    try {
      const r = await t.call('/send', { ...AUTH, to: TO, content: 'x' });
      assert.equal(r.status, 400);
      assert.equal(r.body, 'Error "Value filter failed for user [user1] (destination_address filter mismatch)."');
    } finally {
      await t.close();
    }
  });

  it('403 User throughput exceeded over http_throughput, counted per request', async () => {
    const t = await startApi({ users: [await makeUser({ mt: { quotas: { http_throughput: 1 } } })] });
    try {
      const long = await t.call('/send', { ...AUTH, to: TO, content: 'l'.repeat(400) });
      assert.equal(long.status, 200, 'three parts, one request: not throttled half-way');
      const r = await t.call('/send', { ...AUTH, to: TO, content: 'x' });
      assert.equal(r.status, 403);
      assert.equal(r.body, 'Error "User throughput exceeded"');
      t.clock.advance(1000);
      assert.equal((await t.call('/send', { ...AUTH, to: TO, content: 'x' })).status, 200);
    } finally {
      await t.close();
    }
  });

  it('412 No route found, for /send and /rate', async () => {
    const t = await startApi({
      routes: [
        {
          order: 10,
          type: 'static',
          connectors: ['c1'],
          filters: [{ type: 'destination_addr', regex: '^44' }],
          rate: 0,
        },
      ],
    });
    try {
      const r = await t.call('/send', { ...AUTH, to: TO, content: 'x' });
      assert.equal(r.status, 412);
      assert.equal(r.body, 'Error "No route found"');
      const rate = await t.call('/rate', { ...AUTH, to: TO });
      assert.equal(rate.status, 412);
      assert.equal(JSON.parse(rate.body), 'No route found');
      assert.equal((await t.call('/send', { ...AUTH, to: '4479', content: 'x' })).status, 200);
    } finally {
      await t.close();
    }
  });

  it('403 when the balance cannot pay; a long message is refused whole, before any part is queued', async () => {
    const t = await startApi({ users: [await makeUser({ mt: { quotas: { balance: 0.15 } } })] });
    try {
      const long = await t.call('/send', { ...AUTH, to: TO, content: 'l'.repeat(200) });
      assert.equal(long.status, 403, long.body);
      assert.match(long.body, /^Error "Cannot charge submit_sm \(balance 0\.15 does not cover 0\.2/);
      assert.deepEqual(await t.store.queueDepths(), {});
      assert.equal((await t.call('/send', { ...AUTH, to: TO, content: 'x' })).status, 200);
      const r = await t.call('/send', { ...AUTH, to: TO, content: 'x' });
      assert.equal(r.status, 403);
      assert.equal(r.body, 'Error "Cannot charge submit_sm (not enough balance)"');
    } finally {
      await t.close();
    }
  });

  it('a part refused after earlier parts were queued cancels and refunds those parts', async () => {
    const t = await startApi({
      users: [await makeUser({ mt: { quotas: { balance: 1, sms_count: 10 } } })],
      wrap: (pipeline) => ({
        submit: (submitter, request, channel, meta) =>
          meta?.continuation === true
            ? Promise.resolve({ ok: false, status: CommandStatus.ESME_RTHROTTLED, reason: 'injected' })
            : pipeline.submit(submitter, request, channel, meta),
      }),
    });
    try {
      const r = await t.call('/send', { ...AUTH, to: TO, content: 'l'.repeat(200) });
      assert.equal(r.status, 403);
      assert.deepEqual(await t.store.queueDepths(), {});
      const quotas = (await t.store.getUser('u1'))?.mt_messaging_cred.quotas;
      assert.equal(quotas?.balance, 1, 'the first part refunded');
      assert.equal(quotas?.sms_count, 10);
      assert.equal(t.logger.events('http_send_part_refused').length, 1);
    } finally {
      await t.close();
    }
  });
});

describe('HTTP API /balance and /rate', () => {
  it('/balance answers the quotas as Jasmin does, ND when unlimited', async () => {
    const t = await startApi({ users: [await makeUser({ mt: { quotas: { balance: 10, sms_count: null } } })] });
    try {
      const r = await t.call('/balance', AUTH);
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { balance: 10, sms_count: 'ND' });
      await t.call('/send', { ...AUTH, to: TO, content: 'x' });
      assert.deepEqual(JSON.parse((await t.call('/balance', AUTH, 'form')).body), { balance: 9.9, sms_count: 'ND' });
      const bad = await t.call('/balance', { username: 'user1', password: 'nope' });
      assert.equal(bad.status, 403);
      assert.equal(JSON.parse(bad.body), 'Authentication failure for username:user1');
      const extra = await t.call('/balance', { ...AUTH, to: TO });
      assert.equal(extra.status, 400);
      assert.equal(JSON.parse(extra.body), 'Argument [to] is unknown.');
    } finally {
      await t.close();
    }
  });

  it('/balance and /rate need their authorizations', async () => {
    const t = await startApi({
      users: [await makeUser({ mt: { authorizations: { http_balance: false, http_rate: false } } })],
    });
    try {
      const b = await t.call('/balance', AUTH);
      assert.equal(b.status, 403);
      assert.equal(JSON.parse(b.body), 'Authorization failed for user [user1] (Cannot check balance).');
      const r = await t.call('/rate', { ...AUTH, to: TO });
      assert.equal(r.status, 403);
      assert.equal(JSON.parse(r.body), 'Authorization failed for user [user1] (Cannot check rate).');
      const missing = await t.call('/rate', { ...AUTH });
      assert.equal(JSON.parse(missing.body), 'Mandatory argument [to] is not found.');
    } finally {
      await t.close();
    }
  });
});

describe('HTTP API: requests node:http refuses, and its time limits', () => {
  let t: ApiHarness;
  let port: number;
  before(async () => {
    t = await startApi({ server: { requestTimeoutMs: 500, headersTimeoutMs: 500, checkIntervalMs: 100 } });
    port = Number(new URL(t.base).port);
  });
  after(() => t.close());

  it('answers a request line over the header limit 431 in Jasmin words, JSON on /balance, never echoing it', async () => {
    const long = `/send?username=user1&password=secret&content=${'a'.repeat(20_000)}`;
    const text = await rawSocket(port, `GET ${long} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 431 /);
    assert.match(
      text,
      /\r\n\r\nError "Request line and headers larger than \d+ bytes; send long content in a POST body\."$/,
    );
    assert.ok(!text.includes('secret'));
    const json = await rawSocket(port, `GET /balance?username=user1&password=${'p'.repeat(20_000)} HTTP/1.1\r\n\r\n`);
    assert.match(json, /content-type: application\/json/i);
    assert.match(json, /\r\n\r\n"Request line and headers larger than/);
    assert.ok(t.logger.lines.some((l) => l.event === 'http_api_refused' && l.fields?.status === 431));
    assert.ok(!JSON.stringify(t.logger.lines).includes('secret'), 'the refused request line is not logged');
    assert.ok(t.access.some((l) => l.status === 431));
  });

  it('serves an HTTP/1.1 request without a Host header (node would answer an empty 400)', async () => {
    const text = await rawSocket(port, 'GET /ping HTTP/1.1\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.match(text, /Jasmin\/PONG$/);
  });

  it('answers an unparseable request or a smuggling attempt 400 with Error text', async () => {
    for (const request of [
      'GARBAGE\r\n\r\n',
      'GET /send HTTP/9.9\r\n\r\n',
      'POST /send HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /send HTTP/1.1\r\nContent-Length: -1\r\n\r\n',
      'POST /send HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      'GET /send HTTP/1.1\r\nBad Header\r\n\r\n',
    ]) {
      const text = await rawSocket(port, request);
      assert.match(text, /^HTTP\/1\.1 400 /, JSON.stringify(request));
      assert.match(text, /\r\n\r\nError "Malformed HTTP request \([A-Z_]+\)\."$/, JSON.stringify(request));
    }
  });

  it('a body shorter than its Content-Length does not hold the connection past the request time limit', async () => {
    const started = Date.now();
    const text = await rawSocket(
      port,
      'POST /send HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nto=1',
      false,
    );
    assert.ok(Date.now() - started < 5000, `held ${Date.now() - started} ms`);
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /Error "Request not received in time\."$/);
  });

  it('answers a declared body over the limit 413 and closes the connection without reading it', async () => {
    const text = await rawSocket(port, 'POST /send HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n', false);
    assert.match(text, /^HTTP\/1\.1 413 /);
    assert.match(text, /connection: close/i);
    assert.match(text, /Error "request body larger than 65536 bytes"$/);
  });
});
