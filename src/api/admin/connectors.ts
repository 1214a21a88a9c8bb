// /api/v1/connectors: upstream SMPP clients, HTTP (MO) endpoints and the simulator (SPEC.md §4.5, §6).
// The record says whether the operator wants a connector started; the live state comes from the control.
// A connector that a route still leads to, or with messages still queued for it, cannot be removed (409): removing
// it would strand traffic silently.

import type { ConnectorRecord } from '../../store/model.js';
import { conflict, notFound } from '../http/errors.js';
import type { Router } from '../http/router.js';
import { expectNoBody } from '../http/validate.js';
import { applyConnectorPatch, parseNewConnector } from './connectorBody.js';
import type { ConnectorLiveState } from './control.js';
import type { AdminDeps } from './deps.js';

/** A connector as the admin API shows it: its record and its live state (null: not running in this gateway). */
export interface ConnectorView extends ConnectorRecord {
  state: ConnectorLiveState | null;
}

/** The connector record or a 404. */
export async function requireConnector(deps: AdminDeps, cid: string): Promise<ConnectorRecord> {
  const connector = await deps.store.getConnector(cid);
  if (connector === null) throw notFound('connector', cid, 'cid');
  return connector;
}

/** Registers the connector routes. */
export function registerConnectors(router: Router, deps: AdminDeps): void {
  const { store, control, logger } = deps;

  const view = async (c: ConnectorRecord): Promise<ConnectorView> => ({
    ...c,
    state: (await control.connectorStates())[c.cid] ?? null,
  });

  router.add('GET', '/api/v1/connectors', async () => {
    const [list, states] = await Promise.all([store.listConnectors(), control.connectorStates()]);
    return { status: 200, body: list.map((c): ConnectorView => ({ ...c, state: states[c.cid] ?? null })) };
  });

  router.add('POST', '/api/v1/connectors', async ({ json }) => {
    const connector = parseNewConnector(await json());
    if ((await store.getConnector(connector.cid)) !== null) {
      throw conflict(`connector "${connector.cid}" already exists`, 'cid');
    }
    await store.putConnector(connector);
    control.onConnectorChanged(connector.cid);
    logger.info('admin.connector.created', { cid: connector.cid, type: connector.type });
    return { status: 201, body: await view(connector) };
  });

  router.add('GET', '/api/v1/connectors/:cid', async ({ params }) => ({
    status: 200,
    body: await view(await requireConnector(deps, params.cid)),
  }));

  router.add('PATCH', '/api/v1/connectors/:cid', async ({ json, params }) => {
    const current = await requireConnector(deps, params.cid);
    const updated = applyConnectorPatch(current, await json());
    await store.putConnector(updated);
    control.onConnectorChanged(updated.cid);
    logger.info('admin.connector.updated', { cid: updated.cid, settings: Object.keys(updated.settings) });
    return { status: 200, body: await view(updated) };
  });

  router.add('DELETE', '/api/v1/connectors/:cid', async ({ params }) => {
    const connector = await requireConnector(deps, params.cid);
    const mt = (await store.listMtRoutes()).filter((r) => r.connectors.includes(connector.cid));
    const mo = (await store.listMoRoutes()).filter((r) =>
      r.targets.some((t) => t.kind === 'http' && t.cid === connector.cid),
    );
    if (mt.length > 0 || mo.length > 0) {
      const orders = [...mt.map((r) => `mt ${r.order}`), ...mo.map((r) => `mo ${r.order}`)];
      throw conflict(`connector "${connector.cid}" is used by route(s) ${orders.join(', ')}; remove them first`, 'cid');
    }
    const queued = (await store.queueDepths())[connector.cid] ?? 0;
    if (queued > 0) {
      throw conflict(`connector "${connector.cid}" still has ${queued} queued message(s)`, 'cid');
    }
    if (connector.started) await control.stopConnector(connector.cid);
    await store.deleteConnector(connector.cid);
    control.onConnectorChanged(connector.cid);
    logger.info('admin.connector.removed', { cid: connector.cid });
    return { status: 200, body: { ...connector, state: null } satisfies ConnectorView };
  });

  router.add('POST', '/api/v1/connectors/:cid/start', async ({ json, params }) => {
    expectNoBody(await json());
    const connector = await requireConnector(deps, params.cid);
    // The wish is durable first, so that a restart in between still starts it.
    await store.setConnectorStarted(connector.cid, true);
    await control.startConnector(connector.cid);
    logger.info('admin.connector.started', { cid: connector.cid });
    return { status: 200, body: await view({ ...connector, started: true }) };
  });

  router.add('POST', '/api/v1/connectors/:cid/stop', async ({ json, params }) => {
    expectNoBody(await json());
    const connector = await requireConnector(deps, params.cid);
    await store.setConnectorStarted(connector.cid, false);
    await control.stopConnector(connector.cid);
    logger.info('admin.connector.stopped', { cid: connector.cid });
    return { status: 200, body: await view({ ...connector, started: false }) };
  });
}
