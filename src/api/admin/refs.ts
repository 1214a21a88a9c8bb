// Checks that what a body refers to exists: a user's group, a route's connectors, users and groups. A dangling
// reference in a body is the client's mistake, so it is a 400 naming the field, not a 404.

import type { ConnectorRecord, MoRoute, MtRoute } from '../../store/model.js';
import { badRequest } from '../http/errors.js';
import type { AdminDeps } from './deps.js';
import type { ConnectorRef } from './routeBody.js';

/** 400 naming `gid` when the group does not exist. */
export async function requireGroupForUser(deps: AdminDeps, gid: string): Promise<void> {
  if ((await deps.store.getGroup(gid)) === null) {
    throw badRequest('gid', `group "${gid}" does not exist (create it first)`);
  }
}

async function connectorMap(deps: AdminDeps): Promise<Map<string, ConnectorRecord>> {
  return new Map((await deps.store.listConnectors()).map((c) => [c.cid, c]));
}

/** Checks the `user` and `group` filters of a route against the store. */
async function checkFilterRefs(deps: AdminDeps, route: MtRoute | MoRoute, connectors: Map<string, ConnectorRecord>) {
  for (const [i, f] of route.filters.entries()) {
    if (f.type === 'user' && (await deps.store.getUser(f.uid)) === null) {
      throw badRequest(`filters[${i}].uid`, `user "${f.uid}" does not exist`);
    }
    if (f.type === 'group' && (await deps.store.getGroup(f.gid)) === null) {
      throw badRequest(`filters[${i}].gid`, `group "${f.gid}" does not exist`);
    }
    if (f.type === 'connector' && !connectors.has(f.cid)) {
      throw badRequest(`filters[${i}].cid`, `connector "${f.cid}" does not exist`);
    }
  }
}

/** 400 naming the reference when an MT route's connector does not exist or is not an MT connector of that type. */
export async function checkMtRouteRefs(deps: AdminDeps, route: MtRoute, refs: readonly ConnectorRef[]): Promise<void> {
  const connectors = await connectorMap(deps);
  for (const ref of refs) {
    const c = connectors.get(ref.cid);
    if (c === undefined) throw badRequest(ref.field, `connector "${ref.cid}" does not exist`);
    if (c.type === 'http') {
      throw badRequest(ref.field, `connector "${ref.cid}" is an http (MO) connector; MT routes lead to smppc or sim`);
    }
    if (ref.type !== null && ref.type !== c.type) {
      throw badRequest(ref.field, `connector "${ref.cid}" is ${c.type}(${c.cid}), not ${ref.type}(${ref.cid})`);
    }
  }
  await checkFilterRefs(deps, route, connectors);
}

/** 400 naming the target when an MO route's user or http connector does not exist. */
export async function checkMoRouteRefs(deps: AdminDeps, route: MoRoute, fields: readonly string[]): Promise<void> {
  const connectors = await connectorMap(deps);
  for (const [i, t] of route.targets.entries()) {
    const field = fields[i] ?? `connectors[${i}]`;
    if (t.kind === 'smpps' && (await deps.store.getUserByUsername(t.username)) === null) {
      throw badRequest(field, `no user has username "${t.username}"`);
    }
    if (t.kind === 'http') {
      const c = connectors.get(t.cid);
      if (c === undefined) throw badRequest(field, `connector "${t.cid}" does not exist`);
      if (c.type !== 'http') throw badRequest(field, `connector "${t.cid}" is ${c.type}(${c.cid}), not http(${t.cid})`);
    }
  }
  await checkFilterRefs(deps, route, connectors);
}
