import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MoRoute, MtRoute } from '../store/model.js';
import type { RoutingContext } from './filters.js';
import { RoundRobin, RouteValidationError, routeMo, routeMt, validateMoRoute, validateMtRoute } from './routing.js';

function ctx(over: Partial<RoutingContext> = {}): RoutingContext {
  return {
    uid: 'u1',
    gid: 'g1',
    source_addr: 'Brand',
    destination_addr: '33612345678',
    content: 'hi',
    tags: [],
    now: new Date(2025, 5, 15, 12, 0, 0).getTime(),
    ...over,
  };
}

const allUp = { isConnectorUp: () => true, nextIndex: () => 0 };
const defaultRoute: MtRoute = { order: 0, type: 'default', connectors: ['def'], filters: [], rate: 0.01 };

describe('routeMt', () => {
  test('the highest order whose filters all match wins, whatever the array order', () => {
    const routes: MtRoute[] = [
      defaultRoute,
      {
        order: 10,
        type: 'static',
        connectors: ['fr'],
        filters: [{ type: 'destination_addr', regex: '^33' }],
        rate: 0.02,
      },
      {
        order: 20,
        type: 'static',
        connectors: ['vip-fr'],
        filters: [
          { type: 'user', uid: 'vip' },
          { type: 'destination_addr', regex: '^33' },
        ],
        rate: 0.03,
      },
      {
        order: 30,
        type: 'static',
        connectors: ['es'],
        filters: [{ type: 'destination_addr', regex: '^34' }],
        rate: 0.04,
      },
    ];
    assert.deepEqual(routeMt(routes, ctx(), allUp), { route: routes[1], cid: 'fr', rate: 0.02 });
    assert.equal(routeMt(routes, ctx({ uid: 'vip' }), allUp)?.cid, 'vip-fr');
    assert.equal(routeMt(routes, ctx({ destination_addr: '3466' }), allUp)?.cid, 'es');
    const fallback = routeMt(routes, ctx({ destination_addr: '4477' }), allUp);
    assert.deepEqual(fallback, { route: defaultRoute, cid: 'def', rate: 0.01 });
    assert.equal(routes[0], defaultRoute, 'the caller’s array is not reordered');
  });

  test('no matching route and no default: null (ESME_RINVDSTADR for the caller)', () => {
    const routes: MtRoute[] = [
      { order: 5, type: 'static', connectors: ['fr'], filters: [{ type: 'destination_addr', regex: '^33' }], rate: 0 },
    ];
    assert.equal(routeMt(routes, ctx({ destination_addr: '49' }), allUp), null);
    assert.equal(routeMt([], ctx(), allUp), null);
  });

  test('a route without connectors never swallows traffic', () => {
    const broken: MtRoute = { order: 9, type: 'static', connectors: [], filters: [], rate: 0 };
    assert.equal(routeMt([broken, defaultRoute], ctx(), allUp)?.cid, 'def');
  });

  test('every filter type takes part', () => {
    const at = new Date(2025, 5, 15, 23, 0, 0).getTime();
    const route: MtRoute = {
      order: 1,
      type: 'static',
      connectors: ['night'],
      filters: [
        { type: 'transparent' },
        { type: 'user', uid: 'u1' },
        { type: 'group', gid: 'g1' },
        { type: 'source_addr', regex: 'Br' },
        { type: 'destination_addr', regex: '336' },
        { type: 'short_message', regex: 'PROMO' },
        { type: 'date_interval', from: '2025-06-01', to: '2025-06-30' },
        { type: 'time_interval', from: '22:00:00', to: '06:00:00' },
        { type: 'tag', tag: 3 },
      ],
      rate: 0,
    };
    const good = ctx({ content: 'PROMO now', tags: [3], now: at });
    assert.equal(routeMt([route], good, allUp)?.cid, 'night');
    const breakers: Partial<RoutingContext>[] = [
      { uid: 'u2' },
      { gid: 'g2' },
      { source_addr: 'Other' },
      { destination_addr: '337' },
      { content: 'hello' },
      { now: new Date(2025, 6, 1, 23, 0, 0).getTime() },
      { now: new Date(2025, 5, 15, 12, 0, 0).getTime() },
      { tags: [4] },
    ];
    for (const b of breakers) assert.equal(routeMt([route], { ...good, ...b }, allUp), null, JSON.stringify(b));
  });

  test('static and default: the one connector, even when it is down (the message queues)', () => {
    const route: MtRoute = { order: 1, type: 'static', connectors: ['s'], filters: [], rate: 0 };
    assert.equal(routeMt([route], ctx(), { isConnectorUp: () => false, nextIndex: () => 0 })?.cid, 's');
    assert.equal(routeMt([defaultRoute], ctx(), { isConnectorUp: () => false, nextIndex: () => 0 })?.cid, 'def');
  });

  test('roundrobin rotates per route with a RoundRobin the caller owns', () => {
    const a: MtRoute = {
      order: 2,
      type: 'roundrobin',
      connectors: ['a1', 'a2', 'a3'],
      filters: [{ type: 'user', uid: 'u1' }],
      rate: 0,
    };
    const b: MtRoute = { order: 1, type: 'roundrobin', connectors: ['b1', 'b2'], filters: [], rate: 0 };
    const rr = new RoundRobin();
    const opts = { isConnectorUp: () => true, nextIndex: rr.nextIndex };
    const seq = (uid: string, n: number) => Array.from({ length: n }, () => routeMt([a, b], ctx({ uid }), opts)?.cid);
    assert.deepEqual(seq('u1', 4), ['a1', 'a2', 'a3', 'a1']);
    assert.deepEqual(seq('u2', 3), ['b1', 'b2', 'b1'], 'route b has its own counter');
    assert.deepEqual(seq('u1', 1), ['a2']);
    rr.forget(2);
    assert.deepEqual(seq('u1', 1), ['a1']);
  });

  test('roundrobin skips connectors that are down, and queues on the rotated one when all are down', () => {
    const route: MtRoute = { order: 1, type: 'roundrobin', connectors: ['c1', 'c2', 'c3'], filters: [], rate: 0 };
    const rr = new RoundRobin();
    const up = new Set(['c1', 'c3']);
    const opts = { isConnectorUp: (cid: string) => up.has(cid), nextIndex: rr.nextIndex };
    const picks = Array.from({ length: 6 }, () => routeMt([route], ctx(), opts)?.cid);
    assert.deepEqual(picks, ['c1', 'c3', 'c3', 'c1', 'c3', 'c3']);
    up.clear();
    const down = Array.from({ length: 3 }, () => routeMt([route], ctx(), opts)?.cid);
    assert.deepEqual(down, ['c1', 'c2', 'c3']);
  });

  test('roundrobin tolerates any integer from a caller-supplied counter', () => {
    const route: MtRoute = { order: 1, type: 'roundrobin', connectors: ['x', 'y'], filters: [], rate: 0 };
    assert.equal(routeMt([route], ctx(), { isConnectorUp: () => true, nextIndex: () => 7 })?.cid, 'y');
    assert.equal(routeMt([route], ctx(), { isConnectorUp: () => true, nextIndex: () => -1 })?.cid, 'y');
  });

  test('failover: the first connector that is up, else the first', () => {
    const route: MtRoute = {
      order: 1,
      type: 'failover',
      connectors: ['main', 'backup1', 'backup2'],
      filters: [],
      rate: 0.5,
    };
    const with_ = (up: string[]) =>
      routeMt([route], ctx(), { isConnectorUp: (c) => up.includes(c), nextIndex: () => 0 });
    assert.equal(with_(['main', 'backup1', 'backup2'])?.cid, 'main');
    assert.equal(with_(['backup1', 'backup2'])?.cid, 'backup1');
    assert.equal(with_(['backup2'])?.cid, 'backup2');
    assert.equal(with_([])?.cid, 'main');
    assert.equal(with_([])?.rate, 0.5);
  });
});

