import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Esme } from '../../../test/helpers/esme.js';
import { type PduOf, CommandStatus as S } from '../codec/index.js';
import { ManualClock } from '../session/clock.js';
import { MemoryLogger } from '../session/log.js';
import type { BindRequest, BindResult } from '../session/session.js';
import { type ServerPrincipal, SmppServer, type SmppServerOptions } from './server.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

interface User extends ServerPrincipal {
  password: string;
}

const USERS: Record<string, User> = {
  alice: { id: 'alice', password: 'secret' },
  bob: { id: 'bob', password: 'pw', maxBindings: 2 },
};

async function authenticate(r: BindRequest): Promise<BindResult<User>> {
  const u = USERS[r.system_id];
  if (u === undefined || u.password !== r.password) return { status: S.ESME_RINVPASWD };
  return { status: 0, principal: u };
}

const servers: SmppServer<User>[] = [];
async function start(options: Partial<SmppServerOptions<User>> = {}) {
  const logger = new MemoryLogger();
  const server = new SmppServer<User>({
    id: 'smpps_01',
    bind: '127.0.0.1',
    port: 0,
    authenticate,
    logger,
    handlers: { submit_sm: () => ({ message_id: 'ok' }) },
    timers: { enquireLinkMs: 0, inactivityMs: 0, sessionInitMs: 0, responseMs: 5000, pduReadMs: 0 },
    ...options,
  });
  servers.push(server);
  const addresses = await server.listen();
  return { server, logger, port: addresses.tcp?.port ?? 0, tlsPort: addresses.tls?.port ?? 0 };
}

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A raw socket that sends `bytes` and resolves with whatever came back once the server closed it. */
function rawExchange(port: number, bytes: Buffer): Promise<{ reply: Buffer; closedMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const chunks: Buffer[] = [];
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => resolve({ reply: Buffer.concat(chunks), closedMs: Date.now() - t0 }));
    setTimeout(() => reject(new Error('server did not close the connection')), 5000).unref();
  });
}

