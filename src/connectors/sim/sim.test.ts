// The simulator connector: its settings, its outcomes and receipts through UpstreamEvents, MO generation, stop(), and
// the whole path end to end (ESME submit over TCP → pipeline → sim → receipt engine → delivery engine → the ESME).

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Esme } from '../../../test/helpers/esme.js';
import type { GatewayPrincipal } from '../../gateway/accounts.js';
import { Accounts } from '../../gateway/accounts.js';
import { DeliveryEngine } from '../../gateway/delivery.js';
import { Gateway } from '../../gateway/gateway.js';
import {
  defaultRoute,
  makeUser,
  memoryLogger,
  PASSWORD,
  sqliteStoreWith,
  submission,
} from '../../gateway/pipeline.fixtures.js';
import { MtPipeline } from '../../gateway/pipeline.js';
import { parseReceipt } from '../../gateway/receipt.js';
import { ReceiptEngine } from '../../gateway/receipts.js';
import type { SubmitOutcome, UpstreamDeliver, UpstreamEvents } from '../../gateway/upstream.js';
import type { PduOf } from '../../smpp/codec/index.js';
import { SmppServer } from '../../smpp/server/server.js';
import { MessageState } from '../../store/model.js';
import { createSimConnector, parseSimSettings, SIM_DEFAULTS, type SimConnector, SimSettingsError } from './sim.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Records what the simulator reports, answering deliver_sm with `answer`. */
class RecordingEvents implements UpstreamEvents {
  readonly outcomes: { id: string; outcome: SubmitOutcome }[] = [];
  readonly delivers: UpstreamDeliver[] = [];
  answer = 0;
  async submitted(_cid: string, message: { id: string }, outcome: SubmitOutcome): Promise<void> {
    this.outcomes.push({ id: message.id, outcome });
  }
  async delivered(_cid: string, pdu: UpstreamDeliver): Promise<number> {
    this.delivers.push(pdu);
    return this.answer;
  }
}

async function queueWith(count: number, fields: Parameters<typeof submission>[0] = {}) {
  const { store, cleanup } = await sqliteStoreWith([await makeUser()], [defaultRoute(0, 'sim')]);
  cleanups.push(cleanup);
  const logger = memoryLogger();
  let n = 0;
  const pipeline = new MtPipeline({
    store,
    accounts: new Accounts({ store, logger }),
    logger,
    idGenerator: () => `m${++n}`,
  });
  for (let i = 0; i < count; i++) {
    const r = await pipeline.submit({ id: 'u1' }, submission({ source_addr: '999', ...fields }), 'smpps');
    assert.ok(r.ok);
  }
  return store;
}

function run(sim: SimConnector): SimConnector {
  sim.start();
  cleanups.push(() => sim.stop());
  return sim;
}

describe('parseSimSettings', () => {
  it('defaults to everything DELIVRD; delivered_percent is what the failure shares leave', () => {
    assert.deepEqual(parseSimSettings({}), SIM_DEFAULTS);
    const s = parseSimSettings({ undeliverable_percent: 20, expired_percent: '5', latency_ms: 0 });
    assert.equal(s.delivered_percent, 75);
    assert.equal(s.expired_percent, 5);
    assert.equal(s.latency_ms, 0);
  });

  it('names the bad key', () => {
    const bad = (settings: Record<string, unknown>, key: string) =>
      assert.throws(
        () => parseSimSettings(settings),
        (e: unknown) => e instanceof SimSettingsError && e.key === key,
      );
    bad({ host: 'x' }, 'host');
    bad({ latency_ms: -1 }, 'latency_ms');
    bad({ latency_ms: 'soon' }, 'latency_ms');
    bad({ delivered_percent: 90 }, 'delivered_percent');
    bad({ undeliverable_percent: 101 }, 'undeliverable_percent');
    bad({ undeliverable_percent: 60, expired_percent: 60 }, 'undeliverable_percent');
    bad({ window: 0 }, 'window');
    bad({ mo_source_addr: 3 }, 'mo_source_addr');
  });
});

