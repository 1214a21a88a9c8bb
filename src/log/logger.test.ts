import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDateFormat } from '../config/formats.js';
import { createLogger, createMemoryLogger, nullLogger, printf } from './logger.js';
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

describe('logger: edges', () => {
  it('writes the lines of the last tick when the process exits', () => {
    const logger = new URL('./index.ts', import.meta.url).href;
    const code = `import { createLogger } from ${JSON.stringify(logger)};
const log = createLogger({ name: 'x' });
log.critical('fatal_start_error', { reason: 'port in use' });
process.exit(3);`;
    let out = '';
    try {
      execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
    } catch (e) {
      const err = e as { status: number; stdout: string };
      assert.equal(err.status, 3);
      out = err.stdout;
    }
    const line = JSON.parse(out);
    assert.equal(line.event, 'fatal_start_error');
    assert.equal(line.reason, 'port in use');
  });

  it('never lets a field shadow ts, level, pid, name or event', () => {
    const { logger, records } = createMemoryLogger({ name: 'smpps_01' });
    logger.child({ name: 'connector-1' }).info('started', { level: 'transceiver', event: 'x', ts: 1, pid: 2 });
    const [r] = records();
    assert.equal(r.name, 'smpps_01');
    assert.equal(r.level, 'INFO');
    assert.equal(r.event, 'started');
    assert.deepEqual([r.name_, r.level_, r.event_, r.ts_, r.pid_], ['connector-1', 'transceiver', 'x', 1, 2]);
  });

  it('serialises HTTP statuses and Node error codes, Buffers as hex, Dates as ISO 8601', () => {
    const { logger, records } = createMemoryLogger();
    const http = Object.assign(new Error('not found'), { status: 404 });
    const sys = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    logger.error('x', { http, sys, pdu: Buffer.from([0, 0x10, 0xff]), at: new Date(Date.UTC(2026, 0, 1)) });
    const [r] = records();
    assert.deepEqual(r.http, { name: 'Error', message: 'not found', status: 404 });
    assert.deepEqual(r.sys, { name: 'Error', message: 'read ECONNRESET', code: 'ECONNRESET' });
    assert.equal(r.pdu, '0010ff');
    assert.equal(r.at, '2026-01-01T00:00:00.000Z');
  });

  it('masks binary content as octets under log_privacy, and leaves it alone otherwise', () => {
    const priv = createMemoryLogger({ privacy: true });
    priv.logger.info('mo', { message_payload: Buffer.alloc(7), text: 'héllo', content: null });
    assert.deepEqual(priv.records()[0], {
      ...priv.records()[0],
      message_payload: '<masked 7 octets>',
      text: '<masked 5 chars>',
      content: null,
    });
    const open = createMemoryLogger();
    open.logger.info('mo', { text: 'hello' });
    assert.equal(open.records()[0].text, 'hello');
  });

  it('renders %(asctime)s afresh each second and with %f each line', () => {
    let now = Date.UTC(2026, 0, 1, 0, 0, 0, 100);
    const plain = createMemoryLogger({ format: '%(asctime)s %(message)s', dateFormat: '%S', now: () => now });
    const fine = createMemoryLogger({ format: '%(asctime)s', dateFormat: '%S.%f', now: () => now });
    for (const step of [0, 500, 500, 1]) {
      now += step;
      plain.logger.info('e');
      fine.logger.info('e');
    }
    assert.deepEqual(plain.lines(), ['00 e', '00 e', '01 e', '01 e']);
    assert.deepEqual(fine.lines(), ['00.100000', '00.600000', '01.100000', '01.101000']);
  });

  it('has a memory logger for tests and a null logger that writes nothing', () => {
    const { logger, lines, events } = createMemoryLogger();
    logger.debug('a', { n: 1 });
    logger.child({ session: 's' }).warn('b');
    assert.equal(lines().length, 2);
    assert.deepEqual(
      events('b').map((r) => [r.level, r.session]),
      [['WARNING', 's']],
    );
    assert.equal(nullLogger.enabled('CRITICAL'), false);
    nullLogger.child({ x: 1 }).critical('dropped');
  });

  it('taps WARNING and above of every relative, whatever the written level, until the tap is removed', () => {
    const { log, lines } = capture({ level: 'ERROR' });
    const tapped: { level: string; event: string; fields: Record<string, unknown>; at: number }[] = [];
    assert.equal(log.enabled('WARNING'), false);
    const remove = log.addTap((r) => tapped.push(r));
    assert.equal(log.enabled('WARNING'), true, 'a tapped level is built');
    assert.equal(log.enabled('INFO'), false);
    const session = log.child({ session: 's-9', uid: 'u1' });
    session.info('quiet', { n: 1 });
    session.warn('timer_expired', { timer: 'inactivityTimer', uid: 'u2' });
    log.error('store_error', { error: 'disk full' });
    log.setLevel('OFF');
    log.critical('late');
    log.flush();
    assert.deepEqual(
      tapped.map((r) => [r.level, r.event, r.fields]),
      [
        ['WARNING', 'timer_expired', { session: 's-9', uid: 'u2', timer: 'inactivityTimer' }],
        ['ERROR', 'store_error', { error: 'disk full' }],
        ['CRITICAL', 'late', {}],
      ],
    );
    assert.equal(tapped[0].at, Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    assert.deepEqual(
      lines().map((l) => JSON.parse(l).event),
      ['store_error'],
      'the written lines still follow log_level',
    );
    remove();
    log.critical('after');
    assert.equal(tapped.length, 3);
    assert.equal(log.enabled('CRITICAL'), false, 'OFF again once no tap is left');
  });

  it('keeps logging when a tap throws, and taps at the level asked for', () => {
    const { log, lines } = capture({ level: 'DEBUG' });
    const infos: string[] = [];
    log.addTap(() => {
      throw new Error('broken tap');
    });
    log.addTap((r) => infos.push(r.event), 'INFO');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.flush();
    assert.deepEqual(infos, ['i', 'w']);
    assert.deepEqual(
      lines().map((l) => JSON.parse(l).event),
      ['d', 'i', 'w'],
    );
  });
});