describe('SmppServer over TCP', () => {
  it('binds, answers with the server id and sc_interface_version, serves submit_sm, unbinds', async () => {
    const { port, server } = await start();
    const esme = await Esme.connect({ port });
    const r = (await esme.bind('transceiver', 'alice', 'secret')) as PduOf<'bind_transceiver_resp'>;
    assert.deepEqual([r.command_status, r.system_id, r.tlvs?.sc_interface_version], [0, 'smpps_01', 0x34]);
    assert.equal(server.boundSessions('alice').length, 1);
    assert.equal(((await esme.submit()) as PduOf<'submit_sm_resp'>).message_id, 'ok');
    assert.equal((await esme.unbind()).command_status, 0);
    await esme.closed;
    await tick();
    assert.equal(server.boundSessions('alice').length, 0);
    const c = server.counters.snapshot();
    assert.deepEqual([c.connect_count, c.bind_trx_count, c.unbind_count, c.submit_sm_count], [1, 1, 1, 1]);
  });

  it('max_bindings counts every bind type; a freed slot can be bound again', async () => {
    const { port, server } = await start();
    const a = await Esme.connect({ port });
    const b = await Esme.connect({ port });
    const c = await Esme.connect({ port });
    assert.equal((await a.bind('transmitter', 'bob', 'pw')).command_status, 0);
    assert.equal((await b.bind('receiver', 'bob', 'pw')).command_status, 0);
    assert.equal((await c.bind('transceiver', 'bob', 'pw')).command_status, S.ESME_RBINDFAIL);
    assert.equal(c.isClosed, false, 'a failed bind leaves the socket open');
    a.destroy();
    await a.closed;
    for (let i = 0; i < 50 && server.boundSessions('bob').length > 1; i++) await tick();
    assert.equal((await c.bind('transceiver', 'bob', 'pw')).command_status, 0);
    assert.equal(server.boundSessions('bob').length, 2);
    await Promise.all([b.close(), c.close()]);
  });

  it('binds racing for the last max_bindings slot: exactly one wins', async () => {
    const { port } = await start();
    const esmes = await Promise.all([0, 1, 2, 3, 4].map(() => Esme.connect({ port })));
    const answers = await Promise.all(esmes.map((e) => e.bind('transmitter', 'bob', 'pw')));
    assert.equal(answers.filter((r) => r.command_status === 0).length, 2);
    assert.equal(answers.filter((r) => r.command_status === S.ESME_RBINDFAIL).length, 3);
    await Promise.all(esmes.map((e) => e.close()));
  });

  it('repeated failed binds from one address are slowed down, growing; a success resets it (fake clock)', async () => {
    const clock = new ManualClock();
    const { port } = await start({ clock, bindSlowdown: { baseMs: 1000, maxMs: 4000 } });
    const esme = await Esme.connect({ port });
    const answered = async (p: Promise<unknown>) => {
      let done = false;
      void p.then(() => {
        done = true;
      });
      for (let i = 0; i < 20; i++) await tick();
      return done;
    };
    // 1st failure: at once.
    assert.equal((await esme.bind('transmitter', 'alice', 'bad')).command_status, S.ESME_RINVPASWD);
    // 2nd: held 1 s; 3rd: 2 s; 4th and later: 4 s (the ceiling).
    for (const delay of [1000, 2000, 4000, 4000]) {
      const p = esme.bind('transmitter', 'alice', 'bad');
      assert.equal(await answered(p), false);
      clock.advance(delay - 1);
      assert.equal(await answered(p), false, `held for ${delay} ms`);
      clock.advance(1);
      assert.equal((await p).command_status, S.ESME_RINVPASWD);
    }
    assert.equal(esme.isClosed, false);
    // A success resets the count: the next failure is answered at once again.
    const ok = esme.bind('transmitter', 'alice', 'secret');
    assert.equal((await ok).command_status, 0);
    const other = await Esme.connect({ port });
    assert.equal((await other.bind('transmitter', 'alice', 'bad')).command_status, S.ESME_RINVPASWD);
    await Promise.all([esme.close(), other.close()]);
  });

  it('connections beyond maxConnections are closed at once; the others keep working', async () => {
    const { port, logger } = await start({ maxConnections: 2 });
    const a = await Esme.connect({ port });
    const b = await Esme.connect({ port });
    const { reply } = await rawExchange(port, Buffer.alloc(0));
    assert.equal(reply.length, 0);
    assert.equal(logger.events('connection_refused').length, 1);
    assert.equal((await a.enquireLink()).command_status, 0);
    await Promise.all([a.close(), b.close()]);
  });

  it('garbage, an HTTP request and a TLS hello are closed quickly while a bound session keeps working', async () => {
    const { port, server } = await start();
    const esme = await Esme.connect({ port });
    await esme.bind('transmitter', 'alice', 'secret');
    let stop = false;
    let ok = 0;
    const worker = (async () => {
      while (!stop) {
        const r = await esme.submit();
        assert.equal(r.command_status, 0);
        ok++;
      }
    })();
    const garbage = [
      Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'),
      Buffer.from('160301020001000200', 'hex'), // TLS ClientHello record header
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff)),
      Buffer.from('00000008', 'hex'), // command_length 8
    ];
    const results = await Promise.all(garbage.map((g) => rawExchange(port, g)));
    for (const { reply, closedMs } of results) {
      assert.ok(closedMs < 2000, `closed after ${closedMs} ms`);
      // generic_nack ESME_RINVCMDLEN (16 octets) before the close.
      assert.equal(reply.length, 16);
      assert.equal(reply.readUInt32BE(4), 0x80000000);
      assert.equal(reply.readUInt32BE(8), S.ESME_RINVCMDLEN);
    }
    stop = true;
    await worker;
    assert.ok(ok > 0);
    assert.equal(server.boundSessions('alice').length, 1);
    await esme.close();
  });

  it('1,000 concurrent connections bind and enquire', async () => {
    const { port, server } = await start({ maxConnections: 5000 });
    const N = 1000;
    const esmes: Esme[] = [];
    for (let i = 0; i < N; i += 100) {
      esmes.push(...(await Promise.all(Array.from({ length: 100 }, () => Esme.connect({ port })))));
    }
    const binds = await Promise.all(esmes.map((e) => e.bind('transceiver', 'alice', 'secret')));
    assert.ok(binds.every((r) => r.command_status === 0));
    assert.equal(server.boundSessions('alice').length, N);
    const links = await Promise.all(esmes.map((e) => e.enquireLink()));
    assert.ok(links.every((r) => r.command === 'enquire_link_resp' && r.command_status === 0));
    assert.equal(server.counters.snapshot().bound_trx_count, N);
    // Half leave cleanly, half vanish: the gauges come back to zero either way.
    await Promise.all(
      esmes.map((e, i) => {
        if (i % 2 === 0) return e.unbind().then(() => e.closed);
        e.destroy();
        return e.closed;
      }),
    );
    for (let i = 0; i < 200 && server.sessionCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    const c = server.counters.snapshot();
    assert.deepEqual([c.bound_trx_count, c.connected_count, c.unbind_count], [0, 0, N / 2]);
  });

  it('deliveries go round-robin over receiver and transceiver binds, never to a transmitter', async () => {
    const { port, server } = await start();
    const tx = await Esme.connect({ port });
    const rx = await Esme.connect({ port });
    const trx = await Esme.connect({ port });
    await tx.bind('transmitter', 'alice', 'secret');
    await rx.bind('receiver', 'alice', 'secret');
    await trx.bind('transceiver', 'alice', 'secret');
    const picked = [1, 2, 3, 4].map(() => server.nextReceiver('alice')?.bindType);
    assert.deepEqual(picked, ['receiver', 'transceiver', 'receiver', 'transceiver']);
    assert.equal(server.nextReceiver('nobody'), undefined);
    await Promise.all([tx.close(), rx.close(), trx.close()]);
  });

  it('close() unbinds every bound ESME (which answers), closes the others and stops listening', async () => {
    const { port, server } = await start();
    const a = await Esme.connect({ port });
    const b = await Esme.connect({ port });
    const idle = await Esme.connect({ port });
    await a.bind('transmitter', 'alice', 'secret');
    await b.bind('receiver', 'alice', 'secret');
    await server.close();
    assert.ok(a.received.some((p) => p.command === 'unbind'));
    assert.ok(b.received.some((p) => p.command === 'unbind'));
    await Promise.all([a.closed, b.closed, idle.closed]);
    assert.equal(server.sessionCount, 0);
    await assert.rejects(Esme.connect({ port }));
  });
});