describe('routeMo', () => {
  const toAlice = { kind: 'smpps', username: 'alice' } as const;
  const toBob = { kind: 'smpps', username: 'bob' } as const;
  const toHttp = { kind: 'http', cid: 'crm' } as const;

  test('connector filter and order decide; the default catches the rest', () => {
    const routes: MoRoute[] = [
      { order: 0, type: 'default', targets: [toHttp], filters: [] },
      { order: 10, type: 'static', targets: [toAlice], filters: [{ type: 'connector', cid: 'smsc-fr' }] },
      {
        order: 20,
        type: 'static',
        targets: [toBob],
        filters: [
          { type: 'connector', cid: 'smsc-fr' },
          { type: 'destination_addr', regex: '^1234$' },
        ],
      },
    ];
    const opts = { nextIndex: () => 0 };
    const mo = (over: Partial<RoutingContext>) =>
      routeMo(routes, ctx({ uid: undefined, gid: undefined, ...over }), opts);
    assert.deepEqual(mo({ cid: 'smsc-fr', destination_addr: '1234' })?.target, toBob);
    assert.deepEqual(mo({ cid: 'smsc-fr', destination_addr: '5555' })?.target, toAlice);
    assert.deepEqual(mo({ cid: 'smsc-de' })?.target, toHttp);
    assert.equal(routeMo(routes.slice(1), ctx({ cid: 'smsc-de' }), opts), null);
  });

  test('roundrobin and failover over targets', () => {
    const rr = new RoundRobin();
    const rrRoute: MoRoute = { order: 1, type: 'roundrobin', targets: [toAlice, toBob], filters: [] };
    const picks = Array.from({ length: 3 }, () => routeMo([rrRoute], ctx(), { nextIndex: rr.nextIndex })?.target);
    assert.deepEqual(picks, [toAlice, toBob, toAlice]);
    const fo: MoRoute = { order: 1, type: 'failover', targets: [toAlice, toHttp], filters: [] };
    const isTargetUp = (t: { kind: string }) => t.kind === 'http';
    assert.deepEqual(routeMo([fo], ctx(), { isTargetUp, nextIndex: () => 0 })?.target, toHttp);
    assert.deepEqual(routeMo([fo], ctx(), { isTargetUp: () => false, nextIndex: () => 0 })?.target, toAlice);
  });
});

