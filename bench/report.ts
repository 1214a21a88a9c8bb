// The pure half of `npm run bench` (bench/all.ts): reads the one `--json` line each benchmark prints after its human
// table, checks it, and renders the benchmark record as markdown (one table with our figure, the peer measured in the
// same run, the ratio, the issue's target and whether it is met, then the gateway's whole path in detail). No I/O
// here, so test/benchReport.test.ts can check the parsing and the verdicts on fixed inputs.

/** A benchmark's output could not be read: names the benchmark and what was wrong. */
export class BenchOutputError extends Error {
  constructor(
    readonly bench: string,
    message: string,
  ) {
    super(`${bench}: ${message}`);
    this.name = 'BenchOutputError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What each benchmark reports (checked shapes)

export interface CodecRow {
  pdu: string;
  bytes: number;
  decode: number;
  nodeDecode: number;
  encode: number;
  nodeEncode: number;
}

export interface CodecResult {
  runs: number;
  runMs: number;
  rows: CodecRow[];
  framer: { pdusPerSec: number; mbPerSec: number };
  framerDecode: { pdusPerSec: number; mbPerSec: number };
}

export interface LoadFigures {
  rate: number;
  p50: number;
  p99: number;
  errors: number;
}

export interface ServerRow {
  binds: number;
  window: number;
  client: 'raw' | 'node-smpp';
  ours: LoadFigures | null;
  nodeSmpp: LoadFigures | null;
}

export interface ServerResult {
  durationMs: number;
  warmupMs: number;
  rows: ServerRow[];
}

export interface AcceptResult {
  durationMs: number;
  runs: number;
  log: boolean;
  synchronous: string;
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  cpuPerMessageUs: number;
  /** Every run's balance taken equals stored × rate. */
  balanceOk: boolean;
}

export interface GatewayResult {
  store: 'sqlite' | 'redis';
  nodes: number;
  durationMs: number;
  runs: number;
  log: boolean;
  /** The median run (by msg/s with receipts). */
  rate: number;
  submitP50: number;
  submitP99: number;
  receiptP50: number;
  receiptP99: number;
  cpuPerMessageUs: number;
  /**
   * CPU per message of the fake SMSC and of the load client, which share the machine's cores with the gateway
   * (absent where the bench cannot read it, /proc being Linux's).
   */
  toolsCpuPerMessageUs?: number;
  /** The machine's cores, for the rate they allow at the three processes' combined cost. */
  cores?: number;
  peakRssMb: number;
  /** Summed over every run, so one bad run shows. */
  accepted: number;
  receipts: number;
  missing: number;
  duplicates: number;
  unknown: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the --json line

type Json = Record<string, unknown>;

/** The last line of `stdout` that is a JSON object whose `bench` is `bench`; a specific error when there is none. */
export function findJsonLine(stdout: string, bench: string): Json {
  let sawJson = false;
  const lines = stdout.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line.startsWith('{')) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    sawJson = true;
    if (typeof value === 'object' && value !== null && (value as Json).bench === bench) return value as Json;
  }
  throw new BenchOutputError(
    bench,
    sawJson ? `no JSON line with "bench":"${bench}" in its output` : 'no JSON result line in its output (--json)',
  );
}

function at(bench: string, root: unknown, path: string): unknown {
  let v: unknown = root;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null) throw new BenchOutputError(bench, `${path} is missing`);
    v = (v as Json)[key];
  }
  return v;
}

/** A finite number at `path`, or undefined when it is absent or not one (fields older outputs lack). */
function optionalNum(root: unknown, path: string): number | undefined {
  let v: unknown = root;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Json)[key];
  }
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function num(bench: string, root: unknown, path: string): number {
  const v = at(bench, root, path);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new BenchOutputError(bench, `${path} is not a finite number`);
  return v;
}

function str(bench: string, root: unknown, path: string): string {
  const v = at(bench, root, path);
  if (typeof v !== 'string') throw new BenchOutputError(bench, `${path} is not a string`);
  return v;
}

function bool(bench: string, root: unknown, path: string): boolean {
  const v = at(bench, root, path);
  if (typeof v !== 'boolean') throw new BenchOutputError(bench, `${path} is not a boolean`);
  return v;
}

function list(bench: string, root: unknown, path: string): unknown[] {
  const v = at(bench, root, path);
  if (!Array.isArray(v) || v.length === 0) throw new BenchOutputError(bench, `${path} is not a non-empty list`);
  return v;
}

