// Security proofs (issue #8, "Security"): bind brute force slowed per address AND per user (without locking the
// rightful user out); the admin token compared in constant time, and wrong ones slowed per address; passwords never in logs, even at DEBUG; SMPP over
// TLS refuses TLS 1.0/1.1 and CBC-only TLS 1.2 clients and negotiates an AEAD cipher; and a user can never query, cancel or replace another
// user's message, nor receive its receipts.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { createBearerCheck, TokenFailureDelay } from '../../src/api/http/auth.js';
import { CommandStatus, type Pdu, type PduOf } from '../../src/smpp/codec/index.js';
import { Esme } from '../helpers/esme.js';
import { ADMIN_TOKEN, rawHttp, startDaemon } from './daemon.js';
import { boundEsme, PASSWORD, type Stack, sleep, startStack } from './harness.js';

const TESTDATA = join(import.meta.dirname, '../../src/config/testdata');
const CERT = readFileSync(join(TESTDATA, 'test-only-cert.pem'), 'utf8');
const KEY = readFileSync(join(TESTDATA, 'test-only-key.pem'), 'utf8');

/** Connects from a chosen loopback address (Linux routes all of 127.0.0.0/8 to lo). */
async function esmeFrom(port: number, localAddress: string): Promise<Esme> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return new Esme(socket);
}

async function timedBind(esme: Esme, user: string, password: string): Promise<{ status: number; ms: number }> {
  const t = performance.now();
  const r = await esme.bind('transmitter', user, password);
  return { status: r.command_status, ms: performance.now() - t };
}

describe('bind brute force', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ bindSlowdown: { baseMs: 200, maxMs: 800 } });
  });
  after(() => stack.close());

  it('is slowed per address: many users guessed from one address wait longer and longer', async () => {
    const esme = await esmeFrom(stack.port, '127.0.0.2');
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await timedBind(esme, `nobody${i}`, 'guess');
      assert.equal(r.status, CommandStatus.ESME_RINVPASWD);
      times.push(r.ms);
    }
    console.log(`per address (5 users, one address): ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
    assert.ok(times[1] >= 190 && times[2] >= 390 && times[3] >= 790 && times[4] >= 790, `${times}`);
    assert.ok(!esme.isClosed, 'a failed bind leaves the socket open for another try');
    await esme.close();
  });

  it('is slowed per user: one user guessed from a new address each time waits longer and longer; the right password still binds at once', async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const esme = await esmeFrom(stack.port, `127.0.1.${i + 1}`);
      const r = await timedBind(esme, 'user1', `guess${i}`);
      assert.equal(r.status, CommandStatus.ESME_RINVPASWD);
      times.push(r.ms);
      esme.destroy();
    }
    console.log(`per user (one user, 5 addresses): ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
    assert.ok(times[1] >= 190 && times[2] >= 390 && times[3] >= 790, `${times}`);
    // No lock-out: the rightful user binds at once, and that resets the count.
    const good = await esmeFrom(stack.port, '127.0.2.1');
    const ok = await timedBind(good, 'user1', PASSWORD);
    assert.equal(ok.status, 0);
    // The next failure would wait 800 ms here: the right password must not (scrypt alone is tens of ms, more on a
    // loaded box).
    assert.ok(ok.ms < 400, `the right password waited ${ok.ms} ms`);
    await good.close();
    const again = await esmeFrom(stack.port, '127.0.2.2');
    assert.ok((await timedBind(again, 'user1', 'wrong')).ms < 400, 'a success reset the user count');
    again.destroy();
  });

  it('unknown and known users cost the same (no user enumeration by timing), and scrypt bounds the guess rate', async () => {
    const s2 = await startStack({ bindSlowdown: { baseMs: 0 } });
    try {
      const esme = await Esme.connect({ port: s2.port });
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 6; i++) {
        known.push((await timedBind(esme, 'user2', `bad${i}`)).ms);
        unknown.push((await timedBind(esme, `ghost${i}`, `bad${i}`)).ms);
      }
      const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
      console.log(
        `wrong-password bind, median: known user ${med(known).toFixed(1)} ms, unknown user ${med(unknown).toFixed(1)} ms`,
      );
      assert.ok(med(unknown) > med(known) / 4, 'an unknown user is not answered markedly faster');
      await esme.close();
    } finally {
      await s2.close();
    }
  });
});