function fields(result: { ok: boolean; errors?: RouteValidationError[] }): string[] {
  assert.equal(result.ok, false);
  for (const e of result.errors ?? []) assert.ok(e instanceof RouteValidationError && e.message.startsWith(e.field));
  return (result.errors ?? []).map((e) => e.field);
}

describe('validateMtRoute', () => {
  test('accepts good routes and returns them clean (unknown fields dropped)', () => {
    const input = {
      order: 10,
      type: 'failover',
      connectors: ['a', 'b'],
      filters: [
        { type: 'destination_addr', regex: '^33' },
        { type: 'time_interval', from: '22:00:00', to: '06:00:00' },
        { type: 'date_interval', from: '2025-01-01', to: '2025-12-31' },
        { type: 'tag', tag: 5 },
        { type: 'user', uid: 'u1' },
        { type: 'group', gid: 'g1' },
        { type: 'transparent' },
      ],
      rate: 0.025,
      extra: 'ignored',
    };
    const result = validateMtRoute(input);
    assert.ok(result.ok);
    assert.deepEqual(result.route, {
      order: 10,
      type: 'failover',
      connectors: ['a', 'b'],
      filters: input.filters,
      rate: 0.025,
    });
    const def = validateMtRoute({ order: 0, type: 'default', connectors: ['sim'] });
    assert.ok(def.ok);
    assert.deepEqual(def.route, { order: 0, type: 'default', connectors: ['sim'], filters: [], rate: 0 });
  });

  test('names every bad field', () => {
    assert.deepEqual(fields(validateMtRoute(null)), ['route']);
    assert.deepEqual(fields(validateMtRoute({ order: -1, type: 'static', connectors: ['a'], filters: [] })), ['order']);
    assert.deepEqual(fields(validateMtRoute({ order: 1.5, type: 'static', connectors: ['a'] })), ['order']);
    assert.deepEqual(fields(validateMtRoute({ order: 1, type: 'random', connectors: ['a'] })), ['type']);
    assert.deepEqual(fields(validateMtRoute({ order: 3, type: 'default', connectors: ['a'] })), ['order']);
    assert.deepEqual(fields(validateMtRoute({ order: 0, type: 'static', connectors: ['a'] })), ['type']);
    assert.deepEqual(fields(validateMtRoute({ order: 1, type: 'static', connectors: ['a', 'b'] })), ['connectors']);
    assert.deepEqual(fields(validateMtRoute({ order: 1, type: 'roundrobin', connectors: [] })), ['connectors']);
    assert.deepEqual(fields(validateMtRoute({ order: 1, type: 'failover', connectors: ['a', ''] })), ['connectors[1]']);
    assert.deepEqual(fields(validateMtRoute({ order: 1, type: 'failover', connectors: ['a', 'a'] })), [
      'connectors[1]',
    ]);
    assert.deepEqual(fields(validateMtRoute({ order: 1, type: 'static', connectors: 'a' })), ['connectors']);
    assert.deepEqual(fields(validateMtRoute({ order: 1, type: 'static', connectors: ['a'], rate: -1 })), ['rate']);
    assert.deepEqual(fields(validateMtRoute({ order: 1, type: 'static', connectors: ['a'], rate: '1' })), ['rate']);
    assert.deepEqual(fields(validateMtRoute({ order: 1, type: 'static', connectors: ['a'], filters: {} })), [
      'filters',
    ]);
    assert.deepEqual(
      fields(validateMtRoute({ order: 0, type: 'default', connectors: ['a'], filters: [{ type: 'tag', tag: 1 }] })),
      ['filters'],
    );
  });

  test('names the bad filter and its field', () => {
    const bad = (filter: unknown) =>
      fields(
        validateMtRoute({ order: 1, type: 'static', connectors: ['a'], filters: [{ type: 'transparent' }, filter] }),
      );
    assert.deepEqual(bad({ type: 'connector', cid: 'x' }), ['filters[1].type'], 'no connector filter on MT');
    assert.deepEqual(bad({ type: 'nope' }), ['filters[1].type']);
    assert.deepEqual(bad('user'), ['filters[1]']);
    assert.deepEqual(bad({ type: 'user', uid: '' }), ['filters[1].uid']);
    assert.deepEqual(bad({ type: 'group' }), ['filters[1].gid']);
    assert.deepEqual(bad({ type: 'destination_addr' }), ['filters[1].regex']);
    assert.deepEqual(bad({ type: 'short_message', regex: '(a+)+$' }), ['filters[1].regex']);
    assert.deepEqual(bad({ type: 'source_addr', regex: '([' }), ['filters[1].regex']);
    assert.deepEqual(bad({ type: 'date_interval', from: '2025-02-30', to: '2025-03-01' }), ['filters[1].from']);
    assert.deepEqual(bad({ type: 'date_interval', from: '2025-03-01', to: '2025-02-01' }), ['filters[1].to']);
    assert.deepEqual(bad({ type: 'time_interval', from: '25:00:00', to: '06:00:00' }), ['filters[1].from']);
    assert.deepEqual(bad({ type: 'time_interval', from: '05:00:00', to: 6 }), ['filters[1].to']);
    assert.deepEqual(bad({ type: 'tag', tag: -2 }), ['filters[1].tag']);
    assert.deepEqual(bad({ type: 'tag', tag: '2' }), ['filters[1].tag']);
    const regexError = validateMtRoute({
      order: 1,
      type: 'static',
      connectors: ['a'],
      filters: [{ type: 'short_message', regex: '(a+)+' }],
    });
    assert.ok(!regexError.ok);
    assert.match(regexError.errors[0].message, /^filters\[0\]\.regex: regular expression .* rejected: .*nested/);
  });

  test('reports several problems at once', () => {
    assert.deepEqual(fields(validateMtRoute({ order: 'x', type: 'static', connectors: [], rate: -3 })), [
      'order',
      'connectors',
      'rate',
    ]);
  });
});

