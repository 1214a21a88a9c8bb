import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from './errors.js';
import { defaultSettings, loadConfig, parseConfig } from './load.js';

const SEED = `[smpp-server]
id = "smpps_01"
bind = 0.0.0.0
port = 2775
sessionInitTimerSecs = 30
enquireLinkTimerSecs = 30
inactivityTimerSecs = 300
responseTimerSecs = 60
pduReadTimerSecs = 30
log_level = INFO
log_file = /var/log/jasmin/default-smpps_01.log
log_format = %(asctime)s %(levelname)-8s %(process)d %(message)s
log_date_format = %Y-%m-%d %H:%M:%S
`;

const JASMIN_CFG = new URL('./testdata/jasmin.cfg', import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), 'smppgate-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function fails(text: string, message: string, where: { section?: string; key?: string; line?: number } = {}) {
  assert.throws(
    () => parseConfig(text, 'examples/x.cfg'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.message, message);
      assert.equal(e.file, 'examples/x.cfg');
      if ('section' in where) assert.equal(e.section, where.section);
      if ('key' in where) assert.equal(e.key, where.key);
      if ('line' in where) assert.equal(e.line, where.line);
      return true;
    },
  );
}

describe('parseConfig', () => {
  it('loads the seed [smpp-server] of issue #3 verbatim, quotes included, without touching the log folder', () => {
    const { settings, warnings, fromFile, lines } = parseConfig(SEED, 'seed.cfg');
    assert.equal(fromFile, true);
    assert.deepEqual(warnings, []);
    const s = settings.smppServer;
    assert.equal(s.id, 'smpps_01');
    assert.equal(s.bind, '0.0.0.0');
    assert.equal(s.port, 2775);
    assert.deepEqual(
      [s.sessionInitTimerSecs, s.enquireLinkTimerSecs, s.inactivityTimerSecs, s.responseTimerSecs, s.pduReadTimerSecs],
      [30, 30, 300, 60, 30],
    );
    assert.equal(s.log_level, 'INFO');
    assert.equal(s.log_file, '/var/log/jasmin/default-smpps_01.log');
    assert.equal(s.log_format, '%(asctime)s %(levelname)-8s %(process)d %(message)s');
    assert.equal(s.log_date_format, '%Y-%m-%d %H:%M:%S');
    assert.equal(lines['smpp-server'].log_file, 11);
    // Keys not written keep their defaults.
    assert.equal(s.billing_feature, true);
    assert.equal(s.dlr_expiry, 86400);
    assert.equal(settings.store.backend, 'sqlite');
  });

  it('reads a full Jasmin-style jasmin.cfg: one warning per foreign section, Jasmin spellings honoured', () => {
    const text = readFileSync(JASMIN_CFG, 'utf8');
    const { settings, warnings } = parseConfig(text, 'jasmin.cfg');
    const s = settings.smppServer;
    assert.equal(s.id, 'smpps_01');
    assert.equal(s.sessionInitTimerSecs, 30, 'a commented-out key keeps its default');
    assert.equal(s.enquireLinkTimerSecs, 45);
    assert.equal(s.pduReadTimerSecs, 10);
    assert.equal(s.billing_feature, true);
    assert.equal(s.dlr_expiry, 172800);
    assert.equal(s.log_privacy, true);
    assert.equal(s.log_level, 'WARNING');
    assert.equal(s.log_file, null, 'None means unset: standard output');
    const h = settings.httpApi;
    assert.deepEqual(
      [h.bind, h.port, h.long_content_max_parts, h.long_content_split, h.access_log],
      ['127.0.0.1', 1401, 6, 'sar', '/var/log/jasmin/http-accesslog.log'],
    );
    assert.deepEqual(
      warnings.map((w) => w.message),
      [
        'jasmin.cfg [smpp-server] log_rotate: accepted for Jasmin compatibility and ignored: ' +
          "Jasmin's in-process rotation; accepted so a jasmin.cfg loads, with a warning, and not honoured: rotate with logrotate and signal the gateway to reopen its file (the logger's `reopen()`). (line 27)",
        'jasmin.cfg [client-management]: Jasmin section smppgate does not use, ignored (line 29)',
        'jasmin.cfg [sm-listener]: Jasmin section smppgate does not use, ignored (line 37)',
        'jasmin.cfg [amqp-broker]: Jasmin section smppgate does not use, ignored (line 42)',
        'jasmin.cfg [router]: Jasmin section smppgate does not use, ignored (line 59)',
        'jasmin.cfg [deliversm-thrower]: Jasmin section smppgate does not use, ignored (line 63)',
        'jasmin.cfg [dlr-thrower]: Jasmin section smppgate does not use, ignored (line 68)',
        'jasmin.cfg [redis-client]: Jasmin section smppgate does not use, ignored (line 72)',
        'jasmin.cfg [jcli]: Jasmin section smppgate does not use, ignored (line 79)',
        'jasmin.cfg [interceptor]: Jasmin section smppgate does not use, ignored (line 86)',
        'jasmin.cfg [my-own-notes]: unknown section, ignored (line 91)',
      ],
    );
    assert.deepEqual(
      warnings.map((w) => w.section),
      [
        'smpp-server',
        'client-management',
        'sm-listener',
        'amqp-broker',
        'router',
        'deliversm-thrower',
        'dlr-thrower',
        'redis-client',
        'jcli',
        'interceptor',
        'my-own-notes',
      ],
    );
  });

  it('reads every section smppgate owns', () => {
    const { settings } = parseConfig(
      `[smpp-server-tls]
bind = ::
port = 3551
cert = /etc/ssl/smpp.pem
key = /etc/ssl/smpp.key
min_version = TLSv1.3
ciphers = TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES256-GCM-SHA384

[store]
backend = REDIS
path = /var/lib/smppgate
url = redis://10.0.0.5:6379/1
key_prefix = gw1:

[admin]
bind = ::1
port = 9000
token = 0123456789abcdef-long-enough
token_fail_delay_ms = 250

[smpp-server]
max_connections = 500
max_command_length = 4096
window_size = 10
max_inbound_in_flight = 20
bind_fail_delay_ms = 0
dlr_expiry = 3d
inactivityTimerSecs = 0
`,
      'x.cfg',
    );
    assert.deepEqual(settings.smppServerTls, {
      bind: '::',
      port: 3551,
      cert: '/etc/ssl/smpp.pem',
      key: '/etc/ssl/smpp.key',
      min_version: 'TLSv1.3',
      ciphers: 'TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES256-GCM-SHA384',
    });
    assert.deepEqual(settings.store, {
      backend: 'redis',
      path: '/var/lib/smppgate',
      url: 'redis://10.0.0.5:6379/1',
      key_prefix: 'gw1:',
      connector_lease: 15,
      claim_timeout: 120,
      synchronous: 'full',
      commit_window_ms: 0,
      max_size: null,
      history_retention: 604800,
    });
    assert.deepEqual(settings.admin, {
      bind: '::1',
      port: 9000,
      token: '0123456789abcdef-long-enough',
      token_fail_delay_ms: 250,
    });
    const s = settings.smppServer;
    assert.deepEqual(
      [s.max_connections, s.max_command_length, s.window_size, s.max_inbound_in_flight, s.bind_fail_delay_ms],
      [500, 4096, 10, 20, 0],
    );
    assert.equal(s.dlr_expiry, 259200);
    assert.equal(s.inactivityTimerSecs, 0);
  });

  it('treats None as unset (or as the default where a key cannot be unset) and an empty optional value as unset', () => {
    const { settings } = parseConfig('[smpp-server]\nport = None\nlog_format =\n[admin]\ntoken =\n', 'x.cfg');
    assert.equal(settings.smppServer.port, 2775);
    assert.equal(settings.smppServer.log_format, null);
    assert.equal(settings.admin.token, null);
  });

  it('matches keys case-insensitively and keeps their canonical names', () => {
    const { settings, lines } = parseConfig('[smpp-server]\nSESSIONINITTIMERSECS = 12\nLog_Level = debug\n', 'x.cfg');
    assert.equal(settings.smppServer.sessionInitTimerSecs, 12);
    assert.equal(settings.smppServer.log_level, 'DEBUG');
    assert.equal(lines['smpp-server'].sessionInitTimerSecs, 2);
  });

  it('freezes the settings', () => {
    const { settings } = parseConfig(SEED, 'seed.cfg');
    assert.ok(Object.isFrozen(settings));
    assert.ok(Object.isFrozen(settings.smppServer));
    assert.throws(() => {
      (settings.smppServer as { port: number }).port = 1;
    }, TypeError);
  });

  it('warns about a section of ours spelt with other capitals, and a TLS key with no cert', () => {
    const { warnings, settings } = parseConfig('[SMPP-Server]\nport = 1\n[smpp-server-tls]\nkey = /k.pem\n', 'x.cfg');
    assert.deepEqual(
      warnings.map((w) => w.message),
      [
        'x.cfg [SMPP-Server]: unknown section, ignored (section names are case-sensitive: [smpp-server]?) (line 1)',
        'x.cfg [smpp-server-tls] key: is ignored: without cert there is no TLS listener (line 4)',
      ],
    );
    assert.equal(settings.smppServer.port, 2775);
  });

  it('warns about an obsolete TLS minimum version', () => {
    const { warnings } = parseConfig('[smpp-server-tls]\nmin_version = TLSv1\n', 'x.cfg');
    assert.deepEqual(
      warnings.map((w) => w.message),
      [
        'x.cfg [smpp-server-tls] min_version: TLSv1 is obsolete (RFC 8996); allow it only for ESMEs that cannot do TLSv1.2 (line 2)',
      ],
    );
  });
});

