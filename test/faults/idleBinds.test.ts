// 10,000 idle binds (issue #8, "Faults"): the server runs alone in a child process (idleServer.ts) so the RSS it
// reports is its own; this process opens IDLE_BINDS (default 10,000) transceiver binds and holds them idle, then
// asks the child for its memory. Target: under 1 GiB RSS for the whole server process. The well-behaved ESME's
// submit_sm latency is printed quiet vs with the binds held. Takes ~10–20 s here; set IDLE_BINDS to change the count.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { CommandId, encodePdu } from '../../src/smpp/codec/index.js';
import { LatencyProbe, PASSWORD, printLatencyTable } from './harness.js';

const BINDS = Number(process.env.IDLE_BINDS ?? 10_000);
const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  sessions: number;
}

class Child {
  readonly proc: ChildProcess;
  readonly #lines: Interface;
  readonly #queue: ((line: string) => void)[] = [];

  constructor() {
    this.proc = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'idleServer.ts')],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, MAX_CONNECTIONS: String(BINDS + 100) },
      },
    );
    this.#lines = createInterface({ input: this.proc.stdout! });
    this.#lines.on('line', (line) => this.#queue.shift()?.(line));
  }

  next(timeoutMs = 30_000): Promise<Record<string, number>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server child did not answer')), timeoutMs);
      this.#queue.push((line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, number>);
      });
    });
  }

  async memory(): Promise<Memory> {
    const answer = this.next();
    this.proc.stdin!.write('rss\n');
    return (await answer) as unknown as Memory;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.stdin!.end('stop\n');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

const BIND = encodePdu({
  command: 'bind_transceiver',
  command_status: 0,
  sequence_number: 1,
  system_id: 'user1',
  password: PASSWORD,
  system_type: '',
  interface_version: 0x34,
  addr_ton: 0,
  addr_npi: 0,
  address_range: '',
});

/** Opens one raw connection, binds, and keeps it idle (answering enquire_link); resolves once bound. */
function idleBind(port: number, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    let bound = false;
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write(BIND));
    socket.on('error', (e) => {
      if (!bound) reject(e);
    });
    socket.on('data', (chunk: Buffer) => {
      for (let p = 0; p + 16 <= chunk.length; p += chunk.readUInt32BE(p)) {
        const id = chunk.readUInt32BE(p + 4);
        if (id === CommandId.bind_transceiver_resp && !bound) {
          if (chunk.readUInt32BE(p + 8) !== 0) reject(new Error(`bind refused ${chunk.readUInt32BE(p + 8)}`));
          bound = true;
          resolve(socket);
        } else if (id === CommandId.enquire_link) {
          const r = Buffer.alloc(16);
          r.writeUInt32BE(16, 0);
          r.writeUInt32BE(CommandId.enquire_link_resp, 4);
          r.writeUInt32BE(chunk.readUInt32BE(p + 12), 12);
          socket.write(r);
        }
        if (chunk.readUInt32BE(p) < 16) break;
      }
    });
    socket.once('close', () => {
      if (!bound) reject(new Error('closed before bind_resp'));
    });
  });
}

describe(`${BINDS.toLocaleString('en')} idle binds`, () => {
  let child: Child;
  let port: number;
  const sockets: net.Socket[] = [];
  before(async () => {
    child = new Child();
    port = (await child.next()).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await child.stop();
  });

  it('are held under 1 GiB of server RSS while a well-behaved ESME keeps its latency', async () => {
    const probe = await LatencyProbe.start(port);
    await probe.quiet(300);
    const quiet = await probe.quiet(1500);
    const base = await child.memory();
    const t0 = performance.now();
    for (let i = 0; i < BINDS; i += 250) {
      const batch = Array.from({ length: Math.min(250, BINDS - i) }, (_, k) => {
        const n = i + k;
        // Spread over source addresses so the ephemeral port range is never the limit.
        return idleBind(port, `127.0.${10 + (n >> 12)}.${1 + (n & 0xfe)}`);
      });
      sockets.push(...(await Promise.all(batch)));
    }
    const bindSeconds = (performance.now() - t0) / 1000;
    const held = await child.memory();
    const { figures: during } = await probe.during(async () => {}, 1500);
    const perSession = (held.rss - base.rss) / BINDS;
    console.log(
      `idle binds: ${BINDS} bound in ${bindSeconds.toFixed(1)} s; server RSS ${(base.rss / MiB).toFixed(0)} MiB before, ` +
        `${(held.rss / MiB).toFixed(0)} MiB with them (${(perSession / 1024).toFixed(1)} KiB per session), ` +
        `heap ${(held.heapUsed / MiB).toFixed(0)} MiB, ${held.sessions} sessions`,
    );
    printLatencyTable('idle binds', [
      { scenario: `${BINDS} idle binds held`, quiet, during, note: `server RSS ${(held.rss / MiB).toFixed(0)} MiB` },
    ]);
    await probe.close();
    assert.equal(held.sessions, BINDS + 1, 'every bind is held (plus the probe)');
    assert.ok(held.rss < GiB, `server RSS ${held.rss} over 1 GiB`);
    assert.equal(probe.failures.length, 0);
    assert.ok(during.n > 0, 'the well-behaved ESME got answers while the binds were held');
  });
});
