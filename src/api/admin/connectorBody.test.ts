import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../http/errors.js';
import { applyConnectorPatch, parseNewConnector } from './connectorBody.js';

function rejects(fn: () => unknown, field: string, message?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HttpError, String(e));
    assert.equal(e.status, 400);
    assert.equal(e.field, field, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('connector bodies', () => {
  it('keeps settings as given and starts stopped', () => {
    assert.deepEqual(parseNewConnector({ cid: 'c1', type: 'smppc', settings: { host: '10.0.0.1', port: 2775 } }), {
      cid: 'c1',
      type: 'smppc',
      started: false,
      settings: { host: '10.0.0.1', port: 2775 },
    });
    assert.deepEqual(parseNewConnector({ cid: 's', type: 'sim' }).settings, {});
  });

  it('refuses bad common keys and unknown top-level keys by name', () => {
    rejects(() => parseNewConnector({ type: 'sim' }), 'cid');
    rejects(() => parseNewConnector({ cid: 'c', type: 'smpp' }), 'type', /smppc, http, sim/);
    rejects(() => parseNewConnector({ cid: 'c', type: 'sim', host: 'x' }), 'host', /unknown/);
    rejects(() => parseNewConnector({ cid: 'c', type: 'sim', settings: 'x' }), 'settings');
    rejects(
      () => parseNewConnector(JSON.parse('{"cid":"c","type":"sim","settings":{"__proto__":{"x":1}}}')),
      'settings.__proto__',
    );
  });

  it('merges settings on PATCH, null removing a key; cid and type are fixed', () => {
    const current = { cid: 'c1', type: 'smppc' as const, started: true, settings: { host: 'a', port: 1, ssl: true } };
    assert.deepEqual(applyConnectorPatch(current, { settings: { host: 'b', ssl: null, systemId: 'x' } }), {
      ...current,
      settings: { host: 'b', port: 1, systemId: 'x' },
    });
    assert.deepEqual(current.settings, { host: 'a', port: 1, ssl: true });
    rejects(() => applyConnectorPatch(current, { type: 'sim' }), 'type', /cannot be changed/);
    rejects(() => applyConnectorPatch(current, { cid: 'c2' }), 'cid');
    rejects(() => applyConnectorPatch(current, { started: false }), 'started', /unknown/);
  });
});
