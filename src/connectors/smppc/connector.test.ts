// The smppc connector against the fake SMSC on loopback (port 0) with a real SQLite store: submits and outcomes,
// held while the SMSC is down, a killed connection mid-window, retry statuses, pacing, several binds, stop/start,
// expiry at claim, inbound deliver_sm answered with the gateway's status, TLS, split message_payload.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { createServer as tlsServer } from 'node:tls';
import { type FakeSmsc, startSmsc } from '../../../test/helpers/smsc.js';
import { CommandStatus } from '../../smpp/codec/index.js';
import { silentLogger } from '../../smpp/session/index.js';
import type { SqliteStore } from '../../store/sqlite/sqliteStore.js';
import { createSmppcConnector, type SmppcConnector } from './connector.js';
import { SmppcSettingsError } from './settings.js';
import { encodeTlvs, parts, RecordingEvents, sleep, tempStore, testClock, until } from './testing.js';

const CID = 'up1';
let cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});
after(() => {});

interface Rig {
  smsc: FakeSmsc;
  store: SqliteStore;
  events: RecordingEvents;
  conn: SmppcConnector;
}

async function rig(
  smscOptions: Parameters<typeof startSmsc>[0] = {},
  settings: Record<string, unknown> = {},
): Promise<Rig> {
  const smsc = await startSmsc(smscOptions);
  const { store, cleanup } = tempStore();
  const events = new RecordingEvents();
  const conn = createSmppcConnector({
    record: {
      cid: CID,
      type: 'smppc',
      started: true,
      settings: {
        host: '127.0.0.1',
        port: smsc.port,
        system_id: 'gw',
        password: 'pw',
        window: 10,
        response_timeout_secs: 2,
        reconnect_delay_secs: 0.02,
        reconnect_max_delay_secs: 0.1,
        poll_ms: 10,
        ...settings,
      },
    },
    store,
    events,
    logger: silentLogger,
    clock: testClock,
  });
  cleanups.push(async () => {
    await conn.stop();
    await smsc.close();
    await cleanup();
  });
  return { smsc, store, events, conn };
}

