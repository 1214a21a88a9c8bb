// The access log file: one JSON line per request, written where `[http-api] access_log` says.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openAccessLog } from './accessLog.js';

describe('openAccessLog', () => {
  it('is null when access_log is unset', () => {
    assert.equal(openAccessLog(null), null);
  });

  it('appends one JSON line per request to the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smppgate-access-'));
    try {
      const file = join(dir, 'http-access.log');
      const log = openAccessLog(file);
      assert.ok(log !== null);
      log.info('http_access', { method: 'GET', path: '/ping', status: 200 });
      log.info('http_access', { method: 'POST', path: '/send', status: 400 });
      await log.close();
      const lines = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(
        lines.map((l) => [l.event, l.path, l.status]),
        [
          ['http_access', '/ping', 200],
          ['http_access', '/send', 400],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