describe('SmppServer over TLS', () => {
  let dir = '';
  let cert = '';
  let key = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'smppgate-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('binds and submits over TLS; plain SMPP on the TLS port fails the handshake and is closed', async () => {
    const { tlsPort, port, logger } = await start({ tls: { bind: '127.0.0.1', port: 0, cert, key } });
    assert.ok(tlsPort > 0 && port > 0 && tlsPort !== port);
    const esme = await Esme.connect({ port: tlsPort, tls: { rejectUnauthorized: false, servername: 'localhost' } });
    const r = (await esme.bind('transceiver', 'alice', 'secret')) as PduOf<'bind_transceiver_resp'>;
    assert.deepEqual([r.command_status, r.system_id], [0, 'smpps_01']);
    assert.equal((await esme.submit()).command_status, 0);
    assert.equal((await esme.unbind()).command_status, 0);
    const plain = await Esme.connect({ port: tlsPort });
    plain.send(Buffer.from('0000002f00000009000000000000000161', 'hex'));
    await plain.closed;
    for (let i = 0; i < 20 && logger.events('tls_handshake_failed').length === 0; i++) await tick();
    assert.equal(logger.events('tls_handshake_failed').length, 1);
  });

  it('minVersion is enforced: a TLS 1.2-only client is refused by a TLS 1.3 minimum', async () => {
    const { tlsPort } = await start({ tls: { bind: '127.0.0.1', port: 0, cert, key, minVersion: 'TLSv1.3' } });
    await assert.rejects(Esme.connect({ port: tlsPort, tls: { rejectUnauthorized: false, maxVersion: 'TLSv1.2' } }));
  });
});
