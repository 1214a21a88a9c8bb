import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyValue, numberOption, type OptionSpec, parseArgs, UsageError } from './args.js';
import { settingsOptions } from './commands/connectors.js';
import { parseRouteFilter, routeBody } from './commands/routes.js';
import { credentialBody } from './commands/users.js';

const specs: OptionSpec[] = [
  { name: 'json', kind: 'flag', help: '' },
  { name: 'order', kind: 'value', help: '' },
  { name: 'filter', kind: 'list', help: '' },
];

describe('parseArgs', () => {
  it('reads flags, values (last wins), lists (in order), positionals and --', () => {
    const a = parseArgs(
      ['mt', '--order', '5', '--filter=a=1', '--json', '--filter', 'b', '--order=6', '--', '--x'],
      specs,
    );
    assert.deepEqual(a.positionals, ['mt', '--x']);
    assert.equal(a.flags.has('json'), true);
    assert.equal(a.values.get('order'), '6');
    assert.deepEqual(a.lists.get('filter'), ['a=1', 'b']);
  });

  it('names the option in every usage error', () => {
    assert.throws(() => parseArgs(['--nope'], specs), /unknown option --nope/);
    assert.throws(() => parseArgs(['--order'], specs), /--order needs a value/);
    assert.throws(() => parseArgs(['--json=1'], specs), /--json takes no value/);
    assert.throws(() => parseArgs(['-x'], specs), UsageError);
    assert.equal(parseArgs(['-h'], specs).flags.has('help'), true);
    assert.deepEqual(parseArgs(['-'], specs).positionals, ['-']);
  });

  it('reads numbers strictly and none as null where allowed', () => {
    assert.equal(numberOption('10.5', 'balance'), 10.5);
    assert.equal(numberOption('-3', 'amount'), -3);
    assert.equal(numberOption('none', 'balance', { nullable: true }), null);
    assert.equal(numberOption('unlimited', 'balance', { nullable: true }), null);
    assert.throws(() => numberOption('none', 'amount'), /--amount: "none" is not a number/);
    assert.throws(() => numberOption('1.5', 'sms-count', { integer: true }), /whole number/);
    assert.throws(() => numberOption('0x10', 'rate'), /not a number/);
    assert.throws(() => numberOption('', 'rate'), /not a number/);
    assert.deepEqual(keyValue('a=b=c', 'set'), ['a', 'b=c']);
    assert.throws(() => keyValue('=b', 'set'), /key=value/);
  });
});

const userSpecs: OptionSpec[] = [
  'balance',
  'early-percent',
  'sms-count',
  'throughput',
  'http-throughput',
  'max-bindings',
  'ip',
  'src-addr-default',
]
  .map((name): OptionSpec => ({ name, kind: 'value', help: '' }))
  .concat(
    ['allow', 'deny', 'filter', 'set', 'set-json', 'unset', 'connector'].map(
      (name): OptionSpec => ({ name, kind: 'list', help: '' }),
    ),
  )
  .concat([
    { name: 'order', kind: 'value', help: '' },
    { name: 'type', kind: 'value', help: '' },
    { name: 'rate', kind: 'value', help: '' },
  ]);

describe('user credential options', () => {
  it("build the API body in Jasmin's shape", () => {
    const args = parseArgs(
      [
        '--balance',
        '10',
        '--early-percent',
        '50',
        '--sms-count',
        '100',
        '--throughput',
        '20',
        '--max-bindings',
        '2',
        '--ip',
        '10.0.0.0/8',
        '--src-addr-default',
        'SMPPGATE',
        '--allow',
        'dlr_level',
        '--deny',
        'long_content',
        '--deny',
        'bind',
        '--filter',
        'dst_addr=^33',
        '--filter',
        'content=',
        '--http-throughput',
        'none',
      ],
      userSpecs,
    );
    assert.deepEqual(credentialBody(args), {
      mt_messaging_cred: {
        quotas: { balance: 10, early_percent: 50, sms_count: 100, smpps_throughput: 20, http_throughput: null },
        defaults: { src_addr: 'SMPPGATE' },
        authorizations: { dlr_level: true, long_content: false },
        value_filters: { dst_addr: '^33', content: null },
      },
      smpps_cred: { quotas: { max_bindings: 2 }, authorizations: { ip: '10.0.0.0/8', bind: false } },
    });
    assert.deepEqual(credentialBody(parseArgs(['--ip', 'any', '--balance', 'none'], userSpecs)), {
      mt_messaging_cred: { quotas: { balance: null } },
      smpps_cred: { authorizations: { ip: null } },
    });
  });

  it('refuses unknown authorizations and filters by name', () => {
    assert.throws(
      () => credentialBody(parseArgs(['--allow', 'fly'], userSpecs)),
      /--allow: unknown authorization "fly"/,
    );
    assert.throws(() => credentialBody(parseArgs(['--filter', 'dst=1'], userSpecs)), /unknown value filter "dst"/);
    assert.throws(() => credentialBody(parseArgs(['--sms-count', '1.5'], userSpecs)), /--sms-count/);
  });
});