describe('admin token', () => {
  it('is compared in constant time: prefix matches, lengths and garbage take the same time, and none throws', () => {
    const check = createBearerCheck(ADMIN_TOKEN);
    const req = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as never;
    const candidates: Record<string, string> = {
      'right token': ADMIN_TOKEN,
      'all but the last char': `${ADMIN_TOKEN.slice(0, -1)}X`,
      'first char wrong': `X${ADMIN_TOKEN.slice(1)}`,
      'one char': 'x',
      '4 KiB': 'y'.repeat(4096),
    };
    const medians: Record<string, number> = {};
    for (const [name, token] of Object.entries(candidates)) {
      const r = req(token);
      assert.equal(check(r), name === 'right token', name);
      const samples: number[] = [];
      for (let round = 0; round < 30; round++) {
        const t = process.hrtime.bigint();
        for (let i = 0; i < 200; i++) check(r);
        samples.push(Number(process.hrtime.bigint() - t) / 200);
      }
      samples.sort((a, b) => a - b);
      medians[name] = samples[15];
    }
    console.log(
      `bearer check, median ns per call: ${Object.entries(medians)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ')}`,
    );
    // Both sides are hashed before timingSafeEqual, so a matching prefix buys nothing; only the hashing of a longer
    // presented token costs more. Generous bound among the same-length candidates.
    const same = [medians['right token'], medians['all but the last char'], medians['first char wrong']];
    assert.ok(Math.max(...same) / Math.min(...same) < 3, JSON.stringify(medians));
  });
});

describe('admin token slow-down', () => {
  /** One request to the admin port from a chosen loopback address, timed. */
  const call = (port: number, path: string, token: string | null, localAddress = '127.0.0.1') =>
    new Promise<{ status: number; ms: number }>((resolve, reject) => {
      const t = performance.now();
      const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
      const req = http.request({ host: '127.0.0.1', port, path, headers, localAddress, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t }));
      });
      req.on('error', reject);
      req.end();
    });

  it('wrong tokens from one address wait longer and longer across the admin API, /metrics and the dashboard; the right token never waits', async () => {
    const daemon = await startDaemon({ adminExtra: 'token_fail_delay_ms = 500\n' });
    try {
      const port = daemon.started.admin.port;
      const wrong = `${ADMIN_TOKEN.slice(0, -1)}X`;
      const a = await call(port, '/api/v1/users', wrong);
      const b = await call(port, '/metrics', wrong);
      const c = await call(port, `/dashboard?token=${wrong}`, null);
      const elsewhere = await call(port, '/api/v1/users', wrong, '127.0.0.9');
      const right = await call(port, '/api/v1/users', ADMIN_TOKEN);
      const none = await call(port, '/api/v1/users', null);
      const d = await call(port, '/api/v1/users', wrong);
      console.log(
        `admin token, base 500 ms: wrong ${a.ms.toFixed(0)} (API), ${b.ms.toFixed(0)} (/metrics), ${c.ms.toFixed(0)} (dashboard link); ` +
          `another address ${elsewhere.ms.toFixed(0)}; right ${right.ms.toFixed(0)}; no token ${none.ms.toFixed(0)}; wrong again ${d.ms.toFixed(0)} ms`,
      );
      for (const r of [a, b, c, elsewhere, none, d]) assert.equal(r.status, 401);
      assert.equal(right.status, 200);
      // Lower bounds only: each delay is a minimum the gateway guarantees.
      assert.ok(b.ms >= 490 && c.ms >= 990, 'the 2nd and 3rd wrong tokens from one address wait 500 and 1,000 ms');
      assert.ok(d.ms >= 1990, 'the right token in between did not reset the count: the 4th waits 2,000 ms');
      // The right token, another address's first guess and a request with no token are not held: each is answered
      // well before the 2,000 ms the address's next wrong token waits.
      assert.ok(right.ms < 1500 && elsewhere.ms < 1500 && none.ms < 1500, 'not held');
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  });

  it('remembers a bounded number of addresses and forgets them', () => {
    let now = 0;
    const delays = new TokenFailureDelay({ baseMs: 100, maxAddresses: 3, forgetMs: 1000, now: () => now });
    for (let i = 0; i < 10; i++) delays.failed(`10.0.0.${i}`);
    assert.equal(delays.size, 3);
    assert.equal(delays.failed('10.0.0.9'), 100, 'the newest address is still counted');
    assert.equal(delays.failed('10.0.0.0'), 0, 'the oldest was dropped: its count starts afresh');
    now = 5000;
    assert.equal(delays.failed('10.0.0.9'), 0, 'forgotten after forgetMs without a failure');
    assert.equal(delays.size, 1, 'expired addresses are dropped');
  });
});