export function parseCodec(stdout: string): CodecResult {
  const b = 'codec';
  const j = findJsonLine(stdout, b);
  return {
    runs: num(b, j, 'runs'),
    runMs: num(b, j, 'runMs'),
    rows: list(b, j, 'rows').map((_, i) => ({
      pdu: str(b, j, `rows.${i}.pdu`),
      bytes: num(b, j, `rows.${i}.bytes`),
      decode: num(b, j, `rows.${i}.decode`),
      nodeDecode: num(b, j, `rows.${i}.nodeDecode`),
      encode: num(b, j, `rows.${i}.encode`),
      nodeEncode: num(b, j, `rows.${i}.nodeEncode`),
    })),
    framer: { pdusPerSec: num(b, j, 'framer.pdusPerSec'), mbPerSec: num(b, j, 'framer.mbPerSec') },
    framerDecode: { pdusPerSec: num(b, j, 'framerDecode.pdusPerSec'), mbPerSec: num(b, j, 'framerDecode.mbPerSec') },
  };
}

function load(b: string, j: unknown, path: string): LoadFigures | null {
  if (at(b, j, path) === undefined) return null; // that server was not measured (--only)
  return {
    rate: num(b, j, `${path}.rate`),
    p50: num(b, j, `${path}.p50`),
    p99: num(b, j, `${path}.p99`),
    errors: num(b, j, `${path}.errors`),
  };
}

export function parseServer(stdout: string): ServerResult {
  const b = 'server';
  const j = findJsonLine(stdout, b);
  return {
    durationMs: num(b, j, 'durationMs'),
    warmupMs: num(b, j, 'warmupMs'),
    rows: list(b, j, 'rows').map((_, i) => {
      const client = str(b, j, `rows.${i}.client`);
      if (client !== 'raw' && client !== 'node-smpp') throw new BenchOutputError(b, `rows.${i}.client is ${client}`);
      return {
        binds: num(b, j, `rows.${i}.binds`),
        window: num(b, j, `rows.${i}.window`),
        client,
        ours: load(b, j, `rows.${i}.results.ours`),
        nodeSmpp: load(b, j, `rows.${i}.results.node-smpp`),
      };
    }),
  };
}

export function parseAccept(stdout: string): AcceptResult {
  const b = 'accept';
  const j = findJsonLine(stdout, b);
  const runs = list(b, j, 'runs');
  return {
    durationMs: num(b, j, 'spec.durationMs'),
    runs: runs.length,
    log: bool(b, j, 'log'),
    synchronous: str(b, j, 'synchronous'),
    rate: num(b, j, 'median.rate'),
    p50: num(b, j, 'median.p50'),
    p99: num(b, j, 'median.p99'),
    errors: num(b, j, 'median.errors'),
    cpuPerMessageUs: num(b, j, 'median.cpuPerMessageUs'),
    balanceOk: runs.every((_, i) => bool(b, j, `runs.${i}.balanceOk`)),
  };
}

/** The test tools' CPU per message and the core count, when the output has them. */
function tools(j: unknown): { toolsCpuPerMessageUs?: number; cores?: number } {
  const smsc = optionalNum(j, 'median.smscCpuPerMessageUs');
  const load = optionalNum(j, 'median.loadCpuPerMessageUs');
  const cores = optionalNum(j, 'cores');
  return {
    ...(smsc !== undefined && load !== undefined ? { toolsCpuPerMessageUs: smsc + load } : {}),
    ...(cores !== undefined ? { cores } : {}),
  };
}