describe('parseConfig errors name file, section, key and line', () => {
  it('a value that is not a number', () => {
    fails(
      '[smpp-server]\n\n\nport = abc\n',
      'examples/x.cfg [smpp-server] port: "abc" is not a whole number (line 4)',
      {
        section: 'smpp-server',
        key: 'port',
        line: 4,
      },
    );
    fails(
      '[smpp-server]\nwindow_size = 1.5\n',
      'examples/x.cfg [smpp-server] window_size: "1.5" is not a whole number (line 2)',
    );
  });

  it('an inline comment, with a hint', () => {
    fails(
      '[smpp-server]\nport = 2775 ; default\n',
      'examples/x.cfg [smpp-server] port: "2775 ; default" is not a whole number (a comment must be on a line of its own: there are no inline comments) (line 2)',
    );
  });

  it('an out-of-range port or number', () => {
    fails('[admin]\nport = 70000\n', 'examples/x.cfg [admin] port: 70000 is not a port (0 to 65535) (line 2)');
    fails(
      '[smpp-server]\nmax_command_length = 16\n',
      'examples/x.cfg [smpp-server] max_command_length: 16 is below the minimum 1024 (line 2)',
    );
    fails(
      '[http-api]\nlong_content_max_parts = 256\n',
      'examples/x.cfg [http-api] long_content_max_parts: 256 is above the maximum 255 (line 2)',
    );
    fails(
      '[smpp-server]\nresponseTimerSecs = 30d\n',
      'examples/x.cfg [smpp-server] responseTimerSecs: 2592000 s is above the maximum 2147483 s (line 2)',
    );
  });

  it('a bad enum or boolean', () => {
    fails(
      '[smpp-server]\nlog_level = LOUD\n',
      'examples/x.cfg [smpp-server] log_level: "LOUD" is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL, OFF (or WARN, FATAL, NOTSET) (line 2)',
    );
    fails('[store]\nbackend = mysql\n', 'examples/x.cfg [store] backend: "mysql" is not one of sqlite, redis (line 2)');
    fails(
      '[smpp-server]\nbilling_feature = sometimes\n',
      'examples/x.cfg [smpp-server] billing_feature: "sometimes" is not a boolean (yes/no, true/false, on/off, 1/0) (line 2)',
    );
  });

  it('an unknown key, with a suggestion when one is close', () => {
    assert.throws(
      () => parseConfig('[smpp-server]\nenquire_link_timer_secs = 10\n', 'examples/x.cfg'),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(
          e.message,
          /^examples\/x\.cfg \[smpp-server\] enquire_link_timer_secs: unknown key \(did you mean enquireLinkTimerSecs\?\); known keys: id, bind, port, /,
        );
        assert.match(e.message, /\(line 2\)$/);
        return true;
      },
    );
    assert.throws(
      () => parseConfig('[admin]\nzzzzzzzz = 1\n', 'examples/x.cfg'),
      /^ConfigError: examples\/x\.cfg \[admin\] zzzzzzzz: unknown key; known keys: bind, port, token, token_fail_delay_ms \(line 2\)$/,
    );
  });

  it('a bad log format or date format', () => {
    fails(
      '[smpp-server]\nlog_format = %(asctime)s %(funcName)s\n',
      'examples/x.cfg [smpp-server] log_format: "%(asctime)s %(funcName)s" is not a usable format: %(funcName) is not a supported attribute (supported: asctime, created, msecs, relativeCreated, levelname, levelno, name, message, process, processName, thread, threadName) (line 2)',
    );
    assert.throws(
      () => parseConfig('[http-api]\nlog_date_format = %Y %Q\n', 'examples/x.cfg'),
      /examples\/x\.cfg \[http-api\] log_date_format: "%Y %Q" is not a usable format: "%Q" is not a supported date directive/,
    );
  });

  it('a TLS cert without its key (at the section line when the key is not written)', () => {
    fails(
      '# tls\n[smpp-server-tls]\ncert = /c.pem\n',
      'examples/x.cfg [smpp-server-tls] key: is required when cert is set (the PEM private key of the certificate) (line 2)',
      { key: 'key', line: 2 },
    );
  });

  it('a TLS cipher string OpenSSL refuses', () => {
    assert.throws(
      () => parseConfig('[smpp-server-tls]\nciphers = ECDHE-NOT-A-CIPHER\n', 'examples/x.cfg'),
      /^ConfigError: examples\/x\.cfg \[smpp-server-tls\] ciphers: "?ECDHE-NOT-A-CIPHER"? is not a usable OpenSSL cipher string: .*no cipher match.* \(line 2\)$/,
    );
    fails('[smpp-server-tls]\nciphers =\n', 'examples/x.cfg [smpp-server-tls] ciphers: must not be empty (line 2)');
  });

  it('two listeners on one port', () => {
    fails(
      '[admin]\nbind = 0.0.0.0\nport = 2775\n',
      'examples/x.cfg [admin] port: 2775 on 0.0.0.0 is already the port of [smpp-server] on 0.0.0.0 (line 3)',
    );
    fails(
      '[http-api]\nbind = 127.0.0.1\n[smpp-server-tls]\ncert = /c\nkey = /k\nport = 1401\n',
      'examples/x.cfg [smpp-server-tls] port: 1401 on 0.0.0.0 is already the port of [http-api] on 127.0.0.1 (line 6)',
    );
    // Different addresses, port 0 (any free port) and a TLS section without cert never collide.
    parseConfig('[smpp-server]\nbind = 127.0.0.1\n[admin]\nbind = 127.0.0.2\nport = 2775\n', 'x.cfg');
    parseConfig('[admin]\nport = 0\n[http-api]\nport = 0\n[smpp-server]\nport = 0\n', 'x.cfg');
    parseConfig('[smpp-server-tls]\nport = 2775\n', 'x.cfg');
  });

  it('syntax errors from the INI layer', () => {
    fails(
      '[smpp-server]\nport 2775\n',
      'examples/x.cfg [smpp-server]: "port 2775" is not a "key = value" line, a [section] header or a comment (line 2)',
    );
    fails(
      '[smpp-server]\nport = 1\nPORT = 2\n',
      'examples/x.cfg [smpp-server] PORT: duplicate key (first at line 2; keys are case-insensitive) (line 3)',
    );
  });
});

describe('loadConfig', () => {
  it('reads a file', () => {
    const path = join(tmp, 'seed.cfg');
    writeFileSync(path, SEED);
    const loaded = loadConfig(path);
    assert.equal(loaded.fromFile, true);
    assert.equal(loaded.file, path);
    assert.equal(loaded.settings.smppServer.log_file, '/var/log/jasmin/default-smpps_01.log');
  });

  it('gives all defaults, and says so, without a file', () => {
    const none = loadConfig();
    assert.equal(none.fromFile, false);
    assert.equal(none.file, null);
    assert.deepEqual(none.settings, defaultSettings());
    const missing = loadConfig(join(tmp, 'absent.cfg'));
    assert.equal(missing.fromFile, false);
    assert.equal(missing.file, join(tmp, 'absent.cfg'));
    assert.deepEqual(missing.settings, defaultSettings());
    assert.deepEqual(missing.warnings, []);
  });

  it('fails, naming the file, on one it cannot read', () => {
    assert.throws(
      () => loadConfig(tmp),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.file, tmp);
        assert.match(e.message, /cannot read the config file: EISDIR/);
        assert.ok(e.cause instanceof Error);
        return true;
      },
    );
  });
});
