import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AdminStore } from '../api/admin/deps.js';
import { openTestStore, startTestApi, type TestApi } from '../api/admin/testing.js';
import { cli } from './cli.fixtures.js';
import { runCli } from './run.js';

/** Runs the CLI in-process and captures its output. */

describe('smppgate help and usage', () => {
  it('prints help for the program, a command group and a command', async () => {
    const top = await cli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Usage: smppgate <command>/);
    for (const word of ['start', 'user', 'group', 'connector', 'route', 'message', 'stats', 'binds']) {
      assert.match(top.stdout, new RegExp(`\\n  ${word} `));
    }
    const group = await cli(['user', '--help']);
    assert.equal(group.code, 0);
    assert.match(group.stdout, /Usage: smppgate user <command>/);
    assert.match(group.stdout, /\n {2}credit /);
    const cmd = await cli(['route', 'add', '--help']);
    assert.equal(cmd.code, 0);
    assert.match(cmd.stdout, /Usage: smppgate route add mt\|mo --order N/);
    assert.match(cmd.stdout, /--filter F …/);
    assert.match(cmd.stdout, /--token TOKEN/);
    assert.equal((await cli(['help', 'user', 'add'])).stdout, (await cli(['user', 'add', '--help'])).stdout);
    assert.equal((await cli(['stats', '--help'])).code, 0);
  });

  it('exits 2 with a message on stderr for every usage mistake', async () => {
    const cases: [string[], RegExp][] = [
      [[], /Usage: smppgate/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['user'], /Usage: smppgate user <command>/],
      [['user', 'fly'], /unknown command "user fly"/],
      [['user', 'show'], /expected: smppgate user show <uid>/],
      [['user', 'show', 'a', 'b'], /expected/],
      [['user', 'add', 'u1', '--gid', 'g1'], /--password or --password-file is required/],
      [['user', 'add', 'u1', '--password', 'x'], /--gid is required/],
      [['user', 'update', 'u1', '--balance', 'lots'], /--balance: "lots" is not a number/],
      [['user', 'update', 'u1'], /nothing to change/],
      [['user', 'list', '--colour'], /unknown option --colour/],
      [['route', 'add', 'xx', '--order', '1', '--connector', 'a'], /expected mt or mo/],
      [['connector', 'add', 'c1'], /--type is required/],
      [['user', 'credit', 'u1'], /--amount and\/or --sms-count/],
      [['stats', '--config', '/nonexistent/smppgate.cfg'], /--config: no such file/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, argv.join(' '));
      assert.equal(r.stdout, '');
    }
  });

  it('explains a missing daemon for start', async () => {
    let stderr = '';
    const code = await runCli(['start'], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      loadStart: () =>
        Promise.reject(
          Object.assign(new Error("Cannot find module '/x/dist/cli/start.js'"), { code: 'ERR_MODULE_NOT_FOUND' }),
        ),
    });
    assert.equal(code, 1);
    assert.match(stderr, /daemon is not part of this build/);
    stderr = '';
    const broken = await runCli(['start'], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      loadStart: () =>
        Promise.reject(
          Object.assign(new Error("Cannot find module '/x/dist/store/sqlite.js'"), { code: 'ERR_MODULE_NOT_FOUND' }),
        ),
    });
    assert.equal(broken, 1);
    assert.match(stderr, /^error: Cannot find module '\/x\/dist\/store\/sqlite\.js'/);
    const passed: string[][] = [];
    const started = await runCli(['start', '--config', 'x.cfg'], {
      stdout: { write: () => true },
      loadStart: async () => ({
        runStart: async (argv: string[]) => {
          passed.push(argv);
          return 0;
        },
      }),
    });
    assert.equal(started, 0);
    assert.deepEqual(passed, [['--config', 'x.cfg']]);
  });

  it('exits 1 with a clear message when the gateway cannot be reached', async () => {
    const r = await cli(['stats', '--url', 'http://127.0.0.1:1', '--token', 't']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach the admin API at http:\/\/127\.0\.0\.1:1/);
  });
});

