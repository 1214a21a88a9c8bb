import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { readBody, readJson } from './body.js';
import { sendError, sendJson } from './respond.js';

const LIMIT = 1024;

/** Sends a request and collects the status and body; `write` drives the request body. */
function send(
  port: number,
  headers: Record<string, string | number>,
  write: (req: ReturnType<typeof request>) => void,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    write(req);
  });
}

describe('readJson', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((req, res) => {
      readJson(req, LIMIT).then(
        (value) => sendJson(res, 200, { value: value === undefined ? '<empty>' : value }),
        (err) => sendError(res, err),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('parses a JSON body and treats an empty one as undefined', async () => {
    const ok = await send(port, {}, (req) => req.end('{"a":[1,2]}'));
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), { value: { a: [1, 2] } });
    const empty = await send(port, {}, (req) => req.end());
    assert.deepEqual(JSON.parse(empty.body), { value: '<empty>' });
  });

  it('answers 400 naming the body for malformed JSON', async () => {
    const bad = await send(port, {}, (req) => req.end('{"a":'));
    assert.equal(bad.status, 400);
    const body = JSON.parse(bad.body) as { error: string; field: string };
    assert.equal(body.field, 'body');
    assert.match(body.error, /not valid JSON/);
  });

  it('refuses a declared Content-Length over the limit before reading the body', async () => {
    // Only the headers are sent: the answer must come without the body ever being written.
    const res = await send(port, { 'Content-Length': LIMIT + 1 }, (req) => req.flushHeaders());
    assert.equal(res.status, 413);
    assert.match(res.body, /larger than 1024 bytes/);
  });

  it('answers 413 to a chunked body that grows past the limit, and accepts one exactly at it', async () => {
    const big = await send(port, { 'Transfer-Encoding': 'chunked' }, (req) => {
      for (let i = 0; i < 4; i++) req.write('x'.repeat(LIMIT / 2));
      req.end();
    });
    assert.equal(big.status, 413);
    const exact = `"${'y'.repeat(LIMIT - 2)}"`;
    const fits = await send(port, { 'Transfer-Encoding': 'chunked' }, (req) => req.end(exact));
    assert.equal(fits.status, 200);
  });

  it('settles with 413 when it cuts a chunked body far past the limit, so the handler finishes', async () => {
    // A separate server whose handler records how readBody ended, since the client only sees the connection cut.
    let settled!: (outcome: string) => void;
    const outcome = new Promise<string>((resolve) => {
      settled = resolve;
    });
    const cutter = createServer((req) => {
      readBody(req, LIMIT).then(
        () => settled('resolved'),
        (err: { status?: number }) => settled(`rejected ${err.status}`),
      );
    });
    await new Promise<void>((r) => cutter.listen(0, '127.0.0.1', r));
    const cutterPort = (cutter.address() as AddressInfo).port;
    const sent = send(cutterPort, { 'Transfer-Encoding': 'chunked' }, (req) => {
      for (let i = 0; i < 64; i++) req.write('z'.repeat(LIMIT));
      req.end();
    }).catch(() => 'cut');
    const timer = setTimeout(() => settled('never settled'), 5000);
    try {
      assert.equal(await outcome, 'rejected 413');
      await sent;
    } finally {
      clearTimeout(timer);
      cutter.closeAllConnections();
      await new Promise<void>((r) => cutter.close(() => r()));
    }
  });
});
