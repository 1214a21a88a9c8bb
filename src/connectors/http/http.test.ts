// The HTTP MO connector end to end, on the real SQLite store and a receiving application on a loopback port: MoRouter
// → HttpMoSink → the running connector → POST/GET with Jasmin's fields; an application failing twice (500, then no
// answer) before accepting gets the MO exactly once; max age gives up with an error line; long MO in any order (UDH
// 8-bit, 16-bit, SAR) are posted once, whole, also across a store reopen between parts; a set that never completes
// is posted with what arrived; settings are checked naming the key.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MoRouter } from '../../gateway/mo.js';
import type { UpstreamDeliver } from '../../gateway/upstream.js';
import type { PduOf } from '../../smpp/codec/index.js';
import { MemoryLogger } from '../../smpp/session/log.js';
import { buildConcatUdh, ESM_CLASS_UDHI, encodeText } from '../../smpp/text/index.js';
import type { SqliteStore } from '../../store/index.js';
import type { ConnectorFactory } from '../manager.js';
import { createHttpConnector, type HttpConnector } from './connector.js';
import { HTTP_MO_PARTS_PREFIX, HTTP_MO_PREFIX, HttpMoSink } from './moSink.js';
import { HttpConnectorSettingsError, parseHttpConnectorSettings } from './settings.js';
import { type App, startApp, tempStore, until } from './testing.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type DeliverSm = PduOf<'deliver_sm'>;

function mo(overrides: Partial<DeliverSm> = {}): DeliverSm {
  return {
    command: 'deliver_sm',
    command_status: 0,
    sequence_number: 1,
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '33600000001',
    dest_addr_ton: 0,
    dest_addr_npi: 0,
    destination_addr: '1234',
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from('hello'),
    ...overrides,
  };
}

/** Splits `bytes` into `n` parts of a long MO, framed by UDH (8 or 16-bit reference) or SAR TLVs. */
function longMo(bytes: Buffer, n: number, how: 'udh8' | 'udh16' | 'sar', ref: number, dataCoding: number): DeliverSm[] {
  const size = Math.ceil(bytes.length / n);
  const out: DeliverSm[] = [];
  for (let i = 0; i < n; i++) {
    const chunk = bytes.subarray(i * size, (i + 1) * size);
    if (how === 'sar') {
      out.push(
        mo({
          data_coding: dataCoding,
          short_message: chunk,
          tlvs: { sar_msg_ref_num: ref, sar_total_segments: n, sar_segment_seqnum: i + 1 },
        }),
      );
    } else {
      const udh = buildConcatUdh(ref, n, i + 1, how === 'udh8' ? 8 : 16);
      out.push(mo({ data_coding: dataCoding, esm_class: ESM_CLASS_UDHI, short_message: Buffer.concat([udh, chunk]) }));
    }
  }
  return out;
}

async function setup(settings: Record<string, unknown> = {}, appFallback?: Parameters<typeof startApp>[0]) {
  const app = await startApp(appFallback);
  const db = tempStore();
  const logger = new MemoryLogger();
  cleanups.push(db.cleanup, app.close);
  const record = {
    cid: 'app',
    type: 'http' as const,
    started: true,
    settings: { url: app.url, retry_delay_secs: 0.02, max_retry_delay_secs: 0.05, timeout_secs: 0.3, ...settings },
  };
  await db.store().putConnector(record);
  await db.store().putMoRoute({ order: 0, type: 'default', targets: [{ kind: 'http', cid: 'app' }], filters: [] });
  let connector: HttpConnector | null = null;
  let sink: HttpMoSink | null = null;
  let router: MoRouter | null = null;
  let n = 0;
  /** (Re)starts the gateway side on the current store: sink, router, connector; as a new process would. */
  const boot = async (store: SqliteStore) => {
    sink = new HttpMoSink({ store, logger, sweepMs: 20, onQueued: () => connector?.notify() });
    sink.start();
    router = new MoRouter({
      store,
      logger,
      dlrExpirySecs: 60,
      onQueued: () => {},
      http: sink,
      idGenerator: () => `mo${++n}`,
    });
    connector = createHttpConnector({ record, store, logger });
    await connector.start();
  };
  const shutdown = async () => {
    await connector?.stop();
    await sink?.stop();
  };
  cleanups.push(shutdown);
  await boot(db.store());
  const route = (pdu: UpstreamDeliver, cid = 'smsc1') => {
    assert.ok(router !== null);
    return router.route(cid, pdu);
  };
  const restart = async () => {
    await shutdown();
    await boot(await db.reopen());
  };
  const pending = async () =>
    (await db.store().pendingDeliveries(`${HTTP_MO_PREFIX}app`)) +
    (await db.store().pendingDeliveries(`${HTTP_MO_PARTS_PREFIX}app`));
  return { app, db, logger, route, restart, pending, connector: () => connector as unknown as HttpConnector };
}

const accepted = (app: App) => app.received.filter((r) => r.answer !== 'hang' && r.answer.status === 200);