describe('route options', () => {
  it('build Jasmin route bodies', () => {
    const args = parseArgs(
      [
        '--order',
        '10',
        '--type',
        'static',
        '--connector',
        'smppc(c1)',
        '--filter',
        'destination_addr=^33',
        '--rate',
        '0.02',
      ],
      userSpecs,
    );
    assert.deepEqual(routeBody('mt', args), {
      order: 10,
      type: 'static',
      connector: 'smppc(c1)',
      filters: [{ type: 'destination_addr', regex: '^33' }],
      rate: 0.02,
    });
    assert.deepEqual(routeBody('mt', parseArgs(['--order', '0', '--connector', 'sim(s)'], userSpecs)), {
      order: 0,
      type: 'default',
      connector: 'sim(s)',
    });
    assert.deepEqual(
      routeBody(
        'mo',
        parseArgs(
          ['--order', '3', '--type', 'roundrobin', '--connector', 'smpps(a)', '--connector', 'http(h)'],
          userSpecs,
        ),
      ),
      { order: 3, type: 'roundrobin', connectors: ['smpps(a)', 'http(h)'] },
    );
    assert.throws(
      () => routeBody('mo', parseArgs(['--order', '3', '--connector', 'smpps(a)', '--rate', '1'], userSpecs)),
      /MT routes only/,
    );
    assert.throws(() => routeBody('mt', parseArgs(['--order', '3'], userSpecs)), /--connector is required/);
    assert.throws(() => routeBody('mt', parseArgs(['--connector', 'a'], userSpecs)), /--order is required/);
  });

  it('parse every filter type', () => {
    assert.deepEqual(parseRouteFilter('transparent'), { type: 'transparent' });
    assert.deepEqual(parseRouteFilter('source_addr=^A'), { type: 'source_addr', regex: '^A' });
    assert.deepEqual(parseRouteFilter('short_message=a=b'), { type: 'short_message', regex: 'a=b' });
    assert.deepEqual(parseRouteFilter('user=u1'), { type: 'user', uid: 'u1' });
    assert.deepEqual(parseRouteFilter('group=g1'), { type: 'group', gid: 'g1' });
    assert.deepEqual(parseRouteFilter('connector=c1'), { type: 'connector', cid: 'c1' });
    assert.deepEqual(parseRouteFilter('tag=7'), { type: 'tag', tag: 7 });
    assert.deepEqual(parseRouteFilter('date_interval=2024-01-01..2024-12-31'), {
      type: 'date_interval',
      from: '2024-01-01',
      to: '2024-12-31',
    });
    assert.deepEqual(parseRouteFilter('time_interval=22:00:00..06:00:00'), {
      type: 'time_interval',
      from: '22:00:00',
      to: '06:00:00',
    });
    assert.throws(() => parseRouteFilter('time_interval=22:00'), /FROM..TO/);
    assert.throws(() => parseRouteFilter('colour=red'), /unknown filter type "colour"/);
    assert.throws(() => parseRouteFilter('tag=x'), /not a whole number/);
  });
});

describe('connector settings options', () => {
  it('keep --set as strings, parse --set-json, null --unset', () => {
    const args = parseArgs(
      [
        '--set',
        'host=10.0.0.1',
        '--set',
        'password=1234',
        '--set-json',
        'port=2775',
        '--set-json',
        'tls=true',
        '--unset',
        'old',
      ],
      userSpecs,
    );
    assert.deepEqual(settingsOptions(args), { host: '10.0.0.1', password: '1234', port: 2775, tls: true, old: null });
    assert.throws(() => settingsOptions(parseArgs(['--set-json', 'port=abc'], userSpecs)), /not JSON/);
  });
});
