// A throwaway redis-server for tests and benchmarks: its own loopback port and temporary folder, started before a test
// file and stopped after it. Debian's redis-server is installed by .ci/run; tests skip (saying why) only where it is not.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian installs the server; `REDIS_SERVER` overrides it. */
const BINARY = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

/** A running redis-server of a test. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The server's data folder (the append-only file lives here). */
  readonly dir: string;
  /** Shuts the server down (SIGTERM, then SIGKILL) and removes its folder. */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL and keeps its folder, as a crash would. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and folder (after `kill`), replaying its append-only file. */
  restart(): Promise<void>;
}

/** How the server keeps its data. */
export interface StartRedisOptions {
  /**
   * `always` (the default): append-only file with an fsync before each answer, so an acknowledged write survives
   * `kill -9`. `everysec`: Redis's usual fsync once a second (benchmarks). `none`: memory only, for tests that never
   * restart the server.
   */
  persistence?: Persistence;
}

/** How a test server keeps its data. */
export type Persistence = 'always' | 'everysec' | 'none';

/** Why redis-server cannot run here, or null when it can: tests pass this to `{ skip }`. */
export function redisUnavailable(): string | null {
  return existsSync(BINARY) ? null : `redis-server is not installed at ${BINARY} (apt-get install redis-server)`;
}

/** A port that was free a moment ago on 127.0.0.1 (listen on 0, close). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port from the OS'));
      });
    });
  });
}

/** Answers true once the server replies +PONG to a PING on a fresh connection. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Spawns redis-server on `port` and waits for PING; rejects when it exits first (e.g. the port was taken). */
async function launch(port: number, dir: string, persistence: Persistence): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no'];
  if (persistence === 'none') args.push('--appendonly', 'no');
  else args.push('--appendonly', 'yes', '--appendfsync', persistence);
  const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  });
  child.stderr?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`redis-server on port ${port} exited at start: ${output.trim().split('\n').pop()}`);
    if (await ping(port)) return child;
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts a redis-server on a free loopback port in a temporary folder; retries another port on a clash. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const persistence = options.persistence ?? 'always';
  const dir = mkdtempSync(join(tmpdir(), 'smppgate-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < 5 && child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir, persistence);
    } catch (error) {
      lastError = error;
    }
  }
  if (child === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw lastError;
  }
  let current: ChildProcess = child;
  const kill = async () => {
    current.kill('SIGKILL');
    await waitExit(current, 5000);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    kill,
    async restart() {
      current = await launch(port, dir, persistence);
    },
    async stop() {
      current.kill('SIGTERM');
      if (!(await waitExit(current, 5000))) await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
