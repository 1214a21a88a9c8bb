// npm run bench — every benchmark, one after another, each in a child process of its own (so each has the machine
// to itself): codec, server (ours and node-smpp's, each loaded by our raw client and by node-smpp's client), the
// acceptance half, and the gateway's whole path on SQLite and on Redis with 1 and 2 nodes. Each is started with
// --json and prints one machine-readable line after its human table; this reads those lines (bench/report.ts),
// prints one markdown record (the machine, then benchmark / ours / peer / ratio / target / met?), and writes it to
// docs/bench-latest.md. The children's own tables go to stderr as they run.
//
// Usage: node --import tsx bench/all.ts [--quick] [--only codec,server,accept,gateway] [--out file]
//   --quick  shorter durations and single runs (a few minutes; figures indicative only)
//   --only   a subset (names as listed; "gateway" is all three gateway runs); the record is then written only with --out
//   --out    where to write the record (default docs/bench-latest.md)
// Exits 1 when a benchmark failed or gave no result; the record is still written, with that row marked failed.

import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  acceptRow,
  type BenchTiming,
  codecRows,
  failedRow,
  type GatewayOutcome,
  gatewayRows,
  type Machine,
  parseAccept,
  parseCodec,
  parseGateway,
  parseServer,
  renderRecord,
  serverRows,
  type TableRow,
} from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}

const quick = process.argv.includes('--quick');
const only = arg('only')
  ?.split(',')
  .map((s) => s.trim());
const KNOWN = ['codec', 'server', 'accept', 'gateway'];
for (const name of only ?? []) {
  if (!KNOWN.includes(name)) {
    console.error(`--only: unknown benchmark "${name}" (known: ${KNOWN.join(', ')})`);
    process.exit(2);
  }
}
const outPath = arg('out') ?? (only === undefined ? join(ROOT, 'docs/bench-latest.md') : undefined);

const gatewayArgs = quick
  ? ['--runs', '1', '--duration', '4000', '--warmup', '2000']
  : ['--runs', '3', '--duration', '10000', '--warmup', '2000'];

interface Step {
  group: string;
  name: string;
  file: string;
  args: string[];
  /** Longest it may take before it is stopped. */
  timeoutMs: number;
}

const steps: Step[] = [
  { group: 'codec', name: 'codec', file: 'bench/codec.ts', args: quick ? ['--quick'] : [], timeoutMs: 10 * 60_000 },
  {
    group: 'server',
    name: 'server',
    file: 'bench/server.ts',
    args: quick ? ['--duration', '1000', '--warmup', '300'] : ['--duration', '3000', '--warmup', '1000'],
    timeoutMs: 15 * 60_000,
  },
  {
    group: 'accept',
    name: 'accept',
    file: 'bench/accept.ts',
    args: quick ? ['--runs', '1', '--duration', '2000', '--warmup', '500'] : ['--runs', '3'],
    timeoutMs: 10 * 60_000,
  },
  {
    group: 'gateway',
    name: 'gateway whole path: SQLite, 1 node',
    file: 'bench/gateway.ts',
    args: ['--store', 'sqlite', ...gatewayArgs],
    timeoutMs: 15 * 60_000,
  },
  {
    group: 'gateway',
    name: 'gateway whole path: Redis, 1 node',
    file: 'bench/gateway.ts',
    args: ['--store', 'redis', '--nodes', '1', ...gatewayArgs],
    timeoutMs: 15 * 60_000,
  },
  {
    group: 'gateway',
    name: 'gateway whole path: Redis, 2 nodes',
    file: 'bench/gateway.ts',
    args: ['--store', 'redis', '--nodes', '2', ...gatewayArgs],
    timeoutMs: 15 * 60_000,
  },
].filter((s) => only === undefined || only.includes(s.group));

// ---------------------------------------------------------------------------------------------------------------
// The machine

function osName(): string {
  let pretty = '';
  try {
    pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux, or no os-release: the kernel line alone
  }
  return `${type()} ${release()}${pretty !== '' ? ` (${pretty})` : ''}`;
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? head : `${head} (with uncommitted changes)`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function machine(loadBefore: number[], commitAtStart: string): Machine {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    ramGiB: totalmem() / 1024 ** 3,
    node: process.version,
    os: osName(),
    commit: commitAtStart,
    loadBefore,
    loadAfter: loadavg(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Running one benchmark

let current: ReturnType<typeof spawn> | null = null;

/** Runs a benchmark with --json; resolves with its stdout, rejects with a specific reason. */
function run(step: Step): Promise<string> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout or ^C can stop the benchmark together with the children it forked.
    const child = spawn(process.execPath, ['--import', 'tsx', step.file, '--json', ...step.args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    current = child;
    let stdout = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      stdout += chunk;
      process.stderr.write(chunk);
    });
    const timer = setTimeout(() => {
      killGroup(child.pid);
      reject(new Error(`stopped after ${Math.round(step.timeoutMs / 1000)} s without finishing`));
    }, step.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      current = null;
      if (code === 0) resolve(stdout);
      else reject(new Error(signal !== null ? `killed by ${signal}` : `exited with code ${code}`));
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

process.on('SIGINT', () => {
  killGroup(current?.pid);
  process.exit(130);
});

// ---------------------------------------------------------------------------------------------------------------
// Main

const loadBefore = loadavg();
const commitAtStart = commit(); // the code measured: others may commit while it runs
const startedAt = new Date();
const rows: TableRow[] = [];
const gateway: GatewayOutcome[] = [];
const timings: BenchTiming[] = [];
let failures = 0;

for (const step of steps) {
  process.stderr.write(`\n=== ${step.name}: node --import tsx ${step.file} --json ${step.args.join(' ')}\n`);
  const t0 = performance.now();
  const load1 = loadavg()[0];
  let ok = false;
  try {
    const stdout = await run(step);
    switch (step.group) {
      case 'codec':
        rows.push(...codecRows(parseCodec(stdout)));
        break;
      case 'server':
        rows.push(...serverRows(parseServer(stdout)));
        break;
      case 'accept':
        rows.push(acceptRow(parseAccept(stdout)));
        break;
      case 'gateway':
        gateway.push({ label: step.name, result: parseGateway(stdout) });
        break;
    }
    ok = true;
  } catch (err) {
    failures++;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`=== ${step.name} failed: ${message}\n`);
    if (step.group === 'gateway') gateway.push({ label: step.name, result: null, error: message });
    else rows.push(failedRow(step.name, message));
  }
  timings.push({ name: step.name, seconds: (performance.now() - t0) / 1000, loadBefore: load1, ok });
}

rows.push(...gatewayRows(gateway));

const record = renderRecord({
  machine: machine(loadBefore, commitAtStart),
  startedAt,
  finishedAt: new Date(),
  quick,
  ...(only !== undefined ? { only } : {}),
  rows,
  gateway,
  timings,
});
console.log(record);
if (outPath !== undefined) {
  writeFileSync(outPath, record);
  process.stderr.write(`record written to ${outPath}\n`);
}
process.exit(failures > 0 ? 1 : 0);