describe('sim connector', () => {
  it('accepts every queued part with its own upstream id, then sends a DELIVRD receipt for it', async () => {
    const store = await queueWith(5);
    const events = new RecordingEvents();
    run(
      createSimConnector({
        cid: 'sim',
        settings: { latency_ms: 1, receipt_delay_ms: 10, poll_ms: 10 },
        store,
        events,
      }),
    );
    await until('5 receipts', () => events.delivers.length === 5);
    assert.deepEqual(events.outcomes.map((o) => o.id).sort(), ['m1', 'm2', 'm3', 'm4', 'm5']);
    const ids = events.outcomes.map((o) => (o.outcome.kind === 'accepted' ? o.outcome.upstreamId : ''));
    assert.equal(new Set(ids).size, 5);
    for (const pdu of events.delivers as PduOf<'deliver_sm'>[]) {
      assert.equal(pdu.esm_class, 0x04);
      assert.ok(ids.includes(pdu.tlvs?.receipted_message_id ?? ''));
      assert.equal(pdu.tlvs?.message_state, MessageState.DELIVERED);
      const text = parseReceipt(pdu.short_message.toString());
      assert.equal(text?.id, pdu.tlvs?.receipted_message_id);
      assert.equal(text?.stat, 'DELIVRD');
      assert.equal(pdu.destination_addr, '999', 'addressed back to the sender');
    }
  });

  it('draws receipt states from the mix, rejects at submit when told, and expires parts past their validity', async () => {
    const store = await queueWith(4);
    const events = new RecordingEvents();
    const draws = [0.1, 0.9, 0.3, 0.6, 0.2, 0.95, 0.5, 0.4];
    let i = 0;
    const sim = run(
      createSimConnector({
        cid: 'sim',
        settings: {
          latency_ms: 0,
          receipt_delay_ms: 5,
          poll_ms: 10,
          window: 1,
          submit_reject_percent: 25,
          undeliverable_percent: 50,
          failure_error_code: 34,
        },
        store,
        events,
        random: () => draws[i++ % draws.length],
      }),
    );
    await until('4 outcomes', () => events.outcomes.length === 4);
    await until('receipts', () => sim.state().receipts_pending === 0 && sim.state().in_flight === 0);
    // Draw order per part: reject? then (accepted) the receipt state.
    // m1: 0.1 → rejected. m2: 0.9 no, state 0.3 → UNDELIV. m3: 0.6 no, state 0.2 → UNDELIV. m4: 0.95 no, 0.5 → DELIVRD.
    assert.deepEqual(
      events.outcomes.map((o) => o.outcome.kind),
      ['rejected', 'accepted', 'accepted', 'accepted'],
    );
    const states = (events.delivers as PduOf<'deliver_sm'>[]).map((p) => p.tlvs?.message_state);
    assert.deepEqual(states, [MessageState.UNDELIVERABLE, MessageState.UNDELIVERABLE, MessageState.DELIVERED]);
    const undeliv = events.delivers[0] as PduOf<'deliver_sm'>;
    assert.deepEqual(undeliv.tlvs?.network_error_code, { network_type: 3, error_code: 34 });
    assert.match(undeliv.short_message.toString(), /stat:UNDELIV err:034/);
    assert.deepEqual(sim.state().rejected, 1);

    const old = await queueWith(1, { validity_period: '000000000001000R' });
    const late = new RecordingEvents();
    const clock = {
      now: () => Date.now() + 10_000,
      setTimeout,
      clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
    };
    run(createSimConnector({ cid: 'sim', settings: { latency_ms: 0, poll_ms: 10 }, store: old, events: late, clock }));
    await until('expired outcome', () => late.outcomes.length === 1);
    assert.equal(late.outcomes[0].outcome.kind, 'expired');
  });

  it('sends a receipt the gateway could not keep again, and what it owes at stop() at once', async () => {
    const store = await queueWith(1);
    const events = new RecordingEvents();
    events.answer = 0x64; // ESME_RX_T_APPN
    const sim = run(
      createSimConnector({ cid: 'sim', settings: { latency_ms: 0, receipt_delay_ms: 5, poll_ms: 10 }, store, events }),
    );
    await until('first refused receipt', () => events.delivers.length === 1);
    events.answer = 0;
    await until('sent again', () => events.delivers.length === 2, 3000);
    assert.equal(sim.state().receipts_sent, 1);

    const store2 = await queueWith(1);
    const events2 = new RecordingEvents();
    const slow = createSimConnector({
      cid: 'sim',
      settings: { latency_ms: 0, receipt_delay_ms: 3_600_000, poll_ms: 10 },
      store: store2,
      events: events2,
    });
    slow.start();
    await until('accepted', () => events2.outcomes.length === 1);
    assert.equal(slow.state().receipts_pending, 1);
    await slow.stop();
    assert.equal(events2.delivers.length, 1, 'owed receipt sent at stop');
    assert.equal(slow.state().status, 'stopped');
  });

  it('generates MO every mo_every_secs to the configured address', async () => {
    const store = await queueWith(0);
    const events = new RecordingEvents();
    const sim = run(
      createSimConnector({
        cid: 'sim',
        settings: { mo_every_secs: 0.02, mo_source_addr: '3361', mo_destination_addr: '777', mo_text: 'ping' },
        store,
        events,
      }),
    );
    await until('2 MO', () => events.delivers.length >= 2);
    const mo = events.delivers[0] as PduOf<'deliver_sm'>;
    assert.deepEqual(
      [mo.esm_class, mo.source_addr, mo.destination_addr, mo.short_message.toString()],
      [0, '3361', '777', 'ping'],
    );
    assert.ok(sim.state().mo_sent >= 2);
  });
});

