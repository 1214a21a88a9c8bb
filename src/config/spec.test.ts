import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SCHEMA } from './schema.js';
import { isHostName, type KeySpec, type ParsedValue, parseValue, showDefault } from './spec.js';

function value(spec: KeySpec, raw: string): unknown {
  const r = parseValue(spec, raw);
  assert.ok(r.ok, `${raw}: ${r.ok ? '' : r.problem}`);
  return r.value;
}

function problem(spec: KeySpec, raw: string): string {
  const r: ParsedValue = parseValue(spec, raw);
  assert.ok(!r.ok, `${raw} should fail`);
  return r.problem;
}

const d = 'test';

describe('value types', () => {
  it('int: whole numbers with optional sign and digit groups, within bounds', () => {
    const spec: KeySpec = { type: 'int', default: 1, min: 1, max: 100, description: d };
    assert.equal(value(spec, '42'), 42);
    assert.equal(value(spec, '+7'), 7);
    assert.equal(value({ ...spec, max: 1e6 }, '10_000'), 10000);
    assert.equal(problem(spec, 'abc'), '"abc" is not a whole number');
    assert.equal(problem(spec, '1.5'), '"1.5" is not a whole number');
    assert.equal(problem(spec, ''), '"" is not a whole number');
    assert.equal(problem(spec, '0x10'), '"0x10" is not a whole number');
    assert.equal(problem(spec, '0'), '0 is below the minimum 1');
    assert.equal(problem(spec, '101'), '101 is above the maximum 100');
    assert.equal(
      problem({ type: 'int', default: 1, description: d }, '99999999999999999999'),
      '"99999999999999999999" is too large',
    );
  });

  it('number: decimals and exponents', () => {
    const spec: KeySpec = { type: 'number', default: 1, min: 0, description: d };
    assert.equal(value(spec, '1.5'), 1.5);
    assert.equal(value(spec, '.5'), 0.5);
    assert.equal(value(spec, '2e3'), 2000);
    assert.equal(problem(spec, '1,5'), '"1,5" is not a number');
    assert.equal(problem(spec, '-1'), '-1 is below the minimum 0');
  });

  it('port: 0–65535', () => {
    const spec: KeySpec = { type: 'port', default: 1, description: d };
    assert.equal(value(spec, '2775'), 2775);
    assert.equal(value(spec, '0'), 0);
    assert.equal(value(spec, '65535'), 65535);
    assert.equal(problem(spec, '65536'), '65536 is not a port (0 to 65535)');
    assert.equal(problem(spec, '-1'), '-1 is not a port (0 to 65535)');
    assert.equal(problem(spec, 'http'), '"http" is not a whole number');
  });

  it('duration-seconds: seconds, decimals, s/m/h/d suffixes, bounds in seconds', () => {
    const spec: KeySpec = { type: 'duration-seconds', default: 1, min: 0, max: 86400, description: d };
    assert.equal(value(spec, '30'), 30);
    assert.equal(value(spec, '0.5'), 0.5);
    assert.equal(value(spec, '90s'), 90);
    assert.equal(value(spec, '5m'), 300);
    assert.equal(value(spec, '2 H'), 7200);
    assert.equal(value(spec, '1d'), 86400);
    assert.equal(problem(spec, '2d'), '172800 s is above the maximum 86400 s');
    assert.equal(problem(spec, '1 day'), '"1 day" is not a duration (seconds, or a number followed by s, m, h or d)');
    assert.equal(problem(spec, '-5'), '"-5" is not a duration (seconds, or a number followed by s, m, h or d)');
  });

  it("bool: configparser's spellings in any case", () => {
    const spec: KeySpec = { type: 'bool', default: false, description: d };
    for (const t of ['1', 'yes', 'YES', 'true', 'True', 'on']) assert.equal(value(spec, t), true, t);
    for (const f of ['0', 'no', 'false', 'FALSE', 'off', 'Off']) assert.equal(value(spec, f), false, f);
    assert.equal(problem(spec, 'maybe'), '"maybe" is not a boolean (yes/no, true/false, on/off, 1/0)');
    assert.equal(problem(spec, 'y'), '"y" is not a boolean (yes/no, true/false, on/off, 1/0)');
  });

  it('enum: any case to the canonical spelling, aliases, a list of choices on failure', () => {
    const spec = SCHEMA.smppServer.keys.log_level;
    assert.equal(value(spec, 'info'), 'INFO');
    assert.equal(value(spec, 'Debug'), 'DEBUG');
    assert.equal(value(spec, 'warn'), 'WARNING');
    assert.equal(value(spec, 'NOTSET'), 'OFF');
    assert.equal(value(spec, 'fatal'), 'CRITICAL');
    assert.equal(
      problem(spec, 'LOUD'),
      '"LOUD" is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL, OFF (or WARN, FATAL, NOTSET)',
    );
    assert.equal(value(SCHEMA.smppServerTls.keys.min_version, 'tlsv1.3'), 'TLSv1.3');
  });

  it('address: IPv4, IPv6 or a host name; a host:port gets a hint', () => {
    const spec: KeySpec = { type: 'address', default: '0.0.0.0', description: d };
    for (const a of ['0.0.0.0', '127.0.0.1', '::', '::1', 'fe80::1', 'localhost', 'smsc-1.example.com']) {
      assert.equal(value(spec, a), a);
    }
    assert.equal(
      problem(spec, '0.0.0.0:2775'),
      '"0.0.0.0:2775" is not an IP address or host name (the port is a key of its own)',
    );
    assert.equal(problem(spec, 'a b'), '"a b" is not an IP address or host name');
    assert.equal(problem(spec, ''), '"" is not an IP address or host name');
    assert.equal(isHostName('-bad.example'), false);
    assert.equal(isHostName('x'.repeat(64)), false);
  });

  it('string and path: lengths, checks, empties', () => {
    const id = SCHEMA.smppServer.keys.id;
    assert.equal(value(id, 'smpps_01'), 'smpps_01');
    assert.equal(problem(id, ''), 'must not be empty');
    assert.equal(problem(id, 'a'.repeat(16)), `"${'a'.repeat(16)}" is longer than 15 characters`);
    assert.equal(problem(id, 'with space'), '"with space" must be printable ASCII without spaces');
    assert.equal(problem(SCHEMA.admin.keys.token, 'short'), '"short" is shorter than 16 characters');
    assert.equal(problem(SCHEMA.store.keys.url, 'http://x'), '"http://x" must start with redis:// or rediss://');
    assert.equal(
      problem(SCHEMA.store.keys.url, 'not a url'),
      '"not a url" is not a URL (redis://host:port or rediss://host:port for TLS)',
    );
    assert.equal(
      value(SCHEMA.store.keys.url, 'rediss://user:pw@redis.local:6380/2'),
      'rediss://user:pw@redis.local:6380/2',
    );
    assert.equal(problem(SCHEMA.store.keys.path, ''), 'must not be empty');
  });
});