describe('validateMoRoute', () => {
  test('accepts smpps and http targets and the connector filter', () => {
    const result = validateMoRoute({
      order: 5,
      type: 'roundrobin',
      targets: [
        { kind: 'smpps', username: 'alice' },
        { kind: 'http', cid: 'crm' },
      ],
      filters: [{ type: 'connector', cid: 'smsc-fr' }],
    });
    assert.ok(result.ok);
    assert.equal(result.route.targets.length, 2);
  });

  test('names bad targets and filters that MO routes do not have', () => {
    const base = { order: 5, type: 'static', targets: [{ kind: 'smpps', username: 'a' }] };
    assert.deepEqual(fields(validateMoRoute({ ...base, filters: [{ type: 'user', uid: 'u' }] })), ['filters[0].type']);
    assert.deepEqual(fields(validateMoRoute({ ...base, filters: [{ type: 'group', gid: 'g' }] })), ['filters[0].type']);
    assert.deepEqual(fields(validateMoRoute({ ...base, targets: [{ kind: 'smpps' }] })), ['targets[0].username']);
    assert.deepEqual(fields(validateMoRoute({ ...base, targets: [{ kind: 'http', cid: '' }] })), ['targets[0].cid']);
    assert.deepEqual(fields(validateMoRoute({ ...base, targets: [{ kind: 'ftp' }] })), ['targets[0].kind']);
    assert.deepEqual(fields(validateMoRoute({ ...base, targets: [] })), ['targets']);
    assert.deepEqual(fields(validateMoRoute({ ...base, targets: undefined })), ['targets']);
    assert.deepEqual(
      fields(
        validateMoRoute({
          ...base,
          type: 'failover',
          targets: [
            { kind: 'http', cid: 'c' },
            { kind: 'http', cid: 'c' },
          ],
        }),
      ),
      ['targets[1]'],
    );
  });
});