describe('sim connector end to end with the pipeline', () => {
  it('an ESME submits over TCP and gets the receipt the simulator produced, per part', async () => {
    const { store, cleanup } = await sqliteStoreWith([await makeUser()], [defaultRoute(0, 'sim')]);
    cleanups.push(cleanup);
    const logger = memoryLogger();
    const gateway = new Gateway({ store, logger });
    const server = new SmppServer<GatewayPrincipal>({
      id: 'smpps_01',
      bind: '127.0.0.1',
      port: 0,
      authenticate: gateway.authenticator,
      handlers: gateway.handlers,
      timers: { enquireLinkMs: 0, inactivityMs: 0, sessionInitMs: 10_000, responseMs: 2000, pduReadMs: 0 },
      bindSlowdown: { baseMs: 1, maxMs: 1 },
    });
    gateway.attachServer(server);
    const port = (await server.listen()).tcp!.port;
    const delivery = new DeliveryEngine({
      store,
      pickSession: (uid) => server.nextReceiver(uid),
      logger,
      sweepMs: 100,
    });
    const receipts = new ReceiptEngine({
      store,
      connectorSettings: () => ({}),
      dlrExpirySecs: 600,
      logger,
      onQueued: (uid) => delivery.notify(uid),
    });
    const sim = createSimConnector({
      cid: 'sim',
      settings: { latency_ms: 2, receipt_delay_ms: 20, poll_ms: 10 },
      store,
      events: receipts,
    });
    delivery.start();
    sim.start();
    const esme = await Esme.connect({ port });
    cleanups.push(async () => {
      esme.destroy();
      await sim.stop();
      await delivery.stop();
      await server.close();
      await gateway.close();
    });
    assert.equal((await esme.bind('transceiver', 'user1', PASSWORD)).command_status, 0);
    const ids: string[] = [];
    for (let part = 1; part <= 3; part++) {
      const udh = Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x03, part]);
      const resp = await esme.submit({
        esm_class: 0x40,
        registered_delivery: 1,
        short_message: Buffer.concat([udh, Buffer.from(`part ${part}`)]),
      });
      assert.equal(resp.command_status, 0);
      ids.push((resp as PduOf<'submit_sm_resp'>).message_id);
    }
    const isReceipt = (p: { command: string }) => p.command === 'deliver_sm';
    await until('3 receipts', () => esme.received.filter(isReceipt).length === 3);
    const got = esme.received.filter(isReceipt) as PduOf<'deliver_sm'>[];
    assert.deepEqual(got.map((p) => p.tlvs?.receipted_message_id).sort(), [...ids].sort());
    for (const p of got) {
      const text = p.short_message.toString();
      assert.match(
        text,
        new RegExp(`^id:${p.tlvs?.receipted_message_id} sub:001 dlvrd:001 .* stat:DELIVRD err:000 text:part \\d$`),
      );
    }
    for (const id of ids) {
      const m = await store.getMessage(id);
      assert.equal(m?.status, 'final');
      assert.equal(m?.state, MessageState.DELIVERED);
    }
    await until('acked', async () => (await store.pendingDeliveries('u1')) === 0);
  });
});
