import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommandStatus } from '../smpp/codec/status.js';
import { defaultMtMessagingCredential, defaultSmppsCredential, type Group, type User } from '../store/model.js';
import { checkBind, checkMt, isLongContent, type MtRequest } from './credentials.js';

function user(over: Partial<User> = {}): User {
  return {
    uid: 'u1',
    gid: 'g1',
    username: 'alice',
    enabled: true,
    smpps_cred: defaultSmppsCredential(),
    mt_messaging_cred: defaultMtMessagingCredential(),
    ...over,
  };
}

const group: Group = { gid: 'g1', enabled: true };

describe('statuses', () => {
  test('the names are the codec table’s, with the codes of SMPP 3.4 §5.1.3', () => {
    const refused = checkBind(null, null, '127.0.0.1', 0, false);
    assert.ok(!refused.ok);
    assert.equal(CommandStatus[refused.status], 0x0e);
    const noBind = checkBind(
      user({ smpps_cred: { authorizations: { bind: false, ip: null }, quotas: { max_bindings: null } } }),
      group,
      '::1',
      0,
      true,
    );
    assert.ok(!noBind.ok);
    assert.equal(CommandStatus[noBind.status], 0x0d);
    const denied = checkMt(
      userWith((c) => (c.authorizations.smpps_send = false)),
      request(),
    );
    assert.ok(!denied.ok);
    assert.equal(CommandStatus[denied.status], 0x0f);
  });
});

describe('checkBind', () => {
  test('a good bind passes with defaults (any address, unlimited bindings)', () => {
    assert.deepEqual(checkBind(user(), group, '203.0.113.5', 500, true), { ok: true });
  });

  test('each refusal and its status', () => {
    const withSmpps = (bind: boolean, ip: string | null, max: number | null) =>
      user({ smpps_cred: { authorizations: { bind, ip }, quotas: { max_bindings: max } } });
    const cases: [ReturnType<typeof checkBind>, string, RegExp][] = [
      [checkBind(null, group, '127.0.0.1', 0, false), 'ESME_RINVPASWD', /unknown user/],
      [checkBind(user(), group, '127.0.0.1', 0, false), 'ESME_RINVPASWD', /wrong password/],
      [checkBind(user({ enabled: false }), group, '127.0.0.1', 0, true), 'ESME_RINVPASWD', /user alice is disabled/],
      [
        checkBind(user(), { gid: 'g1', enabled: false }, '127.0.0.1', 0, true),
        'ESME_RINVPASWD',
        /group g1 .* disabled/,
      ],
      [checkBind(user(), null, '127.0.0.1', 0, true), 'ESME_RINVPASWD', /does not exist/],
      [checkBind(user(), { gid: 'other', enabled: true }, '127.0.0.1', 0, true), 'ESME_RINVPASWD', /does not exist/],
      [
        checkBind(withSmpps(false, null, null), group, '127.0.0.1', 0, true),
        'ESME_RBINDFAIL',
        /not authorized to bind/,
      ],
      [
        checkBind(withSmpps(true, '10.0.0.0/8', null), group, '127.0.0.1', 0, true),
        'ESME_RBINDFAIL',
        /may not bind from 127\.0\.0\.1/,
      ],
      [
        checkBind(withSmpps(true, '10.0.0.0/99', null), group, '10.0.0.1', 0, true),
        'ESME_RBINDFAIL',
        /bad ip allow-list/,
      ],
      [checkBind(withSmpps(true, null, 2), group, '127.0.0.1', 2, true), 'ESME_RBINDFAIL', /2 of 2 bindings/],
      [checkBind(withSmpps(true, null, 0), group, '127.0.0.1', 0, true), 'ESME_RBINDFAIL', /0 of 0/],
    ];
    for (const [result, status, reason] of cases) {
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.status, status, result.reason);
        assert.match(result.reason, reason);
      }
    }
  });

  test('the allow-list and max_bindings pass when satisfied (IPv4-mapped peers included)', () => {
    const u = user({
      smpps_cred: { authorizations: { bind: true, ip: '127.0.0.1, ::1' }, quotas: { max_bindings: 2 } },
    });
    assert.deepEqual(checkBind(u, group, '::ffff:127.0.0.1', 1, true), { ok: true });
    assert.deepEqual(checkBind(u, group, '::1', 0, true), { ok: true });
  });

  test('the first failure wins: unknown > password > user > group > bind > ip > max_bindings', () => {
    const worst = user({
      enabled: false,
      smpps_cred: { authorizations: { bind: false, ip: '10.0.0.1' }, quotas: { max_bindings: 0 } },
    });
    const offGroup = { gid: 'g1', enabled: false };
    const reason = (r: ReturnType<typeof checkBind>) => (r.ok ? 'ok' : r.reason);
    assert.match(reason(checkBind(null, offGroup, '1.1.1.1', 9, false)), /unknown user/);
    assert.match(reason(checkBind(worst, offGroup, '1.1.1.1', 9, false)), /wrong password/);
    assert.match(reason(checkBind(worst, offGroup, '1.1.1.1', 9, true)), /user alice is disabled/);
    assert.match(reason(checkBind({ ...worst, enabled: true }, offGroup, '1.1.1.1', 9, true)), /group g1/);
    assert.match(reason(checkBind({ ...worst, enabled: true }, group, '1.1.1.1', 9, true)), /not authorized to bind/);
    const canBind = {
      ...worst,
      enabled: true,
      smpps_cred: { ...worst.smpps_cred, authorizations: { bind: true, ip: '10.0.0.1' } },
    };
    assert.match(reason(checkBind(canBind, group, '1.1.1.1', 9, true)), /may not bind from/);
    assert.match(reason(checkBind(canBind, group, '10.0.0.1', 9, true)), /bindings/);
  });
});

