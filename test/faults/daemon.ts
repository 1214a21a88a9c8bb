// The real composition root (`smppgate start`) run in-process on a temp config, for the fault tests that need the
// admin API and the log file as an operator has them; and a raw HTTP client that sends exactly what it is given.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runStart, type StartedGateway } from '../../src/cli/start.js';

/** The admin token of every daemon started here. */
export const ADMIN_TOKEN = 'faults-admin-token-0123456789abcdef';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** A running daemon: where it listens, its log file, and stop(). */
export interface Daemon {
  started: StartedGateway;
  dir: string;
  logFile: string;
  /** The log file's text as it was when stop() finished (the folder is removed then). */
  finalLog: string;
  stop(): Promise<number>;
}

/** Starts `smppgate start --demo` in-process with `[smpp-server]` and `[admin]` extra lines and extra sections. */
export async function startDaemon(
  options: { smppExtra?: string; adminExtra?: string; extra?: string } = {},
): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'smppgate-faults-d-'));
  const logFile = join(dir, 'log', 'smpps.log');
  const config = join(dir, 'smppgate.cfg');
  writeFileSync(
    config,
    `[smpp-server]\nid = "smpps_f"\nbind = 127.0.0.1\nport = 0\nlog_file = ${logFile}\n${options.smppExtra ?? 'log_level = WARNING\n'}\n` +
      `[store]\npath = ${join(dir, 'data')}\n\n[admin]\nbind = 127.0.0.1\nport = 0\ntoken = ${ADMIN_TOKEN}\n${options.adminExtra ?? ''}\n` +
      `[http-api]\nbind = 127.0.0.1\nport = 0\n${options.extra ?? ''}`,
  );
  let stop!: (signal: string) => void;
  const stopSignal = new Promise<string>((resolve) => {
    stop = resolve;
  });
  let onReady!: (r: StartedGateway) => void;
  const ready = new Promise<StartedGateway>((resolve) => {
    onReady = resolve;
  });
  const stderr = new Capture();
  const exit = runStart(['--config', config, '--demo'], {
    stdout: new Capture(),
    stderr,
    stopSignal,
    onReload: () => {},
    onReady,
  });
  const started = await Promise.race([
    ready,
    exit.then((code) => Promise.reject(new Error(`smppgate start exited ${code}: ${stderr.text}`))),
  ]);
  const daemon: Daemon = {
    started,
    dir,
    logFile,
    finalLog: '',
    stop: async () => {
      stop('SIGTERM');
      const code = await exit;
      daemon.finalLog = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
  return daemon;
}

/** An HTTP answer as received. */
export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** Sends one request with exactly this path, headers and body (no normalisation), and reads the whole answer. */
export function rawHttp(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; token?: string | null } = {},
): Promise<RawAnswer> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? ADMIN_TOKEN : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
          ms: performance.now() - t,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}