describe('passwords never in logs', () => {
  it('at DEBUG, binds with wrong and right passwords and admin password changes leave no password in the log file', async () => {
    const daemon = await startDaemon({ smppExtra: 'log_level = DEBUG\n' });
    // SMPP 3.4 §4.1.1: a bind carries at most 8 octets of password.
    const secrets = ['Wr0ngPw!', 'Adm1nPwQ', 'N3wPwZq9', 'Gu3ss#77'];
    try {
      const port = daemon.started.smpp?.port ?? 0;
      const json = { 'content-type': 'application/json' };
      const created = await rawHttp(daemon.started.admin.port, 'POST', '/api/v1/users', {
        headers: json,
        body: JSON.stringify({ uid: 'pwu', gid: 'demo', username: 'pwu', password: 'Adm1nPwQ' }),
      });
      assert.equal(created.status, 201, created.body);
      assert.doesNotMatch(created.body, /Adm1nPwQ/, 'the answer does not show the password');
      const patched = await rawHttp(daemon.started.admin.port, 'PATCH', '/api/v1/users/pwu', {
        headers: json,
        body: JSON.stringify({ password: 'N3wPwZq9' }),
      });
      assert.equal(patched.status, 200);
      assert.doesNotMatch(patched.body, /N3wPwZq9/);
      const esme = await Esme.connect({ port });
      assert.equal((await esme.bind('transceiver', 'demo', 'Wr0ngPw!')).command_status, CommandStatus.ESME_RINVPASWD);
      assert.equal((await esme.bind('transceiver', 'pwu', 'Adm1nPwQ')).command_status, CommandStatus.ESME_RINVPASWD);
      assert.equal(
        (await esme.bind('transceiver', 'Gu3ss#77', 'Gu3ss#77')).command_status,
        CommandStatus.ESME_RINVPASWD,
      );
      assert.equal((await esme.bind('transceiver', 'pwu', 'N3wPwZq9')).command_status, 0);
      await esme.unbind();
      await esme.close();
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
    const log = daemon.finalLog;
    const lines = log.split('\n').filter((l) => l !== '');
    console.log(
      `DEBUG log: ${lines.length} lines, ${lines.filter((l) => l.includes('bind_refused')).length} bind_refused`,
    );
    assert.ok(lines.filter((l) => l.includes('bind_refused')).length >= 3, 'the refused binds are logged');
    // A password typed as a system_id is the ESME's mistake, logged as the name it is; every other must be absent.
    for (const secret of secrets.slice(0, 3)) {
      assert.ok(!log.includes(secret), `the log holds the password ${secret}`);
      assert.ok(!log.includes(Buffer.from(secret).toString('hex')), `the log holds ${secret} in hex`);
      assert.ok(!log.includes(Buffer.from(secret).toString('base64')), `the log holds ${secret} in base64`);
    }
    for (const line of lines) assert.doesNotMatch(line, /"password"\s*:\s*"[^"*]/, `a password field: ${line}`);
  });
});

