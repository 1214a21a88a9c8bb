import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routesTable } from './commands/routes.js';
import { usersTable } from './commands/users.js';
import { cell, flatten, renderKeyValues, renderTable } from './table.js';

describe('tables', () => {
  it('aligns columns under upper-case headers, without trailing blanks', () => {
    const out = renderTable(
      ['uid', 'balance', 'enabled'],
      [
        ['u1', 10, true],
        ['a-long-uid', null, false],
      ],
    );
    assert.equal(
      out,
      ['UID         BALANCE  ENABLED', 'u1          10       true', 'a-long-uid  -        false', ''].join('\n'),
    );
  });

  it('shows only headers for an empty list, and escapes control characters', () => {
    assert.equal(renderTable(['gid'], []), 'GID\n');
    assert.equal(renderTable(['x'], [['a\x1b[2Jb']]), 'X\na\\x1b[2Jb\n');
  });

  it('renders cells: null as -, objects as JSON', () => {
    assert.equal(cell(null), '-');
    assert.equal(cell(undefined), '-');
    assert.equal(cell({ a: 1 }), '{"a":1}');
    assert.equal(cell([1, 2]), '[1,2]');
  });

  it('flattens nested objects for key/value listings', () => {
    assert.deepEqual(flatten({ a: { b: 1, c: { d: null } }, e: [1] }), [
      ['a.b', 1],
      ['a.c.d', null],
      ['e', [1]],
    ]);
    assert.equal(renderKeyValues({ uid: 'u1', quotas: { balance: 2.5 } }), 'uid             u1\nquotas.balance  2.5\n');
  });

  it('renders users and routes the way an operator reads them', () => {
    const users = usersTable([
      {
        uid: 'u1',
        username: 'alice',
        gid: 'g1',
        enabled: true,
        smpps_cred: { quotas: { max_bindings: 2 } },
        mt_messaging_cred: { quotas: { balance: 10, sms_count: null, smpps_throughput: 20 } },
      },
    ]);
    assert.equal(
      users,
      'UID  USERNAME  GID  ENABLED  BALANCE  SMS_COUNT  THROUGHPUT  MAX_BINDINGS\nu1   alice     g1   true     10       -          20          2\n',
    );
    const routes = routesTable([
      {
        order: 10,
        type: 'static',
        connector: 'smppc(c1)',
        filters: [{ type: 'destination_addr', regex: '^33' }],
        rate: 0.02,
      },
      { order: 0, type: 'default', connector: 'sim(s)', filters: [], rate: 0 },
    ]);
    assert.equal(
      routes,
      'ORDER  TYPE     CONNECTORS  RATE  FILTERS\n10     static   smppc(c1)   0.02  destination_addr=^33\n0      default  sim(s)      0\n',
    );
  });
});
