// kill -9 of the gateway at full load, then a restart on the same Redis store (appendfsync always), issue #8: every
// submit answered ESME_ROK reaches the SMSC, every receipt the SMSC produced reaches the ESME. The scenario is in
// crashRun.ts. Skipped, saying why, only where redis-server is not installed (.ci/run installs it).

import { it } from 'node:test';
import { redisUnavailable } from '../helpers/redisServer.js';
import { crashRun } from './crashRun.js';

it(
  'kill -9 at full load, Redis (appendfsync always): every ROK submit reaches the SMSC and every receipt reaches the ESME',
  { timeout: 110_000, skip: redisUnavailable() ?? false },
  () => crashRun('redis'),
);
