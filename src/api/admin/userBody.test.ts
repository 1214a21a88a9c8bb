import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultMtMessagingCredential, defaultSmppsCredential } from '../../store/model.js';
import { HttpError } from '../http/errors.js';
import { parseCredit, parseNewUser, parseUserPatch, publicUser } from './userBody.js';

const base = { uid: 'u1', gid: 'g1', username: 'alice', password: 'pw' };

function rejects(fn: () => unknown, field: string, message?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HttpError, String(e));
    assert.equal(e.status, 400);
    assert.equal(e.field, field, e.message);
    assert.ok(e.message.startsWith(`${field}: `), e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('POST /users body', () => {
  it('defaults every credential part that is missing (Jasmin defaults)', () => {
    const u = parseNewUser(base);
    assert.equal(u.enabled, true);
    assert.deepEqual(u.smpps_cred, defaultSmppsCredential());
    assert.deepEqual(u.mt_messaging_cred, defaultMtMessagingCredential());
  });

  it('deep-merges the given parts over the defaults', () => {
    const u = parseNewUser({
      ...base,
      enabled: false,
      smpps_cred: { quotas: { max_bindings: 2 } },
      mt_messaging_cred: {
        authorizations: { long_content: false },
        value_filters: { dst_addr: '^33' },
        defaults: { src_addr: 'SMPPGATE' },
        quotas: { balance: 10.5, early_percent: 50, sms_count: 100, smpps_throughput: 20 },
      },
    });
    assert.equal(u.enabled, false);
    assert.deepEqual(u.smpps_cred, { authorizations: { bind: true, ip: null }, quotas: { max_bindings: 2 } });
    const mt = u.mt_messaging_cred;
    assert.equal(mt.authorizations.long_content, false);
    assert.equal(mt.authorizations.dlr_level, true);
    assert.equal(mt.authorizations.http_bulk, false);
    assert.equal(mt.value_filters.dst_addr, '^33');
    assert.equal(mt.value_filters.content, null);
    assert.equal(mt.defaults.src_addr, 'SMPPGATE');
    assert.deepEqual(mt.quotas, {
      balance: 10.5,
      early_percent: 50,
      sms_count: 100,
      smpps_throughput: 20,
      http_throughput: null,
    });
  });

  it('names the field of every bad value', () => {
    const cases: [Record<string, unknown>, string, RegExp?][] = [
      [{ ...base, uid: undefined }, 'uid'],
      [{ ...base, uid: 'a b' }, 'uid', /letters, digits/],
      [{ ...base, uid: '-x' }, 'uid'],
      [{ ...base, uid: 'x'.repeat(65) }, 'uid'],
      [{ ...base, gid: 7 }, 'gid', /string/],
      [{ ...base, username: 'sixteen-chars-xx' }, 'username', /system_id/],
      [{ ...base, username: 'has space' }, 'username'],
      [{ ...base, password: '' }, 'password', /1–64/],
      [{ ...base, password: 'x'.repeat(65) }, 'password'],
      [{ ...base, password: 'a\0b' }, 'password', /NUL/],
      [{ ...base, enabled: 'yes' }, 'enabled', /true or false/],
      [{ ...base, role: 'admin' }, 'role', /unknown field/],
      [{ ...base, smpps_cred: [] }, 'smpps_cred', /object/],
      [{ ...base, smpps_cred: { authorizations: { ip: '10.0.0.0/33' } } }, 'smpps_cred.authorizations.ip', /prefix/],
      [{ ...base, smpps_cred: { authorizations: { ip: 'nowhere' } } }, 'smpps_cred.authorizations.ip'],
      [{ ...base, smpps_cred: { authorizations: { ip: '' } } }, 'smpps_cred.authorizations.ip', /null/],
      [{ ...base, smpps_cred: { authorizations: { bind: 1 } } }, 'smpps_cred.authorizations.bind'],
      [{ ...base, smpps_cred: { quotas: { max_bindings: -1 } } }, 'smpps_cred.quotas.max_bindings', /≥ 0 or null/],
      [{ ...base, smpps_cred: { quotas: { max_bindings: 1.5 } } }, 'smpps_cred.quotas.max_bindings', /whole/],
      [{ ...base, smpps_cred: { quota: {} } }, 'smpps_cred.quota', /unknown field/],
      [
        { ...base, mt_messaging_cred: { authorizations: { teleport: true } } },
        'mt_messaging_cred.authorizations.teleport',
      ],
      [
        { ...base, mt_messaging_cred: { authorizations: { dlr_level: null } } },
        'mt_messaging_cred.authorizations.dlr_level',
      ],
      [
        { ...base, mt_messaging_cred: { value_filters: { dst_addr: '(' } } },
        'mt_messaging_cred.value_filters.dst_addr',
        /invalid|Unterminated/i,
      ],
      [
        { ...base, mt_messaging_cred: { value_filters: { content: '(a+)+$' } } },
        'mt_messaging_cred.value_filters.content',
        /nested/,
      ],
      [{ ...base, mt_messaging_cred: { value_filters: { src_addr: 5 } } }, 'mt_messaging_cred.value_filters.src_addr'],
      [
        { ...base, mt_messaging_cred: { defaults: { src_addr: 'x'.repeat(21) } } },
        'mt_messaging_cred.defaults.src_addr',
      ],
      [{ ...base, mt_messaging_cred: { quotas: { balance: -0.01 } } }, 'mt_messaging_cred.quotas.balance', /≥ 0/],
      [{ ...base, mt_messaging_cred: { quotas: { balance: 1e300 } } }, 'mt_messaging_cred.quotas.balance', /too large/],
      [{ ...base, mt_messaging_cred: { quotas: { balance: '10' } } }, 'mt_messaging_cred.quotas.balance'],
      [
        { ...base, mt_messaging_cred: { quotas: { early_percent: 101 } } },
        'mt_messaging_cred.quotas.early_percent',
        /≤ 100/,
      ],
      [{ ...base, mt_messaging_cred: { quotas: { early_percent: -1 } } }, 'mt_messaging_cred.quotas.early_percent'],
      [{ ...base, mt_messaging_cred: { quotas: { sms_count: 0.5 } } }, 'mt_messaging_cred.quotas.sms_count'],
      [
        { ...base, mt_messaging_cred: { quotas: { smpps_throughput: 0 } } },
        'mt_messaging_cred.quotas.smpps_throughput',
        /> 0/,
      ],
      [{ ...base, mt_messaging_cred: { quotas: { http_throughput: -5 } } }, 'mt_messaging_cred.quotas.http_throughput'],
    ];
    for (const [body, field, message] of cases) rejects(() => parseNewUser(body), field, message);
    rejects(() => parseNewUser([base]), 'body');
  });
});

describe('PATCH /users/{uid} body', () => {
  it('keeps only the given parts', () => {
    assert.deepEqual(parseUserPatch({ mt_messaging_cred: { quotas: { balance: 3 } } }, 'u1'), {
      mt_messaging_cred: { quotas: { balance: 3 } },
    });
    assert.deepEqual(parseUserPatch({ uid: 'u1', password: 'new', enabled: false, gid: 'g2' }, 'u1'), {
      password: 'new',
      enabled: false,
      gid: 'g2',
    });
    assert.deepEqual(parseUserPatch({ smpps_cred: { authorizations: { ip: null } } }, 'u1'), {
      smpps_cred: { authorizations: { ip: null } },
    });
  });

  it('refuses a uid change, unknown keys and bad values by name', () => {
    rejects(() => parseUserPatch({ uid: 'u2' }, 'u1'), 'uid', /cannot be changed/);
    rejects(() => parseUserPatch({ password_hash: 'x' }, 'u1'), 'password_hash', /unknown/);
    rejects(
      () => parseUserPatch({ mt_messaging_cred: { quotas: { balance: null, sms_count: -2 } } }, 'u1'),
      'mt_messaging_cred.quotas.sms_count',
    );
  });
});

describe('publicUser', () => {
  it('never shows the password hash', () => {
    const record = { ...parseNewUser(base), password_hash: 'scrypt$…' };
    const shown = publicUser(record);
    assert.equal('password_hash' in shown, false);
    assert.equal('password' in shown, false);
  });
});

describe('POST /users/{uid}/credit body', () => {
  it('accepts a top-up or a deduction', () => {
    assert.deepEqual(parseCredit({ amount: 10 }), { amount: 10, sms_count: 0 });
    assert.deepEqual(parseCredit({ amount: -2.5, sms_count: -3 }), { amount: -2.5, sms_count: -3 });
    assert.deepEqual(parseCredit({ sms_count: 100 }), { amount: 0, sms_count: 100 });
  });

  it('refuses nothing-to-do, mixed signs, sub-precision and bad values', () => {
    rejects(() => parseCredit({}), 'amount', /non-zero/);
    rejects(() => parseCredit({ amount: 1, sms_count: -1 }), 'sms_count', /same sign/);
    rejects(() => parseCredit({ amount: 1e-9 }), 'amount', /precision/);
    rejects(() => parseCredit({ amount: '5' }), 'amount');
    rejects(() => parseCredit({ sms_count: 1.5 }), 'sms_count', /whole/);
    rejects(() => parseCredit({ balance: 5 }), 'balance', /unknown/);
    rejects(() => parseCredit(undefined), 'body');
  });
});
