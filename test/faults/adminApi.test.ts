// The admin API under hostile input (issue #8, "Bad input"): malformed JSON, oversized bodies, wrong content types,
// path traversal, huge and catastrophic regexes in route and credential filters, injection strings, and a
// fast-check fuzz of every writing route. Always a 4xx with a JSON message, never a 5xx, never a stalled event loop
// (measured with monitorEventLoopDelay and printed). Runs the real composition root (`smppgate start`).

import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ADMIN_TOKEN, type Daemon, type RawAnswer, rawHttp, startDaemon } from './daemon.js';

let daemon: Daemon;
let port: number;
const lag = monitorEventLoopDelay({ resolution: 10 });
let requests = 0;
let slowest = 0;

async function call(method: string, path: string, options: Parameters<typeof rawHttp>[3] = {}): Promise<RawAnswer> {
  const a = await rawHttp(port, method, path, options);
  requests++;
  slowest = Math.max(slowest, a.ms);
  return a;
}

/** A 4xx with a JSON `{error: "…"}` body: what every refusal must look like. */
function assertClientError(a: RawAnswer, what: string, statuses?: number[]): void {
  assert.ok(a.status >= 400 && a.status < 500, `${what}: got ${a.status} ${a.body.slice(0, 200)}`);
  if (statuses !== undefined) assert.ok(statuses.includes(a.status), `${what}: got ${a.status}, wanted ${statuses}`);
  if (a.status === 431 || a.status === 414) return; // refused by node:http itself, before the API
  const body = JSON.parse(a.body) as { error?: unknown };
  assert.equal(typeof body.error, 'string', `${what}: no error message in ${a.body.slice(0, 200)}`);
  assert.ok((body.error as string).length > 0);
}

const json = { 'content-type': 'application/json' };