function request(over: Partial<MtRequest> = {}): MtRequest {
  return {
    channel: 'smpp',
    source_addr: 'Brand',
    destination_addr: '33612345678',
    registered_delivery: 0,
    priority_flag: 0,
    validity_period: null,
    schedule_delivery_time: null,
    content: 'Hello',
    esm_class: 0,
    sar: false,
    message_payload_length: null,
    parts: 1,
    hex_content: false,
    ...over,
  };
}

type Cred = ReturnType<typeof defaultMtMessagingCredential>;

function userWith(change: (c: Cred) => void): User {
  const cred = defaultMtMessagingCredential();
  change(cred);
  return user({ mt_messaging_cred: cred });
}

function refusal(u: User, r: MtRequest): [string, string] {
  const result = checkMt(u, r);
  assert.equal(result.ok, false, 'expected a refusal');
  return result.ok ? ['', ''] : [result.status, result.reason];
}

describe('checkMt authorizations (ESME_RINVSYSID)', () => {
  test('the default credential lets a full-featured SMPP request through untouched', () => {
    const r = request({
      registered_delivery: 1,
      priority_flag: 3,
      validity_period: '000001000000000R',
      schedule_delivery_time: '250101120000000+',
      esm_class: 0x40,
    });
    const result = checkMt(user(), r);
    assert.ok(result.ok);
    assert.equal(result.request, r);
  });

  test('each authorization refuses exactly what it covers', () => {
    const cases: [keyof Cred['authorizations'], Partial<MtRequest>, RegExp][] = [
      ['smpps_send', {}, /smpps_send/],
      ['http_send', { channel: 'http' }, /http_send/],
      ['dlr_level', { registered_delivery: 1 }, /dlr_level/],
      ['dlr_level', { registered_delivery: 0x10 }, /dlr_level/],
      ['src_addr', { source_addr: 'Other' }, /src_addr/],
      ['priority', { priority_flag: 1 }, /priority/],
      ['validity_period', { validity_period: '000001000000000R' }, /validity_period/],
      ['schedule_delivery_time', { schedule_delivery_time: '000000010000000R' }, /schedule_delivery_time/],
      ['long_content', { esm_class: 0x40 }, /long_content/],
      ['long_content', { esm_class: 0x43 }, /long_content/],
      ['long_content', { sar: true }, /long_content/],
      ['long_content', { message_payload_length: 255 }, /long_content/],
      ['long_content', { parts: 2 }, /long_content/],
      ['hex_content', { channel: 'http', hex_content: true }, /hex_content/],
    ];
    for (const [auth, over, reason] of cases) {
      const u = userWith((c) => {
        c.authorizations[auth] = false;
      });
      const [status, why] = refusal(u, request(over));
      assert.equal(status, 'ESME_RINVSYSID', auth);
      assert.match(why, reason);
    }
  });

  test('a missing authorization is not needed by a request that does not use it', () => {
    const none = userWith((c) => {
      for (const k of Object.keys(c.authorizations) as (keyof Cred['authorizations'])[]) c.authorizations[k] = false;
      c.authorizations.smpps_send = true;
    });
    assert.ok(checkMt(none, request({ source_addr: '', validity_period: '', schedule_delivery_time: '' })).ok);
    assert.ok(
      checkMt(none, request({ source_addr: '', esm_class: 0x03, message_payload_length: 254 })).ok,
      'data_sm payload that fits, esm_class mode bits',
    );
    assert.ok(
      checkMt(none, request({ source_addr: '', hex_content: true })).ok,
      'hex_content is an HTTP authorization',
    );
    const httpOnly = userWith((c) => {
      c.authorizations.smpps_send = false;
    });
    assert.ok(checkMt(httpOnly, request({ channel: 'http' })).ok);
  });

  test('isLongContent', () => {
    assert.equal(isLongContent(request()), false);
    assert.equal(isLongContent(request({ esm_class: 0x40 })), true);
    assert.equal(isLongContent(request({ sar: true })), true);
    assert.equal(isLongContent(request({ message_payload_length: 254 })), false);
    assert.equal(isLongContent(request({ message_payload_length: 255 })), true);
    assert.equal(isLongContent(request({ parts: 3 })), true);
  });
});

