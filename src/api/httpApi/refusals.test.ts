// The HTTP API's answers that api.test.ts does not reach: every refusal status of the MT pipeline mapped to Jasmin's
// HTTP status and words (queue full, gateway failure, times and lengths the pipeline cannot honour, an account
// disabled meanwhile), a pipeline that throws, bodies that are not arguments, /balance and /rate argument errors,
// and the receipt arguments' dependencies.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeUser } from '../../gateway/pipeline.fixtures.js';
import { CommandStatus } from '../../smpp/codec/index.js';
import { type ApiHarness, AUTH, idOf, startApi } from './httpApi.fixtures.js';

const TO = '33600000001';

describe('HTTP API /send: each refusal of the MT pipeline', () => {
  // status, reason given by the pipeline, HTTP status, body
  const cases: [string, number, string, number, string][] = [
    ['queue full', CommandStatus.ESME_RMSGQFUL, 'store full', 503, 'Error "Message queue full, try again later"'],
    [
      'a failure of the gateway (its reason kept out of the answer)',
      CommandStatus.ESME_RSYSERR,
      'SQLITE_IOERR at /var/lib/smppgate',
      500,
      'Error "Cannot send submit_sm, check the gateway log for details"',
    ],
    [
      'short of sms_count',
      CommandStatus.ESME_RSYSERR,
      'cannot pay: short of sms_count',
      403,
      'Error "Cannot charge submit_sm (not enough sms_count)"',
    ],
    [
      'a schedule it cannot honour',
      CommandStatus.ESME_RINVSCHED,
      'beyond the maximum',
      400,
      'Error "Argument [sdt] cannot be honoured: beyond the maximum"',
    ],
    [
      'a validity it cannot honour',
      CommandStatus.ESME_RINVEXPIRY,
      'already past',
      400,
      'Error "Argument [validity-period] cannot be honoured: already past"',
    ],
    [
      'a length it cannot send',
      CommandStatus.ESME_RINVMSGLEN,
      'too long for the connector',
      400,
      'Error "Argument [content] cannot be sent: too long for the connector"',
    ],
    [
      'an account disabled meanwhile',
      CommandStatus.ESME_RINVBNDSTS,
      'disabled',
      403,
      'Error "Authentication failure for username:user1"',
    ],
    [
      'an authorization withdrawn meanwhile',
      CommandStatus.ESME_RINVSYSID,
      'Cannot send MT messages',
      403,
      'Error "Authorization failed for user [user1] (Cannot send MT messages)."',
    ],
    ['throttling by the pipeline', CommandStatus.ESME_RTHROTTLED, 'over', 403, 'Error "User throughput exceeded"'],
    ['no route', CommandStatus.ESME_RINVDSTADR, 'no route', 412, 'Error "No route found"'],
    [
      'a status with no HTTP meaning',
      CommandStatus.ESME_RX_T_APPN,
      'odd',
      500,
      'Error "Cannot send submit_sm, check the gateway log for details"',
    ],
  ];
  for (const [what, status, reason, http, body] of cases) {
    it(`${http} for ${what}`, async () => {
      const t = await startApi({
        wrap: () => ({ submit: () => Promise.resolve({ ok: false, status, reason }) }),
      });
      try {
        const r = await t.call('/send', { ...AUTH, to: TO, content: 'x' });
        assert.equal(r.status, http, r.body);
        assert.equal(r.body, body);
        assert.equal(r.headers.get('x-message-ids'), null);
        assert.equal(t.access.at(-1)?.status, http);
      } finally {
        await t.close();
      }
    });
  }

  it('500 without detail when the pipeline throws, the detail in the log', async () => {
    const t = await startApi({
      wrap: () => ({ submit: () => Promise.reject(new Error('disk on fire at /srv/secret-path')) }),
    });
    try {
      const r = await t.call('/send', { ...AUTH, to: TO, content: 'x' });
      assert.equal(r.status, 500);
      assert.match(r.body, /^Error "[^"]+"$/);
      assert.doesNotMatch(r.body, /disk on fire|secret-path/);
      const logged = t.logger.events('http_api_failed');
      assert.equal(logged.length, 1);
      assert.match(String(logged[0].fields.error), /disk on fire/);
      assert.equal(logged[0].fields.path, '/send');
    } finally {
      await t.close();
    }
  });
});

