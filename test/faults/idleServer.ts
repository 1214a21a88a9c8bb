// The child process of idleBinds.test.ts: the fault stack alone in its own process, so that the RSS it reports is
// the server's. Prints `{"port":…}` once listening; answers each line `rss` on stdin with its memory figures; exits
// on `stop` or when stdin closes.

import { createInterface } from 'node:readline';
import { startStack } from './harness.js';

const stack = await startStack({
  maxConnections: Number(process.env.MAX_CONNECTIONS ?? 10_100),
  timers: { sessionInitMs: 60_000, enquireLinkMs: 120_000, inactivityMs: 600_000 },
});
process.stdout.write(`${JSON.stringify({ port: stack.port })}\n`);
const lines = createInterface({ input: process.stdin });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await stack.close();
  process.exit(0);
};
lines.on('line', (line) => {
  if (line === 'rss') {
    global.gc?.();
    const m = process.memoryUsage();
    process.stdout.write(
      `${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, sessions: stack.server.sessionCount })}\n`,
    );
  } else if (line === 'stop') void stop();
});
lines.on('close', () => void stop());
