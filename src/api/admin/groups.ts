// /api/v1/groups: Jasmin's groups (SPEC.md §3). A disabled group makes its users fail to bind and to submit.

import type { Group } from '../../store/model.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import type { Router } from '../http/router.js';
import { expectBoolean, expectObject, rejectUnknownKeys } from '../http/validate.js';
import type { AdminDeps } from './deps.js';
import { expectId } from './ids.js';

/** Checks a POST /groups body. */
export function parseNewGroup(body: unknown): Group {
  const obj = expectObject(body, '');
  rejectUnknownKeys(obj, ['gid', 'enabled'], '');
  return {
    gid: expectId(obj.gid, 'gid'),
    enabled: obj.enabled === undefined ? true : expectBoolean(obj.enabled, 'enabled'),
  };
}

/** Checks a PATCH /groups/{gid} body: `enabled` (gid may be repeated, not changed). */
export function parseGroupPatch(body: unknown, gid: string): { enabled: boolean } {
  const obj = expectObject(body, '');
  rejectUnknownKeys(obj, ['gid', 'enabled'], '');
  if (obj.gid !== undefined && obj.gid !== gid) throw badRequest('gid', 'cannot be changed');
  return { enabled: expectBoolean(obj.enabled, 'enabled') };
}

/** The group or a 404. */
export async function requireGroup(deps: AdminDeps, gid: string): Promise<Group> {
  const group = await deps.store.getGroup(gid);
  if (group === null) throw notFound('group', gid, 'gid');
  return group;
}

/** Registers the group routes. */
export function registerGroups(router: Router, deps: AdminDeps): void {
  const { store, control, logger } = deps;

  router.add('GET', '/api/v1/groups', async () => ({ status: 200, body: await store.listGroups() }));

  router.add('POST', '/api/v1/groups', async ({ json }) => {
    const group = parseNewGroup(await json());
    if ((await store.getGroup(group.gid)) !== null) throw conflict(`group "${group.gid}" already exists`, 'gid');
    await store.createGroup(group);
    control.onAccountsChanged({ kind: 'group', gid: group.gid });
    logger.info('admin.group.created', { gid: group.gid });
    return { status: 201, body: group };
  });

  router.add('GET', '/api/v1/groups/:gid', async ({ params }) => ({
    status: 200,
    body: await requireGroup(deps, params.gid),
  }));

  router.add('PATCH', '/api/v1/groups/:gid', async ({ json, params }) => {
    await requireGroup(deps, params.gid);
    const patch = parseGroupPatch(await json(), params.gid);
    const group = await store.updateGroup(params.gid, patch);
    control.onAccountsChanged({ kind: 'group', gid: group.gid });
    logger.info('admin.group.updated', { gid: group.gid, enabled: group.enabled });
    return { status: 200, body: group };
  });

  router.add('DELETE', '/api/v1/groups/:gid', async ({ params }) => {
    const group = await requireGroup(deps, params.gid);
    const members = (await store.listUsers()).filter((u) => u.gid === group.gid);
    if (members.length > 0) {
      const names = members.slice(0, 5).map((u) => u.uid);
      throw conflict(
        `group "${group.gid}" still has ${members.length} user(s) (${names.join(', ')}${members.length > 5 ? ', …' : ''}); remove or move them first`,
        'gid',
      );
    }
    await store.deleteGroup(group.gid);
    control.onAccountsChanged({ kind: 'group', gid: group.gid, removed: true });
    logger.info('admin.group.removed', { gid: group.gid });
    return { status: 200, body: group };
  });
}