export function parseGateway(stdout: string): GatewayResult {
  const b = 'gateway';
  const j = findJsonLine(stdout, b);
  const store = str(b, j, 'options.store');
  if (store !== 'sqlite' && store !== 'redis') throw new BenchOutputError(b, `options.store is ${store}`);
  const runs = list(b, j, 'runs');
  const sum = (field: string) => runs.reduce<number>((a, _, i) => a + num(b, j, `runs.${i}.${field}`), 0);
  return {
    store,
    nodes: num(b, j, 'options.nodes'),
    durationMs: num(b, j, 'options.durationMs'),
    runs: runs.length,
    log: bool(b, j, 'options.log'),
    rate: num(b, j, 'median.rate'),
    submitP50: num(b, j, 'median.submitP50'),
    submitP99: num(b, j, 'median.submitP99'),
    receiptP50: num(b, j, 'median.receiptP50'),
    receiptP99: num(b, j, 'median.receiptP99'),
    cpuPerMessageUs: num(b, j, 'median.cpuPerMessageUs'),
    ...tools(j),
    peakRssMb: num(b, j, 'median.peakRssMb'),
    accepted: sum('totalAccepted'),
    receipts: sum('totalReceipts'),
    missing: sum('missing'),
    duplicates: sum('duplicates'),
    unknown: sum('unknown'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Rows of the record

export type Verdict = 'yes' | 'no' | '–';

export interface TableRow {
  benchmark: string;
  ours: string;
  /** The peer measured in the same run (node-smpp), or the baseline a ratio is taken against. */
  peer: string;
  ratio: string;
  target: string;
  met: Verdict;
  notes: string;
}

/** Targets from the issues (#2 codec, #3 server, #4 acceptance, #5 whole path, #7 Redis). */
export const TARGETS = {
  codecDecodePerSec: 1_000_000,
  codecRatio: 10,
  serverOneBindPerSec: 400_000,
  serverRatio: 6,
  acceptPerSec: 50_000,
  gatewayPerSec: 25_000,
} as const;

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtRatio(ours: number, peer: number): string {
  if (!(peer > 0) || !Number.isFinite(ours)) return '–';
  const r = ours / peer;
  return `${r < 1 ? r.toFixed(2) : r.toFixed(1)}×`;
}

const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(0));
const yesNo = (ok: boolean): Verdict => (ok ? 'yes' : 'no');

export function codecRows(c: CodecResult): TableRow[] {
  const rows: TableRow[] = [];
  for (const r of c.rows) {
    const isSubmit = r.pdu.startsWith('submit_sm');
    rows.push({
      benchmark: `codec: decode ${r.pdu} (${r.bytes} B), PDUs/s`,
      ours: fmtInt(r.decode),
      peer: `${fmtInt(r.nodeDecode)} (node-smpp PDU.fromBuffer)`,
      ratio: fmtRatio(r.decode, r.nodeDecode),
      target: isSubmit ? `≥ ${fmtInt(TARGETS.codecDecodePerSec)}/s and ≥ ${TARGETS.codecRatio}× (#2)` : '–',
      met: isSubmit
        ? yesNo(r.decode >= TARGETS.codecDecodePerSec && r.decode >= TARGETS.codecRatio * r.nodeDecode)
        : '–',
      notes: '',
    });
    rows.push({
      benchmark: `codec: encode ${r.pdu} (${r.bytes} B), PDUs/s`,
      ours: fmtInt(r.encode),
      peer: `${fmtInt(r.nodeEncode)} (node-smpp toBuffer)`,
      ratio: fmtRatio(r.encode, r.nodeEncode),
      target: '–',
      met: '–',
      notes: '',
    });
  }
  rows.push({
    benchmark: 'codec: framer + decode, 1,000,000 PDUs in random chunks, PDUs/s',
    ours: fmtInt(c.framerDecode.pdusPerSec),
    peer: '–',
    ratio: '–',
    target: '–',
    met: '–',
    notes: `framer alone ${fmtInt(c.framer.pdusPerSec)} PDUs/s (${fmtInt(c.framer.mbPerSec)} MB/s)`,
  });
  return rows;
}

export function serverRows(s: ServerResult): TableRow[] {
  const rows: TableRow[] = [];
  const lat = (f: LoadFigures | null) =>
    f === null ? '' : `p50/p99 ${ms(f.p50)}/${ms(f.p99)} ms${f.errors > 0 ? `, ${f.errors} errors` : ''}`;
  for (const r of s.rows) {
    const load = `${r.binds} bind${r.binds > 1 ? 's' : ''} × W=${r.window}`;
    let target = '–';
    let met: Verdict = '–';
    const o = r.ours;
    const n = r.nodeSmpp;
    if (r.client === 'raw' && r.window === 100 && o !== null && n !== null) {
      const ratioOk = o.rate >= TARGETS.serverRatio * n.rate;
      if (r.binds === 1) {
        target = `≥ ${fmtInt(TARGETS.serverOneBindPerSec)}/s and ≥ ${TARGETS.serverRatio}× (#3)`;
        met = yesNo(o.rate >= TARGETS.serverOneBindPerSec && ratioOk);
      } else {
        target = `≥ ${TARGETS.serverRatio}× (#3)`;
        met = yesNo(ratioOk);
      }
    }
    rows.push({
      benchmark: `server: submit_sm/s, ${load}, ${r.client === 'raw' ? 'our raw load client' : "node-smpp's client"}`,
      ours: o === null ? '–' : fmtInt(o.rate),
      peer: n === null ? '–' : `${fmtInt(n.rate)} (node-smpp server)`,
      ratio: o !== null && n !== null ? fmtRatio(o.rate, n.rate) : '–',
      target,
      met,
      notes: [o && `ours ${lat(o)}`, n && `node-smpp ${lat(n)}`].filter(Boolean).join('; '),
    });
  }
  // The client side: the same server (ours) loaded by our raw client and by node-smpp's client.
  for (const raw of s.rows) {
    if (raw.client !== 'raw' || raw.ours === null) continue;
    const ns = s.rows.find((r) => r.client === 'node-smpp' && r.binds === raw.binds && r.window === raw.window);
    if (ns?.ours == null) continue;
    rows.push({
      benchmark: `client: submit_sm/s into our server, ${raw.binds} bind${raw.binds > 1 ? 's' : ''} × W=${raw.window}, our raw load client`,
      ours: fmtInt(raw.ours.rate),
      peer: `${fmtInt(ns.ours.rate)} (node-smpp client)`,
      ratio: fmtRatio(raw.ours.rate, ns.ours.rate),
      target: '–',
      met: '–',
      notes: '',
    });
  }
  return rows;
}

export function acceptRow(a: AcceptResult): TableRow {
  return {
    benchmark: `acceptance: durable submit_sm acceptances/s (SQLite ${a.synchronous.toUpperCase()}, rated route, 4 binds × W=100)`,
    ours: fmtInt(a.rate),
    peer: '–',
    ratio: '–',
    target: `≥ ${fmtInt(TARGETS.acceptPerSec)}/s (#4)`,
    met: yesNo(a.rate >= TARGETS.acceptPerSec && a.balanceOk),
    notes:
      `p50/p99 ${ms(a.p50)}/${ms(a.p99)} ms, ${a.cpuPerMessageUs.toFixed(1)} µs CPU/msg, ` +
      `${a.log ? 'INFO line per message to a file' : 'logging off'}, balance = stored × rate: ${a.balanceOk ? 'yes' : 'NO'}` +
      (a.errors > 0 ? `, ${a.errors} non-ROK` : ''),
  };
}

/** A gateway whole-path configuration, its result or why it has none. */
export interface GatewayOutcome {
  label: string;
  result: GatewayResult | null;
  error?: string;
}

function gatewayLabel(g: GatewayResult): string {
  return g.store === 'sqlite' ? 'SQLite, 1 node' : `Redis, ${g.nodes} node${g.nodes > 1 ? 's' : ''}`;
}

export function gatewayRows(outcomes: GatewayOutcome[]): TableRow[] {
  const sqlite = outcomes.find((o) => o.result?.store === 'sqlite')?.result ?? null;
  const redis1 = outcomes.find((o) => o.result?.store === 'redis' && o.result.nodes === 1)?.result ?? null;
  return outcomes.map((o) => {
    const g = o.result;
    if (g === null) return failedRow(o.label, o.error ?? 'no result');
    const clean = g.missing === 0 && g.duplicates === 0;
    let peer = '–';
    let ratio = '–';
    let target: string;
    let met: Verdict;
    if (g.store === 'sqlite') {
      target = `≥ ${fmtInt(TARGETS.gatewayPerSec)}/s, none lost (#5)`;
      met = yesNo(g.rate >= TARGETS.gatewayPerSec && clean);
    } else {
      target = 'none lost or duplicated (#7)';
      met = yesNo(clean);
      const base = g.nodes > 1 ? redis1 : sqlite;
      if (base !== null) {
        peer = `${fmtInt(base.rate)} (${gatewayLabel(base)})`;
        ratio = fmtRatio(g.rate, base.rate);
      }
    }
    return {
      benchmark: `gateway whole path: ${gatewayLabel(g)}, msg/s with receipts`,
      ours: fmtInt(g.rate),
      peer,
      ratio,
      target,
      met,
      notes:
        `submit p99 ${ms(g.submitP99)} ms, receipt p99 ${ms(g.receiptP99)} ms, ${g.cpuPerMessageUs.toFixed(1)} µs CPU/msg, ` +
        `missing ${g.missing}, duplicates ${g.duplicates}${budget(g)}`,
    };
  });
}

/** The CPU the fake SMSC and load client took beside the gateway, and the rate the cores allow at the total cost. */
function budget(g: GatewayResult): string {
  if (g.toolsCpuPerMessageUs === undefined || g.cores === undefined) return '';
  const total = g.cpuPerMessageUs + g.toolsCpuPerMessageUs;
  return (
    `; fake SMSC + load client ${g.toolsCpuPerMessageUs.toFixed(1)} µs CPU/msg on the same cores, ` +
    `${g.cores} cores allow ≤ ${fmtInt((g.cores * 1e6) / total)} msg/s at the ${total.toFixed(1)} µs total`
  );
}

export function failedRow(benchmark: string, error: string): TableRow {
  return { benchmark, ours: 'failed', peer: '–', ratio: '–', target: '–', met: 'no', notes: error };
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

export interface Machine {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  node: string;
  os: string;
  commit: string;
  /** 1, 5 and 15 minute load averages. */
  loadBefore: number[];
  loadAfter: number[];
}

export interface BenchTiming {
  name: string;
  seconds: number;
  /** 1-minute load average when it started. */
  loadBefore: number;
  ok: boolean;
}

export interface BenchRecord {
  machine: Machine;
  startedAt: Date;
  finishedAt: Date;
  quick: boolean;
  /** The benchmarks chosen with --only (a partial record), or undefined for all of them. */
  only?: string[];
  rows: TableRow[];
  gateway: GatewayOutcome[];
  timings: BenchTiming[];
}

export function cell(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export function renderRecord(r: BenchRecord): string {
  const m = r.machine;
  const took = Math.round((r.finishedAt.getTime() - r.startedAt.getTime()) / 1000);
  const out: string[] = [];
  out.push('# smppgate benchmark record');
  out.push('');
  out.push(
    `Written by \`npm run bench${r.quick || r.only ? ' --' : ''}${r.quick ? ' --quick' : ''}${r.only ? ` --only ${r.only.join(',')}` : ''}\` on ${utc(r.startedAt)} ` +
      `(${Math.floor(took / 60)} min ${took % 60} s), commit ${m.commit}. ` +
      (r.quick ? '**Quick run**: shorter durations and fewer runs, figures indicative only. ' : 'Full durations. ') +
      'Every peer figure was measured in this same run, on this machine (load averages below). ' +
      'How to read it: [performance.md](performance.md).',
  );
  out.push('');
  out.push('| machine | |');
  out.push('| --- | --- |');
  out.push(`| CPU | ${cell(m.cpuModel)}, ${m.cores} cores |`);
  out.push(`| RAM | ${m.ramGiB.toFixed(1)} GiB |`);
  out.push(`| OS | ${cell(m.os)} |`);
  out.push(`| Node | ${m.node} |`);
  out.push(`| load average before start (1/5/15 min) | ${loads(m.loadBefore)} |`);
  out.push(`| load average at the end | ${loads(m.loadAfter)} |`);
  out.push('');
  out.push('| benchmark | ours | peer (same run) | ratio | target | met? | notes |');
  out.push('| --- | ---: | ---: | ---: | --- | :---: | --- |');
  for (const row of r.rows) {
    out.push(
      `| ${[row.benchmark, row.ours, row.peer, row.ratio, row.target, row.met, row.notes].map(cell).join(' | ')} |`,
    );
  }
  const done = r.gateway.filter((o) => o.result !== null);
  if (done.length > 0) {
    out.push('');
    const g0 = done[0].result!;
    out.push(
      `Gateway whole path in detail: ESME 4 transceiver binds × W=100 of 160-octet submit_sm asking for a receipt → ` +
        `gateway node(s) → smppc → fake SMSC process (a DELIVRD receipt per message) → receipts back to the ESME; ` +
        `${g0.log ? 'an INFO log line per message to a file' : 'logging off'}; median of ${g0.runs} run(s) of ` +
        `${g0.durationMs / 1000} s; accepted, receipts, missing, duplicates and unknown are summed over every run.`,
    );
    out.push('');
    out.push(
      '| store, nodes | msg/s with receipts | submit p50 / p99 ms | receipt p50 / p99 ms | CPU µs/msg | peak RSS MB | accepted | receipts | missing | duplicates | unknown |',
    );
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const o of done) {
      const g = o.result!;
      out.push(
        `| ${gatewayLabel(g)} | ${fmtInt(g.rate)} | ${ms(g.submitP50)} / ${ms(g.submitP99)} | ` +
          `${ms(g.receiptP50)} / ${ms(g.receiptP99)} | ${g.cpuPerMessageUs.toFixed(1)} | ${fmtInt(g.peakRssMb)} | ` +
          `${fmtInt(g.accepted)} | ${fmtInt(g.receipts)} | ${g.missing} | ${g.duplicates} | ${g.unknown} |`,
      );
    }
  }
  out.push('');
  out.push('| benchmark process | took s | 1-min load average when it started | finished |');
  out.push('| --- | ---: | ---: | :---: |');
  for (const t of r.timings) {
    out.push(`| ${cell(t.name)} | ${t.seconds.toFixed(0)} | ${t.loadBefore.toFixed(2)} | ${t.ok ? 'yes' : 'no'} |`);
  }
  out.push('');
  return out.join('\n');
}
