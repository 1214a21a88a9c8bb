import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ascii, cstr, pdu as rawPdu, sm, u8 } from '../../../test/helpers/bytes.js';
import { Esme, generic, submitDefaults } from '../../../test/helpers/esme.js';
import { CommandId, encodePdu, type Pdu, type PduOf, CommandStatus as S } from '../codec/index.js';
import { ManualClock } from './clock.js';
import { ServerCounters } from './counters.js';
import { duplexPair } from './duplexPair.js';
import { InvalidStateError, ResponseTimeoutError, SessionClosedError } from './errors.js';
import { MemoryLogger } from './log.js';
import { type Handlers, type Principal, type SessionOptions, SmppSession } from './session.js';

const tick = () => new Promise<void>((r) => setImmediate(r));
async function ticks(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await tick();
}

/** A promise with its resolve function, for handlers the test releases by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const acceptAll: Handlers = {
  submit_sm: () => ({ message_id: 'm1' }),
  data_sm: () => ({ message_id: 'd1' }),
};

function setup(options: Partial<SessionOptions> = {}, highWaterMark?: number) {
  const clock = new ManualClock();
  const [serverEnd, esmeEnd] = duplexPair(highWaterMark);
  const logger = new MemoryLogger();
  const counters = new ServerCounters();
  const binds: { system_id: string; password: string; bindType: string; peerAddress: string }[] = [];
  const session = new SmppSession<Principal>(serverEnd, {
    role: 'server',
    systemId: 'smpps_01',
    peerAddress: '192.0.2.7',
    clock,
    logger,
    counters,
    timers: { enquireLinkMs: 0, inactivityMs: 0, sessionInitMs: 0, responseMs: 10_000, pduReadMs: 0 },
    authenticate: async (r) => {
      binds.push({ system_id: r.system_id, password: r.password, bindType: r.bindType, peerAddress: r.peerAddress });
      return r.password === 'secret' ? { status: 0, principal: { id: r.system_id } } : { status: S.ESME_RINVPASWD };
    },
    handlers: acceptAll,
    ...options,
  });
  const esme = new Esme(esmeEnd);
  return { clock, session, esme, logger, counters, binds, serverEnd, esmeEnd };
}

async function bound(type: 'transmitter' | 'receiver' | 'transceiver', options: Partial<SessionOptions> = {}) {
  const s = setup(options);
  const r = await s.esme.bind(type, 'alice', 'secret');
  assert.equal(r.command_status, 0);
  return s;
}

describe('SmppSession: binds (SPEC.md §2)', () => {
  for (const type of ['transmitter', 'receiver', 'transceiver'] as const) {
    it(`bind_${type}: ROK with system_id = the server id and sc_interface_version 0x34`, async () => {
      const { esme, session, binds, counters } = setup();
      const r = (await esme.bind(type, 'alice', 'secret')) as PduOf<'bind_transmitter_resp'>;
      assert.equal(r.command, `bind_${type}_resp`);
      assert.equal(r.command_status, 0);
      assert.equal(r.system_id, 'smpps_01');
      assert.equal(r.tlvs?.sc_interface_version, 0x34);
      assert.equal(session.state, { transmitter: 'BOUND_TX', receiver: 'BOUND_RX', transceiver: 'BOUND_TRX' }[type]);
      assert.deepEqual(binds, [{ system_id: 'alice', password: 'secret', bindType: type, peerAddress: '192.0.2.7' }]);
      assert.equal(session.principal?.id, 'alice');
      const key = { transmitter: 'bound_tx_count', receiver: 'bound_rx_count', transceiver: 'bound_trx_count' }[type];
      assert.equal(counters.snapshot()[key as 'bound_tx_count'], 1);
    });
  }

  it('a refused bind answers the authenticator status with no body and leaves the socket open for another try', async () => {
    const { esme, session } = setup();
    const r = await esme.bind('transmitter', 'alice', 'wrong');
    assert.equal(r.command_status, S.ESME_RINVPASWD);
    assert.equal(session.state, 'OPEN');
    assert.equal((await esme.bind('transmitter', 'alice', 'secret')).command_status, 0);
    assert.equal(session.state, 'BOUND_TX');
  });

  it('a second bind when bound: ESME_RALYBND, still bound', async () => {
    const { esme, session } = await bound('transceiver');
    assert.equal((await esme.bind('receiver', 'alice', 'secret')).command_status, S.ESME_RALYBND);
    assert.equal(session.state, 'BOUND_TRX');
  });

  it('two binds racing: the second to finish gets ESME_RALYBND', async () => {
    const { esme, session } = setup();
    const [a, b] = await Promise.all([
      esme.bind('transmitter', 'alice', 'secret'),
      esme.bind('receiver', 'alice', 'secret'),
    ]);
    assert.deepEqual([a.command_status, b.command_status], [0, S.ESME_RALYBND]);
    assert.equal(session.state, 'BOUND_TX');
  });

  it('the admitter refuses synchronously (max_bindings): ESME_RBINDFAIL, not bound', async () => {
    const { esme, session } = setup({ admit: () => S.ESME_RBINDFAIL });
    assert.equal((await esme.bind('transmitter', 'alice', 'secret')).command_status, S.ESME_RBINDFAIL);
    assert.equal(session.state, 'OPEN');
  });

  it('an authenticator that throws or is missing: ESME_RBINDFAIL, session kept', async () => {
    const a = setup({
      authenticate: () => Promise.reject(new Error('store down')),
    });
    assert.equal((await a.esme.bind('transmitter', 'x', 'y')).command_status, S.ESME_RBINDFAIL);
    assert.equal(a.session.state, 'OPEN');
    const b = setup({ authenticate: undefined });
    assert.equal((await b.esme.bind('transmitter', 'x', 'y')).command_status, S.ESME_RBINDFAIL);
  });
});

describe('SmppSession: logs', () => {
  it('every line carries the session id and peer; once bound also system_id; request lines their sequence', async () => {
    const { esme, session, logger } = await bound('transmitter');
    await esme.submit(); // fine
    esme.send(generic(0x00000077, 0, 4242));
    await esme.waitFor((p) => p.command === 'generic_nack');
    session.close('test');
    const b = logger.events('bound')[0].fields;
    assert.deepEqual([b.session, b.peer, b.system_id, b.sequence], [session.id, '192.0.2.7', 'alice', 1]);
    const d = logger.events('decode_error')[0].fields;
    assert.deepEqual([d.session, d.system_id, d.sequence], [session.id, 'alice', 4242]);
    const c = logger.events('session_close')[0].fields;
    assert.deepEqual([c.session, c.peer, c.system_id, c.reason], [session.id, '192.0.2.7', 'alice', 'test']);
  });
});

describe('SmppSession: the gate (SPEC.md §2 table)', () => {
  it('enquire_link is answered ROK before bind and when bound', async () => {
    const { esme } = setup();
    assert.equal((await esme.enquireLink()).command, 'enquire_link_resp');
    assert.equal((await esme.enquireLink()).command_status, 0);
    await esme.bind('receiver', 'alice', 'secret');
    assert.equal((await esme.enquireLink()).command_status, 0);
  });

  it('submit_sm before bind and on a receiver bind: ESME_RINVBNDSTS; on TX and TRX: the handler answers', async () => {
    const open = setup();
    const r0 = await open.esme.submit();
    assert.deepEqual([r0.command, r0.command_status], ['submit_sm_resp', S.ESME_RINVBNDSTS]);
    const rx = await bound('receiver');
    assert.equal((await rx.esme.submit()).command_status, S.ESME_RINVBNDSTS);
    for (const type of ['transmitter', 'transceiver'] as const) {
      const s = await bound(type);
      const r = (await s.esme.submit()) as PduOf<'submit_sm_resp'>;
      assert.deepEqual([r.command_status, r.message_id], [0, 'm1']);
    }
  });

  it('data_sm: as submit_sm, answered with data_sm_resp; refused on RX', async () => {
    const tx = await bound('transmitter');
    const dataSm = {
      command: 'data_sm' as const,
      service_type: '',
      source_addr_ton: 0,
      source_addr_npi: 0,
      source_addr: '1',
      dest_addr_ton: 0,
      dest_addr_npi: 0,
      destination_addr: '2',
      esm_class: 0,
      registered_delivery: 0,
      data_coding: 0,
      tlvs: { message_payload: Buffer.from('hi') },
    };
    const r = (await tx.esme.request(dataSm)) as PduOf<'data_sm_resp'>;
    assert.deepEqual([r.command, r.command_status, r.message_id], ['data_sm_resp', 0, 'd1']);
    const rx = await bound('receiver');
    assert.equal((await rx.esme.request(dataSm)).command_status, S.ESME_RINVBNDSTS);
  });

  it('submit_multi, query_sm, cancel_sm, replace_sm reach their handlers; a command with no handler: ESME_RINVCMDID', async () => {
    const { esme } = await bound('transceiver', {
      handlers: {
        submit_multi: () => ({
          command_status: 0,
          message_id: 'mm',
          unsuccess_sme: [{ dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '999', error_status_code: 0x0b }],
        }),
        query_sm: (p) => ({ message_id: p.message_id, final_date: '', message_state: 2, error_code: 0 }),
        cancel_sm: () => S.ESME_RCANCELFAIL,
      },
    });
    const multi = (await esme.request({
      ...submitDefaults(),
      command: 'submit_multi',
      dest_address: [
        { dest_flag: 1, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '111' },
        { dest_flag: 1, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '999' },
      ],
    } as never)) as PduOf<'submit_multi_resp'>;
    assert.equal(multi.message_id, 'mm');
    assert.deepEqual(
      multi.unsuccess_sme.map((u) => u.destination_addr),
      ['999'],
    );
    const q = (await esme.request({
      command: 'query_sm',
      message_id: 'abc',
      source_addr_ton: 0,
      source_addr_npi: 0,
      source_addr: '',
    })) as PduOf<'query_sm_resp'>;
    assert.deepEqual([q.command, q.message_id, q.message_state], ['query_sm_resp', 'abc', 2]);
    const c = await esme.request({
      command: 'cancel_sm',
      service_type: '',
      message_id: 'abc',
      source_addr_ton: 0,
      source_addr_npi: 0,
      source_addr: '',
      dest_addr_ton: 0,
      dest_addr_npi: 0,
      destination_addr: '',
    });
    assert.deepEqual([c.command, c.command_status], ['cancel_sm_resp', S.ESME_RCANCELFAIL]);
    const rep = await esme.request({
      command: 'replace_sm',
      message_id: 'abc',
      source_addr_ton: 0,
      source_addr_npi: 0,
      source_addr: '',
      schedule_delivery_time: '',
      validity_period: '',
      registered_delivery: 0,
      sm_default_msg_id: 0,
      short_message: Buffer.from('x'),
    });
    assert.deepEqual([rep.command, rep.command_status], ['replace_sm_resp', S.ESME_RINVCMDID]);
  });

  it('deliver_sm from an ESME: deliver_sm_resp ESME_RINVCMDID; outbind and alert_notification: generic_nack; connection kept', async () => {
    const { esme, session } = await bound('transceiver');
    const d = await esme.request({ ...submitDefaults(), command: 'deliver_sm' });
    assert.deepEqual([d.command, d.command_status], ['deliver_sm_resp', S.ESME_RINVCMDID]);
    const o = await esme.request({ command: 'outbind', system_id: 'x', password: 'y' });
    assert.deepEqual([o.command, o.command_status], ['generic_nack', S.ESME_RINVCMDID]);
    const a = await esme.request({
      command: 'alert_notification',
      source_addr_ton: 0,
      source_addr_npi: 0,
      source_addr: '1',
      esme_addr_ton: 0,
      esme_addr_npi: 0,
      esme_addr: '2',
    });
    assert.deepEqual([a.command, a.command_status], ['generic_nack', S.ESME_RINVCMDID]);
    assert.equal(session.state, 'BOUND_TRX');
    assert.equal((await esme.submit()).command_status, 0);
  });

  it('an unknown command_id: generic_nack ESME_RINVCMDID with its sequence, connection kept', async () => {
    const { esme, session } = await bound('transmitter');
    esme.send(generic(0x00000077, 0, 4242));
    const nack = await esme.waitFor((p) => p.command === 'generic_nack');
    assert.deepEqual([nack.command_status, nack.sequence_number], [S.ESME_RINVCMDID, 4242]);
    assert.equal(session.state, 'BOUND_TX');
    assert.equal((await esme.submit()).command_status, 0);
  });

  // Bodies built with the independent byte builder: one bad field each, answered with its own status.
  const body = (o: Partial<Record<string, number[]>> = {}) => [
    ...(o.service_type ?? cstr('')),
    ...u8(1),
    ...u8(1),
    ...(o.source_addr ?? cstr('12345')),
    ...u8(1),
    ...u8(1),
    ...(o.destination_addr ?? cstr('336')),
    ...u8(0),
    ...u8(0),
    ...u8(0),
    ...(o.schedule_delivery_time ?? cstr('')),
    ...(o.validity_period ?? cstr('')),
    ...u8(0),
    ...u8(0),
    ...u8(0),
    ...u8(0),
    ...(o.sm ?? sm('hi')),
  ];
  const cases: [string, Partial<Record<string, number[]>>, number][] = [
    ['source_addr too long', { source_addr: cstr('1'.repeat(21)) }, S.ESME_RINVSRCADR],
    ['destination_addr too long', { destination_addr: cstr('1'.repeat(30)) }, S.ESME_RINVDSTADR],
    ['service_type too long', { service_type: cstr('abcdefg') }, S.ESME_RINVSERTYP],
    ['schedule_delivery_time malformed', { schedule_delivery_time: cstr('not-a-time-00000') }, S.ESME_RINVSCHED],
    ['validity_period malformed', { validity_period: cstr('abcdefghijklmnop') }, S.ESME_RINVEXPIRY],
    ['sm_length beyond the body', { sm: [200, ...ascii('short')] }, S.ESME_RINVMSGLEN],
  ];
  for (const [name, fields, status] of cases) {
    it(`a field error (${name}): submit_sm_resp with its status, connection kept`, async () => {
      const { esme, session } = await bound('transmitter');
      esme.send(rawPdu(CommandId.submit_sm, 0, 77, body(fields)));
      const r = await esme.waitFor((p) => p.sequence_number === 77);
      assert.deepEqual([r.command, r.command_status], ['submit_sm_resp', status]);
      assert.equal(session.state, 'BOUND_TX');
      assert.equal((await esme.submit()).command_status, 0);
    });
  }

  it('a destination_addr with no terminator before the end of the PDU: ESME_RINVDSTADR, connection kept', async () => {
    const { esme, session } = await bound('transmitter');
    esme.send(rawPdu(CommandId.submit_sm, 0, 78, cstr(''), u8(1), u8(1), cstr('12345'), u8(1), u8(1), ascii('3361')));
    const r = await esme.waitFor((p) => p.sequence_number === 78);
    assert.deepEqual([r.command, r.command_status], ['submit_sm_resp', S.ESME_RINVDSTADR]);
    assert.equal(session.state, 'BOUND_TX');
  });

  for (const [name, length] of [
    ['command_length 0', 0],
    ['command_length 15', 15],
    ['command_length over the maximum', 70_000],
  ] as const) {
    it(`${name}: generic_nack ESME_RINVCMDLEN, then close`, async () => {
      const { esme, session } = await bound('transmitter');
      const b = generic(CommandId.submit_sm, 0, 9);
      b.writeUInt32BE(length, 0);
      esme.send(b);
      const nack = await esme.waitFor((p) => p.command === 'generic_nack');
      assert.equal(nack.command_status, S.ESME_RINVCMDLEN);
      await esme.closed;
      assert.equal(session.state, 'CLOSED');
      assert.equal(await session.closed, 'framing error');
    });
  }

  it('an HTTP request: framing fails at once, generic_nack, close, nothing thrown', async () => {
    const { esme, session } = setup();
    esme.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const nack = await esme.waitFor((p) => p.command === 'generic_nack');
    assert.equal(nack.command_status, S.ESME_RINVCMDLEN);
    await esme.closed;
    assert.equal(session.state, 'CLOSED');
  });

  it('a handler that throws or rejects: ESME_RSYSERR, session goes on', async () => {
    let n = 0;
    const { esme } = await bound('transmitter', {
      handlers: {
        submit_sm: () => {
          n++;
          if (n === 1) throw new Error('boom');
          if (n === 2) return Promise.reject(new Error('async boom'));
          return { message_id: 'ok' };
        },
      },
    });
    assert.equal((await esme.submit()).command_status, S.ESME_RSYSERR);
    assert.equal((await esme.submit()).command_status, S.ESME_RSYSERR);
    assert.equal((await esme.submit()).command_status, 0);
  });

  it('counts MT requests and their outcomes (ok, throttled, other) on the server and the user', async () => {
    let n = 0;
    const { esme, counters } = await bound('transmitter', {
      handlers: { submit_sm: () => [{ message_id: 'a' }, S.ESME_RTHROTTLED, S.ESME_RINVDSTADR][n++ % 3] },
    });
    for (let i = 0; i < 3; i++) await esme.submit();
    await esme.submit(); // ok again
    const s = counters.snapshot();
    assert.deepEqual(
      [s.submit_sm_request_count, s.submit_sm_count, s.throttling_error_count, s.other_submit_error_count],
      [4, 2, 1, 1],
    );
    assert.equal(counters.userSnapshot('alice')!.submit_sm_count, 2);
  });
});

describe('SmppSession: concurrency and back-pressure', () => {
  it('requests are processed concurrently and answered as each completes', async () => {
    const gates = [deferred<number>(), deferred<number>()];
    let i = 0;
    const { esme } = await bound('transmitter', {
      handlers: { submit_sm: () => gates[i++].promise.then((id) => ({ message_id: String(id) })) },
    });
    const first = esme.submit();
    const second = esme.submit();
    await ticks();
    gates[1].resolve(2);
    const r2 = (await second) as PduOf<'submit_sm_resp'>;
    assert.equal(r2.message_id, '2');
    gates[0].resolve(1);
    assert.equal(((await first) as PduOf<'submit_sm_resp'>).message_id, '1');
  });

  it('a slow handler under a flood: reading pauses at maxInflight, nothing is dropped, every request is answered', async () => {
    const waiting: (() => void)[] = [];
    let maxSeen = 0;
    let active = 0;
    const { esme, session } = await bound('transmitter', {
      maxInflight: 8,
      handlers: {
        submit_sm: (p) =>
          new Promise((resolve) => {
            active++;
            maxSeen = Math.max(maxSeen, active);
            waiting.push(() => {
              active--;
              resolve({ message_id: `id${p.sequence_number}` });
            });
          }),
      },
    });
    const N = 500;
    const all = [];
    for (let k = 0; k < N; k++) all.push(esme.submit({ short_message: Buffer.alloc(100, 0x41) }));
    await ticks(10);
    assert.equal(session.inflight, 8);
    assert.equal(session.readPaused, true);
    let released = 0;
    while (released < N) {
      const batch = waiting.splice(0);
      for (const w of batch) w();
      released += batch.length;
      await ticks(3);
    }
    const answers = (await Promise.all(all)) as PduOf<'submit_sm_resp'>[];
    assert.equal(answers.length, N);
    assert.ok(answers.every((r) => r.command_status === 0 && r.message_id === `id${r.sequence_number}`));
    assert.equal(maxSeen, 8);
    assert.equal(session.readPaused, false);
  });

  it('a peer that stops reading our responses pauses our reading too (write back-pressure)', async () => {
    const s = setup({}, 1024);
    await s.esme.bind('transmitter', 'alice', 'secret');
    s.esmeEnd.pause(); // the ESME stops reading
    for (let k = 0; k < 2000; k++)
      s.esme.send({ ...submitDefaults(), command: 'submit_sm', command_status: 0, sequence_number: k + 10 } as Pdu);
    await ticks(20);
    assert.equal(s.session.readPaused, true);
    s.esmeEnd.resume();
    await s.esme.waitFor((p) => p.sequence_number === 2009, 5000);
    const answered = s.esme.received.filter((p) => p.command === 'submit_sm_resp').length;
    assert.equal(answered, 2000);
  });

  it('a duplicate in-flight sequence number is processed again and answered twice, never fatal', async () => {
    const gate = deferred<void>();
    let calls = 0;
    const { esme, session, logger } = await bound('transmitter', {
      handlers: { submit_sm: () => gate.promise.then(() => ({ message_id: `c${++calls}` })) },
    });
    const p = { ...submitDefaults(), command: 'submit_sm', command_status: 0, sequence_number: 55 } as Pdu;
    esme.send(p);
    esme.send(p);
    await ticks();
    assert.equal(session.inflight, 2);
    gate.resolve();
    await ticks();
    const answers = esme.received.filter((r) => r.sequence_number === 55);
    assert.equal(answers.length, 2);
    assert.equal(logger.events('duplicate_sequence').length, 1);
    assert.equal(session.state, 'BOUND_TX');
  });
});

describe('SmppSession: outbound window', () => {
  it('deliver_sm to a receiver: sequence numbers are ours, the response is matched and resolves', async () => {
    const { esme, session, counters } = await bound('receiver');
    const p = session.request({ ...submitDefaults(), command: 'deliver_sm', command_status: 0, sequence_number: 0 });
    const r = await p;
    assert.deepEqual([r.command, r.command_status], ['deliver_sm_resp', 0]);
    const sent = esme.received.find((x) => x.command === 'deliver_sm')!;
    assert.equal(sent.sequence_number, 1);
    assert.equal(counters.snapshot().deliver_sm_count, 1);
    assert.equal(counters.userSnapshot('alice')!.deliver_sm_count, 1);
  });

  it('deliver_sm on a transmitter bind is refused locally (InvalidStateError)', async () => {
    const { session } = await bound('transmitter');
    await assert.rejects(
      session.request({ ...submitDefaults(), command: 'deliver_sm', command_status: 0, sequence_number: 0 }),
      InvalidStateError,
    );
  });

  it('an unanswered deliver_sm expires after responseTimer (fake clock)', async () => {
    const { esme, session, clock } = await bound('receiver', {
      timers: { responseMs: 5000, enquireLinkMs: 0, inactivityMs: 0, sessionInitMs: 0, pduReadMs: 0 },
    });
    esme.auto.deliverStatus = undefined;
    const p = session.request({ ...submitDefaults(), command: 'deliver_sm', command_status: 0, sequence_number: 0 });
    const caught = p.catch((e: unknown) => e);
    await ticks();
    clock.advance(4999);
    await ticks();
    assert.equal(session.outstanding, 1);
    clock.advance(1);
    assert.ok((await caught) instanceof ResponseTimeoutError);
    assert.equal(session.state, 'BOUND_RX');
  });

  it('a response with the right sequence but the wrong command does not complete the request', async () => {
    const { esme, session, logger } = await bound('receiver');
    esme.auto.deliverStatus = undefined;
    const p = session.request({ ...submitDefaults(), command: 'deliver_sm', command_status: 0, sequence_number: 0 });
    const d = await esme.waitFor((x) => x.command === 'deliver_sm');
    esme.send({ command: 'data_sm_resp', command_status: 0, sequence_number: d.sequence_number, message_id: '' });
    await ticks();
    assert.equal(session.outstanding, 1);
    assert.equal(logger.events('unexpected_response')[0].fields.why, 'mismatch');
    esme.send({ command: 'deliver_sm_resp', command_status: 0, sequence_number: d.sequence_number, message_id: '' });
    assert.equal((await p).command, 'deliver_sm_resp');
  });
});

describe('SmppSession: unbind', () => {
  it('from the ESME with work in flight: in-flight answered first, new work refused, then unbind_resp and close', async () => {
    const gate = deferred<void>();
    const { esme, session, counters } = await bound('transceiver', {
      handlers: { submit_sm: () => gate.promise.then(() => ({ message_id: 'late' })) },
    });
    const inflight = esme.submit();
    await ticks();
    const unbindResp = esme.unbind();
    await ticks();
    assert.equal(session.state, 'UNBOUND');
    const refused = await esme.submit();
    assert.equal(refused.command_status, S.ESME_RINVBNDSTS);
    assert.equal(counters.snapshot().bound_trx_count, 0);
    gate.resolve();
    assert.equal(((await inflight) as PduOf<'submit_sm_resp'>).message_id, 'late');
    assert.equal((await unbindResp).command_status, 0);
    const order = esme.received.map((p) => p.command);
    assert.ok(order.lastIndexOf('submit_sm_resp') < order.indexOf('unbind_resp'));
    assert.equal(await session.closed, 'unbind');
    await esme.closed;
    assert.equal(counters.snapshot().unbind_count, 1);
  });

  it('from our side with work in flight both ways: drain, unbind, unbind_resp, close', async () => {
    const gate = deferred<void>();
    const { esme, session } = await bound('transceiver', {
      handlers: { submit_sm: () => gate.promise.then(() => ({ message_id: 'x' })) },
    });
    esme.auto.deliverStatus = undefined;
    const inbound = esme.submit();
    const outbound = session.request({
      ...submitDefaults(),
      command: 'deliver_sm',
      command_status: 0,
      sequence_number: 0,
    });
    await ticks();
    const done = session.unbind();
    await ticks();
    assert.equal(session.state, 'UNBOUND');
    assert.equal(esme.received.filter((p) => p.command === 'unbind').length, 0, 'no unbind before the drain');
    gate.resolve();
    await inbound;
    const d = esme.received.find((p) => p.command === 'deliver_sm')!;
    esme.send({ command: 'deliver_sm_resp', command_status: 0, sequence_number: d.sequence_number, message_id: '' });
    assert.equal((await outbound).command_status, 0);
    await esme.waitFor((p) => p.command === 'unbind'); // auto-answered by the ESME
    await done;
    assert.equal(session.state, 'CLOSED');
    assert.equal(await session.closed, 'unbound');
  });

  it('our unbind with a handler that never finishes: closed when the drain deadline (responseTimer) passes', async () => {
    const { esme, session, clock } = await bound('transmitter', {
      timers: { sessionInitMs: 3000, responseMs: 10_000, enquireLinkMs: 0, inactivityMs: 0, pduReadMs: 0 },
      handlers: { submit_sm: () => new Promise(() => {}) },
    });
    void esme.submit().catch(() => {});
    await ticks();
    const done = session.unbind();
    clock.advance(9_999);
    await ticks();
    assert.equal(session.state, 'UNBOUND');
    clock.advance(1);
    await done;
    assert.equal(await session.closed, 'unbind drain timeout');
    assert.equal(clock.pending, 0);
  });

  it('our unbind with no unbind_resp: closed after sessionInitTimer (fake clock)', async () => {
    const { esme, session, clock } = await bound('transmitter', {
      timers: { sessionInitMs: 3000, responseMs: 10_000, enquireLinkMs: 0, inactivityMs: 0, pduReadMs: 0 },
    });
    esme.auto.unbind = false;
    const done = session.unbind();
    await esme.waitFor((p) => p.command === 'unbind');
    clock.advance(2999);
    await ticks();
    assert.equal(session.state, 'UNBOUND');
    clock.advance(1);
    await done;
    assert.equal(await session.closed, 'no unbind_resp');
  });

  it('unbind before any bind is answered ROK and the connection closes', async () => {
    const { esme, session } = setup();
    assert.equal((await esme.unbind()).command_status, 0);
    await esme.closed;
    assert.equal(session.state, 'CLOSED');
  });
});

describe('SmppSession: timers (fake clock)', () => {
  const off = { enquireLinkMs: 0, inactivityMs: 0, sessionInitMs: 0, responseMs: 0, pduReadMs: 0 };

  it('sessionInitTimer: a connection that does not bind in time is closed', async () => {
    const { session, clock, esme } = setup({ timers: { ...off, sessionInitMs: 30_000 } });
    clock.advance(29_999);
    assert.equal(session.state, 'OPEN');
    clock.advance(1);
    assert.equal(await session.closed, 'session init timeout');
    await esme.closed;
    assert.equal(clock.pending, 0);
  });

  it('sessionInitTimer does not fire once bound', async () => {
    const { session, clock } = await bound('transmitter', { timers: { ...off, sessionInitMs: 30_000 } });
    clock.advance(60_000);
    assert.equal(session.state, 'BOUND_TX');
  });

  it('enquireLinkTimer: after that long idle we send enquire_link; answered: stays bound; activity postpones it', async () => {
    const { session, clock, esme } = await bound('transceiver', {
      timers: { ...off, enquireLinkMs: 30_000, responseMs: 10_000 },
    });
    clock.advance(20_000);
    await esme.submit(); // activity at t=20s
    clock.advance(29_999);
    await ticks();
    assert.equal(esme.received.filter((p) => p.command === 'enquire_link').length, 0);
    clock.advance(1);
    await esme.waitFor((p) => p.command === 'enquire_link');
    await ticks();
    clock.advance(10_000);
    await ticks();
    assert.equal(session.state, 'BOUND_TRX');
  });

  it('enquireLinkTimer: an enquire_link not answered within responseTimer closes the session', async () => {
    const { session, clock, esme } = await bound('transceiver', {
      timers: { ...off, enquireLinkMs: 30_000, responseMs: 10_000 },
    });
    esme.auto.enquireLink = false;
    clock.advance(30_000);
    await esme.waitFor((p) => p.command === 'enquire_link');
    clock.advance(10_000);
    assert.equal(await session.closed, 'enquire_link not answered');
    assert.equal(clock.pending, 0);
  });

  it('inactivityTimer: bound and idle → unbind then close; any PDU resets it', async () => {
    const { session, clock, esme, counters } = await bound('transmitter', {
      timers: { ...off, inactivityMs: 60_000, sessionInitMs: 5000, responseMs: 5000 },
    });
    clock.advance(50_000);
    await esme.enquireLink();
    clock.advance(59_999);
    await ticks();
    assert.equal(session.state, 'BOUND_TX');
    clock.advance(1);
    await ticks();
    await esme.waitFor((p) => p.command === 'unbind');
    assert.equal(await session.closed, 'unbound');
    assert.equal(counters.snapshot().bound_tx_count, 0);
  });

  it('inactivityTimer also closes a connection that never binds', async () => {
    const { session, clock } = setup({ timers: { ...off, inactivityMs: 60_000 } });
    clock.advance(60_000);
    assert.equal(await session.closed, 'inactivity timeout');
  });

  it('pduReadTimer: a partial PDU with no more bytes → generic_nack ESME_RINVCMDLEN with its sequence, close', async () => {
    const { session, clock, esme } = await bound('transmitter', { timers: { ...off, pduReadMs: 30_000 } });
    const whole = rawPdu(CommandId.submit_sm, 0, 31337, cstr(''), u8(1), u8(1), cstr('12345'));
    esme.send(whole.subarray(0, 20));
    await ticks();
    clock.advance(15_000);
    esme.send(whole.subarray(20, 22)); // more bytes: the timer starts again
    await ticks();
    clock.advance(29_999);
    await ticks();
    assert.equal(session.state, 'BOUND_TX');
    clock.advance(1);
    const nack = await esme.waitFor((p) => p.command === 'generic_nack');
    assert.deepEqual([nack.command_status, nack.sequence_number], [S.ESME_RINVCMDLEN, 31337]);
    assert.equal(await session.closed, 'pdu read timeout');
  });

  it('close() clears every timer and rejects everything outstanding', async () => {
    const { session, clock, esme } = await bound('receiver', {
      timers: {
        enquireLinkMs: 30_000,
        inactivityMs: 300_000,
        sessionInitMs: 30_000,
        responseMs: 60_000,
        pduReadMs: 30_000,
      },
    });
    esme.auto.deliverStatus = undefined;
    const p = session.request({ ...submitDefaults(), command: 'deliver_sm', command_status: 0, sequence_number: 0 });
    await ticks();
    assert.ok(clock.pending > 0);
    session.close('test');
    await assert.rejects(p, SessionClosedError);
    assert.equal(clock.pending, 0);
    await esme.closed;
  });
});

describe('SmppSession: abrupt disconnects', () => {
  it('a bound ESME that vanishes: session closed, bound gauges back to 0, outstanding requests rejected', async () => {
    const { esme, session, counters } = await bound('transceiver');
    esme.auto.deliverStatus = undefined;
    const p = session.request({ ...submitDefaults(), command: 'deliver_sm', command_status: 0, sequence_number: 0 });
    await ticks();
    assert.equal(counters.snapshot().bound_trx_count, 1);
    esme.destroy();
    await assert.rejects(p, SessionClosedError);
    await session.closed;
    const s = counters.snapshot();
    assert.deepEqual([s.bound_trx_count, s.connected_count, s.disconnect_count, s.unbind_count], [0, 0, 1, 0]);
    assert.deepEqual(counters.userSnapshot('alice')!.bound_connections_count, {
      bind_transmitter: 0,
      bind_receiver: 0,
      bind_transceiver: 0,
    });
  });
});

describe('SmppSession: client role against a server session', () => {
  it('binds, submits through its window, receives and answers deliver_sm, unbinds', async () => {
    const [a, b] = duplexPair();
    const delivered: string[] = [];
    const server = new SmppSession<Principal>(a, {
      role: 'server',
      systemId: 'smsc',
      authenticate: async (r) => ({ status: 0, principal: { id: r.system_id } }),
      handlers: { submit_sm: (p) => ({ message_id: `m-${p.destination_addr}` }) },
    });
    const client = new SmppSession(b, {
      role: 'client',
      handlers: {
        deliver_sm: (p) => {
          delivered.push(p.short_message.toString());
          return {};
        },
      },
    });
    await assert.rejects(
      client.request({ ...submitDefaults(), command: 'submit_sm', command_status: 0, sequence_number: 0 }),
      InvalidStateError,
    );
    const bindResp = (await client.bind('transceiver', {
      system_id: 'carrier',
      password: 'pw',
      system_type: '',
      interface_version: 0x34,
      addr_ton: 0,
      addr_npi: 0,
      address_range: '',
    })) as PduOf<'bind_transceiver_resp'>;
    assert.equal(bindResp.system_id, 'smsc');
    assert.equal(client.state, 'BOUND_TRX');
    const results = await Promise.all(
      [1, 2, 3].map((n) =>
        client.request({
          ...submitDefaults(),
          destination_addr: `4${n}`,
          command: 'submit_sm',
          command_status: 0,
          sequence_number: 0,
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => (r as PduOf<'submit_sm_resp'>).message_id),
      ['m-41', 'm-42', 'm-43'],
    );
    const dr = await server.request({
      ...submitDefaults(),
      command: 'deliver_sm',
      command_status: 0,
      sequence_number: 0,
      short_message: Buffer.from('receipt'),
    });
    assert.equal(dr.command_status, 0);
    assert.deepEqual(delivered, ['receipt']);
    await client.unbind();
    assert.equal(client.state, 'CLOSED');
    assert.equal(await server.closed, 'unbind');
  });

  it('a deliver_sm right behind the bind_resp, in the same read, is taken, not refused ESME_RINVBNDSTS', async () => {
    // An SMSC may deliver queued MO the moment it has answered the bind; on a slow host both PDUs arrive in one read.
    const [a, b] = duplexPair();
    const delivered: string[] = [];
    const client = new SmppSession(a, {
      role: 'client',
      handlers: {
        deliver_sm: (p) => {
          delivered.push(p.short_message.toString());
          return {};
        },
      },
    });
    const smsc = new Esme(b);
    const binding = client.bind('receiver', {
      system_id: 'carrier',
      password: 'pw',
      system_type: '',
      interface_version: 0x34,
      addr_ton: 0,
      addr_npi: 0,
      address_range: '',
    });
    const bind = await smsc.waitFor((p) => p.command === 'bind_receiver');
    smsc.send(
      Buffer.concat([
        encodePdu({
          command: 'bind_receiver_resp',
          command_status: 0,
          sequence_number: bind.sequence_number,
          system_id: 'smsc',
        } as Pdu),
        encodePdu({
          ...submitDefaults(),
          command: 'deliver_sm',
          command_status: 0,
          sequence_number: 7,
          short_message: Buffer.from('queued MO'),
        } as Pdu),
      ]),
    );
    await binding;
    const resp = await smsc.waitFor((p) => p.command === 'deliver_sm_resp' && p.sequence_number === 7);
    assert.equal(resp.command_status, 0);
    assert.deepEqual(delivered, ['queued MO']);
    assert.equal(client.state, 'BOUND_RX');
    client.close('test done');
  });

  it('an SMSC that sends submit_sm to a client gets ESME_RINVCMDID', async () => {
    const [a, b] = duplexPair();
    new SmppSession(a, { role: 'client' });
    const smsc = new Esme(b);
    const r = await smsc.submit();
    assert.equal(r.command_status, S.ESME_RINVCMDID);
  });
});

describe('SmppSession: hostile bytes', () => {
  it('random bytes, whole or as valid headers with random bodies, never throw: answered or closed', async () => {
    const header = fc
      .record({
        id: fc.constantFrom(...Object.values(CommandId), 0x77, 0x80000077),
        seq: fc.integer({ min: 0, max: 0x7fffffff }),
        body: fc.uint8Array({ maxLength: 300 }),
      })
      .map(({ id, seq, body }) => {
        const b = Buffer.alloc(16 + body.length);
        b.writeUInt32BE(16 + body.length, 0);
        b.writeUInt32BE(id, 4);
        b.writeUInt32BE(seq, 12);
        Buffer.from(body).copy(b, 16);
        return b;
      });
    const anyBytes = fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a) => Buffer.from(a));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(header, anyBytes), { minLength: 1, maxLength: 6 }), async (chunks) => {
        const { esme, session } = await bound('transceiver');
        for (const c of chunks) esme.send(c);
        await ticks(4);
        // Nothing escaped (an exception would fail the run), and everything we sent back is a well-formed
        // response: the ESME decoded it all, and never got a request from us.
        assert.deepEqual(esme.errors, []);
        assert.ok(esme.received.every((p) => (CommandId[p.command] & 0x80000000) !== 0));
        session.close('done');
      }),
      { numRuns: 150 },
    );
  });
});