describe('smppgate admin commands against a running admin API', () => {
  let api: TestApi;
  let store: AdminStore;
  let cleanup: () => Promise<void>;
  let dir: string;
  let conn: string[];
  before(async () => {
    ({ store, cleanup } = await openTestStore());
    api = await startTestApi(store);
    conn = ['--url', api.url, '--token', api.token];
    dir = mkdtempSync(join(tmpdir(), 'smppgate-cli-'));
  });
  after(async () => {
    await api.close();
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('provisions a group, a user, connectors and routes, and reads them back as tables', async () => {
    assert.deepEqual(await cli(['group', 'add', 'g1', ...conn]), { code: 0, stdout: 'group g1 added\n', stderr: '' });
    const add = await cli([
      'user',
      'add',
      'u1',
      '--gid',
      'g1',
      '--username',
      'alice',
      '--password',
      'secret',
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
      '10.0.0.0/8,127.0.0.1',
      '--src-addr-default',
      'SMPPGATE',
      '--allow',
      'dlr_level',
      '--deny',
      'long_content',
      '--filter',
      'dst_addr=^33',
      ...conn,
    ]);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.stdout, 'user u1 added (username alice)\n');
    const u = (await store.getUser('u1'))!;
    assert.deepEqual(u.mt_messaging_cred.quotas, {
      balance: 10,
      early_percent: 50,
      sms_count: 100,
      smpps_throughput: 20,
      http_throughput: null,
    });
    assert.equal(u.mt_messaging_cred.authorizations.long_content, false);
    assert.equal(u.mt_messaging_cred.value_filters.dst_addr, '^33');
    assert.equal(u.smpps_cred.authorizations.ip, '10.0.0.0/8,127.0.0.1');
    assert.equal(u.smpps_cred.quotas.max_bindings, 2);

    const list = await cli(['user', 'list', ...conn]);
    assert.equal(
      list.stdout,
      'UID  USERNAME  GID  ENABLED  BALANCE  SMS_COUNT  THROUGHPUT  MAX_BINDINGS\nu1   alice     g1   true     10       100        20          2\n',
    );
    const show = await cli(['user', 'show', 'u1', ...conn]);
    assert.match(show.stdout, /^mt_messaging_cred\.quotas\.balance\s+10$/m);
    assert.doesNotMatch(show.stdout, /password/);

    assert.equal(
      (
        await cli([
          'connector',
          'add',
          'c1',
          '--type',
          'smppc',
          '--set',
          'host=10.0.0.5',
          '--set-json',
          'port=2775',
          ...conn,
        ])
      ).code,
      0,
    );
    assert.deepEqual((await store.getConnector('c1'))!.settings, { host: '10.0.0.5', port: 2775 });
    assert.equal((await cli(['connector', 'add', 'sim1', '--type', 'sim', ...conn])).code, 0);
    assert.equal((await cli(['connector', 'start', 'c1', ...conn])).stdout, 'connector c1 started\n');
    const connectors = await cli(['connector', 'list', ...conn]);
    assert.match(connectors.stdout, /^CID\s+TYPE\s+STARTED\s+STATE\s+BINDS\s+LAST_ERROR$/m);
    assert.match(connectors.stdout, /^c1\s+smppc\s+true\s+bound\s+1\s+-$/m);

    const route = await cli([
      'route',
      'add',
      'mt',
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
      ...conn,
    ]);
    assert.deepEqual(route, { code: 0, stdout: 'MT route 10 added\n', stderr: '' });
    assert.equal((await cli(['route', 'add', 'mt', '--order', '0', '--connector', 'sim(sim1)', ...conn])).code, 0);
    assert.equal((await cli(['route', 'add', 'mo', '--order', '0', '--connector', 'smpps(alice)', ...conn])).code, 0);
    const routes = await cli(['route', 'list', 'mt', ...conn]);
    assert.equal(
      routes.stdout,
      'ORDER  TYPE     CONNECTORS  RATE  FILTERS\n10     static   smppc(c1)   0.02  destination_addr=^33\n0      default  sim(sim1)   0\n',
    );
    const both = await cli(['route', 'list', ...conn]);
    assert.match(both.stdout, /^MT routes\n/);
    assert.match(both.stdout, /\nMO routes\nORDER\s+TYPE\s+CONNECTORS\s+FILTERS\n0\s+default\s+smpps\(alice\)\n$/);
  });

  it('prints raw JSON with --json', async () => {
    const r = await cli(['group', 'list', '--json', ...conn]);
    assert.deepEqual(JSON.parse(r.stdout), [{ gid: 'g1', enabled: true }]);
    const route = JSON.parse((await cli(['route', 'show', 'mt', '10', '--json', ...conn])).stdout);
    assert.equal(route.connector, 'smppc(c1)');
  });

  it('updates, credits, disables, unbinds and bans users', async () => {
    const pwFile = join(dir, 'pw');
    writeFileSync(pwFile, 'from-file\n');
    const hash = (await store.getUser('u1'))!.password_hash;
    const upd = await cli([
      'user',
      'update',
      'u1',
      '--password-file',
      pwFile,
      '--balance',
      '5',
      '--filter',
      'dst_addr=',
      ...conn,
    ]);
    assert.equal(upd.code, 0, upd.stderr);
    const u = (await store.getUser('u1'))!;
    assert.notEqual(u.password_hash, hash);
    assert.equal(u.mt_messaging_cred.quotas.balance, 5);
    assert.equal(u.mt_messaging_cred.value_filters.dst_addr, null);
    assert.equal(u.mt_messaging_cred.quotas.sms_count, 100);

    const credit = await cli(['user', 'credit', 'u1', '--amount', '2.5', '--sms-count', '-10', ...conn]);
    assert.equal(credit.code, 1);
    assert.match(credit.stderr, /^error: sms_count: must have the same sign/);
    const ok = await cli(['user', 'credit', 'u1', '--amount', '2.5', ...conn]);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /^balance\s+7\.5$/m);

    assert.equal((await cli(['user', 'disable', 'u1', ...conn])).stdout, 'user u1 disabled\n');
    assert.equal((await store.getUser('u1'))!.enabled, false);
    assert.equal((await cli(['user', 'enable', 'u1', ...conn])).stdout, 'user u1 enabled\n');
    api.control.binds = [
      { session_id: 's1', uid: 'u1', username: 'alice', bind_type: 'transceiver', peer: '127.0.0.1:4000', bound_at: 0 },
    ];
    const binds = await cli(['binds', ...conn]);
    assert.match(binds.stdout, /^s1\s+u1\s+alice\s+transceiver\s+127\.0\.0\.1:4000\s+1970-01-01T00:00:00\.000Z$/m);
    assert.equal((await cli(['user', 'ban', 'u1', ...conn])).stdout, 'user u1 disabled, 1 session(s) unbound\n');
    assert.equal((await cli(['user', 'unbind', 'u1', ...conn])).stdout, 'user u1: 0 session(s) unbound\n');
  });

  it('warns when a password is too long for an SMPP v3.4 bind', async () => {
    const r = await cli(['user', 'add', 'u2', '--gid', 'g1', '--password', 'longer-than-8', ...conn]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /longer than 8 octets/);
  });

  it("exits 1 with the API's message, naming the field", async () => {
    const dup = await cli(['group', 'add', 'g1', ...conn]);
    assert.deepEqual(dup, { code: 1, stdout: '', stderr: 'error: group "g1" already exists\n' });
    const bad = await cli(['user', 'add', 'u3', '--gid', 'g1', '--password', 'x', '--ip', 'nowhere', ...conn]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: smpps_cred\.authorizations\.ip: /);
    const missing = await cli(['route', 'add', 'mt', '--order', '5', '--connector', 'smppc(ghost)', ...conn]);
    assert.match(missing.stderr, /connector: connector "ghost" does not exist/);
    const noToken = await cli(['stats', '--url', api.url]);
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /bearer token.*SMPPGATE_TOKEN/);
    assert.equal((await cli(['message', 'show', 'nope', ...conn])).code, 1);
  });

  it('takes the token from SMPPGATE_TOKEN and the URL and token from --config', async () => {
    assert.equal((await cli(['stats', '--url', api.url], { SMPPGATE_TOKEN: api.token })).code, 0);
    const port = new URL(api.url).port;
    const cfg = join(dir, 'gw.cfg');
    writeFileSync(cfg, `[admin]\nbind = 127.0.0.1\nport = ${port}\ntoken = ${api.token}\n`);
    const stats = await cli(['stats', '--config', cfg]);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /^smpps\.submit_sm_count\s+9$/m);
    assert.match(stats.stdout, /^started_at\s+2023-11-14T22:13:20\.000Z$/m);
    const badCfg = join(dir, 'bad.cfg');
    writeFileSync(badCfg, '[admin]\nport = many\n');
    const bad = await cli(['stats', '--config', badCfg]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--config: .*port/);
  });

  it('removes what it created, refusing what is still in use', async () => {
    assert.equal((await cli(['connector', 'remove', 'c1', ...conn])).code, 1);
    assert.equal((await cli(['route', 'remove', 'mt', '10', ...conn])).stdout, 'MT route 10 removed\n');
    assert.equal((await cli(['connector', 'stop', 'c1', ...conn])).stdout, 'connector c1 stopped\n');
    assert.equal((await cli(['connector', 'remove', 'c1', ...conn])).stdout, 'connector c1 removed\n');
    assert.equal((await cli(['group', 'remove', 'g1', ...conn])).code, 1);
    assert.equal((await cli(['user', 'remove', 'u1', ...conn])).stdout, 'user u1 removed\n');
    assert.equal((await cli(['user', 'remove', 'u2', ...conn])).code, 0);
    assert.equal((await cli(['group', 'remove', 'g1', ...conn])).stdout, 'group g1 removed\n');
  });
});
