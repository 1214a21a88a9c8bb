// kill -9 of the gateway at full load, then a restart on the same SQLite store (issue #8): every submit answered
// ESME_ROK reaches the SMSC, every receipt the SMSC produced reaches the ESME. The scenario is in crashRun.ts.

import { it } from 'node:test';
import { crashRun } from './crashRun.js';

it(
  'kill -9 at full load, SQLite: every ROK submit reaches the SMSC and every receipt reaches the ESME',
  { timeout: 110_000 },
  () => crashRun('sqlite'),
);
