// npm run bench's reading of the benchmarks' --json lines and its verdicts (bench/report.ts), on fixed outputs: the
// line found among the human tables, a specific error for a missing or malformed result, the targets of #2–#5 judged
// on the right figures, loss summed over every gateway run, and cells that cannot break the markdown table.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  acceptRow,
  BenchOutputError,
  codecRows,
  findJsonLine,
  gatewayRows,
  parseAccept,
  parseCodec,
  parseGateway,
  parseServer,
  renderRecord,
  serverRows,
} from '../bench/report.js';

const humanTable = 'smppgate codec benchmark: Node v20\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n';

function codecOutput(decode: number, nodeDecode: number): string {
  const row = (pdu: string, d: number, nd: number) => ({
    pdu,
    bytes: 209,
    decode: d,
    nodeDecode: nd,
    encode: 2e6,
    nodeEncode: 1e5,
  });
  const json = {
    bench: 'codec',
    runs: 7,
    runMs: 300,
    rows: [row('submit_sm 160 chars', decode, nodeDecode), row('enquire_link', 1e7, 1e6)],
    framer: { pdusPerSec: 1.8e7, mbPerSec: 2600 },
    framerDecode: { pdusPerSec: 3e6, mbPerSec: 400 },
  };
  return `${humanTable}${JSON.stringify(json)}\n`;
}

function load(rate: number) {
  return { responses: rate, errors: 0, seconds: 1, rate, p50: 0.1, p99: 0.4 };
}

function serverOutput(oursRaw: number, nodeRaw: number, withNodeSmpp = true): string {
  const rows = [
    { client: 'raw', o: oursRaw, n: nodeRaw },
    { client: 'node-smpp', o: 30_000, n: 29_000 },
  ].map(({ client, o, n }) => ({
    scenario: '1 bind × W=100',
    binds: 1,
    window: 100,
    client,
    results: withNodeSmpp ? { ours: load(o), 'node-smpp': load(n) } : { ours: load(o) },
  }));
  return `progress line\n${JSON.stringify({ bench: 'server', durationMs: 3000, warmupMs: 1000, rows })}\n`;
}

function gatewayRun(rate: number, missing = 0, duplicates = 0) {
  return {
    accepted: rate,
    refused: 0,
    receipts: rate,
    seconds: 1,
    rate,
    submitP50: 5,
    submitP99: 12,
    receiptP50: 40,
    receiptP99: 90,
    totalAccepted: 1000,
    totalReceipts: 1000 - missing + duplicates,
    missing,
    duplicates,
    unknown: 0,
    peakRssMb: 180,
    cpuPerMessageUs: 150,
    smscSubmits: 1000,
    smscReceipts: 1000,
    callsPerCommit: 20,
  };
}

function gatewayOutput(store: 'sqlite' | 'redis', nodes: number, runs: ReturnType<typeof gatewayRun>[]): string {
  const sorted = [...runs].sort((a, b) => a.rate - b.rate);
  const json = {
    bench: 'gateway',
    options: { store, nodes, binds: 4, window: 100, durationMs: 10_000, warmupMs: 2000, log: true },
    median: sorted[Math.floor(sorted.length / 2)],
    runs,
  };
  return `| msg/s |\n${JSON.stringify(json)}\n`;
}

describe('findJsonLine', () => {
  it('finds the result line among the human output, the last one when there are several', () => {
    const out = `${humanTable}{"bench":"codec","n":1}\n{"other":true}\n{"bench":"codec","n":2}\ntrailing text\n`;
    assert.equal(findJsonLine(out, 'codec').n, 2);
  });

  it('names the benchmark and says what is missing', () => {
    assert.throws(
      () => findJsonLine(humanTable, 'codec'),
      (e: unknown) => e instanceof BenchOutputError && e.bench === 'codec' && /--json/.test(e.message),
    );
    assert.throws(
      () => findJsonLine('{"bench":"server"}\n', 'codec'),
      (e: unknown) => e instanceof BenchOutputError && /"bench":"codec"/.test(e.message),
    );
    assert.throws(() => findJsonLine('{"bench":"codec", broken\n', 'codec'), BenchOutputError);
  });
});