describe('checkMt value filters', () => {
  test('each filter and its status', () => {
    const cases: [keyof Cred['value_filters'], string, Partial<MtRequest>, string][] = [
      ['dst_addr', '^33', { destination_addr: '4912345' }, 'ESME_RINVDSTADR'],
      ['src_addr', '^Brand$', { source_addr: 'Other' }, 'ESME_RINVSRCADR'],
      ['priority', '^[01]$', { priority_flag: 2 }, 'ESME_RINVPRTFLG'],
      ['content', '^(?!.*casino)', { content: 'Win at the casino' }, 'ESME_RSYSERR'],
      ['validity_period', '^0000', { validity_period: '000100000000000R' }, 'ESME_RINVEXPIRY'],
    ];
    for (const [filter, pattern, over, status] of cases) {
      const u = userWith((c) => {
        c.value_filters[filter] = pattern;
      });
      assert.ok(checkMt(u, request()).ok, `${filter} passes a conforming request`);
      const [got, reason] = refusal(u, request(over));
      assert.equal(got, status, filter);
      assert.match(reason, new RegExp(filter));
    }
  });

  test('the validity_period filter only judges a given validity period', () => {
    const u = userWith((c) => {
      c.value_filters.validity_period = '^0000';
    });
    assert.ok(checkMt(u, request({ validity_period: null })).ok);
    assert.ok(checkMt(u, request({ validity_period: '' })).ok);
  });

  test('filters match from the start of the value like Jasmin (re.match)', () => {
    const u = userWith((c) => {
      c.value_filters.dst_addr = '336';
    });
    assert.ok(checkMt(u, request({ destination_addr: '33612' })).ok);
    assert.equal(refusal(u, request({ destination_addr: '4433612' }))[0], 'ESME_RINVDSTADR');
  });

  test('a damaged stored filter fails closed with that filter’s status', () => {
    const u = userWith((c) => {
      c.value_filters.dst_addr = '(a+)+';
    });
    const [status, reason] = refusal(u, request());
    assert.equal(status, 'ESME_RINVDSTADR');
    assert.match(reason, /refused dst_addr value filter/);
  });
});