describe('admin API under hostile input', () => {
  before(async () => {
    // Over a hundred wrong tokens from one address below: the slow-down has its own test (security.test.ts).
    daemon = await startDaemon({ adminExtra: 'token_fail_delay_ms = 0\n' });
    port = daemon.started.admin.port;
    lag.enable();
    // Something to PATCH and to reference.
    assert.equal(
      (await call('POST', '/api/v1/connectors', { body: '{"cid":"c1","type":"sim"}', headers: json })).status,
      201,
    );
  });

  after(async () => {
    lag.disable();
    console.log(
      `admin API fault run: ${requests} requests, slowest answer ${slowest.toFixed(1)} ms, ` +
        `event-loop delay p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`,
    );
    assert.equal(await daemon.stop(), 0);
  });

  const WRITE_ROUTES: [string, string][] = [
    ['POST', '/api/v1/groups'],
    ['POST', '/api/v1/users'],
    ['PATCH', '/api/v1/users/demo'],
    ['POST', '/api/v1/users/demo/credit'],
    ['POST', '/api/v1/connectors'],
    ['PATCH', '/api/v1/connectors/c1'],
    ['POST', '/api/v1/routes/mt'],
    ['PUT', '/api/v1/routes/mt/7'],
    ['POST', '/api/v1/routes/mo'],
    ['PATCH', '/api/v1/groups/demo'],
  ];

  describe('admin API: authentication', () => {
    it('every route but health answers 401 without the right token, whatever its length or prefix', async () => {
      const routes: [string, string][] = [
        ...WRITE_ROUTES,
        ['GET', '/api/v1/users'],
        ['GET', '/api/v1/users/demo'],
        ['DELETE', '/api/v1/users/demo'],
        ['POST', '/api/v1/users/demo/ban'],
        ['GET', '/api/v1/groups'],
        ['GET', '/api/v1/connectors'],
        ['POST', '/api/v1/connectors/c1/start'],
        ['GET', '/api/v1/routes/mt'],
        ['GET', '/api/v1/messages/x'],
        ['GET', '/api/v1/binds'],
        ['GET', '/api/v1/stats'],
        ['GET', '/api/v1/history'],
        ['GET', '/api/v1/nope'],
      ];
      const wrong: (string | null)[] = [
        null,
        '',
        'x',
        ADMIN_TOKEN.slice(0, -1),
        `${ADMIN_TOKEN}x`,
        ADMIN_TOKEN.toUpperCase(),
        'a'.repeat(10_000),
      ];
      for (const [method, path] of routes) {
        for (const token of wrong) {
          const a = await call(method, path, { token, body: method === 'GET' ? undefined : '{}' });
          assert.equal(a.status, 401, `${method} ${path} with token ${String(token).slice(0, 20)}`);
          assert.match(String(a.headers['www-authenticate']), /^Bearer /);
        }
      }
      // Other schemes and header shapes.
      for (const authorization of [
        `Basic ${ADMIN_TOKEN}`,
        `Bearer  ${ADMIN_TOKEN} x`,
        ADMIN_TOKEN,
        `Token ${ADMIN_TOKEN}`,
      ]) {
        const a = await call('GET', '/api/v1/users', { token: null, headers: { authorization } });
        assert.equal(a.status, 401, authorization);
      }
      assert.equal((await call('GET', '/api/v1/health', { token: null })).status, 200);
      assert.equal((await call('GET', '/api/v1/users', {})).status, 200);
    });

    it('path tricks do not reach a protected route through the public health path', async () => {
      for (const path of [
        '/api/v1/health/../users',
        '/api/v1/health/%2e%2e/users',
        '/api/v1/health%2f..%2fusers',
        '/api/v1/health/..%2Fusers',
        '/api/v1/health/?/../users',
        '/api/v1/health;/../users',
        '//api/v1/health/../v1/users',
      ]) {
        const a = await call('GET', path, { token: null });
        assert.ok(a.status !== 200 || !a.body.includes('"uid"'), `${path}: ${a.status} ${a.body.slice(0, 100)}`);
        assert.ok(a.status < 500, `${path}: ${a.status}`);
      }
    });
  });

  describe('admin API: malformed and oversized bodies', () => {
    const malformed = [
      '{',
      '{"gid":',
      '{"gid": "a" "b"}',
      '{"gid":"a",}',
      "{'gid':'a'}",
      'NaN',
      'undefined',
      '\u0000',
      '\ufeff{"gid":"bom"}',
      '[]',
      'null',
      '"a string"',
      '12345',
      'true',
      '{"gid":"a"}{"gid":"b"}',
      '{"gid":"\\ud800"}',
      `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
      '['.repeat(200_000),
      `{"gid":"${'x'.repeat(500_000)}"}`,
    ];

    it('malformed JSON on every writing route: 400 with a message', async () => {
      for (const [method, path] of WRITE_ROUTES) {
        for (const body of malformed) {
          assertClientError(
            await call(method, path, { body, headers: json }),
            `${method} ${path} ${body.slice(0, 30)}`,
          );
        }
      }
    });

    it('bytes that are not UTF-8, and a body in another charset: 400', async () => {
      const a = await call('POST', '/api/v1/groups', {
        body: Buffer.from([0x7b, 0xff, 0xfe, 0x22, 0x7d]),
        headers: json,
      });
      assertClientError(a, 'invalid UTF-8');
      const utf16 = Buffer.from('{"gid":"u16"}', 'utf16le');
      assertClientError(
        await call('POST', '/api/v1/groups', {
          body: utf16,
          headers: { 'content-type': 'application/json; charset=utf-16' },
        }),
        'UTF-16',
      );
    });

    it('wrong content types: form, multipart and XML bodies are 400; JSON under text/plain is read as JSON (documented)', async () => {
      const cases: [string, string][] = [
        ['application/x-www-form-urlencoded', 'gid=form'],
        [
          'multipart/form-data; boundary=xx',
          '--xx\r\nContent-Disposition: form-data; name="gid"\r\n\r\nmp\r\n--xx--\r\n',
        ],
        ['application/xml', '<group><gid>xml</gid></group>'],
        ['text/html', '<script>alert(1)</script>'],
      ];
      for (const [type, body] of cases) {
        assertClientError(await call('POST', '/api/v1/groups', { body, headers: { 'content-type': type } }), type);
      }
      const plain = await call('POST', '/api/v1/groups', {
        body: '{"gid":"plain"}',
        headers: { 'content-type': 'text/plain' },
      });
      assert.equal(plain.status, 201);
    });

    it('bodies over 1 MiB are 413, with or without Content-Length, and a lying Content-Length is refused', async () => {
      const big = `{"gid":"${'x'.repeat(2 * 1024 * 1024)}"}`;
      assertClientError(await call('POST', '/api/v1/groups', { body: big, headers: json }), 'big', [413]);
      assertClientError(
        await call('POST', '/api/v1/users', { body: big, headers: { ...json, 'transfer-encoding': 'chunked' } }),
        'chunked big',
        [413],
      );
      const liar = await call('POST', '/api/v1/groups', {
        body: '{"gid":"liar"}',
        headers: { ...json, 'content-length': String(10 ** 12) },
      }).catch((e: Error) => ({ status: 0, body: e.message, headers: {}, ms: 0 }) as RawAnswer);
      // Either refused at once (413) or the connection is dropped: never a 5xx, never a wait for a terabyte.
      assert.ok(liar.status === 0 || liar.status === 413 || liar.status === 400, `lying length: ${liar.status}`);
    });
  });

  describe('admin API: paths', () => {
    it('traversal, encoded separators, NULs, bad escapes and huge paths: 4xx, never a file, never a 5xx', async () => {
      const paths = [
        '/api/v1/users/..%2F..%2F..%2Fetc%2Fpasswd',
        '/api/v1/../../../../etc/passwd',
        '/api/v1/users/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
        '/api/v1/users/%00',
        '/api/v1/users/demo%00.json',
        '/api/v1/users/%',
        '/api/v1/users/%zz',
        '/api/v1/users/%C0%AE%C0%AE%2F',
        '//api//v1//users//demo',
        `/api/v1/users/${'a'.repeat(10_000)}`,
        `/api/v1/messages/${'../'.repeat(100)}etc/passwd`,
        '/api/v1/routes/mt/-1',
        '/api/v1/routes/mt/1e309',
        '/api/v1/routes/mt/0x10',
        '/api/v1/users?gid=../../etc',
        '/api/v1/connectors/c1/start/../../../../etc/passwd',
        '/etc/passwd',
        '*',
        `/${'x'.repeat(100_000)}`,
      ];
      for (const path of paths) {
        const a = await call('GET', path).catch(
          (e: Error) => ({ status: 0, body: e.message, headers: {}, ms: 0 }) as RawAnswer,
        );
        if (path === '/api/v1/users?gid=../../etc' || path === '//api//v1//users//demo') {
          assert.ok(a.status === 200 || (a.status >= 400 && a.status < 500), `${path}: ${a.status}`);
          continue;
        }
        if (a.status === 0) continue; // node:http closed the connection itself (an unparseable request line)
        assertClientError(a, path.slice(0, 60));
        assert.doesNotMatch(a.body, /root:/, 'never a file from disk');
      }
    });
  });

  describe('admin API: regexes and injection strings in filters', () => {
    const catastrophic = [
      '(a+)+$',
      '(a|aa)*$',
      '(.*a){12}',
      '.*.*.*.*.*.*.*.*x',
      'a+a+a+a+a+a+b',
      '[a-z]*[a-z]*[a-z]*!',
      '(\\w+)\\1\\1x',
      '.{0,100}.{0,100}.{0,100}x',
      '(?:\\d+)*x',
      'x'.repeat(257),
      `(${'a'.repeat(5000)})`,
      '('.repeat(10_000),
      'a'.repeat(1024 * 512),
    ];

    it('catastrophic or huge regexes are refused with 400 naming the filter, in route filters and in credential value filters', async () => {
      for (const regex of catastrophic) {
        const route = await call('POST', '/api/v1/routes/mt', {
          headers: json,
          body: JSON.stringify({
            order: 50,
            type: 'static',
            connector: 'sim(c1)',
            filters: [{ type: 'short_message', regex }],
            rate: 0,
          }),
        });
        assertClientError(route, `route regex ${regex.slice(0, 30)}`, [400, 413]);
        if (route.status === 400) assert.match(route.body, /filters\[0\]\.regex/);
        const user = await call('PATCH', '/api/v1/users/demo', {
          headers: json,
          body: JSON.stringify({ mt_messaging_cred: { value_filters: { content: regex } } }),
        });
        assertClientError(user, `value filter ${regex.slice(0, 30)}`, [400, 413]);
        assert.ok(route.ms < 1000 && user.ms < 1000, `slow answer for ${regex.slice(0, 30)}`);
      }
    });

    it('injection strings are refused or stored as plain data, and the store keeps working', async () => {
      const injections = [
        "'; DROP TABLE users; --",
        '" OR "1"="1',
        "1' OR '1'='1' --",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
        '${7*7}',
        '{{7*7}}',
        '<script>alert(1)</script>',
        '\r\nSet-Cookie: a=b',
        '../../etc/passwd',
        '\u0000',
        'a\u2028b',
        '$(reboot)',
        '`reboot`',
        '%s%s%s%n',
      ];
      for (const s of injections) {
        for (const body of [
          { gid: s },
          { uid: s, gid: 'demo', username: 'inj', password: 'pw' },
          { uid: 'inj', gid: 'demo', username: s, password: 'pw' },
          { order: 60, type: 'static', connector: 'sim(c1)', filters: [{ type: 'short_message', regex: s }], rate: 0 },
          { order: 61, type: 'static', connector: `sim(${s})`, filters: [], rate: 0 },
          { order: 62, type: 'static', connector: 'sim(c1)', filters: [{ type: 'user', uid: s }], rate: 0 },
        ]) {
          const path = 'order' in body ? '/api/v1/routes/mt' : 'username' in body ? '/api/v1/users' : '/api/v1/groups';
          const a = await call('POST', path, { headers: json, body: JSON.stringify(body) });
          assert.ok(a.status < 500, `${path} ${JSON.stringify(body)}: ${a.status} ${a.body}`);
          if (a.status >= 400) assertClientError(a, `${path} ${s}`);
          if (a.status === 201 && 'order' in body) {
            // Stored as plain data: read back byte for byte, then removed.
            const back = await call('GET', `/api/v1/routes/mt/${body.order}`);
            assert.equal(back.status, 200);
            assert.ok(back.body.includes(JSON.stringify(s).slice(1, -1)) || back.body.includes(s), back.body);
            assert.equal((await call('DELETE', `/api/v1/routes/mt/${body.order}`)).status, 200);
          }
        }
      }
      // Prototype pollution through the body: refused as unknown fields, and nothing leaks into plain objects.
      for (const body of [
        '{"gid":"pp1","__proto__":{"polluted":true}}',
        '{"gid":"pp2","constructor":{"prototype":{"polluted":true}}}',
        '{"mt_messaging_cred":{"__proto__":{"polluted":true}}}',
      ]) {
        const path = body.includes('mt_messaging_cred') ? '/api/v1/users/demo' : '/api/v1/groups';
        const a = await call(body.includes('mt_messaging_cred') ? 'PATCH' : 'POST', path, { headers: json, body });
        assert.ok(a.status < 500, `${body}: ${a.status}`);
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
      const users = await call('GET', '/api/v1/users');
      assert.equal(users.status, 200);
      assert.ok(
        (JSON.parse(users.body) as { uid: string }[]).some((u) => u.uid === 'demo'),
        'the demo user is intact',
      );
    });
  });

  describe('admin API: fuzz', () => {
    it('random JSON values and random text on every writing route: never a 5xx', async () => {
      const runs = Math.max(30, Math.floor(Number(process.env.FUZZ_RUNS ?? 0) / 20_000) || 30);
      const bodies = fc.oneof(
        fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
        fc.string({ maxLength: 200 }),
        fc
          .record(
            {
              gid: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
              uid: fc.oneof(fc.string(), fc.constant('demo')),
              username: fc.string(),
              password: fc.string(),
              order: fc.oneof(fc.integer(), fc.double(), fc.string()),
              type: fc.constantFrom('default', 'static', 'roundrobin', 'failover', 'sim', 'smppc', 'x'),
              connector: fc.oneof(fc.constant('sim(c1)'), fc.string()),
              filters: fc.array(
                fc.record({
                  type: fc.constantFrom('short_message', 'user', 'tag', 'date_interval'),
                  regex: fc.string(),
                }),
              ),
              rate: fc.oneof(fc.double(), fc.string(), fc.constant(null)),
              mt_messaging_cred: fc.jsonValue({ maxDepth: 3 }),
              settings: fc.jsonValue({ maxDepth: 3 }),
              amount: fc.oneof(fc.double(), fc.string()),
            },
            { requiredKeys: [] },
          )
          .map((v) => JSON.stringify(v)),
      );
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...WRITE_ROUTES), bodies, async ([method, path], body) => {
          n++;
          const a = await call(method, path, { headers: json, body });
          assert.ok(a.status < 500, `${method} ${path} ${body.slice(0, 200)}: ${a.status} ${a.body.slice(0, 200)}`);
          if (a.status >= 400) assertClientError(a, `${method} ${path}`);
          // Undo what was created, so the next run starts alike.
          if (a.status === 201 && path === '/api/v1/routes/mt') {
            const order = (JSON.parse(a.body) as { order: number }).order;
            await call('DELETE', `/api/v1/routes/mt/${order}`);
          }
        }),
        { numRuns: runs * WRITE_ROUTES.length },
      );
      assert.ok(n > 0);
      assert.ok(lag.max / 1e6 < 2000, `the event loop stalled ${(lag.max / 1e6).toFixed(0)} ms`);
    });
  });
});