describe('codec', () => {
  it('meets #2 only with ≥ 1,000,000 submit_sm decodes/s and ≥ 10× node-smpp', () => {
    const verdict = (d: number, nd: number) =>
      codecRows(parseCodec(codecOutput(d, nd))).find((r) => r.benchmark.startsWith('codec: decode submit_sm'))!;
    const good = verdict(1_200_000, 100_000);
    assert.equal(good.met, 'yes');
    assert.equal(good.ours, '1,200,000');
    assert.equal(good.ratio, '12.0×');
    assert.equal(verdict(900_000, 50_000).met, 'no'); // 18× but under a million
    assert.equal(verdict(1_200_000, 200_000).met, 'no'); // a million but only 6×
    assert.equal(verdict(1_000_000, 100_000).met, 'yes'); // both exactly at the target
  });

  it('judges only submit_sm decode; the other rows carry figures without a target', () => {
    const rows = codecRows(parseCodec(codecOutput(1_200_000, 100_000)));
    assert.equal(rows.length, 5); // 2 PDUs × decode/encode + framer
    assert.deepEqual(
      rows.filter((r) => r.met !== '–').map((r) => r.benchmark),
      ['codec: decode submit_sm 160 chars (209 B), PDUs/s'],
    );
  });

  it('refuses a result whose figure is not a number, naming the field', () => {
    const bad = codecOutput(1, 1).replace('"decode":1,', '"decode":"fast",');
    assert.throws(() => parseCodec(bad), /codec: rows\.0\.decode is not a finite number/);
  });
});

describe('server', () => {
  it('meets #3 on 1 bind × W=100 from the raw client only with ≥ 400,000/s and ≥ 6× node-smpp', () => {
    const row = (o: number, n: number) => serverRows(parseServer(serverOutput(o, n)))[0];
    assert.equal(row(450_000, 70_000).met, 'yes');
    assert.equal(row(450_000, 80_000).met, 'no'); // 5.6×
    assert.equal(row(390_000, 20_000).met, 'no');
    assert.equal(row(450_000, 70_000).ratio, '6.4×');
  });

  it('puts no target on node-smpp client rows, and compares the two clients on our server', () => {
    const rows = serverRows(parseServer(serverOutput(450_000, 70_000)));
    assert.equal(rows[1].met, '–');
    const client = rows.find((r) => r.benchmark.startsWith('client:'))!;
    assert.equal(client.ours, '450,000');
    assert.match(client.peer, /^30,000 \(node-smpp client\)$/);
    assert.equal(client.ratio, '15.0×');
  });

  it('reads a run with only our server measured: no peer, no ratio, no verdict', () => {
    const row = serverRows(parseServer(serverOutput(450_000, 0, false)))[0];
    assert.equal(row.peer, '–');
    assert.equal(row.ratio, '–');
    assert.equal(row.met, '–');
  });
});

describe('acceptance', () => {
  it('meets #4 only at ≥ 50,000/s with the balance equal to stored × rate in every run', () => {
    const out = (rate: number, balanceOk: boolean[]) => {
      const runs = balanceOk.map((ok) => ({
        ...load(rate),
        stored: rate,
        dbBytes: 1,
        balanceOk: ok,
        cpuPerMessageUs: 15,
      }));
      const spec = { binds: 4, window: 100, durationMs: 5000, warmupMs: 1000 };
      return JSON.stringify({ bench: 'accept', spec, synchronous: 'full', log: false, median: runs[0], runs });
    };
    assert.equal(acceptRow(parseAccept(out(60_000, [true, true, true]))).met, 'yes');
    assert.equal(acceptRow(parseAccept(out(60_000, [true, false, true]))).met, 'no');
    assert.equal(acceptRow(parseAccept(out(40_000, [true]))).met, 'no');
  });
});

