import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../http/errors.js';
import { moRouteView, mtRouteView, parseMoRoute, parseMtRoute } from './routeBody.js';

function rejects(fn: () => unknown, field: string, message?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HttpError, String(e));
    assert.equal(e.status, 400);
    assert.equal(e.field, field, e.message);
    assert.ok(e.message.startsWith(`${field}`), e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('MT route bodies', () => {
  it('translates Jasmin references to plain cids and back', () => {
    const parsed = parseMtRoute({
      order: 10,
      type: 'static',
      connector: 'smppc(c1)',
      filters: [{ type: 'destination_addr', regex: '^33' }],
      rate: 0.02,
    });
    assert.deepEqual(parsed.route, {
      order: 10,
      type: 'static',
      connectors: ['c1'],
      filters: [{ type: 'destination_addr', regex: '^33' }],
      rate: 0.02,
    });
    assert.deepEqual(parsed.refs, [{ cid: 'c1', type: 'smppc', field: 'connector' }]);
    assert.deepEqual(
      mtRouteView(parsed.route, () => 'smppc'),
      {
        order: 10,
        type: 'static',
        connector: 'smppc(c1)',
        filters: [{ type: 'destination_addr', regex: '^33' }],
        rate: 0.02,
      },
    );
  });

  it('takes a list for round-robin and failover, bare cids and sim connectors', () => {
    const parsed = parseMtRoute({ order: 5, type: 'roundrobin', connectors: ['smppc(a)', 'b', 'sim(s)'] });
    assert.deepEqual(parsed.route.connectors, ['a', 'b', 's']);
    assert.deepEqual(
      parsed.refs.map((r) => [r.type, r.field]),
      [
        ['smppc', 'connectors[0]'],
        [null, 'connectors[1]'],
        ['sim', 'connectors[2]'],
      ],
    );
    assert.equal(parsed.route.rate, 0);
    const view = mtRouteView(parsed.route, (cid) => (cid === 's' ? 'sim' : cid === 'a' ? 'smppc' : undefined));
    assert.deepEqual(view.connectors, ['smppc(a)', 'b', 'sim(s)']);
    assert.equal(view.connector, undefined);
  });

  it('accepts the default route at order 0', () => {
    assert.deepEqual(parseMtRoute({ order: 0, type: 'default', connector: 'sim(demo)' }).route, {
      order: 0,
      type: 'default',
      connectors: ['demo'],
      filters: [],
      rate: 0,
    });
  });

  it('names the field of every bad part, as the client wrote it', () => {
    rejects(() => parseMtRoute({ order: 1, type: 'static' }), 'connector', /required/);
    rejects(
      () => parseMtRoute({ order: 1, type: 'static', connector: 'c', connectors: ['c'] }),
      'connectors',
      /either/,
    );
    rejects(() => parseMtRoute({ order: 1, type: 'static', connector: 'http(c)' }), 'connector', /smppc\(cid\) or sim/);
    rejects(() => parseMtRoute({ order: 1, type: 'static', connector: 'smppc(a b)' }), 'connector', /connector id/);
    rejects(() => parseMtRoute({ order: 1, type: 'static', connector: 7 }), 'connector');
    rejects(() => parseMtRoute({ order: 1, type: 'roundrobin', connectors: 'a' }), 'connectors', /list/);
    rejects(() => parseMtRoute({ order: 1, type: 'roundrobin', connectors: [] }), 'connectors', /at least one/);
    rejects(
      () => parseMtRoute({ order: 1, type: 'failover', connectors: ['a', 'smppc(a)'] }),
      'connectors[1]',
      /twice/,
    );
    rejects(() => parseMtRoute({ order: 1, type: 'static', connectors: ['a', 'b'] }), 'connectors', /exactly one/);
    rejects(() => parseMtRoute({ order: -1, type: 'static', connector: 'a' }), 'order');
    rejects(() => parseMtRoute({ order: 1.5, type: 'static', connector: 'a' }), 'order');
    rejects(() => parseMtRoute({ order: 3, type: 'default', connector: 'a' }), 'order', /order 0/);
    rejects(() => parseMtRoute({ order: 0, type: 'static', connector: 'a' }), 'type', /default route/);
    rejects(() => parseMtRoute({ order: 1, type: 'magic', connector: 'a' }), 'type');
    rejects(() => parseMtRoute({ order: 1, type: 'static', connector: 'a', rate: -1 }), 'rate');
    rejects(() => parseMtRoute({ order: 1, type: 'static', connector: 'a', rate: '1' }), 'rate');
    rejects(() => parseMtRoute({ order: 1, type: 'static', connector: 'a', filters: {} }), 'filters');
    rejects(
      () =>
        parseMtRoute({
          order: 1,
          type: 'static',
          connector: 'a',
          filters: [{ type: 'destination_addr', regex: '(a*)*' }],
        }),
      'filters[0].regex',
      /nested/,
    );
    rejects(
      () =>
        parseMtRoute({
          order: 1,
          type: 'static',
          connector: 'a',
          filters: [{ type: 'transparent' }, { type: 'connector', cid: 'x' }],
        }),
      'filters[1].type',
    );
    rejects(
      () =>
        parseMtRoute({
          order: 1,
          type: 'static',
          connector: 'a',
          filters: [{ type: 'date_interval', from: '2024-02-30', to: '2024-03-01' }],
        }),
      'filters[0].from',
    );
    rejects(
      () => parseMtRoute({ order: 0, type: 'default', connector: 'a', filters: [{ type: 'user', uid: 'u' }] }),
      'filters',
    );
    rejects(() => parseMtRoute({ order: 1, type: 'static', connector: 'a', priority: 1 }), 'priority', /unknown/);
  });
});

describe('MO route bodies', () => {
  it('translates smpps(username) and http(cid) targets and back', () => {
    const parsed = parseMoRoute({
      order: 20,
      type: 'failover',
      connectors: ['smpps(alice)', 'http(hook)'],
      filters: [{ type: 'connector', cid: 'c1' }],
    });
    assert.deepEqual(parsed.route.targets, [
      { kind: 'smpps', username: 'alice' },
      { kind: 'http', cid: 'hook' },
    ]);
    assert.deepEqual(moRouteView(parsed.route), {
      order: 20,
      type: 'failover',
      connectors: ['smpps(alice)', 'http(hook)'],
      filters: [{ type: 'connector', cid: 'c1' }],
    });
    assert.equal(
      moRouteView(parseMoRoute({ order: 0, type: 'default', connector: 'smpps(bob)' }).route).connector,
      'smpps(bob)',
    );
  });

  it('names the field of every bad part', () => {
    rejects(() => parseMoRoute({ order: 1, type: 'static', connector: 'bob' }), 'connector', /smpps\(username\)/);
    rejects(() => parseMoRoute({ order: 1, type: 'static', connector: 'smppc(c1)' }), 'connector');
    rejects(() => parseMoRoute({ order: 1, type: 'static', connector: 'smpps(bob)', rate: 1 }), 'rate', /unknown/);
    rejects(
      () => parseMoRoute({ order: 1, type: 'roundrobin', connectors: ['smpps(a)', 'smpps(a)'] }),
      'connectors[1]',
      /twice/,
    );
    rejects(
      () => parseMoRoute({ order: 1, type: 'static', connector: 'smpps(a)', filters: [{ type: 'user', uid: 'u' }] }),
      'filters[0].type',
    );
  });
});