describe('checkMt defaults', () => {
  test('an empty source address gets defaults.src_addr', () => {
    const u = userWith((c) => {
      c.defaults.src_addr = 'Default';
    });
    const r = request({ source_addr: '' });
    const result = checkMt(u, r);
    assert.ok(result.ok);
    assert.equal(result.request.source_addr, 'Default');
    assert.equal(r.source_addr, '', 'the input is not mutated');
    const given = checkMt(u, request({ source_addr: 'Mine' }));
    assert.ok(given.ok && given.request.source_addr === 'Mine');
  });

  test('without a default an empty source stays empty', () => {
    const result = checkMt(user(), request({ source_addr: '' }));
    assert.ok(result.ok && result.request.source_addr === '');
  });

  test('the src_addr filter judges what the ESME sent, not the operator’s default', () => {
    const withDefault = userWith((c) => {
      c.value_filters.src_addr = '^Brand$';
      c.defaults.src_addr = 'Default';
    });
    const filled = checkMt(withDefault, request({ source_addr: '' }));
    assert.ok(filled.ok && filled.request.source_addr === 'Default');
    const noDefault = userWith((c) => {
      c.value_filters.src_addr = '^Brand$';
    });
    assert.equal(refusal(noDefault, request({ source_addr: '' }))[0], 'ESME_RINVSRCADR');
  });

  test('extra fields of the caller’s request type survive', () => {
    const r = { ...request({ source_addr: '' }), pduSequence: 7 };
    const result = checkMt(
      userWith((c) => (c.defaults.src_addr = 'D')),
      r,
    );
    assert.ok(result.ok);
    assert.equal(result.request.pduSequence, 7);
  });
});

describe('checkMt: the first failure wins', () => {
  // A user refused by everything, and a request that breaks everything.
  const strict = userWith((c) => {
    c.authorizations.dlr_level = false;
    c.authorizations.src_addr = false;
    c.authorizations.priority = false;
    c.authorizations.validity_period = false;
    c.authorizations.schedule_delivery_time = false;
    c.authorizations.long_content = false;
    c.value_filters = {
      dst_addr: '^33',
      src_addr: '^Brand$',
      priority: '^0$',
      content: '^ok',
      validity_period: '^0000',
    };
  });
  const all: Partial<MtRequest> = {
    registered_delivery: 1,
    source_addr: 'Bad',
    priority_flag: 2,
    validity_period: '010000000000000R',
    schedule_delivery_time: '000000010000000R',
    esm_class: 0x40,
    destination_addr: '49',
    content: 'spam',
  };

  test('authorizations in order, then value filters in order', () => {
    // Remove one offence at a time: the next one in the documented order answers.
    const steps: [Partial<MtRequest>, string, RegExp][] = [
      [{}, 'ESME_RINVSYSID', /dlr_level/],
      [{ registered_delivery: 0 }, 'ESME_RINVSYSID', /src_addr/],
      [{ source_addr: '' }, 'ESME_RINVSYSID', /priority/],
      [{ priority_flag: 0 }, 'ESME_RINVSYSID', /validity_period/],
      [{ validity_period: null }, 'ESME_RINVSYSID', /schedule_delivery_time/],
      [{ schedule_delivery_time: null }, 'ESME_RINVSYSID', /long_content/],
    ];
    let r = request(all);
    for (const [fix, status, reason] of steps) {
      r = { ...r, ...fix };
      const [got, why] = refusal(strict, r);
      assert.equal(got, status, why);
      assert.match(why, reason);
    }
    // Authorizations all satisfied; value filters now answer, in order.
    const permissive = userWith((c) => {
      c.value_filters = strict.mt_messaging_cred.value_filters;
    });
    const filterSteps: [Partial<MtRequest>, string][] = [
      [{}, 'ESME_RINVDSTADR'],
      [{ destination_addr: '336' }, 'ESME_RINVSRCADR'],
      [{ source_addr: 'Brand' }, 'ESME_RINVPRTFLG'],
      [{ priority_flag: 0 }, 'ESME_RSYSERR'],
      [{ content: 'ok then' }, 'ESME_RINVEXPIRY'],
    ];
    r = request(all);
    for (const [fix, status] of filterSteps) {
      r = { ...r, ...fix };
      assert.equal(refusal(permissive, r)[0], status);
    }
    assert.ok(checkMt(permissive, { ...r, validity_period: '000001000000000R' }).ok);
  });

  test('smpps_send is checked before everything else', () => {
    const u = userWith((c) => {
      c.authorizations.smpps_send = false;
      c.authorizations.dlr_level = false;
      c.value_filters.dst_addr = '^33';
    });
    assert.match(refusal(u, request({ registered_delivery: 1, destination_addr: '49' }))[1], /smpps_send/);
  });

  test('an authorization failure beats a value filter failure', () => {
    const u = userWith((c) => {
      c.authorizations.priority = false;
      c.value_filters.dst_addr = '^33';
    });
    assert.equal(refusal(u, request({ priority_flag: 1, destination_addr: '49' }))[0], 'ESME_RINVSYSID');
  });
});