describe('smppc connector', () => {
  it('sends each part untouched and reports the upstream id', async () => {
    const { smsc, store, events, conn } = await rig();
    const vendor = { tag: 0x1401, value: Buffer.from([1, 2, 3]) };
    const [m] = parts(CID, 1, {
      esm_class: 0x40,
      data_coding: 8,
      protocol_id: 0x7f,
      priority_flag: 1,
      registered_delivery: 0x11,
      short_message: Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 0x00, 0x41]),
      tlvs: encodeTlvs({ user_message_reference: 7, unknown: [vendor] }),
      expires_at: Date.now() + 3_600_000,
    });
    await store.acceptMessages([m]);
    await conn.start();
    await until(() => events.outcomes.length === 1, 'the outcome');
    const submit = smsc.submits[0];
    assert.equal(events.outcomes[0].id, m.id);
    assert.deepEqual(events.outcomes[0].outcome, { kind: 'accepted', upstreamId: submit.messageId });
    assert.equal(events.outcomes[0].attempts, 1);
    const pdu = submit.pdu;
    assert.equal(pdu.command, 'submit_sm');
    if (pdu.command !== 'submit_sm') return;
    assert.deepEqual(pdu.short_message, m.short_message);
    assert.equal(pdu.esm_class, 0x40);
    assert.equal(pdu.data_coding, 8);
    assert.equal(pdu.protocol_id, 0x7f);
    assert.equal(pdu.priority_flag, 1);
    assert.equal(pdu.registered_delivery, 0x11);
    assert.equal(pdu.destination_addr, m.destination_addr);
    assert.equal(pdu.tlvs?.user_message_reference, 7);
    assert.deepEqual(
      pdu.tlvs?.unknown?.map((t) => [t.tag, [...t.value]]),
      [[0x1401, [1, 2, 3]]],
    );
    // SMPP 3.4 §7.1.2: the time left of the validity, relative (about an hour).
    assert.match(pdu.validity_period, /^00000000(59|60|00)\d\d000R$|^000000010000000R$/);
    assert.equal(conn.state().state, 'bound');
    assert.equal(conn.isUp(), true);
  });

  it('holds messages while the SMSC is down and sends them once it is back', async () => {
    const { smsc, store, events, conn } = await rig();
    smsc.setDown(true);
    await store.acceptMessages(parts(CID, 5));
    await conn.start();
    await sleep(150);
    assert.equal(events.outcomes.length, 0);
    assert.equal(await store.queueDepth(CID), 5, 'held in the store');
    assert.equal(conn.state().state, 'unbound');
    assert.equal(conn.isUp(), false);
    assert.ok(conn.state().last_error !== null);
    smsc.setDown(false);
    await until(() => events.of('accepted').length === 5, 'five acceptances');
    assert.equal(await store.queueDepth(CID), 0);
  });

  it('loses nothing when the SMSC kills the connection mid-window', async () => {
    const { smsc, store, events, conn } = await rig({ latencyMs: 20 }, { bind_count: 2 });
    const all = parts(CID, 200);
    await store.acceptMessages(all);
    await conn.start();
    await until(() => smsc.counters.submits >= 30, 'some submits');
    smsc.kill();
    await until(() => smsc.counters.submits >= 90, 'more submits');
    smsc.kill();
    await until(() => events.of('accepted').length >= 200, 'every message accepted', 15_000);
    const accepted = events.of('accepted').map((o) => o.id);
    assert.equal(new Set(accepted).size, 200, 'each message accepted once');
    assert.deepEqual(new Set(accepted), new Set(all.map((m) => m.id)));
    assert.equal(events.outcomes.length, 200);
    assert.ok(conn.state().counters.requeued > 0, 'parts in flight were sent again');
    assert.equal(await store.queueDepth(CID), 0);
  });

  it('retries the listed statuses up to the maximum, rejects the others at once', async () => {
    const byText = new Map<string, number>();
    const { smsc, store, events, conn } = await rig(
      {
        submitStatus: (_n, pdu) => {
          const text = pdu.command === 'submit_sm' ? pdu.short_message.toString() : '';
          const seen = (byText.get(text) ?? 0) + 1;
          byText.set(text, seen);
          if (text === 'always') return CommandStatus.ESME_RSYSERR;
          if (text === 'once') return seen === 1 ? CommandStatus.ESME_RMSGQFUL : undefined;
          if (text === 'bad') return CommandStatus.ESME_RINVDSTADR;
          return undefined;
        },
      },
      {
        submit_retry_statuses: ['ESME_RSYSERR', 'ESME_RMSGQFUL'],
        submit_max_retries: 2,
        submit_retry_delay_secs: 0.02,
      },
    );
    const [always] = parts(CID, 1, { short_message: Buffer.from('always') });
    const [once] = parts(CID, 1, { short_message: Buffer.from('once') });
    const [bad] = parts(CID, 1, { short_message: Buffer.from('bad') });
    await store.acceptMessages([always, once, bad]);
    await conn.start();
    await until(() => events.outcomes.length === 3, 'three outcomes');
    const outcome = (id: string) => events.outcomes.find((o) => o.id === id);
    assert.deepEqual(outcome(always.id)?.outcome, { kind: 'rejected', status: CommandStatus.ESME_RSYSERR });
    assert.equal(outcome(always.id)?.attempts, 3);
    assert.equal(byText.get('always'), 3, 'sent once and retried twice');
    assert.equal(outcome(once.id)?.outcome.kind, 'accepted');
    assert.equal(byText.get('once'), 2);
    assert.deepEqual(outcome(bad.id)?.outcome, { kind: 'rejected', status: CommandStatus.ESME_RINVDSTADR });
    assert.equal(byText.get('bad'), 1);
    assert.equal(smsc.counters.submits, 6);
    assert.equal((await store.getMessage(always.id))?.attempts, 2, 'attempts kept in the store across retries');
  });

  it('paces to the configured throughput', async () => {
    const { smsc, store, conn } = await rig({}, { throughput: 40, window: 50 });
    await store.acceptMessages(parts(CID, 200));
    await conn.start();
    await until(() => smsc.counters.submits > 0, 'the first submit');
    const first = smsc.counters.submits;
    await sleep(1000);
    const inOneSecond = smsc.counters.submits - first;
    // 40/s with a burst of 4: about 40 in one second, never anywhere near the 200 queued.
    assert.ok(inOneSecond >= 25 && inOneSecond <= 55, `${inOneSecond} submits in one second at 40/s`);
  });

  it('opens several binds and spreads the window over them', async () => {
    const { smsc, store, events, conn } = await rig({ latencyMs: 20 }, { bind_count: 3, window: 5 });
    await conn.start();
    await until(() => conn.state().binds === 3, 'three binds');
    assert.equal(smsc.sessions().filter((s) => s.bindType === 'transceiver').length, 3);
    await store.acceptMessages(parts(CID, 60));
    conn.notify();
    await until(() => events.of('accepted').length === 60, 'sixty acceptances');
    const sessions = new Set(smsc.submits.map((s) => s.session));
    assert.equal(sessions.size, 3, 'every bind carried traffic');
  });

  it('stops cleanly (unbind), holds while stopped, and starts again', async () => {
    const { smsc, store, events, conn } = await rig({ latencyMs: 30 });
    await store.acceptMessages(parts(CID, 10));
    await conn.start();
    await until(() => smsc.counters.submits >= 3, 'submits');
    await conn.stop();
    assert.equal(conn.state().state, 'stopped');
    // Everything in flight was answered before the unbind: nothing is left `sending`.
    const accepted = events.of('accepted').length;
    assert.equal(accepted + (await store.queueDepth(CID)), 10);
    await until(() => smsc.sessions().length === 0, 'the SMSC saw the session end');
    await store.acceptMessages(parts(CID, 5));
    await sleep(50);
    assert.equal(events.of('accepted').length, accepted, 'nothing sent while stopped');
    await conn.start();
    await until(() => events.of('accepted').length === 15, 'all fifteen');
  });

  it('expires parts past their validity or maximum age instead of sending them', async () => {
    const { smsc, store, events, conn } = await rig({}, { max_age_secs: 60 });
    const [late] = parts(CID, 1, { expires_at: Date.now() - 1 });
    const [old] = parts(CID, 1, { submitted_at: Date.now() - 61_000 });
    const [fresh] = parts(CID, 1);
    await store.acceptMessages([late, old, fresh]);
    await conn.start();
    await until(() => events.outcomes.length === 3, 'three outcomes');
    assert.deepEqual(
      events
        .of('expired')
        .map((o) => o.id)
        .sort(),
      [late.id, old.id].sort(),
    );
    assert.equal(smsc.counters.submits, 1);
  });

  it('answers an inbound deliver_sm only once the gateway kept it, with its status', async () => {
    const { smsc, events, conn } = await rig();
    await conn.start();
    await until(() => conn.isUp(), 'bound');
    let release!: (status: number) => void;
    events.answer = () =>
      new Promise((resolve) => {
        release = resolve;
      });
    let settled = false;
    const sent = smsc.sendMo({ source_addr: '33611', destination_addr: '1234', short_message: 'hi' }).then((s) => {
      settled = true;
      return s;
    });
    await until(() => events.inbound.length === 1, 'the gateway is asked');
    await sleep(50);
    assert.equal(settled, false, 'not answered before the gateway resolved');
    release(CommandStatus.ESME_RX_T_APPN);
    assert.equal(await sent, CommandStatus.ESME_RX_T_APPN);
    events.answer = async () => 0;
    assert.equal(await smsc.sendReceipt('123', 'DELIVRD', { systemId: 'gw' }), 0);
    const pdu = events.inbound[1].pdu;
    assert.equal(pdu.esm_class & 0x04, 0x04);
    assert.equal(pdu.tlvs?.receipted_message_id, '123');
    assert.equal(events.inbound[0].cid, CID);
  });

  it('sends again what a silent SMSC never answered (at-least-once)', async () => {
    const { smsc, store, events, conn } = await rig({}, { response_timeout_secs: 0.2, enquire_link_secs: 0 });
    await conn.start();
    await until(() => conn.isUp(), 'bound');
    smsc.setSilent(true);
    await store.acceptMessages(parts(CID, 3));
    conn.notify();
    await sleep(350);
    assert.equal(events.outcomes.length, 0);
    smsc.setSilent(false);
    await until(() => events.of('accepted').length === 3, 'three acceptances', 5000);
    assert.ok(conn.state().counters.requeued >= 3);
  });

  it('splits message_payload into UDH parts for an SMSC that lacks it', async () => {
    const { smsc, store, events, conn } = await rig({}, { supports_message_payload: false });
    const text = Buffer.from('x'.repeat(300));
    const [m] = parts(CID, 1, { short_message: Buffer.alloc(0), tlvs: encodeTlvs({ message_payload: text }) });
    await store.acceptMessages([m]);
    await conn.start();
    await until(() => events.outcomes.length === 2, 'two part outcomes');
    assert.equal(smsc.submits.length, 2);
    const bodies = smsc.submits.map((s) => (s.pdu.command === 'submit_sm' ? s.pdu.short_message : Buffer.alloc(0)));
    assert.ok(smsc.submits.every((s) => (s.pdu.esm_class & 0x40) !== 0 && s.pdu.tlvs?.message_payload === undefined));
    assert.deepEqual([...bodies[0].subarray(0, 3)], [0x05, 0x00, 0x03]);
    assert.equal(bodies[0][4], 2);
    assert.equal(Buffer.concat(bodies.map((b) => b.subarray(6))).toString(), text.toString());
    assert.deepEqual(
      events.outcomes.map((o) => o.id),
      [m.id, m.id],
    );
  });

  it('binds over TLS', async () => {
    const tls = {
      cert: readFileSync(new URL('../../config/testdata/test-only-cert.pem', import.meta.url)),
      key: readFileSync(new URL('../../config/testdata/test-only-key.pem', import.meta.url)),
    };
    const { store, events, conn } = await rig({ tls }, { tls: true, tls_insecure: true });
    await store.acceptMessages(parts(CID, 1));
    await conn.start();
    await until(() => events.outcomes.length === 1, 'the outcome');
    assert.equal(events.outcomes[0].outcome.kind, 'accepted');
  });

  it('offers the SMSC only the tls_ciphers suites when set', async () => {
    // An SMSC that takes one TLS 1.3 suite only; the connector offers another one only, so they share none.
    const smsc = tlsServer(
      {
        cert: readFileSync(new URL('../../config/testdata/test-only-cert.pem', import.meta.url)),
        key: readFileSync(new URL('../../config/testdata/test-only-key.pem', import.meta.url)),
        ciphers: 'TLS_AES_128_GCM_SHA256',
        minVersion: 'TLSv1.3',
      },
      (socket) => socket.destroy(),
    );
    smsc.on('tlsClientError', () => {});
    smsc.listen(0, '127.0.0.1');
    await once(smsc, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => smsc.close(() => resolve())));
    const { conn } = await rig(
      {},
      {
        port: (smsc.address() as AddressInfo).port,
        tls: true,
        tls_insecure: true,
        tls_ciphers: 'TLS_CHACHA20_POLY1305_SHA256',
      },
    );
    await conn.start();
    await until(() => /handshake failure/i.test(conn.state().last_error ?? ''), 'the TLS refusal');
  });

  it('reports a refused bind and keeps trying', async () => {
    const { smsc, conn } = await rig({ accounts: { gw: 'other' } });
    await conn.start();
    await until(() => (conn.state().last_error ?? '').includes('ESME_RINVPASWD'), 'the refusal');
    assert.equal(conn.state().state, 'unbound');
    await until(() => smsc.counters.connections >= 3, 'retries');
  });

  it('records an outcome again after a store outage', async () => {
    const { store, events, conn } = await rig();
    events.failSubmitted = 2;
    await store.acceptMessages(parts(CID, 1));
    await conn.start();
    await until(() => events.outcomes.length === 1, 'the outcome', 5000);
    assert.equal(events.outcomes[0].outcome.kind, 'accepted');
  });
});

