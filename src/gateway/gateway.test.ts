// End to end over real TCP: the SMPP server wired with the Gateway (accounts, pipeline, handlers) and a store, with
// the real SQLite store in a temp folder, and the `smpp` npm package (node-smpp) as the ESME — a client we did not
// write.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request as call, connectClient as connect, type NodeSmppSession } from '../../test/helpers/smppClient.js';
import { CommandStatus as S } from '../smpp/codec/index.js';
import { SmppServer } from '../smpp/server/server.js';
import type { SqliteStore } from '../store/sqlite/sqliteStore.js';
import type { GatewayPrincipal } from './accounts.js';
import { createUuidV7Generator, Gateway } from './gateway.js';
import { defaultRoute, makeUser, memoryLogger, PASSWORD, sqliteStoreWith } from './pipeline.fixtures.js';

async function bound(port: number, system_id: string, type = 'transceiver'): Promise<NodeSmppSession> {
  const session = await connect(port);
  const resp = await call(session, `bind_${type}`, { system_id, password: PASSWORD });
  assert.equal(resp.command_status, 0, `bind ${system_id}`);
  return session;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createUuidV7Generator: the default message_id', () => {
  it('is an RFC 9562 version 7 UUID carrying the time in milliseconds', () => {
    const at = Date.UTC(2026, 10, 25, 7, 0, 0, 123);
    const id = createUuidV7Generator(() => at)();
    assert.match(id, UUID_V7);
    assert.equal(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
  });

  it('sorts in creation order and never repeats, within a millisecond, across 4096+ ids and a clock stepping back', () => {
    let t = Date.UTC(2030, 0, 1);
    const next = createUuidV7Generator(() => t);
    const ids: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      if (i === 15_000) t -= 5000; // the clock steps back
      ids.push(next());
      if (i % 7000 === 6999) t += 1;
    }
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} < ${ids[i]} at ${i}`);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.every((id) => UUID_V7.test(id)));
  });
});

let store: SqliteStore;
let cleanup: () => Promise<void>;
let gateway: Gateway;
let server: SmppServer<GatewayPrincipal>;
let port: number;
const open: NodeSmppSession[] = [];

before(async () => {
  ({ store, cleanup } = await sqliteStoreWith(
    [
      await makeUser({ mt: { quotas: { balance: 2 } } }),
      await makeUser({ uid: 'u2', username: 'user2', smpps: { quotas: { max_bindings: 1 } } }),
      await makeUser({ uid: 'u3', username: 'user3' }),
    ],
    [defaultRoute(0.5, 'sim')],
  ));
  gateway = new Gateway({ store, logger: memoryLogger(), settings: { billing_feature: true } });
  server = new SmppServer<GatewayPrincipal>({
    id: 'smpps_01',
    bind: '127.0.0.1',
    port: 0,
    authenticate: gateway.authenticator,
    handlers: gateway.handlers,
    timers: { enquireLinkMs: 0, inactivityMs: 0, sessionInitMs: 10_000, responseMs: 5000, pduReadMs: 0 },
    bindSlowdown: { baseMs: 1, maxMs: 1 },
  });
  gateway.attachServer(server);
  port = (await server.listen()).tcp!.port;
});

after(async () => {
  for (const s of open) s.destroy();
  await server.close();
  await gateway.close();
  await cleanup();
});

async function balance(uid: string): Promise<number | null | undefined> {
  return (await store.getUser(uid))?.mt_messaging_cred.quotas.balance;
}

describe('gateway end to end over TCP with node-smpp', () => {
  it('binds, submits (billed, stored), queries, cancels (refunded) and replaces its own messages', async () => {
    const wrong = await connect(port);
    open.push(wrong);
    assert.equal(
      (await call(wrong, 'bind_transceiver', { system_id: 'user1', password: 'wrong' })).command_status,
      S.ESME_RINVPASWD,
    );
    const session = await bound(port, 'user1');
    open.push(session);

    const submit = await call(session, 'submit_sm', {
      source_addr: 'SHOP',
      destination_addr: '33600000001',
      registered_delivery: 1,
      short_message: 'hello from node-smpp',
    });
    assert.equal(submit.command_status, 0);
    const id = submit.message_id ?? '';
    assert.match(id, UUID_V7, 'a UUID (version 7) message_id by default');
    const stored = await store.getMessage(id);
    assert.equal(stored?.short_message.toString(), 'hello from node-smpp');
    assert.equal(stored?.cid, 'sim');
    assert.equal(await balance('u1'), 1.5);

    const query = await call(session, 'query_sm', { message_id: id });
    assert.equal(query.command_status, 0);
    assert.equal(query.message_state, 1);
    assert.equal(query.message_id, id);

    const replace = await call(session, 'replace_sm', { message_id: id, short_message: 'replaced text' });
    assert.equal(replace.command_status, 0);
    assert.equal((await store.getMessage(id))?.short_message.toString(), 'replaced text');

    assert.equal((await call(session, 'cancel_sm', { message_id: id })).command_status, 0);
    assert.equal(await balance('u1'), 2, 'the cancelled message is refunded');
    assert.equal((await call(session, 'cancel_sm', { message_id: id })).command_status, S.ESME_RCANCELFAIL);
    assert.equal((await call(session, 'query_sm', { message_id: id })).message_state, 4, 'DELETED');

    const other = await bound(port, 'user3');
    open.push(other);
    assert.equal((await call(other, 'query_sm', { message_id: id })).command_status, S.ESME_RQUERYFAIL);
    assert.equal((await call(other, 'cancel_sm', { message_id: id })).command_status, S.ESME_RCANCELFAIL);
  });

  it('a long message in message_payload is billed per part; credit that runs out is ESME_RSYSERR', async () => {
    const session = await bound(port, 'user1');
    open.push(session);
    const before = (await balance('u1')) ?? 0;
    const long = await call(session, 'submit_sm', {
      destination_addr: '33600000002',
      data_coding: 0,
      message_payload: 'x'.repeat(300), // GSM: 2 parts of 153 septets
    });
    assert.equal(long.command_status, 0);
    assert.equal(await balance('u1'), before - 1);
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push((await call(session, 'submit_sm', { destination_addr: '336', short_message: 'hi' })).command_status);
    }
    assert.deepEqual(results, [0, 0, S.ESME_RSYSERR]);
    assert.equal(await balance('u1'), 0);
  });

  it('submit_multi lists the destinations that failed', async () => {
    const session = await bound(port, 'user3');
    open.push(session);
    const resp = await call(session, 'submit_multi', {
      dest_address: [{ dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '33611' }, { dl_name: 'staff' }],
      short_message: 'to two',
    });
    assert.equal(resp.command_status, 0);
    assert.equal(resp.unsuccess_sme?.length, 1);
    assert.equal(resp.unsuccess_sme?.[0].error_status_code, S.ESME_RCNTSUBDL);
  });

  it('max_bindings counts binds of every type; unbindUser closes them all', async () => {
    const first = await bound(port, 'user2', 'receiver');
    open.push(first);
    const second = await connect(port);
    open.push(second);
    assert.equal(
      (await call(second, 'bind_transmitter', { system_id: 'user2', password: PASSWORD })).command_status,
      S.ESME_RBINDFAIL,
    );
    first.on('unbind', (pdu) => first.send(pdu.response()));
    const closed = new Promise<void>((resolve) => first.once('close', resolve));
    assert.equal(await gateway.unbindUser('u2'), 1);
    await closed;
    assert.equal(server.boundSessions('u2').length, 0);
    const again = await bound(port, 'user2', 'transmitter');
    open.push(again);
  });

  it('disabling a user applies to its bound session at the next submit', async () => {
    const session = await bound(port, 'user3');
    open.push(session);
    assert.equal((await call(session, 'submit_sm', { destination_addr: '1', short_message: 'a' })).command_status, 0);
    await store.updateUser('u3', { enabled: false });
    gateway.onAccountsChanged();
    assert.equal(
      (await call(session, 'submit_sm', { destination_addr: '1', short_message: 'b' })).command_status,
      S.ESME_RINVBNDSTS,
    );
    await store.updateUser('u3', { enabled: true });
    gateway.onAccountsChanged();
  });
});
