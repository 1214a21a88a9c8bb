import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { connectClient, request } from '../../test/helpers/smppClient.js';
import { runCli } from './run.js';
import { runStart, type StartedGateway } from './start.js';

const TOKEN = 'start-test-token-0123456789';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Starts the daemon in-process; `stop()` plays SIGTERM and resolves with the exit code. */
async function startDaemon(config: string, extra: string[] = []) {
  let stop!: (signal: string) => void;
  const stopSignal = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const stdout = new Capture();
  const stderr = new Capture();
  let onReady!: (r: StartedGateway) => void;
  const ready = new Promise<StartedGateway>((resolve) => {
    onReady = resolve;
  });
  const exit = runStart(['--config', config, ...extra], {
    stdout,
    stderr,
    stopSignal,
    onReload: () => {},
    onReady,
  });
  const started = await Promise.race([
    ready,
    exit.then((code) => Promise.reject(new Error(`exit ${code}: ${stderr.text}`))),
  ]);
  return {
    started,
    stdout,
    stop: async () => {
      stop('SIGTERM');
      return exit;
    },
  };
}

function writeConfig(dir: string, extra = ''): string {
  const path = join(dir, 'smppgate.cfg');
  writeFileSync(
    path,
    `[smpp-server]\nid = "smpps_t"\nbind = 127.0.0.1\nport = 0\nlog_level = ERROR\nlog_file = ${join(dir, 'log', 'smpps.log')}\n\n` +
      `[store]\npath = ${join(dir, 'data')}\n\n[admin]\nbind = 127.0.0.1\nport = 0\ntoken = ${TOKEN}\n\n[http-api]\nbind = 127.0.0.1\nport = 0\n${extra}`,
  );
  return path;
}

describe('smppgate start', () => {
  it('provisions through the CLI, accepts a node-smpp submit durably, drains on stop and keeps it across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smppgate-start-'));
    try {
      const config = writeConfig(dir);
      const first = await startDaemon(config);
      const url = `http://127.0.0.1:${first.started.admin.port}`;
      const cli = async (...argv: string[]) => {
        const out = new Capture();
        const code = await runCli([...argv, '--url', url, '--token', TOKEN, '--json'], { stdout: out, stderr: out });
        assert.equal(code, 0, `smppgate ${argv.join(' ')}: ${out.text}`);
        return out.text;
      };
      await cli('group', 'add', 'customers');
      await cli(
        'user',
        'add',
        'acme',
        '--username',
        'acme',
        '--password',
        'secret1',
        '--gid',
        'customers',
        '--balance',
        '1',
      );
      // An upstream that is not there (a port just freed): the connector, if started, could only hold its queue.
      const deadPort = await new Promise<number>((resolve) => {
        const probe = createNetServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as AddressInfo;
          probe.close(() => resolve(port));
        });
      });
      await cli('connector', 'add', 'up1', '--type', 'smppc', '--set', 'host=127.0.0.1', '--set', `port=${deadPort}`);
      await cli(
        'route',
        'add',
        'mt',
        '--order',
        '0',
        '--type',
        'default',
        '--connector',
        'smppc(up1)',
        '--rate',
        '0.4',
      );

      const esme = await connectClient(first.started.smpp!.port, { answer: true });
      const bind = await request(esme, 'bind_transceiver', { system_id: 'acme', password: 'secret1' });
      assert.equal(bind.command_status, 0);
      assert.equal(bind.system_id, 'smpps_t');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const resp = await request(esme, 'submit_sm', {
          source_addr: 'ACME',
          destination_addr: `3360000000${i}`,
          short_message: `message ${i}`,
        });
        if (i < 2) {
          assert.equal(resp.command_status, 0, `submit ${i}`);
          ids.push(resp.message_id as string);
        } else {
          assert.equal(resp.command_status, 0x08, 'the third submit finds the balance short: ESME_RSYSERR');
        }
      }
      const shown = JSON.parse(await cli('message', 'show', ids[0]));
      assert.equal(shown.cid ?? shown.connector, 'up1');
      assert.equal(JSON.parse(await cli('user', 'show', 'acme')).mt_messaging_cred.quotas.balance, 0.2);
      assert.equal(await first.stop(), 0);
      esme.destroy();

      const second = await startDaemon(config);
      const url2 = `http://127.0.0.1:${second.started.admin.port}`;
      const res = await fetch(`${url2}/api/v1/messages/${ids[1]}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 200);
      const stats = (await (
        await fetch(`${url2}/api/v1/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json()) as {
        queues: Record<string, number>;
      };
      assert.equal(stats.queues.up1, 2, 'both accepted messages are still queued for their connector');
      const scrape = await fetch(`${url2}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(scrape.status, 200);
      assert.match(await scrape.text(), /^smppgate_queue_depth\{connector="up1"\} 2$/m);
      assert.equal((await fetch(`${url2}/metrics`)).status, 401, 'metrics need the admin token');
      assert.equal(await second.stop(), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('provisions the demo account on an empty store with --demo, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smppgate-start-'));
    try {
      const config = writeConfig(dir);
      const first = await startDaemon(config, ['--demo']);
      assert.match(first.stdout.text, /system_id "demo", password "demo"/);
      const esme = await connectClient(first.started.smpp!.port, { answer: true });
      assert.equal(
        (await request(esme, 'bind_transmitter', { system_id: 'demo', password: 'demo' })).command_status,
        0,
      );
      const resp = await request(esme, 'submit_sm', { destination_addr: '33611111111', short_message: 'hi' });
      assert.equal(resp.command_status, 0);
      esme.destroy();
      assert.equal(await first.stop(), 0);
      const again = await startDaemon(config, ['--demo']);
      assert.doesNotMatch(again.stdout.text, /demo provisioned/);
      assert.equal(await again.stop(), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives short message_ids when [gateway] message_id_format = short', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smppgate-start-'));
    try {
      const config = writeConfig(dir, '\n[gateway]\nmessage_id_format = short\nnode_id = a7\n');
      const daemon = await startDaemon(config, ['--demo']);
      const esme = await connectClient(daemon.started.smpp!.port, { answer: true });
      assert.equal(
        (await request(esme, 'bind_transmitter', { system_id: 'demo', password: 'demo' })).command_status,
        0,
      );
      const resp = await request(esme, 'submit_sm', { destination_addr: '33611111111', short_message: 'hi' });
      assert.equal(resp.command_status, 0);
      assert.match(resp.message_id as string, /^a7[0-9a-z]{11}$/);
      esme.destroy();
      assert.equal(await daemon.stop(), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails at startup naming the file, section and key of a bad value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smppgate-start-'));
    try {
      const path = join(dir, 'bad.cfg');
      writeFileSync(path, '[smpp-server]\nport = twenty\n');
      const stderr = new Capture();
      const code = await runStart(['--config', path], { stdout: new Capture(), stderr });
      assert.equal(code, 2);
      assert.match(stderr.text, /bad\.cfg/);
      assert.match(stderr.text, /\[smpp-server\]/);
      assert.match(stderr.text, /port/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
