// The fake SMSC as a process of its own, for benchmarks (bench/gateway.ts spawns it so that the SMSC's CPU is not
// the gateway's). Arguments:
//   --port N (0)  --host ADDR (127.0.0.1)  --receipts 0|1 (1)  --receipt-delay-ms N (0)  --latency-ms N (0)
//   --id-format uuid|decimal|hex (decimal)  --receipt-format tlv|text|both (both)  --window N (1000)
// Prints {"port":N} on stdout once listening. Exits on SIGTERM, SIGINT or when stdin closes, so spawn it with
// stdin as a pipe (stdio: ['pipe', 'pipe', 'inherit']): an ignored stdin reads as closed at once. Prints its counters
// ({"submits":N,"receipts":N,"receiptsAcked":N,...}) as one JSON line on SIGUSR2 or on the stdin line `stats`.
// Nothing is logged per message; only counters are kept.

import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type SmscIdFormat, startSmsc } from './smsc.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    receipts: { type: 'string', default: '1' },
    'receipt-delay-ms': { type: 'string', default: '0' },
    'latency-ms': { type: 'string', default: '0' },
    'id-format': { type: 'string', default: 'decimal' },
    'receipt-format': { type: 'string', default: 'both' },
    window: { type: 'string', default: '1000' },
  },
  strict: true,
});

function int(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`smscProcess: --${name} must be an integer ≥ 0 (got ${value})\n`);
    process.exit(2);
  }
  return n;
}

const idFormat = values['id-format'];
if (idFormat !== 'uuid' && idFormat !== 'decimal' && idFormat !== 'hex') {
  process.stderr.write(`smscProcess: --id-format must be uuid, decimal or hex (got ${idFormat})\n`);
  process.exit(2);
}
const receiptFormat = values['receipt-format'];
if (receiptFormat !== 'tlv' && receiptFormat !== 'text' && receiptFormat !== 'both') {
  process.stderr.write(`smscProcess: --receipt-format must be tlv, text or both (got ${receiptFormat})\n`);
  process.exit(2);
}

const smsc = await startSmsc({
  port: int('port', values.port),
  host: values.host,
  idFormat: idFormat as SmscIdFormat,
  latencyMs: int('latency-ms', values['latency-ms']),
  receipts:
    values.receipts === '0'
      ? false
      : { delayMs: int('receipt-delay-ms', values['receipt-delay-ms']), format: receiptFormat },
  windowSize: Math.max(1, int('window', values.window)),
  keepSubmits: false,
  inboundFilter: false,
  timers: { enquireLinkMs: 0, inactivityMs: 0 },
});

const printStats = (): void => {
  process.stdout.write(`${JSON.stringify(smsc.counters)}\n`);
};

let exiting = false;
const exit = async (): Promise<void> => {
  if (exiting) return;
  exiting = true;
  smsc.kill();
  await smsc.close();
  process.exit(0);
};

process.on('SIGTERM', () => void exit());
process.on('SIGINT', () => void exit());
process.on('SIGUSR2', printStats);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'stats') printStats();
});
lines.on('close', () => void exit());

process.stdout.write(`${JSON.stringify({ port: smsc.port })}\n`);