describe('HTTP API: bodies and arguments', () => {
  let t: ApiHarness;
  before(async () => {
    t = await startApi();
  });
  after(() => t.close());

  const post = async (path: string, body: string, type = 'application/json') => {
    const r = await fetch(`${t.base}${path}`, { method: 'POST', headers: { 'Content-Type': type }, body });
    return { status: r.status, body: await r.text() };
  };

  it('400 for a JSON body that is not JSON, not an object, or holds an object', async () => {
    const bad = await post('/send', '{"username":');
    assert.equal(bad.status, 400);
    assert.equal(bad.body, 'Error "The request body is not valid JSON."');
    const list = await post('/send', '["user1","secret"]');
    assert.equal(list.status, 400);
    assert.equal(list.body, 'Error "The request body must be a JSON object of arguments."');
    const nested = await post('/send', JSON.stringify({ ...AUTH, to: TO, content: { text: 'x' } }));
    assert.equal(nested.status, 400);
    assert.match(
      nested.body,
      /^Error "Argument \[content\] has an invalid value: \[\{"text":"x"\}\]\. A JSON argument/,
    );
    const balance = await post('/balance', 'not json');
    assert.equal(balance.status, 400);
    assert.equal(JSON.parse(balance.body), 'The request body is not valid JSON.');
  });

  it('reads numbers and booleans of a JSON body as their text', async () => {
    const r = await post('/send', JSON.stringify({ ...AUTH, to: Number(TO), content: true, priority: 1 }));
    assert.equal(r.status, 200, r.body);
    const m = await t.store.getMessage(idOf(r.body));
    assert.equal(m?.destination_addr, TO);
    assert.deepEqual(m?.short_message, Buffer.from('true'));
    assert.equal(m?.priority_flag, 1);
  });

  it('a query argument wins over the same argument in the body', async () => {
    const r = await fetch(`${t.base}/send?to=${TO}`, {
      method: 'POST',
      body: new URLSearchParams({ ...AUTH, to: '33699999999', content: 'x' }),
    });
    const body = await r.text();
    assert.equal(r.status, 200, body);
    assert.equal((await t.store.getMessage(idOf(body)))?.destination_addr, TO);
  });

  it('/send: dlr-level without dlr-url is refused naming dlr-url; dlr=no asks for no receipt', async () => {
    const r = await t.call('/send', { ...AUTH, to: TO, content: 'x', 'dlr-level': 2 });
    assert.equal(r.status, 400);
    assert.equal(r.body, 'Error "Mandatory argument [dlr-url] is not found."');
    const no = await t.call('/send', { ...AUTH, to: TO, content: 'x', dlr: 'no' });
    assert.equal(no.status, 200, no.body);
    const m = await t.store.getMessage(idOf(no.body));
    assert.equal(m?.registered_delivery, 0);
    assert.equal(m?.dlr ?? null, null);
  });

  it('/send: dlr-level 2 by POST is kept as asked', async () => {
    const r = await t.call('/send', {
      ...AUTH,
      to: TO,
      content: 'x',
      'dlr-url': 'http://127.0.0.1:9/d',
      'dlr-level': 2,
    });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual((await t.store.getMessage(idOf(r.body)))?.dlr, {
      url: 'http://127.0.0.1:9/d',
      method: 'POST',
      level: 2,
    });
  });

  it('/send: a validity-period beyond the maximum is held to the maximum, not refused', async () => {
    const r = await t.call('/send', { ...AUTH, to: TO, content: 'x', 'validity-period': 999_999_999 });
    assert.equal(r.status, 200, r.body);
    const m = await t.store.getMessage(idOf(r.body));
    assert.ok(m !== null && m.expires_at !== null);
    // The pipeline holds every validity to max_validity_secs (2 days by default), as it does for SMPP.
    assert.ok(Math.abs(m.expires_at - (t.clock.now() + 2 * 86_400_000)) < 1000, `${m.expires_at - t.clock.now()}`);
  });

  it('/send: an empty from is refused naming it', async () => {
    const r = await t.call('/send', { ...AUTH, to: TO, from: '', content: 'x' });
    assert.equal(r.status, 400);
    assert.match(r.body, /^Error "Argument \[from\] has an invalid value: \[\]\./);
  });

  const balanceErrors: [string, Record<string, string>, number, string][] = [
    ['no argument', {}, 400, 'Mandatory arguments not found, please refer to the HTTPAPI specifications.'],
    ['no password', { username: 'user1' }, 400, 'Mandatory argument [password] is not found.'],
    ['no username', { password: 'secret' }, 400, 'Mandatory argument [username] is not found.'],
    ['an unknown user', { username: 'nobody', password: 'secret' }, 403, 'Authentication failure for username:nobody'],
  ];
  for (const [what, args, status, reason] of balanceErrors) {
    it(`/balance: ${status} for ${what}, as a JSON string`, async () => {
      const r = await t.call('/balance', args);
      assert.equal(r.status, status, r.body);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(JSON.parse(r.body), reason);
    });
  }

  const rateErrors: [string, Record<string, string | number>, number, string][] = [
    ['no argument', {}, 400, 'Mandatory arguments not found, please refer to the HTTPAPI specifications.'],
    ['a receipt argument', { ...AUTH, to: TO, 'dlr-url': 'http://a/b' }, 400, 'Argument [dlr-url] is unknown.'],
    ['a bad to', { ...AUTH, to: 'abc' }, 400, 'Argument [to] has an invalid value: [abc]. Digits'],
    ['a bad coding', { ...AUTH, to: TO, coding: 12 }, 400, 'Argument [coding] has an invalid value: [12].'],
    ['a bad priority', { ...AUTH, to: TO, priority: 9 }, 400, 'Argument [priority] has an invalid value: [9].'],
    [
      'a bad validity-period',
      { ...AUTH, to: TO, 'validity-period': -1 },
      400,
      'Argument [validity-period] has an invalid value: [-1].',
    ],
    ['bad tags', { ...AUTH, to: TO, tags: '1,,2' }, 400, 'Argument [tags] has an invalid value: [1,,2].'],
    [
      'content and hex-content',
      { ...AUTH, to: TO, content: 'x', 'hex-content': '41' },
      400,
      'content and hex-content cannot be used both in same request.',
    ],
    ['bad hex-content', { ...AUTH, to: TO, 'hex-content': 'abc' }, 400, "Invalid hex-content data: 'abc'"],
    [
      'a wrong password',
      { username: 'user1', password: 'nope', to: TO },
      403,
      'Authentication failure for username:user1',
    ],
  ];
  for (const [what, args, status, reason] of rateErrors) {
    it(`/rate: ${status} for ${what}, as a JSON string`, async () => {
      const r = await t.call('/rate', args);
      assert.equal(r.status, status, r.body);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.ok((JSON.parse(r.body) as string).startsWith(reason), r.body);
    });
  }

  it('/rate: hex-content and coding count parts as /send would, and nothing is queued', async () => {
    const before = await t.store.queueDepths();
    const r = await t.call('/rate', { ...AUTH, to: TO, coding: 8, 'hex-content': '0041'.repeat(71) });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { unit_rate: 0.1, submit_sm_count: 2 });
    const one = await t.call('/rate', { ...AUTH, to: TO, coding: 8, 'hex-content': '0041'.repeat(70) });
    assert.deepEqual(JSON.parse(one.body), { unit_rate: 0.1, submit_sm_count: 1 });
    assert.deepEqual(await t.store.queueDepths(), before);
  });

  it('/ping answers with GET and POST, whatever the arguments', async () => {
    const get = await t.call('/ping', { anything: 1 });
    assert.equal(get.status, 200);
    assert.equal(get.body, 'Jasmin/PONG');
    const post = await t.call('/ping', {}, 'form');
    assert.equal(post.status, 200);
    assert.equal(post.body, 'Jasmin/PONG');
  });
});

