import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandStatus } from '../smpp/codec/index.js';
import type { BindRequest } from '../smpp/session/session.js';
import { Accounts } from './accounts.js';
import { hashPassword, PasswordVerifier, verifyPassword } from './password.js';
import { type MemoryStore, makeUser, memoryLogger, PASSWORD, storeWith } from './pipeline.fixtures.js';

const S = CommandStatus;

function bind(overrides: Partial<BindRequest> = {}): BindRequest {
  return {
    system_id: 'user1',
    password: PASSWORD,
    system_type: '',
    bindType: 'transceiver',
    peerAddress: '127.0.0.1',
    ...overrides,
  };
}

async function setup(store?: MemoryStore) {
  const s = store ?? (await storeWith([await makeUser()]));
  const log = memoryLogger();
  let scrypts = 0;
  const verifier = new PasswordVerifier({
    verify: (pw, encoded) => {
      scrypts++;
      return verifyPassword(pw, encoded);
    },
  });
  const bindings = new Map<string, number>();
  const accounts = new Accounts({ store: s, logger: log, verifier, bindingCount: (uid) => bindings.get(uid) ?? 0 });
  return { store: s, log, accounts, bindings, scrypts: () => scrypts };
}

describe('Accounts: the bind authenticator (SPEC.md §2)', () => {
  it('binds a known user with the right password and gives its principal', async () => {
    const store = await storeWith([await makeUser({ smpps: { quotas: { max_bindings: 3 } } })]);
    const { accounts } = await setup(store);
    const result = await accounts.authenticate(bind());
    assert.equal(result.status, S.ESME_ROK);
    assert.deepEqual(result.principal, { id: 'u1', username: 'user1', maxBindings: 3 });
  });

  it('unknown user, wrong password, disabled user, disabled or missing group: ESME_RINVPASWD', async () => {
    const cases: [string, (store: MemoryStore) => void, Partial<BindRequest>][] = [
      ['unknown user', () => {}, { system_id: 'nobody' }],
      ['wrong password', () => {}, { password: 'wrong' }],
      ['disabled user', (s) => Object.assign(s.users.get('u1')!, { enabled: false }), {}],
      ['disabled group', (s) => Object.assign(s.groups.get('g1')!, { enabled: false }), {}],
      ['missing group', (s) => s.groups.delete('g1'), {}],
    ];
    for (const [name, change, request] of cases) {
      const { accounts, store, log } = await setup();
      change(store);
      const result = await accounts.authenticate(bind(request));
      assert.equal(result.status, S.ESME_RINVPASWD, name);
      assert.equal(result.principal, undefined);
      assert.equal(log.events('bind_refused').length, 1, name);
      assert.ok(!JSON.stringify(log.lines).includes(PASSWORD), 'the password is never logged');
    }
  });

  it('bind not authorized, address not allowed, max_bindings reached: ESME_RBINDFAIL', async () => {
    const notAllowed = await setup(await storeWith([await makeUser({ smpps: { authorizations: { bind: false } } })]));
    assert.equal((await notAllowed.accounts.authenticate(bind())).status, S.ESME_RBINDFAIL);

    const ip = await setup(await storeWith([await makeUser({ smpps: { authorizations: { ip: '10.0.0.0/8, ::1' } } })]));
    assert.equal((await ip.accounts.authenticate(bind({ peerAddress: '127.0.0.1' }))).status, S.ESME_RBINDFAIL);
    assert.equal((await ip.accounts.authenticate(bind({ peerAddress: '::ffff:10.1.2.3' }))).status, S.ESME_ROK);
    assert.equal((await ip.accounts.authenticate(bind({ peerAddress: '::1' }))).status, S.ESME_ROK);

    const max = await setup(await storeWith([await makeUser({ smpps: { quotas: { max_bindings: 2 } } })]));
    max.bindings.set('u1', 1);
    assert.equal((await max.accounts.authenticate(bind())).status, S.ESME_ROK);
    max.bindings.set('u1', 2);
    assert.equal((await max.accounts.authenticate(bind({ bindType: 'receiver' }))).status, S.ESME_RBINDFAIL);
  });

  it('a wrong password wins over everything else about the user (nothing leaks)', async () => {
    const user = await makeUser({ enabled: false, smpps: { authorizations: { bind: false } } });
    const { accounts } = await setup(await storeWith([user]));
    assert.equal((await accounts.authenticate(bind({ password: 'nope' }))).status, S.ESME_RINVPASWD);
  });

  it('a failing store is ESME_RSYSERR, not a crash', async () => {
    const { accounts, store, log } = await setup();
    store.getUserByUsername = () => Promise.reject(new Error('database is locked'));
    assert.equal((await accounts.authenticate(bind())).status, S.ESME_RSYSERR);
    assert.equal(log.events('bind_store_error').length, 1);
  });

  it('a storm of binds of one user costs one scrypt and one store read', async () => {
    const { accounts, store, scrypts } = await setup();
    let reads = 0;
    const get = store.getUserByUsername.bind(store);
    store.getUserByUsername = (u) => {
      reads++;
      return get(u);
    };
    const results = await Promise.all(Array.from({ length: 50 }, () => accounts.authenticate(bind())));
    assert.ok(results.every((r) => r.status === S.ESME_ROK));
    assert.equal(scrypts(), 1);
    assert.equal(reads, 1);
  });
});

describe('Accounts: cache and invalidation', () => {
  it('serves users and groups from the cache until invalidate()', async () => {
    const { accounts, store } = await setup();
    assert.equal((await accounts.active('u1')).ok, true);
    store.users.get('u1')!.enabled = false;
    assert.equal((await accounts.active('u1')).ok, true);
    accounts.invalidate();
    const after = await accounts.active('u1');
    assert.equal(after.ok, false);
    assert.match(after.ok ? '' : after.reason, /disabled/);
  });

  it('a password change applies to the next bind', async () => {
    const { accounts, store } = await setup();
    assert.equal((await accounts.authenticate(bind())).status, S.ESME_ROK);
    store.users.get('u1')!.password_hash = await hashPassword('other');
    accounts.invalidate();
    assert.equal((await accounts.authenticate(bind())).status, S.ESME_RINVPASWD);
    assert.equal((await accounts.authenticate(bind({ password: 'other' }))).status, S.ESME_ROK);
  });

  it('a load that fails is not cached', async () => {
    const { accounts, store } = await setup();
    const get = store.getUser.bind(store);
    let fail = true;
    store.getUser = (uid) => (fail ? Promise.reject(new Error('busy')) : get(uid));
    await assert.rejects(async () => accounts.active('u1'), /busy/);
    fail = false;
    assert.equal((await accounts.active('u1')).ok, true);
  });

  it('a load started before invalidate() does not refill the cache with stale data', async () => {
    const { accounts, store } = await setup();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const get = store.getUser.bind(store);
    store.getUser = async (uid) => {
      const u = await get(uid);
      await gate;
      return u;
    };
    const early = accounts.active('u1');
    store.users.get('u1')!.enabled = false;
    accounts.invalidate();
    release();
    assert.equal((await early).ok, true, 'the early read saw the old record');
    assert.equal((await accounts.active('u1')).ok, false, 'but it was not cached');
  });
});
