// The real composition root (`smppgate start`, src/cli/main.ts) as a child process of its own, so that a test can
// kill it with SIGKILL and start it again on the same store, as an operator's supervisor would. Its log goes to a
// file at INFO (one JSON line per event); the ports it listens on are read from its `started` line, which each start
// appends after the previous run's lines.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One run of `smppgate start`. */
export interface GatewayProcess {
  child: ChildProcess;
  /** SMPP port of this run. */
  smpp: number;
  admin: number;
  /** Whether the process is still running. */
  readonly alive: boolean;
  /** SIGKILL (kill -9), then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (drain), then waits for the exit (SIGKILL after `ms`); resolves with the exit code. */
  stop(ms?: number): Promise<number | null>;
}

function portOf(address: unknown): number {
  const m = /:(\d+)$/.exec(String(address));
  if (m === null) throw new Error(`no port in ${String(address)}`);
  return Number(m[1]);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `smppgate start --config <config>` and resolves once its log file (the config's [smpp-server] log_file,
 * passed as `logFile`) has a `started` line written by this run; rejects when the process exits first or after
 * `timeoutMs`.
 */
export async function startGatewayProcess(options: {
  config: string;
  logFile: string;
  timeoutMs?: number;
}): Promise<GatewayProcess> {
  const offset = existsSync(options.logFile) ? statSync(options.logFile).size : 0;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', options.config], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let started: Record<string, unknown> | undefined;
  while (started === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`smppgate start exited (${child.exitCode ?? child.signalCode}) before it listened: ${stderr}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`smppgate start did not log "started" in time: ${stderr}`);
    }
    if (existsSync(options.logFile)) {
      const text = readFileSync(options.logFile).subarray(offset).toString();
      for (const line of text.split('\n')) {
        if (!line.includes('"started"')) continue;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.event === 'started') started = parsed;
      }
    }
    if (started === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  const run: GatewayProcess = {
    child,
    smpp: portOf(started.smpp),
    admin: portOf(started.admin),
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    async kill() {
      if (!run.alive) return;
      const done = exited(child);
      child.kill('SIGKILL');
      await done;
    },
    async stop(ms = 15_000) {
      if (!run.alive) return child.exitCode;
      const done = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      await done;
      clearTimeout(timer);
      return child.exitCode;
    },
  };
  return run;
}
