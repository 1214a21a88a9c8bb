// The dashboard's "last errors" of a real gateway (`smppgate start`) carry its WARNING and ERROR log lines, tapped from
// the logger whatever log_level writes: a connector's failing bind and an ESME's framing error show up with their
// connector and session, and never with the connector's password.

import assert from 'node:assert/strict';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { describe, it } from 'node:test';
import { ADMIN_TOKEN, startDaemon } from '../../test/faults/daemon.js';
import type { ErrorEntry } from '../api/dashboard/index.js';

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('dashboard last errors from the log', () => {
  it('show WARNING/ERROR log lines of a running gateway with their connector and session, without secrets', async () => {
    // log_level ERROR: the warnings below are not written to the file, yet the dashboard must show them.
    const daemon = await startDaemon({ smppExtra: 'log_level = ERROR\n' });
    const { started } = daemon;
    try {
      const admin = `http://127.0.0.1:${started.admin.port}`;
      const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
      // A connector whose upstream is not there: its binds fail and are retried (upstream_down, WARNING).
      const port = await closedPort();
      const created = await fetch(`${admin}/api/v1/connectors`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          cid: 'down1',
          type: 'smppc',
          settings: { host: '127.0.0.1', port, system_id: 'gw', password: 'Pw9zQx7' },
        }),
      });
      assert.equal(created.status, 201, await created.text());
      const startedConnector = await fetch(`${admin}/api/v1/connectors/down1/start`, { method: 'POST', headers });
      assert.equal(startedConnector.status, 200, await startedConnector.text());
      // An ESME that sends a PDU whose command_length is below the header's 16 octets (framing_error, WARNING).
      const socket = connect(started.smpp!.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(Buffer.from([0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1]));

      let errors: ErrorEntry[] = [];
      let raw = '';
      const end = Date.now() + 15_000;
      const has = (event: string) => errors.some((e) => e.event === event);
      while (!(has('upstream_down') && has('framing_error'))) {
        assert.ok(Date.now() < end, `timed out; last errors: ${raw}`);
        await new Promise((r) => setTimeout(r, 100));
        const r = await fetch(`${admin}/dashboard/api/snapshot`, { headers });
        assert.equal(r.status, 200);
        raw = await r.text();
        errors = (JSON.parse(raw) as { snapshot: { errors: ErrorEntry[] } }).snapshot.errors;
      }
      socket.destroy();
      const down = errors.find((e) => e.event === 'upstream_down');
      assert.equal(down?.level, 'warn');
      assert.match(down?.message ?? '', /cid=down1/);
      const framing = errors.find((e) => e.event === 'framing_error');
      assert.equal(framing?.level, 'warn');
      assert.match(framing?.session ?? '', /^smpps_f/, 'the session id is kept as a field');
      assert.match(framing?.message ?? '', /session=smpps_f\S* peer=127\.0\.0\.1/);
      assert.ok(!raw.includes('Pw9zQx7'), 'the connector password never reaches the dashboard');
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  });
});
