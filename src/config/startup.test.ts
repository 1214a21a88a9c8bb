import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.js';
import { parseConfig } from './load.js';
import { loadTlsCredentials, prepareLogFile, prepareLogFiles, resolveAdminToken } from './startup.js';

const tmp = mkdtempSync(join(tmpdir(), 'smppgate-startup-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const fixture = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

function configError(fn: () => unknown, message: RegExp, where: { section: string; key: string; line?: number }) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, message);
    assert.equal(e.section, where.section);
    assert.equal(e.key, where.key);
    if (where.line !== undefined) assert.equal(e.line, where.line);
    return true;
  });
}

describe('prepareLogFile(s)', () => {
  it('creates the missing folders and leaves an existing file as it is', () => {
    const path = join(tmp, 'a', 'b', 'smpps.log');
    prepareLogFile(path, { file: 'x.cfg' });
    assert.equal(statSync(path).size, 0);
    writeFileSync(path, 'kept\n');
    prepareLogFile(path, { file: 'x.cfg' });
    assert.equal(readFileSync(path, 'utf8'), 'kept\n');
  });

  it('names file, section, key and line of every log file that cannot be written', () => {
    const blocker = join(tmp, 'not-a-folder');
    writeFileSync(blocker, '');
    const cfg = `[smpp-server]\nlog_file = ${join(tmp, 'ok', 'smpps.log')}\n\n[http-api]\naccess_log = ${join(blocker, 'access.log')}\n`;
    configError(
      () => prepareLogFiles(parseConfig(cfg, 'gw.cfg')),
      /^gw\.cfg \[http-api\] access_log: cannot append to .*not-a-folder\/access\.log: ENOTDIR .* \(line 5\)$/,
      { section: 'http-api', key: 'access_log', line: 5 },
    );
    configError(
      () => prepareLogFiles(parseConfig(`[smpp-server]\nlog_file = ${tmp}\n`, 'gw.cfg')),
      /^gw\.cfg \[smpp-server\] log_file: cannot append to .*: EISDIR .* \(line 2\)$/,
      { section: 'smpp-server', key: 'log_file', line: 2 },
    );
  });

  it('returns the files it prepared (none with the defaults)', () => {
    assert.deepEqual(prepareLogFiles(parseConfig('', 'x.cfg')), []);
    const a = join(tmp, 'logs', 'smpps.log');
    const b = join(tmp, 'logs', 'http.log');
    const c = join(tmp, 'logs', 'access.log');
    const loaded = parseConfig(
      `[smpp-server]\nlog_file = ${a}\n[http-api]\nlog_file = ${b}\naccess_log = ${c}\n`,
      'x.cfg',
    );
    assert.deepEqual(prepareLogFiles(loaded).sort(), [a, b, c].sort());
  });

  it('refuses a place no one may create files in (procfs, even as root), without hanging on it', () => {
    configError(
      () => prepareLogFile('/proc/smppgate/a/b.log', { file: 'x.cfg', section: 'smpp-server', key: 'log_file' }),
      /^x\.cfg \[smpp-server\] log_file: cannot append to \/proc\/smppgate\/a\/b\.log: ENOENT/,
      { section: 'smpp-server', key: 'log_file' },
    );
  });
});

describe('loadTlsCredentials', () => {
  const tlsCfg = (cert: string, key: string) =>
    parseConfig(`[smpp-server-tls]\ncert = ${cert}\nkey = ${key}\nmin_version = TLSv1.3\n`, 'tls.cfg');

  it('is null without a cert (no TLS listener)', () => {
    assert.equal(loadTlsCredentials(parseConfig('', 'x.cfg')), null);
  });

  it('reads a matching certificate and key', () => {
    const creds = loadTlsCredentials(tlsCfg(fixture('test-only-cert.pem'), fixture('test-only-key.pem')));
    assert.ok(creds);
    assert.match(creds.cert.toString(), /BEGIN CERTIFICATE/);
    assert.match(creds.key.toString(), /PRIVATE KEY/);
    assert.equal(creds.minVersion, 'TLSv1.3');
  });

  it('names the key at fault: unreadable cert, unreadable key, not a certificate, a key of another certificate', () => {
    configError(
      () => loadTlsCredentials(tlsCfg(join(tmp, 'absent.pem'), fixture('test-only-key.pem'))),
      /^tls\.cfg \[smpp-server-tls\] cert: cannot read .*absent\.pem: ENOENT .*\(line 2\)$/,
      { section: 'smpp-server-tls', key: 'cert', line: 2 },
    );
    configError(
      () => loadTlsCredentials(tlsCfg(fixture('test-only-cert.pem'), join(tmp, 'absent.key'))),
      /^tls\.cfg \[smpp-server-tls\] key: cannot read .*absent\.key: ENOENT/,
      { section: 'smpp-server-tls', key: 'key', line: 3 },
    );
    configError(
      () => loadTlsCredentials(tlsCfg(fixture('jasmin.cfg'), fixture('test-only-key.pem'))),
      /cert: .*jasmin\.cfg is not a usable PEM certificate: /,
      { section: 'smpp-server-tls', key: 'cert' },
    );
    configError(
      () => loadTlsCredentials(tlsCfg(fixture('test-only-cert.pem'), fixture('test-only-other-key.pem'))),
      /key: .*test-only-other-key\.pem is not a PEM private key matching .*test-only-cert\.pem: /,
      { section: 'smpp-server-tls', key: 'key', line: 3 },
    );
  });
});

describe('resolveAdminToken', () => {
  it('keeps a configured token', () => {
    assert.deepEqual(resolveAdminToken({ token: 'configured-token-1234' }), {
      token: 'configured-token-1234',
      generated: false,
    });
  });

  it('generates a random 32-character token when unset', () => {
    const a = resolveAdminToken({ token: null });
    const b = resolveAdminToken({ token: null });
    assert.equal(a.generated, true);
    assert.match(a.token, /^[A-Za-z0-9_-]{32}$/);
    assert.notEqual(a.token, b.token);
    assert.equal(resolveAdminToken({ token: null }, (n) => Buffer.alloc(n, 0xff)).token, '_'.repeat(32));
  });
});