describe('the tables', () => {
  it('every default passes its own key spec', () => {
    for (const section of Object.values(SCHEMA)) {
      for (const [key, spec] of Object.entries(section.keys) as [string, KeySpec][]) {
        if (spec.type === 'ignored' || spec.default === null) continue;
        const r = parseValue(spec, showDefault(spec));
        assert.ok(r.ok, `[${section.name}] ${key}: ${r.ok ? '' : r.problem}`);
        assert.equal(r.value, spec.default, `[${section.name}] ${key}`);
      }
    }
  });

  it('has the [smpp-server] keys and defaults of SPEC.md §1', () => {
    const k = SCHEMA.smppServer.keys;
    assert.deepEqual(
      [
        k.id.default,
        k.bind.default,
        k.port.default,
        k.sessionInitTimerSecs.default,
        k.enquireLinkTimerSecs.default,
        k.inactivityTimerSecs.default,
        k.responseTimerSecs.default,
        k.pduReadTimerSecs.default,
        k.log_level.default,
        k.log_date_format.default,
      ],
      ['smpps_01', '0.0.0.0', 2775, 30, 30, 300, 60, 30, 'INFO', '%Y-%m-%d %H:%M:%S'],
    );
    assert.equal(k.log_file.default, null);
    assert.equal(k.log_format.default, null);
  });

  it('gives every section and key a description', () => {
    for (const section of Object.values(SCHEMA)) {
      assert.ok(section.description.length > 20, section.name);
      for (const [key, spec] of Object.entries(section.keys)) assert.ok(spec.description.length > 10, key);
    }
  });
});