describe('TLS on SMPP', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ tls: { cert: CERT, key: KEY } });
  });
  after(() => stack.close());

  const connect = (options: tls.ConnectionOptions) =>
    new Promise<{ ok: boolean; protocol: string | null; cipher: string; error: string; socket: tls.TLSSocket }>(
      (resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port: stack.tlsPort, rejectUnauthorized: false, ...options });
        socket.once('secureConnect', () =>
          resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name, error: '', socket }),
        );
        socket.once('error', (e) => resolve({ ok: false, protocol: null, cipher: '', error: e.message, socket }));
      },
    );

  it('refuses TLS 1.0 and TLS 1.1 clients', async () => {
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      // The client is allowed the old protocol (security level 0), so the refusal is the server's.
      const r = await connect({ minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' });
      r.socket.destroy();
      assert.equal(r.ok, false, `${version} was accepted`);
      console.log(`TLS ${version} client: refused (${r.error})`);
    }
  });

  it('accepts TLS 1.2 and 1.3 with an AEAD cipher, and SMPP works over it', async () => {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const r = await connect({ minVersion: version, maxVersion: version });
      assert.ok(r.ok, `${version}: ${r.error}`);
      assert.equal(r.protocol, version);
      assert.match(r.cipher, /GCM|CHACHA20|CCM/, `${version} negotiated ${r.cipher}`);
      console.log(`TLS ${version} client: ${r.protocol} ${r.cipher}`);
      const esme = new Esme(r.socket);
      assert.equal((await esme.bind('transceiver', 'user1', PASSWORD)).command_status, 0);
      assert.equal((await esme.submit()).command_status, 0);
      await esme.unbind();
      await esme.close();
    }
  });

  it('refuses a TLS 1.2 client that offers only CBC suites (no AEAD)', async () => {
    // Each of these is in Node's own default list; the gateway's default offers none of them.
    for (const cipher of ['ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-SHA']) {
      const r = await connect({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: `${cipher}@SECLEVEL=0` });
      r.socket.destroy();
      assert.equal(r.ok, false, `${cipher} was negotiated`);
      console.log(`TLS 1.2 client offering only ${cipher}: refused (${r.error})`);
    }
  });

  it('the configured defaults ([smpp-server-tls] min_version, ciphers) refuse TLS 1.0 and CBC-only TLS 1.2 on the real composition root', async () => {
    const daemon = await startDaemon({
      extra: `\n[smpp-server-tls]\nbind = 127.0.0.1\nport = 0\ncert = ${join(TESTDATA, 'test-only-cert.pem')}\nkey = ${join(TESTDATA, 'test-only-key.pem')}\n`,
    });
    try {
      const port = daemon.started.smppTls?.port;
      assert.ok(port !== undefined);
      const outcome = await new Promise<string>((resolve) => {
        const s = tls.connect({
          host: '127.0.0.1',
          port,
          rejectUnauthorized: false,
          minVersion: 'TLSv1',
          maxVersion: 'TLSv1',
          ciphers: 'DEFAULT@SECLEVEL=0',
        });
        s.once('secureConnect', () => resolve('accepted'));
        s.once('error', () => resolve('refused'));
      });
      assert.equal(outcome, 'refused');
      const cbc = await new Promise<string>((resolve) => {
        const s = tls.connect({
          host: '127.0.0.1',
          port,
          rejectUnauthorized: false,
          maxVersion: 'TLSv1.2',
          ciphers: 'ECDHE-ECDSA-AES128-SHA256',
        });
        s.once('secureConnect', () => resolve(`accepted ${s.getCipher().name}`));
        s.once('error', () => resolve('refused'));
      });
      assert.equal(cbc, 'refused', 'a TLS 1.2 client offering only a CBC suite');
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  });
});