describe('smppc settings', () => {
  it('names the bad key', async () => {
    const { parseSmppcSettings } = await import('./settings.js');
    const base = { host: 'smsc.example', port: 2775, system_id: 'gw' };
    assert.throws(
      () => parseSmppcSettings({ ...base, windw: 5 }),
      (e: unknown) => e instanceof SmppcSettingsError && e.key === 'windw',
    );
    assert.throws(() => parseSmppcSettings({ port: 1, system_id: 'x' }), { key: 'host' });
    assert.throws(() => parseSmppcSettings({ ...base, bind: 'tx' }), { key: 'bind' });
    assert.throws(() => parseSmppcSettings({ ...base, port: 70000 }), { key: 'port' });
    assert.throws(() => parseSmppcSettings({ ...base, system_id: 'x'.repeat(16) }), { key: 'system_id' });
    assert.throws(() => parseSmppcSettings({ ...base, submit_retry_statuses: ['ESME_NOPE'] }), {
      key: 'submit_retry_statuses',
    });
    assert.throws(() => parseSmppcSettings({ ...base, reconnect_delay_secs: 10, reconnect_max_delay_secs: 5 }), {
      key: 'reconnect_max_delay_secs',
    });
    assert.throws(() => parseSmppcSettings({ ...base, dlr_msgid_base: 'octal' }), { key: 'dlr_msgid_base' });
    assert.throws(() => parseSmppcSettings({ ...base, tls_ciphers: 'NOT-A-CIPHER' }), { key: 'tls_ciphers' });
    assert.throws(() => parseSmppcSettings({ ...base, tls_ciphers: '' }), { key: 'tls_ciphers' });
    assert.equal(parseSmppcSettings(base).tls_ciphers, null);
  });

  it('applies the defaults, Jasmin’s retry table and string values', async () => {
    const { parseSmppcSettings } = await import('./settings.js');
    const s = parseSmppcSettings({
      host: 'h',
      port: '2775',
      system_id: 'gw',
      throughput: 0,
      dlr_msgid_base: 1,
      tls: 'yes',
    });
    assert.equal(s.port, 2775);
    assert.equal(s.window, 10);
    assert.equal(s.bind, 'transceiver');
    assert.equal(s.throughput, null);
    assert.equal(s.tls, true);
    assert.equal(s.dlr_msgid_base, 'dec_to_hex');
    assert.deepEqual(s.submit_retry_statuses.get(CommandStatus.ESME_RTHROTTLED), { count: 20, delaySecs: 30 });
    assert.deepEqual(s.submit_retry_statuses.get(CommandStatus.ESME_RMSGQFUL), { count: 2, delaySecs: 180 });
    const t = parseSmppcSettings({
      host: 'h',
      port: 1,
      system_id: 'gw',
      submit_retry_statuses: { ESME_RTHROTTLED: { count: 5, delay: 2 }, '0x45': { count: 1 } },
    });
    assert.deepEqual(
      [...t.submit_retry_statuses.entries()],
      [
        [0x58, { count: 5, delaySecs: 2 }],
        [0x45, { count: 1, delaySecs: 30 }],
      ],
    );
  });
});