describe('HTTP API /rate: throughput', () => {
  it('/rate is not counted against http_throughput', async () => {
    const t = await startApi({ users: [await makeUser({ mt: { quotas: { http_throughput: 1 } } })] });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await t.call('/rate', { ...AUTH, to: TO })).status, 200);
      assert.equal((await t.call('/send', { ...AUTH, to: TO, content: 'x' })).status, 200);
      assert.equal((await t.call('/send', { ...AUTH, to: TO, content: 'x' })).status, 403, 'the quota does apply');
    } finally {
      await t.close();
    }
  });
});

describe('HTTP API /send: each value filter, and the sender address', () => {
  // filter set on the user, the arguments that break it, the name Jasmin gives it
  const filters: [string, Record<string, string | number>, Record<string, string | number>, string][] = [
    ['dst_addr', { dst_addr: '^44' }, {}, 'destination_address'],
    ['src_addr', { src_addr: '^SHOP$' }, { from: 'OTHER' }, 'source_address'],
    ['priority', { priority: '^[01]$' }, { priority: 3 }, 'priority'],
    ['content', { content: '^[a-z ]*$' }, { content: 'Code 1234' }, 'content'],
    ['validity_period', { validity_period: '^[0-9]{1,2}$' }, { 'validity-period': 1440 }, 'validity_period'],
  ];
  for (const [filter, set, args, name] of filters) {
    it(`400 naming the ${name} filter (value_filters.${filter})`, async () => {
      const t = await startApi({ users: [await makeUser({ mt: { value_filters: set } })] });
      try {
        const r = await t.call('/send', { ...AUTH, to: TO, content: 'x', ...args });
        assert.equal(r.status, 400, r.body);
        assert.equal(r.body, `Error "Value filter failed for user [user1] (${name} filter mismatch)."`);
        assert.deepEqual(await t.store.queueDepths(), {}, 'nothing queued');
      } finally {
        await t.close();
      }
    });
  }

  it('from: +digits is international ISDN, digits national-unknown ISDN, a word alphanumeric', async () => {
    const t = await startApi();
    try {
      const expect: [string, string, number, number][] = [
        ['+33612345678', '33612345678', 1, 1],
        ['12345', '12345', 0, 1],
        ['Shop 24', 'Shop 24', 5, 0],
      ];
      for (const [from, addr, ton, npi] of expect) {
        const r = await t.call('/send', { ...AUTH, to: TO, from, content: 'x' });
        assert.equal(r.status, 200, r.body);
        const m = await t.store.getMessage(idOf(r.body));
        assert.deepEqual([m?.source_addr, m?.source_addr_ton, m?.source_addr_npi], [addr, ton, npi], from);
      }
    } finally {
      await t.close();
    }
  });
});