describe("another user's messages and receipts", () => {
  let stack: Stack;
  let owner: Esme;
  let other: Esme;
  let ownerRx: Esme;
  let otherRx: Esme;
  before(async () => {
    stack = await startStack();
    owner = await boundEsme(stack.port, 'user1', 'transmitter');
    other = await boundEsme(stack.port, 'user2', 'transceiver');
    ownerRx = await boundEsme(stack.port, 'user1', 'receiver');
    otherRx = await boundEsme(stack.port, 'user2', 'receiver');
  });
  after(async () => {
    for (const e of [owner, other, ownerRx, otherRx]) e.destroy();
    await stack.close();
  });

  const submitOwn = async (text: string) => {
    const r = await owner.submit({ short_message: Buffer.from(text), registered_delivery: 1 });
    assert.equal(r.command_status, 0);
    return (r as PduOf<'submit_sm_resp'>).message_id;
  };
  const query = (esme: Esme, message_id: string) =>
    esme.request<'query_sm'>({
      command: 'query_sm',
      message_id,
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: '12345',
    });
  const cancel = (esme: Esme, message_id: string) =>
    esme.request<'cancel_sm'>({
      command: 'cancel_sm',
      service_type: '',
      message_id,
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: '12345',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: '33612345678',
    });
  const replace = (esme: Esme, message_id: string) =>
    esme.request<'replace_sm'>({
      command: 'replace_sm',
      message_id,
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: '12345',
      schedule_delivery_time: '',
      validity_period: '',
      registered_delivery: 1,
      sm_default_msg_id: 0,
      short_message: Buffer.from('hijacked'),
    });

  it("query_sm of another user's message fails exactly as for an id that does not exist; the owner's works", async () => {
    const id = await submitOwn('mine');
    const foreign = await query(other, id);
    const missing = await query(other, '00000000-0000-7000-8000-000000000000');
    assert.equal(foreign.command_status, CommandStatus.ESME_RQUERYFAIL);
    assert.equal(missing.command_status, foreign.command_status, 'no oracle for which ids exist');
    assert.equal((foreign as Pdu & { message_state?: number }).message_state ?? 0, 0, 'no state leaks');
    const own = await query(owner, id);
    assert.equal(own.command_status, 0);
    assert.equal((own as PduOf<'query_sm_resp'>).message_id, id);
  });

  it("cancel_sm of another user's message fails and leaves it queued; the owner can cancel it", async () => {
    const id = await submitOwn('keep me');
    assert.equal((await cancel(other, id)).command_status, CommandStatus.ESME_RCANCELFAIL);
    assert.equal((await stack.store.getMessage(id))?.status, 'queued');
    assert.equal((await cancel(owner, id)).command_status, 0, 'the owner may');
    assert.notEqual((await stack.store.getMessage(id))?.status, 'queued');
  });

  it("replace_sm of another user's message fails and leaves its text; the owner can replace it", async () => {
    const id = await submitOwn('original');
    assert.equal((await replace(other, id)).command_status, CommandStatus.ESME_RREPLACEFAIL);
    const kept = await stack.store.getMessage(id);
    assert.equal(Buffer.from(kept?.short_message ?? []).toString(), 'original');
    assert.equal((await replace(owner, id)).command_status, 0, 'the owner may');
    assert.equal(Buffer.from((await stack.store.getMessage(id))?.short_message ?? []).toString(), 'hijacked');
  });

  it("receipts reach only the owner's receivers, never another user's", async () => {
    const delivered = await submitOwn('receipt me');
    const failed = await submitOwn('fail me');
    const m1 = await stack.store.getMessage(delivered);
    const m2 = await stack.store.getMessage(failed);
    assert.ok(m1 !== null && m2 !== null);
    await stack.receipts.submitted('c1', m1, { kind: 'accepted', upstreamId: 'UP-1' });
    await stack.receipts.submitted('c1', m2, { kind: 'rejected', status: CommandStatus.ESME_RINVDSTADR });
    const upstream: PduOf<'deliver_sm'> = {
      command: 'deliver_sm',
      command_status: 0,
      sequence_number: 1,
      service_type: '',
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: '33612345678',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: '12345',
      esm_class: 0x04,
      protocol_id: 0,
      priority_flag: 0,
      schedule_delivery_time: '',
      validity_period: '',
      registered_delivery: 0,
      replace_if_present_flag: 0,
      data_coding: 0,
      sm_default_msg_id: 0,
      short_message: Buffer.from(
        'id:UP-1 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:',
      ),
      tlvs: { receipted_message_id: 'UP-1', message_state: 2 },
    };
    assert.equal(await stack.receipts.delivered('c1', upstream), 0);
    const ids = (e: Esme) =>
      e.received.filter((p) => p.command === 'deliver_sm').map((p) => String(p.tlvs?.receipted_message_id));
    const until = Date.now() + 5000;
    while (Date.now() < until && !(ids(ownerRx).includes(delivered) && ids(ownerRx).includes(failed))) await sleep(20);
    assert.ok(ids(ownerRx).includes(delivered) && ids(ownerRx).includes(failed), `owner got ${ids(ownerRx)}`);
    await sleep(500); // time for a misdelivery to show
    assert.deepEqual(ids(otherRx), [], "user2's receiver got user1's receipts");
    assert.deepEqual(ids(other), [], "user2's transceiver got user1's receipts");
    assert.deepEqual(ids(owner), [], 'never to a transmitter bind');
  });
});
