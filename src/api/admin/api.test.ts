import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { StoreUnavailableError } from '../../store/errors.js';
import { type MessageRecord, MessageState } from '../../store/model.js';
import type { SqliteStore } from '../../store/sqlite/sqliteStore.js';
import { createAdminRouter } from './api.js';
import type { AdminStore } from './deps.js';
import {
  FakeControl,
  MemoryLogger,
  openTestStore,
  startTestApi,
  type TestAnswer,
  type TestApi,
  withOutage,
} from './testing.js';

type Obj = Record<string, unknown>;

function expectError(a: TestAnswer, status: number, field?: string, message?: RegExp) {
  assert.equal(a.status, status, JSON.stringify(a.body));
  const body = a.body as Obj;
  assert.equal(typeof body.error, 'string');
  if (field !== undefined) {
    assert.equal(body.field, field, JSON.stringify(body));
  }
  if (message !== undefined) assert.match(body.error as string, message);
}

const user = (uid: string, extra: Obj = {}) => ({ uid, gid: 'g1', username: `n-${uid}`, password: 'pw-123', ...extra });

describe('admin API', () => {
  let api: TestApi;
  let store: AdminStore;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ store, cleanup } = await openTestStore());
    api = await startTestApi(store);
  });
  after(async () => {
    await api.close();
    await cleanup();
  });

  describe('authentication and transport', () => {
    it('answers health without a token', async () => {
      const a = await api.request('GET', '/api/v1/health', undefined, null);
      assert.equal(a.status, 200);
      assert.equal((a.body as Obj).status, 'ok');
    });

    it('refuses a missing or wrong token with 401 before routing', async () => {
      for (const token of [null, 'wrong', `${api.token}x`, '']) {
        const a = await api.request('GET', '/api/v1/groups', undefined, token);
        expectError(a, 401, undefined, /bearer token/);
        assert.match(a.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
      expectError(await api.request('GET', '/api/v1/nothing-here', undefined, null), 401);
    });

    it('answers 404 for an unknown resource and 405 for a wrong method', async () => {
      expectError(await api.request('GET', '/api/v1/nothing-here'), 404);
      const a = await api.request('DELETE', '/api/v1/groups');
      expectError(a, 405);
      assert.equal(a.headers.get('allow'), 'GET, POST');
    });

    it('answers 400 naming the body for malformed JSON, and 413 for a body over 1 MiB', async () => {
      expectError(await api.request('POST', '/api/v1/groups', '{"gid":'), 400, 'body', /not valid JSON/);
      expectError(await api.request('POST', '/api/v1/groups', { gid: 'x'.repeat(1024 * 1024) }), 413);
      expectError(await api.request('POST', '/api/v1/groups'), 400, 'body', /JSON object/);
    });

    it('answers JSON, never cached', async () => {
      const a = await api.request('GET', '/api/v1/groups');
      assert.match(a.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(a.headers.get('cache-control'), 'no-store');
    });
  });

  describe('groups', () => {
    it('creates, reads, lists, updates and refuses duplicates', async () => {
      const created = await api.request('POST', '/api/v1/groups', { gid: 'g1' });
      assert.equal(created.status, 201);
      assert.deepEqual(created.body, { gid: 'g1', enabled: true });
      assert.equal((await api.request('POST', '/api/v1/groups', { gid: 'g2', enabled: false })).status, 201);
      expectError(await api.request('POST', '/api/v1/groups', { gid: 'g1' }), 409, 'gid', /already exists/);
      assert.deepEqual((await api.request('GET', '/api/v1/groups/g2')).body, { gid: 'g2', enabled: false });
      const list = (await api.request('GET', '/api/v1/groups')).body as Obj[];
      assert.deepEqual(list.map((g) => g.gid).sort(), ['g1', 'g2']);
      const patched = await api.request('PATCH', '/api/v1/groups/g2', { enabled: true });
      assert.deepEqual(patched.body, { gid: 'g2', enabled: true });
      assert.ok(api.control.calls.includes('accounts group g2'));
    });

    it('names the field of bad group bodies and answers 404 for unknown gids', async () => {
      expectError(await api.request('POST', '/api/v1/groups', { gid: 'bad gid' }), 400, 'gid');
      expectError(await api.request('POST', '/api/v1/groups', { gid: 'g9', enabled: 'no' }), 400, 'enabled');
      expectError(await api.request('POST', '/api/v1/groups', { gid: 'g9', colour: 'red' }), 400, 'colour', /unknown/);
      expectError(await api.request('PATCH', '/api/v1/groups/g1', {}), 400, 'enabled');
      expectError(await api.request('PATCH', '/api/v1/groups/g1', { gid: 'g7', enabled: true }), 400, 'gid');
      expectError(await api.request('GET', '/api/v1/groups/nope'), 404, 'gid', /not found/);
      expectError(await api.request('PATCH', '/api/v1/groups/nope', { enabled: true }), 404);
      expectError(await api.request('DELETE', '/api/v1/groups/nope'), 404);
    });
  });

  describe('users', () => {
    it('creates a user with defaulted credentials, stores only a hash, never shows or logs the password', async () => {
      const a = await api.request(
        'POST',
        '/api/v1/users',
        user('u1', { mt_messaging_cred: { quotas: { balance: 10 } } }),
      );
      assert.equal(a.status, 201, JSON.stringify(a.body));
      const body = a.body as Obj;
      assert.equal(body.username, 'n-u1');
      assert.equal(body.enabled, true);
      assert.equal('password' in body || 'password_hash' in body, false);
      assert.deepEqual(body.smpps_cred, { authorizations: { bind: true, ip: null }, quotas: { max_bindings: null } });
      assert.equal((body.mt_messaging_cred as Obj & { quotas: Obj }).quotas.balance, 10);
      const stored = await store.getUser('u1');
      assert.match(stored?.password_hash ?? '', /^scrypt\$/);
      assert.ok(!JSON.stringify(api.logger.lines).includes('pw-123'));
      assert.ok(api.control.calls.includes('accounts user u1'));
    });

    it('refuses a missing group (400), a taken uid or username (409), and bad fields by name', async () => {
      expectError(
        await api.request('POST', '/api/v1/users', user('u2', { gid: 'nope' })),
        400,
        'gid',
        /does not exist/,
      );
      expectError(await api.request('POST', '/api/v1/users', user('u1')), 409, 'uid');
      expectError(await api.request('POST', '/api/v1/users', user('u2', { username: 'n-u1' })), 409, 'username');
      expectError(await api.request('POST', '/api/v1/users', user('u2', { password: '' })), 400, 'password');
      expectError(
        await api.request('POST', '/api/v1/users', user('u2', { smpps_cred: { authorizations: { ip: '300.1.1.1' } } })),
        400,
        'smpps_cred.authorizations.ip',
      );
      expectError(
        await api.request(
          'POST',
          '/api/v1/users',
          user('u2', { mt_messaging_cred: { value_filters: { dst_addr: '(a+)+' } } }),
        ),
        400,
        'mt_messaging_cred.value_filters.dst_addr',
      );
      expectError(
        await api.request(
          'POST',
          '/api/v1/users',
          user('u2', { mt_messaging_cred: { quotas: { early_percent: 150 } } }),
        ),
        400,
        'mt_messaging_cred.quotas.early_percent',
      );
      expectError(await api.request('POST', '/api/v1/users', user('u2', { password_hash: 'x' })), 400, 'password_hash');
      assert.equal(await store.getUser('u2'), null);
    });

    it('lists (optionally by group) and reads users; 404 for an unknown uid', async () => {
      assert.equal((await api.request('POST', '/api/v1/users', user('u2', { gid: 'g2' }))).status, 201);
      const all = (await api.request('GET', '/api/v1/users')).body as Obj[];
      assert.deepEqual(all.map((u) => u.uid).sort(), ['u1', 'u2']);
      assert.ok(all.every((u) => !('password_hash' in u)));
      const g2 = (await api.request('GET', '/api/v1/users?gid=g2')).body as Obj[];
      assert.deepEqual(
        g2.map((u) => u.uid),
        ['u2'],
      );
      assert.equal(((await api.request('GET', '/api/v1/users/u1')).body as Obj).uid, 'u1');
      expectError(await api.request('GET', '/api/v1/users/nobody'), 404, 'uid');
    });

    it('patches any part by deep merge, sets the balance absolutely and re-hashes a new password', async () => {
      const before = (await store.getUser('u1'))!.password_hash;
      const a = await api.request('PATCH', '/api/v1/users/u1', {
        password: 'new-pw',
        mt_messaging_cred: { quotas: { balance: 3.5, sms_count: 7 }, authorizations: { long_content: false } },
        smpps_cred: { quotas: { max_bindings: 2 } },
      });
      assert.equal(a.status, 200, JSON.stringify(a.body));
      const u = a.body as { mt_messaging_cred: { quotas: Obj; authorizations: Obj }; smpps_cred: Obj };
      assert.equal(u.mt_messaging_cred.quotas.balance, 3.5);
      assert.equal(u.mt_messaging_cred.quotas.sms_count, 7);
      assert.equal(u.mt_messaging_cred.quotas.early_percent, null);
      assert.equal(u.mt_messaging_cred.authorizations.long_content, false);
      assert.equal(u.mt_messaging_cred.authorizations.dlr_level, true);
      assert.deepEqual(u.smpps_cred, { authorizations: { bind: true, ip: null }, quotas: { max_bindings: 2 } });
      const after = (await store.getUser('u1'))!.password_hash;
      assert.notEqual(after, before);
      assert.ok(!JSON.stringify(api.logger.lines).includes('new-pw'));
    });

    it('refuses bad patches by field', async () => {
      expectError(await api.request('PATCH', '/api/v1/users/u1', { uid: 'u9' }), 400, 'uid');
      expectError(await api.request('PATCH', '/api/v1/users/u1', { gid: 'nope' }), 400, 'gid');
      expectError(await api.request('PATCH', '/api/v1/users/u1', { username: 'n-u2' }), 409, 'username');
      expectError(
        await api.request('PATCH', '/api/v1/users/u1', { mt_messaging_cred: { quotas: { smpps_throughput: 0 } } }),
        400,
        'mt_messaging_cred.quotas.smpps_throughput',
      );
      expectError(await api.request('PATCH', '/api/v1/users/nobody', { enabled: false }), 404);
    });

    it('credits and deducts atomically, refusing overdrafts and unlimited quotas', async () => {
      const up = await api.request('POST', '/api/v1/users/u1/credit', { amount: 0.1, sms_count: 3 });
      assert.deepEqual(up.body, { uid: 'u1', balance: 3.6, sms_count: 10 });
      const down = await api.request('POST', '/api/v1/users/u1/credit', { amount: -0.6 });
      assert.deepEqual(down.body, { uid: 'u1', balance: 3, sms_count: 10 });
      expectError(
        await api.request('POST', '/api/v1/users/u1/credit', { amount: -3.01 }),
        409,
        'amount',
        /not enough balance/,
      );
      expectError(await api.request('POST', '/api/v1/users/u1/credit', { sms_count: -11 }), 409, 'sms_count');
      expectError(await api.request('POST', '/api/v1/users/u2/credit', { amount: 5 }), 409, 'amount', /unlimited/);
      expectError(await api.request('POST', '/api/v1/users/u1/credit', { amount: 1, sms_count: -1 }), 400, 'sms_count');
      expectError(await api.request('POST', '/api/v1/users/u1/credit', {}), 400, 'amount');
      expectError(await api.request('POST', '/api/v1/users/nobody/credit', { amount: 1 }), 404);
      assert.equal((await store.getUser('u1'))!.mt_messaging_cred.quotas.balance, 3);
    });

    it('disables, enables, unbinds and bans through the control', async () => {
      api.control.binds = [
        {
          session_id: 's1',
          uid: 'u1',
          username: 'n-u1',
          bind_type: 'transceiver',
          peer: '127.0.0.1:5000',
          bound_at: 1,
        },
        { session_id: 's2', uid: 'u1', username: 'n-u1', bind_type: 'receiver', peer: '127.0.0.1:5001', bound_at: 2 },
        {
          session_id: 's3',
          uid: 'u2',
          username: 'n-u2',
          bind_type: 'transmitter',
          peer: '127.0.0.1:5002',
          bound_at: 3,
        },
      ];
      const binds = (await api.request('GET', '/api/v1/binds?uid=u1')).body as Obj[];
      assert.deepEqual(
        binds.map((b) => b.session_id),
        ['s1', 's2'],
      );
      assert.equal(((await api.request('POST', '/api/v1/users/u1/disable')).body as Obj).enabled, false);
      assert.equal((await store.getUser('u1'))!.enabled, false);
      assert.equal(((await api.request('POST', '/api/v1/users/u1/enable')).body as Obj).enabled, true);
      assert.deepEqual((await api.request('POST', '/api/v1/users/u1/unbind')).body, { uid: 'u1', unbound: 2 });
      assert.deepEqual((await api.request('POST', '/api/v1/users/u2/ban')).body, {
        uid: 'u2',
        enabled: false,
        unbound: 1,
      });
      assert.equal((await store.getUser('u2'))!.enabled, false);
      expectError(await api.request('POST', '/api/v1/users/nobody/ban'), 404);
      expectError(await api.request('POST', '/api/v1/users/u1/unbind', { now: true }), 400, 'now', /unknown/);
      assert.equal((await api.request('POST', '/api/v1/users/u1/unbind', {})).status, 200);
    });
  });

  describe('connectors', () => {
    it('creates connectors stopped, shows live state, starts and stops them durably', async () => {
      const a = await api.request('POST', '/api/v1/connectors', {
        cid: 'c1',
        type: 'smppc',
        settings: { host: '10.0.0.1', port: 2775 },
      });
      assert.equal(a.status, 201);
      assert.deepEqual(a.body, {
        cid: 'c1',
        type: 'smppc',
        started: false,
        settings: { host: '10.0.0.1', port: 2775 },
        state: null,
      });
      assert.equal((await api.request('POST', '/api/v1/connectors', { cid: 'sim1', type: 'sim' })).status, 201);
      assert.equal(
        (
          await api.request('POST', '/api/v1/connectors', {
            cid: 'hook',
            type: 'http',
            settings: { url: 'http://127.0.0.1/mo' },
          })
        ).status,
        201,
      );
      expectError(await api.request('POST', '/api/v1/connectors', { cid: 'c1', type: 'sim' }), 409, 'cid');
      expectError(await api.request('POST', '/api/v1/connectors', { cid: 'c2', type: 'smpp' }), 400, 'type');
      expectError(
        await api.request('POST', '/api/v1/connectors', { cid: 'c2', type: 'smppc', host: 'x' }),
        400,
        'host',
      );
      const started = await api.request('POST', '/api/v1/connectors/c1/start');
      assert.equal((started.body as Obj).started, true);
      assert.deepEqual((started.body as Obj).state, { state: 'bound', binds: 1, last_error: null });
      assert.equal((await store.getConnector('c1'))!.started, true);
      assert.ok(api.control.calls.includes('startConnector c1'));
      const list = (await api.request('GET', '/api/v1/connectors')).body as Obj[];
      assert.deepEqual(list.map((c) => c.cid).sort(), ['c1', 'hook', 'sim1']);
      const stopped = await api.request('POST', '/api/v1/connectors/c1/stop');
      assert.equal((stopped.body as Obj).started, false);
      assert.equal((await store.getConnector('c1'))!.started, false);
      expectError(await api.request('POST', '/api/v1/connectors/nope/start'), 404, 'cid');
    });

    it('patches settings (null removes a key) but not the type', async () => {
      const a = await api.request('PATCH', '/api/v1/connectors/c1', {
        settings: { port: 2776, host: null, systemId: 'gw' },
      });
      assert.deepEqual((a.body as Obj).settings, { port: 2776, systemId: 'gw' });
      assert.ok(api.control.calls.includes('connector c1'));
      expectError(await api.request('PATCH', '/api/v1/connectors/c1', { type: 'sim' }), 400, 'type');
      expectError(await api.request('PATCH', '/api/v1/connectors/nope', { settings: {} }), 404);
    });
  });

  describe('routes', () => {
    it('creates MT routes in Jasmin form and lists them highest order first', async () => {
      const d = await api.request('POST', '/api/v1/routes/mt', { order: 0, type: 'default', connector: 'sim(sim1)' });
      assert.equal(d.status, 201, JSON.stringify(d.body));
      assert.deepEqual(d.body, { order: 0, type: 'default', connector: 'sim(sim1)', filters: [], rate: 0 });
      const s = await api.request('POST', '/api/v1/routes/mt', {
        order: 10,
        type: 'static',
        connector: 'smppc(c1)',
        filters: [
          { type: 'destination_addr', regex: '^33' },
          { type: 'user', uid: 'u1' },
        ],
        rate: 0.02,
      });
      assert.equal(s.status, 201, JSON.stringify(s.body));
      const rr = await api.request('POST', '/api/v1/routes/mt', {
        order: 5,
        type: 'roundrobin',
        connectors: ['c1', 'sim1'],
      });
      assert.deepEqual((rr.body as Obj).connectors, ['smppc(c1)', 'sim(sim1)']);
      const list = (await api.request('GET', '/api/v1/routes/mt')).body as Obj[];
      assert.deepEqual(
        list.map((r) => r.order),
        [10, 5, 0],
      );
      assert.deepEqual((await api.request('GET', '/api/v1/routes/mt/10')).body, {
        order: 10,
        type: 'static',
        connector: 'smppc(c1)',
        filters: [
          { type: 'destination_addr', regex: '^33' },
          { type: 'user', uid: 'u1' },
        ],
        rate: 0.02,
      });
    });

    it('refuses dangling or mistyped references, taken orders and bad shapes by field', async () => {
      expectError(
        await api.request('POST', '/api/v1/routes/mt', { order: 20, type: 'static', connector: 'smppc(ghost)' }),
        400,
        'connector',
        /does not exist/,
      );
      expectError(
        await api.request('POST', '/api/v1/routes/mt', { order: 20, type: 'static', connector: 'smppc(sim1)' }),
        400,
        'connector',
        /sim\(sim1\)/,
      );
      expectError(
        await api.request('POST', '/api/v1/routes/mt', { order: 20, type: 'static', connector: 'hook' }),
        400,
        'connector',
        /http/,
      );
      expectError(
        await api.request('POST', '/api/v1/routes/mt', { order: 20, type: 'failover', connectors: ['c1', 'ghost'] }),
        400,
        'connectors[1]',
      );
      expectError(
        await api.request('POST', '/api/v1/routes/mt', {
          order: 20,
          type: 'static',
          connector: 'c1',
          filters: [{ type: 'user', uid: 'ghost' }],
        }),
        400,
        'filters[0].uid',
      );
      expectError(
        await api.request('POST', '/api/v1/routes/mt', {
          order: 20,
          type: 'static',
          connector: 'c1',
          filters: [{ type: 'group', gid: 'ghost' }],
        }),
        400,
        'filters[0].gid',
      );
      expectError(
        await api.request('POST', '/api/v1/routes/mt', { order: 10, type: 'static', connector: 'c1' }),
        409,
        'order',
      );
      expectError(
        await api.request('POST', '/api/v1/routes/mt', { order: 20, type: 'static', connector: 'c1', rate: -1 }),
        400,
        'rate',
      );
      expectError(
        await api.request('POST', '/api/v1/routes/mt', {
          order: 20,
          type: 'static',
          connector: 'c1',
          filters: [{ type: 'short_message', regex: '(x*)*' }],
        }),
        400,
        'filters[0].regex',
      );
      expectError(await api.request('GET', '/api/v1/routes/mt/99'), 404, 'order');
      expectError(await api.request('GET', '/api/v1/routes/mt/abc'), 400, 'order');
    });

    it('replaces with PUT (path order wins) and deletes', async () => {
      const a = await api.request('PUT', '/api/v1/routes/mt/5', {
        type: 'failover',
        connectors: ['sim1', 'c1'],
        rate: 1,
      });
      assert.equal(a.status, 200, JSON.stringify(a.body));
      assert.deepEqual((a.body as Obj).connectors, ['sim(sim1)', 'smppc(c1)']);
      expectError(
        await api.request('PUT', '/api/v1/routes/mt/5', { order: 6, type: 'static', connector: 'c1' }),
        400,
        'order',
      );
      expectError(await api.request('PUT', '/api/v1/routes/mt/6', { type: 'static', connector: 'c1' }), 404);
      const calls = api.control.calls.length;
      assert.equal((await api.request('DELETE', '/api/v1/routes/mt/5')).status, 200);
      assert.deepEqual(api.control.calls.slice(calls), ['routes mt']);
      expectError(await api.request('DELETE', '/api/v1/routes/mt/5'), 404);
    });

    it('creates MO routes to SMPP users and HTTP connectors, checking each target', async () => {
      const a = await api.request('POST', '/api/v1/routes/mo', {
        order: 10,
        type: 'failover',
        connectors: ['smpps(n-u1)', 'http(hook)'],
        filters: [{ type: 'connector', cid: 'c1' }],
      });
      assert.equal(a.status, 201, JSON.stringify(a.body));
      assert.deepEqual((await api.request('GET', '/api/v1/routes/mo')).body, [
        {
          order: 10,
          type: 'failover',
          connectors: ['smpps(n-u1)', 'http(hook)'],
          filters: [{ type: 'connector', cid: 'c1' }],
        },
      ]);
      expectError(
        await api.request('POST', '/api/v1/routes/mo', { order: 0, type: 'default', connector: 'smpps(ghost)' }),
        400,
        'connector',
        /no user/,
      );
      expectError(
        await api.request('POST', '/api/v1/routes/mo', { order: 0, type: 'default', connector: 'http(c1)' }),
        400,
        'connector',
        /not http/,
      );
      expectError(
        await api.request('POST', '/api/v1/routes/mo', {
          order: 0,
          type: 'default',
          connector: 'smpps(n-u1)',
          filters: [{ type: 'connector', cid: 'ghost' }],
        }),
        400,
        'filters',
      );
      expectError(
        await api.request('POST', '/api/v1/routes/mo', { order: 10, type: 'static', connector: 'smpps(n-u1)' }),
        409,
        'order',
      );
      assert.equal((await api.request('GET', '/api/v1/routes/mo/10')).status, 200);
    });

    it('refuses to remove a connector a route leads to, or one with queued messages', async () => {
      expectError(await api.request('DELETE', '/api/v1/connectors/c1'), 409, 'cid', /mt 10/);
      assert.equal((await api.request('POST', '/api/v1/connectors', { cid: 'busy', type: 'sim' })).status, 201);
      await (store as SqliteStore).acceptMessages([message('q1', { cid: 'busy' })]);
      expectError(await api.request('DELETE', '/api/v1/connectors/busy'), 409, 'cid', /1 queued message/);
      expectError(await api.request('DELETE', '/api/v1/connectors/hook'), 409, 'cid', /mo 10/);
      assert.equal((await api.request('DELETE', '/api/v1/routes/mo/10')).status, 200);
      assert.equal((await api.request('DELETE', '/api/v1/connectors/hook')).status, 200);
      expectError(await api.request('GET', '/api/v1/connectors/hook'), 404);
    });
  });

  describe('group removal', () => {
    it('is refused while users belong to the group', async () => {
      expectError(await api.request('DELETE', '/api/v1/groups/g2'), 409, 'gid', /u2/);
      const removed = await api.request('DELETE', '/api/v1/users/u2');
      assert.equal(removed.status, 200);
      assert.ok(api.control.calls.includes('unbindUser u2'));
      expectError(await api.request('GET', '/api/v1/users/u2'), 404);
      assert.equal((await api.request('DELETE', '/api/v1/groups/g2')).status, 200);
      expectError(await api.request('GET', '/api/v1/groups/g2'), 404);
    });
  });

  describe('stats', () => {
    it("joins the control's figures and the store's queue depths", async () => {
      const a = await api.request('GET', '/api/v1/stats');
      const body = a.body as Obj & { smpps: Obj };
      assert.equal(body.smpps.submit_sm_count, 9);
      assert.deepEqual(body.counters, { mt_accepted: 9 });
      assert.equal(typeof body.queues, 'object');
    });
  });
});

function message(id: string, patch: Partial<MessageRecord> = {}): MessageRecord {
  return {
    id,
    uid: 'u1',
    cid: 'c1',
    route_order: 10,
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: 'SMPPGATE',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '33612345678',
    service_type: '',
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    registered_delivery: 1,
    data_coding: 0,
    short_message: Buffer.from('Hello'),
    tlvs: null,
    part: null,
    schedule_at: null,
    expires_at: null,
    rate: 0.02,
    charged: 0.02,
    status: 'queued',
    state: MessageState.ENROUTE,
    upstream_id: null,
    error_code: 0,
    attempts: 0,
    submitted_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_000,
    final_at: null,
    tags: [],
    ...patch,
  };
}

describe('admin API: messages, limits, outages', () => {
  let api: TestApi;
  let outage: { store: SqliteStore; failWith: Error | null };
  let cleanup: () => Promise<void>;
  before(async () => {
    const opened = await openTestStore();
    cleanup = opened.cleanup;
    outage = withOutage(opened.store);
    api = await startTestApi(outage.store, { bodyLimit: 64 });
  });
  after(async () => {
    await api.close();
    await cleanup();
  });

  it('shows a message part with its text, UDH and hex', async () => {
    await outage.store.acceptMessages([
      message('m1'),
      message('m2', { data_coding: 8, short_message: Buffer.from('05e9004c', 'hex'), esm_class: 0x40 }),
      message('m3', { data_coding: 4, short_message: Buffer.from([0xff, 0x00]) }),
      message('m4', { data_coding: 8, esm_class: 0x40, short_message: Buffer.from('0500030a0201004c', 'hex') }),
    ]);
    const m1 = (await api.request('GET', '/api/v1/messages/m1')).body as Obj;
    assert.deepEqual(m1.short_message, { hex: '48656c6c6f', udh: null, text: 'Hello' });
    assert.equal(m1.state_name, 'ENROUTE');
    assert.equal(m1.destination_addr, '33612345678');
    assert.equal(m1.tlvs, null);
    // esm_class says UDHI but the bytes are not a valid header: shown as hex only.
    const m2 = (await api.request('GET', '/api/v1/messages/m2')).body as Obj;
    assert.deepEqual(m2.short_message, { hex: '05e9004c', udh: null, text: null });
    const m4 = (await api.request('GET', '/api/v1/messages/m4')).body as Obj;
    assert.deepEqual(m4.short_message, { hex: '0500030a0201004c', udh: '0500030a0201', text: 'L' });
    assert.deepEqual(((await api.request('GET', '/api/v1/messages/m3')).body as Obj).short_message, {
      hex: 'ff00',
      udh: null,
      text: null,
    });
    expectError(await api.request('GET', '/api/v1/messages/nope'), 404, 'id');
  });

  it('applies the configured body limit', async () => {
    expectError(await api.request('POST', '/api/v1/groups', { gid: 'x'.repeat(100) }), 413);
    assert.equal((await api.request('POST', '/api/v1/groups', { gid: 'small' })).status, 201);
  });

  it('answers 503 while the store is unavailable, and 500 without detail for anything unexpected', async () => {
    outage.failWith = new StoreUnavailableError('database is locked');
    const a = await api.request('GET', '/api/v1/groups');
    expectError(a, 503, undefined, /unavailable/);
    assert.equal(a.headers.get('retry-after'), '1');
    outage.failWith = new Error('secret internals at /var/lib/x');
    const b = await api.request('GET', '/api/v1/users');
    expectError(b, 500);
    assert.deepEqual(b.body, { error: 'internal error' });
    assert.ok(api.logger.lines.some((l) => l.includes('secret internals')));
    outage.failWith = null;
    assert.equal((await api.request('GET', '/api/v1/groups')).status, 200);
  });
});

describe('admin API documentation', () => {
  it('describes every route in docs/openapi.yaml and docs/admin-api.md', () => {
    const root = new URL('../../../', import.meta.url);
    const openapi = readFileSync(new URL('docs/openapi.yaml', root), 'utf8');
    const guide = readFileSync(new URL('docs/admin-api.md', root), 'utf8');
    const blocks = new Map<string, string>();
    const starts = [...openapi.matchAll(/^ {2}(\/api\/\S+):$/gm)];
    starts.forEach((m, i) => {
      blocks.set(m[1], openapi.slice(m.index, starts[i + 1]?.index ?? openapi.length));
    });
    const router = createAdminRouter({
      store: {} as AdminStore,
      control: new FakeControl(),
      logger: new MemoryLogger(),
    });
    for (const { method, pattern } of router.list()) {
      const path = pattern.replace(/:(\w+)/g, '{$1}');
      const block = blocks.get(path);
      assert.ok(block !== undefined, `${path} missing from openapi.yaml`);
      assert.match(
        block,
        new RegExp(`^ {4}${method.toLowerCase()}:`, 'm'),
        `${method} ${path} missing from openapi.yaml`,
      );
      const mo = path.replace('/routes/mo', '/routes/mt');
      assert.ok(
        guide.includes(`${method} ${path}`) || guide.includes(`${method} ${mo}`),
        `${method} ${path} missing from admin-api.md`,
      );
    }
  });
});