describe('gateway', () => {
  it('sums loss over every run, so one bad run fails the row even when the median run was clean', () => {
    const g = parseGateway(
      gatewayOutput('sqlite', 1, [gatewayRun(30_000), gatewayRun(31_000, 0, 2), gatewayRun(29_000, 1)]),
    );
    assert.equal(g.rate, 30_000);
    assert.equal(g.missing, 1);
    assert.equal(g.duplicates, 2);
    assert.equal(g.accepted, 3000);
    const [row] = gatewayRows([{ label: 'SQLite', result: g }]);
    assert.equal(row.met, 'no');
    assert.match(row.notes, /missing 1, duplicates 2/);
  });

  it('meets #5 on SQLite at ≥ 25,000 msg/s with receipts and nothing lost', () => {
    const row = (rate: number) =>
      gatewayRows([{ label: 'SQLite', result: parseGateway(gatewayOutput('sqlite', 1, [gatewayRun(rate)])) }])[0];
    assert.equal(row(26_000).met, 'yes');
    assert.equal(row(24_000).met, 'no');
  });

  it("notes the test tools' CPU beside the gateway's and the rate the cores allow, when the output has them", () => {
    const run = { ...gatewayRun(6_000), smscCpuPerMessageUs: 14, loadCpuPerMessageUs: 11 };
    const out = gatewayOutput('sqlite', 1, [run]).replace('"bench":"gateway",', '"bench":"gateway","cores":2,');
    const [row] = gatewayRows([{ label: 'SQLite', result: parseGateway(out) }]);
    assert.match(
      row.notes,
      /fake SMSC \+ load client 25\.0 µs CPU\/msg on the same cores, 2 cores allow ≤ 11,429 msg\/s at the 175\.0 µs total/,
    );
    const [plain] = gatewayRows([
      { label: 'SQLite', result: parseGateway(gatewayOutput('sqlite', 1, [gatewayRun(6_000)])) },
    ]);
    assert.doesNotMatch(plain.notes, /load client/);
  });

  it('gives Redis rows their ratio to the baseline (1 node to SQLite, 2 nodes to 1 node) and judges them on loss', () => {
    const rows = gatewayRows([
      { label: 'SQLite', result: parseGateway(gatewayOutput('sqlite', 1, [gatewayRun(20_000)])) },
      { label: 'Redis 1', result: parseGateway(gatewayOutput('redis', 1, [gatewayRun(10_000)])) },
      { label: 'Redis 2', result: parseGateway(gatewayOutput('redis', 2, [gatewayRun(15_000)])) },
      { label: 'gateway whole path: Redis, 3 nodes', result: null, error: 'exited with code 1' },
    ]);
    assert.equal(rows[1].ratio, '0.50×');
    assert.match(rows[1].peer, /SQLite, 1 node/);
    assert.equal(rows[1].met, 'yes');
    assert.equal(rows[2].ratio, '1.5×');
    assert.match(rows[2].peer, /Redis, 1 node/);
    assert.deepEqual(
      [rows[3].benchmark, rows[3].ours, rows[3].met],
      ['gateway whole path: Redis, 3 nodes', 'failed', 'no'],
    );
  });
});

describe('renderRecord', () => {
  it('prints the machine, one table row per benchmark row, and keeps a | in a cell from splitting it', () => {
    const rows = [
      ...codecRows(parseCodec(codecOutput(1_200_000, 100_000))),
      {
        benchmark: 'weird | name',
        ours: 'failed',
        peer: '–',
        ratio: '–',
        target: '–',
        met: 'no' as const,
        notes: 'a\nb',
      },
    ];
    const md = renderRecord({
      machine: {
        cpuModel: 'Test CPU',
        cores: 2,
        ramGiB: 4,
        node: 'v20.0.0',
        os: 'Linux',
        commit: 'abc1234',
        loadBefore: [1.5, 1, 0.5],
        loadAfter: [2, 1, 0.5],
      },
      startedAt: new Date('2026-01-01T07:45:00Z'),
      finishedAt: new Date('2026-01-01T07:53:30Z'),
      quick: false,
      rows,
      gateway: [],
      timings: [{ name: 'codec', seconds: 40, loadBefore: 1.5, ok: true }],
    });
    assert.match(md, /\| CPU \| Test CPU, 2 cores \|/);
    assert.match(md, /1\.50 \/ 1\.00 \/ 0\.50/);
    assert.match(md, /2026-01-01 07:45 UTC \(8 min 30 s\)/);
    const lines = md.split('\n');
    const header = lines.findIndex((l) => l.startsWith('| benchmark | ours |'));
    const body = lines.slice(header + 2, lines.indexOf('', header));
    assert.equal(body.length, rows.length);
    const weird = body.find((l) => l.includes('weird'))!;
    assert.equal(weird.split(/(?<!\\)\|/).length - 2, 7); // seven cells, the escaped | inside the first
    assert.match(weird, /a b/);
  });
});