describe('HTTP MO connector', () => {
  it("posts an MO with Jasmin's fields and counts it done on 2xx", async () => {
    const t = await setup();
    await t.route(
      mo({
        source_addr: '+21620203060',
        destination_addr: '20203060',
        priority_flag: 2,
        data_coding: 0x08,
        validity_period: '260115120000000+',
        short_message: encodeText('Привет 👋', 0x08),
      }),
    );
    await t.app.waitFor(1);
    assert.equal(t.app.received[0].method, 'POST');
    assert.deepEqual(t.app.received[0].fields, {
      id: 'mo1',
      from: '+21620203060',
      to: '20203060',
      'origin-connector': 'smsc1',
      priority: '2',
      coding: '8',
      validity: '2026-01-15 12:00:00',
      content: 'Привет 👋',
      binary: encodeText('Привет 👋', 0x08).toString('hex'),
    });
    await until(async () => (await t.pending()) === 0, 2000, 'the call removed');
    assert.deepEqual(t.connector().state(), {
      state: 'started',
      binds: 0,
      last_error: null,
      counters: { sent: 1, failed: 0, given_up: 0, in_flight: 0 },
    });
  });

  it('GET puts the fields in the query string; binary codings carry hex content', async () => {
    const t = await setup({ method: 'get' });
    await t.route(mo({ data_coding: 0x04, short_message: Buffer.from([0x00, 0xff, 0x10]) }));
    await t.app.waitFor(1);
    const r = t.app.received[0];
    assert.equal(r.method, 'GET');
    assert.equal(r.fields.content, '00ff10');
    assert.equal(r.fields.binary, '00ff10');
    assert.equal(r.fields.coding, '4');
    assert.equal(r.fields.validity, undefined);
  });

  it('an application failing twice (500, then no answer) before accepting gets the MO exactly once more, nothing lost', async () => {
    const t = await setup();
    t.app.script.push({ status: 500 }, 'hang');
    await t.route(mo({ short_message: Buffer.from('first') }));
    await t.route(mo({ short_message: Buffer.from('second') }));
    await until(async () => (await t.pending()) === 0, 5000, 'both posted');
    assert.deepEqual(
      t.app.received.map((r) => `${r.fields.content}:${r.answer === 'hang' ? 'hang' : r.answer.status}`),
      ['first:500', 'first:hang', 'first:200', 'second:200'],
    );
    assert.deepEqual(
      accepted(t.app).map((r) => r.fields.id),
      ['mo1', 'mo2'],
    );
    const retries = t.logger.lines.filter((l) => l.event === 'http_call_retry');
    assert.deepEqual(
      retries.map((l) => l.fields.message_id),
      ['mo1', 'mo1'],
    );
  });

  it('gives up after max_age_secs with an error line naming the MO id; the connector reports failing meanwhile', async () => {
    const t = await setup({ max_age_secs: 0.25, retry_delay_secs: 0.03, max_retry_delay_secs: 0.03 }, { status: 502 });
    await t.route(mo());
    await until(() => t.connector().state().state === 'failing', 2000, 'failing state');
    assert.equal(t.connector().isUp(), false);
    assert.equal(t.connector().state().last_error, 'HTTP 502');
    await until(() => t.logger.lines.some((l) => l.event === 'http_call_given_up'), 3000, 'the give-up line');
    const line = t.logger.lines.find((l) => l.event === 'http_call_given_up');
    assert.equal(line?.level, 'error');
    assert.equal(line?.fields.message_id, 'mo1');
    assert.equal(await t.pending(), 0);
  });

  it('queued MO go to the connector’s current URL (a fixed URL helps what already waits)', async () => {
    const t = await setup({}, { status: 404 });
    const good = await startApp();
    cleanups.push(good.close);
    await t.route(mo({ short_message: Buffer.from('waiting') }));
    await t.app.waitFor(1);
    await t.connector().stop();
    const record = await t.db.store().getConnector('app');
    assert.ok(record !== null);
    const moved = createHttpConnector({
      record: { ...record, settings: { ...record.settings, url: good.url } },
      store: t.db.store(),
      logger: t.logger,
    });
    cleanups.push(() => moved.stop());
    await moved.start();
    await good.waitFor(1);
    assert.equal(good.received[0].fields.content, 'waiting');
  });

  for (const how of ['udh8', 'udh16', 'sar'] as const) {
    it(`joins a long MO whose parts (${how}) arrive out of order: one POST with the whole text`, async () => {
      const t = await setup();
      // UCS-2 with a surrogate pair (an emoji) cut between two parts.
      const text = 'Part one, part two 😀 and the end of a long message.';
      const bytes = encodeText(text, 0x08);
      const parts = longMo(bytes, 3, how, how === 'udh8' ? 0xab : 0x1234, 0x08);
      for (const i of [2, 0, 1]) await t.route(parts[i]);
      await t.app.waitFor(1);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(t.app.received.length, 1);
      const f = t.app.received[0].fields;
      assert.equal(f.content, text);
      assert.equal(f.binary, bytes.toString('hex'));
      assert.equal(f.id, 'mo2', 'the id of part 1');
      assert.ok(t.logger.lines.some((l) => l.event === 'mo_reassembled' && l.fields.total === 3));
      await until(async () => (await t.pending()) === 0, 2000, 'parts and call removed');
    });
  }

  it('keeps the parts across a restart (store reopened between parts) and posts the whole GSM message once', async () => {
    const t = await setup();
    const text = 'GSM text with {braces} and € across parts, sent over two processes';
    const bytes = encodeText(text, 0x00);
    const parts = longMo(bytes, 4, 'udh8', 7, 0x00);
    await t.route(parts[3]);
    await t.route(parts[0]);
    await t.restart();
    assert.equal(t.app.received.length, 0);
    await t.route(parts[2]);
    await t.route(parts[1]);
    await t.app.waitFor(1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(t.app.received.length, 1);
    assert.equal(t.app.received[0].fields.content, text);
  });

  it('parts of different messages (other reference or sender) never mix, and a part sent again is ignored', async () => {
    const t = await setup();
    const a = longMo(Buffer.from('AAAAaaaa'), 2, 'udh8', 1, 0);
    const b = longMo(Buffer.from('BBBBbbbb'), 2, 'udh8', 2, 0);
    const c = longMo(Buffer.from('CCCCcccc'), 2, 'udh8', 1, 0).map((p) => ({ ...p, source_addr: '999' }));
    for (const p of [a[0], b[1], c[0], a[0], a[1], c[1], b[0], a[1]]) await t.route(p);
    await t.app.waitFor(3);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(t.app.received.map((r) => r.fields.content).sort(), ['AAAAaaaa', 'BBBBbbbb', 'CCCCcccc']);
    assert.equal(t.app.received.find((r) => r.fields.content === 'CCCCcccc')?.fields.from, '999');
  });

  it('posts an incomplete long MO with what arrived after reassembly_timeout_secs (across a restart), with a warn line', async () => {
    const t = await setup({ reassembly_timeout_secs: 0.15 });
    const parts = longMo(Buffer.from('one two three'), 3, 'sar', 42, 0);
    await t.route(parts[0]);
    await t.restart(); // the new process finds the waiting part
    await t.route(parts[2]);
    await t.app.waitFor(1, 3000);
    assert.equal(t.app.received[0].fields.content, 'one tree', "parts 1 ('one t') and 3 ('ree') of 3");
    const line = t.logger.lines.find((l) => l.event === 'mo_incomplete_posted');
    assert.equal(line?.level, 'warn');
    assert.deepEqual(line?.fields.missing, [2]);
    await until(async () => (await t.pending()) === 0, 2000, 'parts removed');
  });

  it('start() refuses bad settings naming the key, and the state says so', async () => {
    const t = await setup();
    const bad = createHttpConnector({
      record: { cid: 'bad', type: 'http', started: true, settings: { url: 'ftp://x/' } },
      store: t.db.store(),
      logger: t.logger,
    });
    await assert.rejects(bad.start(), (e: unknown) => e instanceof HttpConnectorSettingsError && e.key === 'url');
    assert.equal(bad.state().state, 'error');
    assert.equal(bad.isUp(), false);
  });
});

describe('HTTP connector settings', () => {
  it('createHttpConnector is a factory the connector manager can register for type http', () => {
    const factory: ConnectorFactory = createHttpConnector;
    assert.equal(typeof factory, 'function');
  });

  it('applies defaults and reads numbers given as strings', () => {
    assert.deepEqual(parseHttpConnectorSettings({ url: 'https://app.example/mo', timeout_secs: '5', method: 'get' }), {
      url: 'https://app.example/mo',
      method: 'GET',
      timeout_secs: 5,
      max_age_secs: 86_400,
      retry_delay_secs: 10,
      max_retry_delay_secs: 600,
      concurrency: 1,
      ack_body: null,
      reassembly_timeout_secs: 300,
    });
  });

  it('names the bad key', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'mailto:a@b' }, 'url'],
      [{ url: 'http://a/', method: 'PUT' }, 'method'],
      [{ url: 'http://a/', timeout_secs: 0 }, 'timeout_secs'],
      [{ url: 'http://a/', max_age_secs: -1 }, 'max_age_secs'],
      [{ url: 'http://a/', retry_delay_secs: 'soon' }, 'retry_delay_secs'],
      [{ url: 'http://a/', retry_delay_secs: 60, max_retry_delay_secs: 30 }, 'max_retry_delay_secs'],
      [{ url: 'http://a/', concurrency: 1.5 }, 'concurrency'],
      [{ url: 'http://a/', ack_body: 3 }, 'ack_body'],
      [{ url: 'http://a/', reassembly_timeout_secs: 0 }, 'reassembly_timeout_secs'],
      [{ url: 'http://a/', urll: 'http://b/' }, 'urll'],
    ];
    for (const [raw, key] of cases) {
      assert.throws(
        () => parseHttpConnectorSettings(raw),
        (e: unknown) => e instanceof HttpConnectorSettingsError && e.key === key && e.message.includes(key),
        JSON.stringify(raw),
      );
    }
  });
});
