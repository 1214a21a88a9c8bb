import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDateFormat } from '../config/formats.js';
import { createLogger, printf } from './logger.js';
import { strftime } from './strftime.js';

function capture(options: Partial<Parameters<typeof createLogger>[0]> = {}) {
  const out: string[] = [];
  const log = createLogger({
    name: 'smpps_01',
    now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    write: (t) => out.push(t),
    ...options,
  });
  return { log, lines: () => out.join('').split('\n').filter(Boolean) };
}

describe('logger', () => {
  it('writes one JSON object per event with bound and given fields', () => {
    const { log, lines } = capture();
    const session = log.child({ session: 'smpps_01-7', peer: '127.0.0.1' });
    session.info('bound', { system_id: 'acme', sequence: 1 });
    log.flush();
    const line = JSON.parse(lines()[0]);
    assert.deepEqual(
      { ...line, pid: 0 },
      {
        ts: '2026-01-02T03:04:05.678Z',
        level: 'INFO',
        pid: 0,
        name: 'smpps_01',
        event: 'bound',
        session: 'smpps_01-7',
        peer: '127.0.0.1',
        system_id: 'acme',
        sequence: 1,
      },
    );
  });

  it('filters by level, changes level at run time, and OFF silences everything', () => {
    const { log, lines } = capture({ level: 'WARNING' });
    log.info('quiet');
    log.warn('loud');
    log.setLevel('debug');
    log.debug('now visible');
    log.setLevel('NOTSET');
    log.critical('nothing');
    log.flush();
    assert.deepEqual(
      lines().map((l) => JSON.parse(l).event),
      ['loud', 'now visible'],
    );
    assert.equal(log.enabled('CRITICAL'), false);
  });

  it('renders Jasmin’s Python format with width modifiers, dates and key=value fields', () => {
    const tz = process.env.TZ;
    const { log, lines } = capture({
      format: '%(asctime)s %(levelname)-8s %(process)d %(message)s',
      dateFormat: '%Y-%m-%d %H:%M:%S',
    });
    log.child({ session: 's-1' }).warn('bind_failed', { system_id: 'acme', reason: 'wrong password', status: 14 });
    log.flush();
    const d = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    const date = strftime(parseDateFormat('%Y-%m-%d %H:%M:%S'), d);
    assert.equal(
      lines()[0],
      `${date} WARNING  ${process.pid} bind_failed session=s-1 system_id=acme reason="wrong password" status=14`,
    );
    assert.equal(process.env.TZ, tz);
  });

  it('masks message content under log_privacy, keeping its length', () => {
    const { log, lines } = capture({ privacy: true });
    log.info('mt_accepted', { short_message: 'secret text', message_id: 'm1' });
    log.flush();
    const line = JSON.parse(lines()[0]);
    assert.equal(line.short_message, '<masked 11 chars>');
    assert.equal(line.message_id, 'm1');
  });

  it('serialises errors with name, message, SMPP status and cause', () => {
    const { log, lines } = capture();
    const error = Object.assign(new Error('throttled', { cause: new Error('bucket empty') }), { commandStatus: 0x58 });
    log.error('submit_failed', { error });
    log.flush();
    assert.deepEqual(JSON.parse(lines()[0]).error, {
      name: 'Error',
      message: 'throttled',
      status: 0x58,
      cause: { name: 'Error', message: 'bucket empty' },
    });
  });

  it('appends to a log file, batches per tick, and reopens after rotation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smppgate-log-'));
    const file = join(dir, 'smpps.log');
    const log = createLogger({ name: 'x', file });
    log.info('one');
    log.info('two');
    assert.equal(readFileSync(file, 'utf8'), '', 'nothing written before the tick ends');
    await new Promise((r) => setImmediate(r));
    assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 2);
    renameSync(file, `${file}.1`);
    log.reopen();
    log.info('three');
    await log.close();
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).event, 'three');
    log.info('after close is dropped');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('printf', () => {
  it('formats like Python’s % operator', () => {
    assert.equal(printf('INFO', '-', 8, null, 's'), 'INFO    ');
    assert.equal(printf('INFO', '', 8, null, 's'), '    INFO');
    assert.equal(printf(42, '0', 5, null, 'd'), '00042');
    assert.equal(printf(-42, '0', 5, null, 'd'), '-0042');
    assert.equal(printf(42, '+', null, null, 'd'), '+42');
    assert.equal(printf(255, '', null, null, 'x'), 'ff');
    assert.equal(printf(1.5, '', null, 3, 'f'), '1.500');
    assert.equal(printf('abcdef', '', null, 3, 's'), 'abc');
    assert.equal(printf('name', '', null, null, 'r'), "'name'");
  });
});

describe('strftime', () => {
  const d = new Date(2026, 10, 25, 7, 5, 9, 123); // Wednesday 25 November 2026, local time
  const f = (format: string) => strftime(parseDateFormat(format), d);
  it('renders the usual directives in local time', () => {
    assert.equal(f('%Y-%m-%d %H:%M:%S'), '2026-11-25 07:05:09');
    assert.equal(f('%y%m%d %I%p %a %A %b %B'), '261125 07AM Wed Wednesday Nov November');
    assert.equal(f('%j %f %%'), '329 123000 %');
    assert.equal(f('%-d/%-m %e'), '25/11 25');
    assert.equal(f('%F %T %D'), '2026-11-25 07:05:09 11/25/26');
    assert.equal(f('%u %w %V %G'), '3 3 48 2026');
    assert.match(f('%z'), /^[+-]\d{4}$/);
  });
});

describe('JSON lines', () => {
  it('escapes what must be escaped and keeps numbers, booleans, nulls and objects exact', () => {
    const { log, lines } = capture();
    const fields = {
      quote: 'say "hi"',
      slash: 'a\\b',
      control: 'line\nbreak\ttab',
      emoji: '😀',
      lone: '\ud800',
      n: 42,
      f: 1.5,
      inf: Number.POSITIVE_INFINITY,
      yes: true,
      nothing: null,
      obj: { a: [1, 'x'] },
    };
    log.info('escapes', fields);
    log.flush();
    const line = JSON.parse(lines()[0]);
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'inf') assert.equal(line[k], null);
      else assert.deepEqual(line[k], v, k);
    }
  });
});
