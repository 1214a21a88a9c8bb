// The one conformance suite every store backend passes unchanged (SQLite now, Redis later).
// A backend's test file calls `storeConformance(name, open)`; `open` gives a fresh, empty store.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  defaultMtMessagingCredential,
  defaultSmppsCredential,
  type MessageRecord,
  MessageState,
  type UserRecord,
} from '../model.js';
import { toMicros } from '../money.js';
import type { MessagePatch, Store } from '../store.js';

/** What a backend gives the suite: a fresh store, a way to reopen it on the same data, and cleanup. */
export interface ConformanceHandle {
  store: Store;
  /**
   * Closes nothing itself: the suite closes `store` first, then asks for a new one on the same data. A backend
   * without it skips the durability tests (and says so in the test report).
   */
  reopen?: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

/** Lets the event loop turn, so the next calls land in another group commit than the previous ones. */
function nextTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A user record with Jasmin's defaults and the given quotas. */
export function userFixture(uid: string, quotas: Partial<UserRecord['mt_messaging_cred']['quotas']> = {}): UserRecord {
  const mt = defaultMtMessagingCredential();
  Object.assign(mt.quotas, quotas);
  return {
    uid,
    gid: 'g1',
    username: `${uid}-name`,
    enabled: true,
    password_hash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==',
    smpps_cred: defaultSmppsCredential(),
    mt_messaging_cred: mt,
  };
}

let counter = 0;

/** A queued message part for connector `cid`, owned by `uid`. */
export function messageFixture(uid: string, cid: string, over: Partial<MessageRecord> = {}): MessageRecord {
  counter++;
  const now = 1_700_000_000_000 + counter;
  return {
    id: `m-${counter}-${Math.random().toString(36).slice(2, 8)}`,
    uid,
    cid,
    route_order: 0,
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: 'SRC',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '33600000001',
    service_type: '',
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    registered_delivery: 1,
    data_coding: 0,
    short_message: Buffer.from('hello'),
    tlvs: null,
    part: null,
    schedule_at: null,
    expires_at: null,
    rate: 0,
    charged: 0,
    status: 'queued',
    state: MessageState.ENROUTE,
    upstream_id: null,
    error_code: 0,
    attempts: 0,
    submitted_at: now,
    updated_at: now,
    final_at: null,
    tags: [],
    ...over,
  };
}

/** Registers the conformance tests for one backend. */
export function storeConformance(name: string, open: () => Promise<ConformanceHandle>): void {
  describe(`store conformance: ${name}`, () => {
    let handle: ConformanceHandle;
    let store: Store;

    before(async () => {
      handle = await open();
      store = handle.store;
      await store.createGroup({ gid: 'g1', enabled: true });
    });
    after(async () => {
      await store.close();
      await handle.cleanup();
    });

    describe('groups', () => {
      it('creates, reads, lists, updates and refuses a duplicate', async () => {
        await store.createGroup({ gid: 'g-a', enabled: true });
        assert.deepEqual(await store.getGroup('g-a'), { gid: 'g-a', enabled: true });
        await assert.rejects(store.createGroup({ gid: 'g-a', enabled: false }), { name: 'StoreConflictError' });
        assert.deepEqual(await store.updateGroup('g-a', { enabled: false }), { gid: 'g-a', enabled: false });
        assert.equal((await store.getGroup('g-a'))?.enabled, false);
        assert.ok((await store.listGroups()).some((g) => g.gid === 'g-a'));
        await assert.rejects(store.updateGroup('nope', { enabled: true }), { name: 'StoreNotFoundError' });
        assert.equal(await store.getGroup('nope'), null);
      });

      it('refuses to delete a group with users, deletes an empty one', async () => {
        await store.createGroup({ gid: 'g-del', enabled: true });
        await store.createUser({ ...userFixture('u-in-g-del'), gid: 'g-del' });
        await assert.rejects(store.deleteGroup('g-del'), { name: 'StoreInUseError' });
        await store.deleteUser('u-in-g-del');
        await store.deleteGroup('g-del');
        assert.equal(await store.getGroup('g-del'), null);
        await assert.rejects(store.deleteGroup('g-del'), { name: 'StoreNotFoundError' });
      });
    });

    describe('users', () => {
      it('round-trips a user, by uid and by username', async () => {
        const u = userFixture('u-rt', { balance: 12.5, sms_count: 3 });
        u.smpps_cred.authorizations.ip = '10.0.0.0/8';
        u.mt_messaging_cred.value_filters.dst_addr = '^33';
        await store.createUser(u);
        assert.deepEqual(await store.getUser('u-rt'), u);
        assert.deepEqual(await store.getUserByUsername('u-rt-name'), u);
        assert.equal(await store.getUser('missing'), null);
        assert.equal(await store.getUserByUsername('missing'), null);
        assert.ok((await store.listUsers()).some((x) => x.uid === 'u-rt'));
      });

      it('refuses a taken uid or username', async () => {
        await store.createUser(userFixture('u-dup'));
        await assert.rejects(store.createUser({ ...userFixture('u-dup'), username: 'other' }), {
          name: 'StoreConflictError',
        });
        await assert.rejects(store.createUser({ ...userFixture('u-dup2'), username: 'u-dup-name' }), {
          name: 'StoreConflictError',
        });
      });

      it('deep-merges a patch: nested keys kept, arrays and nulls replace', async () => {
        await store.createUser(userFixture('u-patch', { balance: 5 }));
        const updated = await store.updateUser('u-patch', {
          enabled: false,
          mt_messaging_cred: { quotas: { balance: 7.25, smpps_throughput: null }, authorizations: { http_bulk: true } },
        });
        assert.equal(updated.enabled, false);
        assert.equal(updated.mt_messaging_cred.quotas.balance, 7.25);
        assert.equal(updated.mt_messaging_cred.authorizations.http_bulk, true);
        assert.equal(updated.mt_messaging_cred.authorizations.smpps_send, true, 'untouched keys are kept');
        assert.deepEqual(await store.getUser('u-patch'), updated);
        await assert.rejects(store.updateUser('missing', { enabled: true }), { name: 'StoreNotFoundError' });
      });

      it('refuses a patch that takes another user’s username', async () => {
        await store.createUser(userFixture('u-p1'));
        await store.createUser(userFixture('u-p2'));
        await assert.rejects(store.updateUser('u-p2', { username: 'u-p1-name' }), { name: 'StoreConflictError' });
      });

      it('deletes', async () => {
        await store.createUser(userFixture('u-gone'));
        await store.deleteUser('u-gone');
        assert.equal(await store.getUser('u-gone'), null);
        await assert.rejects(store.deleteUser('u-gone'), { name: 'StoreNotFoundError' });
      });
    });

    describe('balance', () => {
      it('charges and credits exactly in decimals', async () => {
        await store.createUser(userFixture('u-dec', { balance: 0.3 }));
        assert.deepEqual(await store.charge('u-dec', { amount: 0.1, smsCount: 1 }), {
          ok: true,
          balance: 0.2,
          sms_count: null,
        });
        assert.deepEqual(await store.charge('u-dec', { amount: 0.2, smsCount: 1 }), {
          ok: true,
          balance: 0,
          sms_count: null,
        });
        assert.equal((await store.getUser('u-dec'))?.mt_messaging_cred.quotas.balance, 0);
        assert.deepEqual(await store.charge('u-dec', { amount: 0.000001, smsCount: 0 }), {
          ok: false,
          reason: 'balance',
        });
        await store.credit('u-dec', { amount: 1.1, smsCount: 0 });
        assert.equal((await store.getUser('u-dec'))?.mt_messaging_cred.quotas.balance, 1.1);
      });

      it('treats null quotas as unlimited and leaves them null', async () => {
        await store.createUser(userFixture('u-unl'));
        assert.deepEqual(await store.charge('u-unl', { amount: 1e9, smsCount: 1e6 }), {
          ok: true,
          balance: null,
          sms_count: null,
        });
        await store.credit('u-unl', { amount: 5, smsCount: 5 });
        const q = (await store.getUser('u-unl'))?.mt_messaging_cred.quotas;
        assert.equal(q?.balance, null);
        assert.equal(q?.sms_count, null);
      });

      it('checks sms_count and moves nothing when either quota is short', async () => {
        await store.createUser(userFixture('u-sms', { balance: 10, sms_count: 2 }));
        assert.deepEqual(await store.charge('u-sms', { amount: 1, smsCount: 3 }), { ok: false, reason: 'sms_count' });
        const q = (await store.getUser('u-sms'))?.mt_messaging_cred.quotas;
        assert.equal(q?.balance, 10);
        assert.equal(q?.sms_count, 2);
      });

      it('never overspends when many charges race for the last units', async () => {
        await store.createUser(userFixture('u-race', { balance: 1, sms_count: 1000 }));
        const results = await Promise.all(
          Array.from({ length: 500 }, () => store.charge('u-race', { amount: 0.01, smsCount: 1 })),
        );
        assert.equal(results.filter((r) => r.ok).length, 100);
        const q = (await store.getUser('u-race'))?.mt_messaging_cred.quotas;
        assert.equal(q?.balance, 0);
        assert.equal(q?.sms_count, 900);
      });

      it('keeps money exact over any sequence of charges and credits (integer micro-units)', async () => {
        let run = 0;
        // Amounts with up to 6 decimals, as rates and top-ups are written by operators.
        const amount = fc.integer({ min: 0, max: 5_000_000 }).map((m) => m / 1_000_000);
        const op = fc.record({ credit: fc.boolean(), amount });
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 0, max: 20_000_000 }),
            fc.array(op, { maxLength: 25 }),
            async (start, ops) => {
              const uid = `u-prop-${run++}`;
              await store.createUser(userFixture(uid, { balance: start / 1_000_000 }));
              let model = start;
              for (const o of ops) {
                const micros = toMicros(o.amount);
                if (o.credit) {
                  await store.credit(uid, { amount: o.amount, smsCount: 0 });
                  model += micros;
                } else {
                  const r = await store.charge(uid, { amount: o.amount, smsCount: 0 });
                  assert.equal(r.ok, micros <= model);
                  if (r.ok) {
                    model -= micros;
                    assert.equal(r.balance, model / 1_000_000);
                  }
                }
              }
              assert.equal((await store.getUser(uid))?.mt_messaging_cred.quotas.balance, model / 1_000_000);
            },
          ),
          { numRuns: 25 },
        );
      });

      it('never overspends when charges race across many batches, with credits interleaved', async () => {
        await store.createUser(userFixture('u-race2', { balance: 0.5, sms_count: 40 }));
        const charges: Promise<{ ok: boolean }>[] = [];
        const credits: Promise<void>[] = [];
        for (let wave = 0; wave < 20; wave++) {
          for (let i = 0; i < 10; i++) charges.push(store.charge('u-race2', { amount: 0.01, smsCount: 1 }));
          if (wave % 5 === 0) credits.push(store.credit('u-race2', { amount: 0.01, smsCount: 0 }));
          await nextTick();
        }
        const results = await Promise.all(charges);
        await Promise.all(credits);
        const taken = results.filter((r) => r.ok).length;
        const q = (await store.getUser('u-race2'))?.mt_messaging_cred.quotas;
        // 40 sms_count units are the tighter quota: exactly 40 charges pass, whatever the interleaving.
        assert.equal(taken, 40);
        assert.equal(q?.sms_count, 0);
        assert.equal(q?.balance, (500_000 + 4 * 10_000 - taken * 10_000) / 1_000_000);
      });

      it('refuses a charge for an unknown user and amounts that are not numbers', async () => {
        await assert.rejects(store.charge('u-nobody', { amount: 1, smsCount: 1 }), { name: 'StoreNotFoundError' });
        await assert.rejects(store.credit('u-nobody', { amount: 1, smsCount: 1 }), { name: 'StoreNotFoundError' });
        await store.createUser(userFixture('u-nan', { balance: 1 }));
        await assert.rejects(store.charge('u-nan', { amount: Number.NaN, smsCount: 1 }), RangeError);
        await assert.rejects(store.charge('u-nan', { amount: -1, smsCount: 0 }), RangeError);
        await assert.rejects(store.charge('u-nan', { amount: 0, smsCount: 0.5 }), RangeError);
        await assert.rejects(store.credit('u-nan', { amount: Number.POSITIVE_INFINITY, smsCount: 0 }), RangeError);
        assert.equal((await store.getUser('u-nan'))?.mt_messaging_cred.quotas.balance, 1, 'nothing moved');
      });

      it('charges one quota and leaves the unlimited one null', async () => {
        await store.createUser(userFixture('u-half', { balance: null, sms_count: 2 }));
        assert.deepEqual(await store.charge('u-half', { amount: 5, smsCount: 2 }), {
          ok: true,
          balance: null,
          sms_count: 0,
        });
        assert.deepEqual(await store.charge('u-half', { amount: 0, smsCount: 1 }), { ok: false, reason: 'sms_count' });
      });

      it('never credits below zero', async () => {
        await store.createUser(userFixture('u-neg', { balance: 1, sms_count: 1 }));
        await store.credit('u-neg', { amount: -5, smsCount: -5 });
        const q = (await store.getUser('u-neg'))?.mt_messaging_cred.quotas;
        assert.equal(q?.balance, 0);
        assert.equal(q?.sms_count, 0);
      });
    });

    describe('connectors and routes', () => {
      it('puts, lists, starts and deletes connectors', async () => {
        await store.putConnector({ cid: 'c-1', type: 'smppc', started: false, settings: { host: '127.0.0.1' } });
        await store.setConnectorStarted('c-1', true);
        assert.deepEqual(await store.getConnector('c-1'), {
          cid: 'c-1',
          type: 'smppc',
          started: true,
          settings: { host: '127.0.0.1' },
        });
        assert.ok((await store.listConnectors()).some((c) => c.cid === 'c-1'));
        await store.putConnector({ cid: 'c-1', type: 'sim', started: true, settings: { rate: 5 } });
        assert.deepEqual(await store.getConnector('c-1'), {
          cid: 'c-1',
          type: 'sim',
          started: true,
          settings: { rate: 5 },
        });
        await store.deleteConnector('c-1');
        assert.equal(await store.getConnector('c-1'), null);
        await assert.rejects(store.setConnectorStarted('c-1', true), { name: 'StoreNotFoundError' });
        await assert.rejects(store.deleteConnector('c-1'), { name: 'StoreNotFoundError' });
      });

      it('keys routes by order, lists highest first and bumps the version on change', async () => {
        const v0 = await store.routesVersion();
        await store.putMtRoute({ order: 0, type: 'default', connectors: ['c-a'], filters: [], rate: 0 });
        await store.putMtRoute({
          order: 20,
          type: 'static',
          connectors: ['c-b'],
          filters: [{ type: 'destination_addr', regex: '^33' }],
          rate: 0.02,
        });
        await store.putMtRoute({ order: 10, type: 'roundrobin', connectors: ['c-a', 'c-b'], filters: [], rate: 0 });
        await store.putMtRoute({ order: 10, type: 'failover', connectors: ['c-b', 'c-a'], filters: [], rate: 1 });
        const mt = await store.listMtRoutes();
        assert.deepEqual(
          mt.map((r) => [r.order, r.type]),
          [
            [20, 'static'],
            [10, 'failover'],
            [0, 'default'],
          ],
        );
        assert.deepEqual(mt[0].filters, [{ type: 'destination_addr', regex: '^33' }]);
        const v1 = await store.routesVersion();
        assert.ok(v1 > v0);
        await store.deleteMtRoute(10);
        assert.ok((await store.routesVersion()) > v1);
        await assert.rejects(store.deleteMtRoute(10), { name: 'StoreNotFoundError' });

        await store.putMoRoute({ order: 0, type: 'default', targets: [{ kind: 'smpps', username: 'x' }], filters: [] });
        await store.putMoRoute({ order: 5, type: 'static', targets: [{ kind: 'http', cid: 'h' }], filters: [] });
        assert.deepEqual(
          (await store.listMoRoutes()).map((r) => r.order),
          [5, 0],
        );
        const v2 = await store.routesVersion();
        await store.deleteMoRoute(5);
        assert.ok((await store.routesVersion()) > v2, 'MO changes bump the version too');
        assert.equal((await store.listMoRoutes()).length, 1);
        await assert.rejects(store.deleteMoRoute(5), { name: 'StoreNotFoundError' });
      });
    });

    describe('messages and queues', () => {
      it('accepts messages durably and reads them back byte for byte', async () => {
        const m = messageFixture('u-m', 'q-rt', {
          short_message: Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 0xff, 0x00]),
          tlvs: Buffer.from([0x14, 0x00, 0x00, 0x01, 0x7f]),
          part: { ref: 42, total: 2, seq: 1 },
          tags: [1, 7],
          rate: 0.05,
          charged: 0.025,
        });
        await store.acceptMessages([m]);
        assert.deepEqual(await store.getMessage(m.id), m);
        assert.equal(await store.getMessage('missing'), null);
      });

      it("keeps an HTTP API message's receipt target (dlr) and none for SMPP messages", async () => {
        const http = messageFixture('u-m', 'q-dlr', {
          dlr: { url: 'http://127.0.0.1:9/dlr?a=1', method: 'GET', level: 3 },
        });
        const smpp = messageFixture('u-m', 'q-dlr', { dlr: null });
        await store.acceptMessages([http, smpp]);
        assert.deepEqual(await store.getMessage(http.id), http);
        assert.equal((await store.getMessage(smpp.id))?.dlr ?? null, null);
        const [claimed] = await store.claimMessages('q-dlr', 1, Date.now());
        assert.deepEqual(claimed.dlr, http.dlr);
      });

      it('resolves every caller of one group commit', async () => {
        const records = Array.from({ length: 300 }, () => messageFixture('u-gc', 'q-gc'));
        await Promise.all(records.map((r) => store.acceptMessages([r])));
        assert.equal((await store.queueDepths())['q-gc'], 300);
        assert.equal(await store.queueDepth('q-gc'), 300);
        assert.equal(await store.queueDepth('q-none'), 0);
        for (const r of records.slice(0, 5)) assert.equal((await store.getMessage(r.id))?.status, 'queued');
      });

      it('settles each call of a mixed batch with its own result or error', async () => {
        await store.createUser(userFixture('u-mix', { balance: 1 }));
        const m = messageFixture('u-mix', 'q-mix');
        // All issued in the same tick: one group commit for the store that has them.
        const [conflict, charged, accepted, refused, seqs] = await Promise.allSettled([
          store.createGroup({ gid: 'g1', enabled: true }),
          store.charge('u-mix', { amount: 0.4, smsCount: 1 }),
          store.acceptMessages([m]),
          store.charge('u-mix', { amount: 0.7, smsCount: 1 }),
          store.enqueueDeliveries([{ uid: 'u-mix', kind: 'mo', payload: {}, created_at: 0, expires_at: 1e15 }]),
        ]);
        assert.equal(conflict.status === 'rejected' && conflict.reason.name, 'StoreConflictError');
        assert.deepEqual(charged.status === 'fulfilled' && charged.value, { ok: true, balance: 0.6, sms_count: null });
        assert.equal(accepted.status, 'fulfilled');
        assert.deepEqual(refused.status === 'fulfilled' && refused.value, { ok: false, reason: 'balance' });
        assert.equal(seqs.status === 'fulfilled' && seqs.value.length, 1);
        assert.equal((await store.getMessage(m.id))?.id, m.id);
      });

      it('refuses a duplicate message id without losing the others of the batch', async () => {
        const a = messageFixture('u-dupm', 'q-dupm');
        await store.acceptMessages([a]);
        const b = messageFixture('u-dupm', 'q-dupm');
        const results = await Promise.allSettled([store.acceptMessages([a]), store.acceptMessages([b])]);
        assert.equal(results[0].status, 'rejected');
        assert.equal((results[0] as PromiseRejectedResult).reason.name, 'StoreConflictError');
        assert.equal(results[1].status, 'fulfilled');
        assert.ok(await store.getMessage(b.id));
      });

      it('claims in priority then acceptance order, never twice, only when due', async () => {
        const now = Date.now();
        const low1 = messageFixture('u-q', 'q-claim');
        const low2 = messageFixture('u-q', 'q-claim');
        const high = messageFixture('u-q', 'q-claim', { priority_flag: 2 });
        const later = messageFixture('u-q', 'q-claim', { schedule_at: now + 60_000 });
        const other = messageFixture('u-q', 'q-other');
        await store.acceptMessages([low1, low2, high, later, other]);
        const first = await store.claimMessages('q-claim', 2, now);
        assert.deepEqual(
          first.map((m) => m.id),
          [high.id, low1.id],
        );
        assert.ok(first.every((m) => m.status === 'sending'));
        const second = await store.claimMessages('q-claim', 10, now);
        assert.deepEqual(
          second.map((m) => m.id),
          [low2.id],
        );
        assert.deepEqual(await store.claimMessages('q-claim', 10, now), []);
        assert.deepEqual(
          (await store.claimMessages('q-claim', 10, now + 61_000)).map((m) => m.id),
          [later.id],
        );
        assert.equal((await store.queueDepths())['q-claim'], undefined);
      });

      it('never hands one part to two concurrent claims', async () => {
        const now = Date.now();
        const records = Array.from({ length: 100 }, () => messageFixture('u-cc', 'q-cc'));
        await store.acceptMessages(records);
        const claims = await Promise.all(Array.from({ length: 8 }, () => store.claimMessages('q-cc', 30, now)));
        const ids = claims.flat().map((m) => m.id);
        assert.equal(ids.length, 100);
        assert.equal(new Set(ids).size, 100);
        assert.deepEqual(
          claims.flat().map((m) => m.id),
          records.map((r) => r.id),
          'acceptance order',
        );
        assert.equal(await store.queueDepth('q-cc'), 0);
      });

      it('releases a claimed message for a later retry', async () => {
        const now = Date.now();
        const m = messageFixture('u-rel', 'q-rel');
        await store.acceptMessages([m]);
        await store.claimMessages('q-rel', 1, now);
        await store.releaseMessage(m.id, now + 5_000);
        assert.deepEqual(await store.claimMessages('q-rel', 1, now), []);
        assert.deepEqual(
          (await store.claimMessages('q-rel', 1, now + 5_000)).map((x) => x.id),
          [m.id],
        );
      });

      it('applies one message patch and returns the record', async () => {
        const m = messageFixture('u-upd1', 'q-upd1');
        await store.acceptMessages([m]);
        const patch: MessagePatch = { status: 'final', state: MessageState.DELIVERED, final_at: 1_700_000_001_000 };
        const got = await store.updateMessage(m.id, patch);
        assert.equal(got?.status, 'final');
        assert.equal(got?.state, MessageState.DELIVERED);
        assert.equal(got?.final_at, 1_700_000_001_000);
        assert.deepEqual(got?.short_message, m.short_message, 'fields not in the patch are kept');
        assert.deepEqual(await store.getMessage(m.id), got);
        assert.equal(await store.updateMessage('missing', { status: 'sent' }), null);
        assert.equal(await store.queueDepth('q-upd1'), 0, 'a final part is no longer queued');
      });

      it('applies message patches', async () => {
        const m = messageFixture('u-upd', 'q-upd');
        await store.acceptMessages([m]);
        await store.updateMessages([
          { id: m.id, patch: { status: 'sent', upstream_id: 'ABC', attempts: 1 } },
          { id: 'missing', patch: { status: 'sent' } },
        ]);
        const got = await store.getMessage(m.id);
        assert.equal(got?.status, 'sent');
        assert.equal(got?.upstream_id, 'ABC');
        assert.equal(got?.attempts, 1);
      });

      it('cancels and replaces only a queued message of its owner', async () => {
        const mine = messageFixture('owner', 'q-own');
        const sent = messageFixture('owner', 'q-own', { status: 'sent' });
        await store.acceptMessages([mine, sent]);
        assert.deepEqual(await store.cancelMessage('intruder', mine.id), { ok: false, reason: 'not_owner' });
        assert.deepEqual(await store.cancelMessage('owner', 'missing'), { ok: false, reason: 'not_found' });
        assert.deepEqual(await store.cancelMessage('owner', sent.id), { ok: false, reason: 'not_queued' });
        const replacement = {
          short_message: Buffer.from('new text'),
          registered_delivery: 0,
          schedule_at: null,
          expires_at: 1_800_000_000_000,
        };
        assert.deepEqual(await store.replaceMessage('intruder', mine.id, replacement), {
          ok: false,
          reason: 'not_owner',
        });
        const replaced = await store.replaceMessage('owner', mine.id, replacement);
        assert.ok(replaced.ok);
        assert.deepEqual(replaced.ok && replaced.message.short_message, Buffer.from('new text'));
        assert.equal(replaced.ok && replaced.message.expires_at, 1_800_000_000_000);
        const cancelled = await store.cancelMessage('owner', mine.id);
        assert.ok(cancelled.ok);
        assert.equal(cancelled.ok && cancelled.message.status, 'cancelled');
        assert.equal(cancelled.ok && cancelled.message.state, MessageState.DELETED);
        assert.deepEqual(await store.cancelMessage('owner', mine.id), { ok: false, reason: 'not_queued' });
        assert.deepEqual(await store.claimMessages('q-own', 10, Date.now()), []);
      });

      it('expires queued messages past their validity, once', async () => {
        const now = Date.now();
        const old = messageFixture('u-exp', 'q-exp', { expires_at: now - 1 });
        const fresh = messageFixture('u-exp', 'q-exp', { expires_at: now + 60_000 });
        await store.acceptMessages([old, fresh]);
        const inFlight = messageFixture('u-exp', 'q-exp2', { expires_at: now - 1 });
        await store.acceptMessages([inFlight]);
        await store.claimMessages('q-exp2', 1, now);
        const expired = await store.expireQueued(now);
        assert.deepEqual(
          expired.map((m) => m.id),
          [old.id],
          'a part being sent is not expired under the connector',
        );
        assert.equal(expired[0].state, MessageState.EXPIRED);
        assert.equal((await store.getMessage(old.id))?.status, 'failed');
        assert.deepEqual(await store.expireQueued(now), []);
        assert.equal((await store.queueDepths())['q-exp'], 1);
      });

      it('lists history by user, time range and destination, newest first', async () => {
        const base = 1_900_000_000_000;
        const a = messageFixture('u-hist', 'q-h', { submitted_at: base, destination_addr: '111' });
        const b = messageFixture('u-hist', 'q-h', { submitted_at: base + 10, destination_addr: '222' });
        const c = messageFixture('u-hist2', 'q-h', { submitted_at: base + 20, destination_addr: '222' });
        await store.acceptMessages([a, b, c]);
        assert.deepEqual(
          (await store.listMessages({ uid: 'u-hist' })).map((m) => m.id),
          [b.id, a.id],
        );
        assert.deepEqual(
          (await store.listMessages({ uid: 'u-hist', from: base + 5, to: base + 15 })).map((m) => m.id),
          [b.id],
        );
        assert.deepEqual(
          (await store.listMessages({ destination_addr: '222' })).map((m) => m.id),
          [c.id, b.id],
        );
        assert.deepEqual(
          (await store.listMessages({ destination_addr: '222', limit: 1 })).map((m) => m.id),
          [c.id],
        );
        assert.deepEqual(await store.listMessages({ uid: 'u-hist', to: base - 1 }), []);
      });
    });

    describe('receipt map', () => {
      it('maps upstream ids to message ids per connector until expiry', async () => {
        await store.putReceiptMaps([
          { cid: 'rc', upstream_id: 'U1', message_id: 'M1', expires_at: 1000 },
          { cid: 'rc', upstream_id: 'U2', message_id: 'M2', expires_at: 5000 },
          { cid: 'rc2', upstream_id: 'U1', message_id: 'M3', expires_at: 5000 },
        ]);
        assert.equal((await store.getReceiptMap('rc', 'U1'))?.message_id, 'M1');
        assert.equal((await store.getReceiptMap('rc2', 'U1'))?.message_id, 'M3');
        assert.equal(await store.expireReceiptMaps(999), 0);
        assert.equal(await store.expireReceiptMaps(2000), 1);
        assert.equal(await store.getReceiptMap('rc', 'U1'), null);
        assert.deepEqual(await store.getReceiptMap('rc', 'U2'), {
          cid: 'rc',
          upstream_id: 'U2',
          message_id: 'M2',
          expires_at: 5000,
        });
        await store.putReceiptMaps([{ cid: 'rc', upstream_id: 'U2', message_id: 'M2b', expires_at: 6000 }]);
        assert.equal((await store.getReceiptMap('rc', 'U2'))?.message_id, 'M2b', 'a put replaces');
        await store.deleteReceiptMap('rc', 'U2');
        assert.equal(await store.getReceiptMap('rc', 'U2'), null);
      });
    });

    describe('deliveries', () => {
      it('keeps per-user order, retries hold the queue head, acks remove', async () => {
        const now = 1_000_000;
        const item = (uid: string, n: number) => ({
          uid,
          kind: 'receipt' as const,
          payload: { n, bytes: Buffer.from([0, n, 255]) },
          created_at: now,
          expires_at: now + 86_400_000,
        });
        const seqs = await store.enqueueDeliveries([item('d-u', 1), item('d-u', 2), item('d-other', 3)]);
        assert.equal(seqs.length, 3);
        assert.ok(seqs[0] < seqs[1]);
        const head = await store.peekDeliveries('d-u', 10, now);
        assert.deepEqual(
          head.map((d) => d.payload.n),
          [1, 2],
        );
        assert.deepEqual(head[0].payload.bytes, Buffer.from([0, 1, 255]));
        assert.equal(await store.pendingDeliveries('d-u'), 2);
        const mine = (uids: string[]) => uids.filter((u) => u.startsWith('d-')).sort();
        assert.deepEqual(mine(await store.usersWithDeliveries(now)), ['d-other', 'd-u']);

        await store.retryDelivery('d-u', seqs[0], now + 1000);
        assert.deepEqual(await store.peekDeliveries('d-u', 10, now), [], 'a held head holds the user’s queue');
        assert.deepEqual(mine(await store.usersWithDeliveries(now)), ['d-other'], 'a held user is not offered as work');
        assert.equal(await store.pendingDeliveries('d-u'), 2);
        const retried = await store.peekDeliveries('d-u', 10, now + 1000);
        assert.equal(retried[0].attempts, 1);
        await store.ackDelivery('d-u', seqs[0]);
        assert.deepEqual(
          (await store.peekDeliveries('d-u', 10, now)).map((d) => d.payload.n),
          [2],
        );
      });

      it('keeps the order of a long queue across many enqueues', async () => {
        const calls = Array.from({ length: 50 }, (_, i) =>
          store.enqueueDeliveries([
            { uid: 'd-long', kind: 'receipt', payload: { i }, created_at: 0, expires_at: 1e15 },
          ]),
        );
        const seqs = (await Promise.all(calls)).flat();
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
          'seq increases in call order',
        );
        const head = await store.peekDeliveries('d-long', 100, 0);
        assert.deepEqual(
          head.map((d) => d.payload.i),
          Array.from({ length: 50 }, (_, i) => i),
        );
        assert.deepEqual(
          (await store.peekDeliveries('d-long', 3, 0)).map((d) => d.seq),
          seqs.slice(0, 3),
        );
      });

      it('expires old deliveries and returns them', async () => {
        const seqs = await store.enqueueDeliveries([
          { uid: 'd-exp', kind: 'mo', payload: { x: 1 }, created_at: 0, expires_at: 10 },
        ]);
        const expired = await store.expireDeliveries(11);
        assert.deepEqual(
          expired.map((d) => d.seq),
          seqs,
        );
        assert.equal(await store.pendingDeliveries('d-exp'), 0);
      });
    });

    describe('queue stats', () => {
      it('gives depth and the longest wait per connector, from acceptance or from the schedule', async () => {
        const t0 = 2_000_000_000_000;
        const first = messageFixture('u-qs', 'q-stats', { submitted_at: t0 });
        const second = messageFixture('u-qs', 'q-stats', { submitted_at: t0 + 50 });
        const scheduled = messageFixture('u-qs', 'q-stats2', { submitted_at: t0 + 10, schedule_at: t0 + 5000 });
        await store.acceptMessages([first, second, scheduled]);
        const stats = await store.queueStats();
        assert.deepEqual(stats['q-stats'], { depth: 2, oldest_at: t0 });
        assert.deepEqual(stats['q-stats2'], { depth: 1, oldest_at: t0 + 5000 });
        await store.claimMessages('q-stats', 1, t0 + 100_000);
        assert.deepEqual((await store.queueStats())['q-stats'], { depth: 1, oldest_at: t0 + 50 });
        await store.claimMessages('q-stats', 1, t0 + 100_000);
        assert.equal((await store.queueStats())['q-stats'], undefined, 'an empty queue is absent');
      });
    });

    describe('message history', () => {
      // Times far below every other test's, so pruning here touches only these records.
      const T = 1_000_000;
      const ev = (message_id: string, at: number, type: 'upstream' | 'receipt' | 'delivery', data = {}) => ({
        message_id,
        at,
        type,
        data,
      });

      it('starts with the acceptance read from the part, then its events in time order', async () => {
        const m = messageFixture('u-hx', 'q-hx', {
          submitted_at: T,
          route_order: 7,
          part: { ref: 9, total: 2, seq: 1 },
        });
        await store.acceptMessages([m]);
        await store.appendHistory([
          ev(m.id, T + 30, 'receipt', { state: 2, stat: 'DELIVRD', bytes: Buffer.from([1, 2]) }),
          ev('other', T + 1, 'upstream', {}),
          ev(m.id, T + 10, 'upstream', { outcome: 'accepted', upstream_id: 'UP-1', attempts: 1 }),
        ]);
        await store.appendHistory([ev(m.id, T + 30, 'delivery', { result: 'ok' })]);
        await store.appendHistory([]);
        const h = await store.messageHistory(m.id);
        assert.ok(h !== null);
        assert.equal(h.message.id, m.id);
        assert.deepEqual(
          h.events.map((e) => [e.type, e.at]),
          [
            ['accepted', T],
            ['upstream', T + 10],
            ['receipt', T + 30],
            ['delivery', T + 30],
          ],
          'same-time events keep their append order',
        );
        assert.deepEqual(h.events[0].data, {
          uid: 'u-hx',
          cid: 'q-hx',
          route: 7,
          part: { ref: 9, total: 2, seq: 1 },
          source_addr: m.source_addr,
          destination_addr: m.destination_addr,
          rate: 0,
          charged: 0,
        });
        assert.deepEqual(h.events[1].data, { outcome: 'accepted', upstream_id: 'UP-1', attempts: 1 });
        assert.deepEqual(h.events[2].data.bytes, Buffer.from([1, 2]), 'data keeps bytes');
        assert.equal(await store.messageHistory('no-such-message'), null);
      });

      it('queries by user and time range or by destination, newest first, a page at a time', async () => {
        const parts = [0, 1, 2, 3, 4].map((i) =>
          messageFixture(i < 4 ? 'u-hq' : 'u-hq2', 'q-hq', {
            submitted_at: T + 100 + (i === 2 ? 1 : i),
            destination_addr: i % 2 === 0 ? '4470001' : '4470002',
          }),
        );
        // Two parts share a submitted_at: acceptance order breaks the tie.
        parts[1].submitted_at = parts[2].submitted_at;
        await store.acceptMessages(parts);
        await store.appendHistory([ev(parts[3].id, T + 200, 'upstream', { outcome: 'rejected', status: 88 })]);
        const all = await store.queryHistory({ uid: 'u-hq' });
        assert.deepEqual(
          all.items.map((x) => x.message.id),
          [parts[3].id, parts[2].id, parts[1].id, parts[0].id],
        );
        assert.equal(all.next_cursor, null);
        assert.deepEqual(
          all.items[0].events.map((e) => e.type),
          ['accepted', 'upstream'],
        );
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < 10; page++) {
          const r = await store.queryHistory({ uid: 'u-hq', limit: 1, ...(cursor ? { cursor } : {}) });
          seen.push(...r.items.map((x) => x.message.id));
          if (r.next_cursor === null) break;
          cursor = r.next_cursor;
        }
        assert.deepEqual(
          seen,
          all.items.map((x) => x.message.id),
          'pages cover every part once, in order',
        );
        assert.deepEqual(
          (await store.queryHistory({ uid: 'u-hq', from: T + 101, to: T + 101 })).items.map((x) => x.message.id),
          [parts[2].id, parts[1].id],
        );
        assert.deepEqual(
          (await store.queryHistory({ destination_addr: '4470001', from: T, to: T + 1000 })).items.map(
            (x) => x.message.id,
          ),
          [parts[4].id, parts[2].id, parts[0].id],
        );
        await assert.rejects(store.queryHistory({ uid: 'u-hq', cursor: 'not a cursor' }), RangeError);
      });

      it('prunes events older than the cut-off and the parts done before it, and nothing else', async () => {
        const done = messageFixture('u-hp', 'q-hp', { submitted_at: T + 300, status: 'final', final_at: T + 310 });
        const failed = messageFixture('u-hp', 'q-hp', { submitted_at: T + 301, status: 'failed', final_at: T + 302 });
        const late = messageFixture('u-hp', 'q-hp', { submitted_at: T + 302, status: 'final', final_at: T + 5000 });
        const sentOld = messageFixture('u-hp', 'q-hp', { submitted_at: T + 303, status: 'sent', updated_at: T + 304 });
        const queued = messageFixture('u-hp', 'q-hp', { submitted_at: T + 304 });
        await store.acceptMessages([done, failed, late, sentOld, queued]);
        const many = Array.from({ length: 4500 }, (_, i) => ev(done.id, T + 305 + (i % 100), 'delivery', { i }));
        await store.appendHistory(many);
        await store.appendHistory([ev(late.id, T + 4000, 'receipt', {})]);
        const cut = T + 1000;
        const deleted = await store.pruneHistory(cut);
        assert.ok(deleted >= 4500 + 3, `deleted ${deleted}`);
        assert.equal(await store.messageHistory(done.id), null);
        assert.equal(await store.messageHistory(failed.id), null);
        assert.equal(await store.messageHistory(sentOld.id), null, 'sent and never heard of again');
        assert.equal((await store.getMessage(queued.id))?.status, 'queued', 'queued parts are never pruned');
        const kept = await store.messageHistory(late.id);
        assert.deepEqual(
          kept?.events.map((e) => e.type),
          ['accepted', 'receipt'],
        );
        assert.equal(await store.pruneHistory(cut), 0, 'nothing left to prune');
      });
    });

    describe('durability', () => {
      it('keeps everything across close and reopen, and recovers in-flight messages', async (t) => {
        const reopen = handle.reopen;
        if (reopen === undefined) {
          t.skip('this backend gives no reopen');
          return;
        }
        await store.createUser(userFixture('u-dur', { balance: 3 }));
        await store.charge('u-dur', { amount: 1, smsCount: 0 });
        const m = messageFixture('u-dur', 'q-dur');
        const n = messageFixture('u-dur', 'q-dur');
        await store.acceptMessages([m, n]);
        await store.claimMessages('q-dur', 1, Date.now());
        const seq = await store.enqueueDeliveries([
          { uid: 'u-dur', kind: 'receipt', payload: { b: Buffer.from([1, 2]) }, created_at: 0, expires_at: 1e15 },
        ]);
        await store.putReceiptMaps([{ cid: 'q-dur', upstream_id: 'UP', message_id: m.id, expires_at: 1e15 }]);
        await store.putMtRoute({ order: 77, type: 'static', connectors: ['q-dur'], filters: [], rate: 0.5 });
        const version = await store.routesVersion();
        // Writes issued just before close are flushed by it, not lost.
        const lastOne = store.putConnector({ cid: 'q-dur', type: 'sim', started: true, settings: {} });
        await store.close();
        await lastOne;
        store = await reopen();
        assert.equal((await store.getConnector('q-dur'))?.started, true);
        assert.equal((await store.getReceiptMap('q-dur', 'UP'))?.message_id, m.id);
        assert.deepEqual(
          (await store.peekDeliveries('u-dur', 10, 0)).map((d) => [d.seq, d.payload.b]),
          [[seq[0], Buffer.from([1, 2])]],
        );
        assert.equal(await store.routesVersion(), version);
        assert.ok((await store.listMtRoutes()).some((r) => r.order === 77));
        assert.equal((await store.getUser('u-dur'))?.mt_messaging_cred.quotas.balance, 2);
        assert.equal((await store.getMessage(m.id))?.status, 'sending');
        // Other tests of the suite left parts in flight too: all of them come back.
        assert.ok((await store.recoverInFlight()) >= 1, 'in-flight parts recovered');
        assert.equal(await store.recoverInFlight(), 0, 'nothing left in flight');
        assert.equal((await store.getMessage(m.id))?.status, 'queued');
        assert.deepEqual(
          (await store.claimMessages('q-dur', 10, Date.now())).map((x) => x.id),
          [m.id, n.id],
        );
      });
    });
  });
}
