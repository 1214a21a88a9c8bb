// /api/v1/users: Jasmin's users and credentials (SPEC.md §3, §6), their balance, and the live actions on them.
//
// Passwords are hashed here, before anything is stored, and appear in no answer and no log line. A PATCH sends the
// store only the parts given (the store deep-merges them atomically), so an admin change never overwrites a balance
// moved by traffic in between; a balance given in a PATCH is set absolutely, POST …/credit moves it atomically.

import { hashPassword } from '../../gateway/password.js';
import type { User, UserRecord } from '../../store/model.js';
import { conflict, notFound } from '../http/errors.js';
import type { Router } from '../http/router.js';
import { expectNoBody } from '../http/validate.js';
import type { AdminDeps } from './deps.js';
import { requireGroupForUser } from './refs.js';
import { parseCredit, parseNewUser, parseUserPatch, publicUser } from './userBody.js';

/** The user record or a 404. */
export async function requireUser(deps: AdminDeps, uid: string): Promise<UserRecord> {
  const user = await deps.store.getUser(uid);
  if (user === null) throw notFound('user', uid, 'uid');
  return user;
}

async function usernameFree(deps: AdminDeps, username: string, uid: string): Promise<void> {
  const holder = await deps.store.getUserByUsername(username);
  if (holder !== null && holder.uid !== uid) {
    throw conflict(`username "${username}" is already taken by user "${holder.uid}"`, 'username');
  }
}

/** Registers the user routes. */
export function registerUsers(router: Router, deps: AdminDeps): void {
  const { store, control, logger } = deps;

  const changed = (user: User, previousUsername?: string, removed?: boolean) => {
    control.onAccountsChanged({
      kind: 'user',
      uid: user.uid,
      username: user.username,
      ...(previousUsername !== undefined && previousUsername !== user.username ? { previousUsername } : {}),
      ...(removed ? { removed } : {}),
    });
  };

  router.add('GET', '/api/v1/users', async ({ url }) => {
    const gid = url.searchParams.get('gid');
    const users = await store.listUsers();
    return { status: 200, body: users.filter((u) => gid === null || u.gid === gid).map(publicUser) };
  });

  router.add('POST', '/api/v1/users', async ({ json }) => {
    const { password, ...user } = parseNewUser(await json());
    await requireGroupForUser(deps, user.gid);
    if ((await store.getUser(user.uid)) !== null) throw conflict(`user "${user.uid}" already exists`, 'uid');
    await usernameFree(deps, user.username, user.uid);
    const record: UserRecord = { ...user, password_hash: await hashPassword(password) };
    await store.createUser(record);
    changed(user);
    logger.info('admin.user.created', { uid: user.uid, username: user.username, gid: user.gid });
    return { status: 201, body: publicUser(record) };
  });

  router.add('GET', '/api/v1/users/:uid', async ({ params }) => ({
    status: 200,
    body: publicUser(await requireUser(deps, params.uid)),
  }));

  router.add('PATCH', '/api/v1/users/:uid', async ({ json, params }) => {
    const current = await requireUser(deps, params.uid);
    const { password, ...patch } = parseUserPatch(await json(), current.uid);
    if (patch.gid !== undefined && patch.gid !== current.gid) await requireGroupForUser(deps, patch.gid);
    if (patch.username !== undefined && patch.username !== current.username) {
      await usernameFree(deps, patch.username, current.uid);
    }
    const storePatch = password === undefined ? patch : { ...patch, password_hash: await hashPassword(password) };
    const updated = await store.updateUser(current.uid, storePatch);
    changed(updated, current.username);
    logger.info('admin.user.updated', {
      uid: updated.uid,
      fields: Object.keys(patch).concat(password === undefined ? [] : ['password']),
    });
    return { status: 200, body: publicUser(updated) };
  });

  router.add('DELETE', '/api/v1/users/:uid', async ({ params }) => {
    const user = await requireUser(deps, params.uid);
    await store.deleteUser(user.uid);
    changed(user, undefined, true);
    // A removed user keeps no session: its binds would otherwise live on until they unbind.
    const unbound = await control.unbindUser(user.uid);
    logger.info('admin.user.removed', { uid: user.uid, unbound });
    return { status: 200, body: publicUser(user) };
  });

  router.add('POST', '/api/v1/users/:uid/credit', async ({ json, params }) => {
    const user = await requireUser(deps, params.uid);
    const request = parseCredit(await json());
    const quotas = user.mt_messaging_cred.quotas;
    if (request.amount !== 0 && quotas.balance === null) {
      throw conflict(`user "${user.uid}" has an unlimited balance (null); set one with PATCH first`, 'amount');
    }
    if (request.sms_count !== 0 && quotas.sms_count === null) {
      throw conflict(`user "${user.uid}" has an unlimited sms_count (null); set one with PATCH first`, 'sms_count');
    }
    const deduct = request.amount < 0 || request.sms_count < 0;
    const amounts = { amount: Math.abs(request.amount), smsCount: Math.abs(request.sms_count) };
    if (deduct) {
      const result = await store.charge(user.uid, amounts);
      if (!result.ok) {
        const field = result.reason === 'balance' ? 'amount' : 'sms_count';
        throw conflict(`user "${user.uid}" has not enough ${result.reason} for this deduction`, field);
      }
    } else {
      await store.credit(user.uid, amounts);
    }
    const after = await requireUser(deps, user.uid);
    changed(after);
    logger.info('admin.user.credited', { uid: user.uid, amount: request.amount, sms_count: request.sms_count });
    const { balance, sms_count } = after.mt_messaging_cred.quotas;
    return { status: 200, body: { uid: after.uid, balance, sms_count } };
  });

  const setEnabled = async (uid: string, enabled: boolean) => {
    const user = await requireUser(deps, uid);
    const updated = await store.updateUser(user.uid, { enabled });
    changed(updated);
    return updated;
  };

  router.add('POST', '/api/v1/users/:uid/enable', async ({ json, params }) => {
    expectNoBody(await json());
    const user = await setEnabled(params.uid, true);
    logger.info('admin.user.enabled', { uid: user.uid });
    return { status: 200, body: publicUser(user) };
  });

  router.add('POST', '/api/v1/users/:uid/disable', async ({ json, params }) => {
    expectNoBody(await json());
    const user = await setEnabled(params.uid, false);
    logger.info('admin.user.disabled', { uid: user.uid });
    return { status: 200, body: publicUser(user) };
  });

  router.add('POST', '/api/v1/users/:uid/unbind', async ({ json, params }) => {
    expectNoBody(await json());
    const user = await requireUser(deps, params.uid);
    const unbound = await control.unbindUser(user.uid);
    logger.info('admin.user.unbound', { uid: user.uid, unbound });
    return { status: 200, body: { uid: user.uid, unbound } };
  });

  router.add('POST', '/api/v1/users/:uid/ban', async ({ json, params }) => {
    expectNoBody(await json());
    // Disable first, so a session reconnecting between the two steps cannot bind again.
    const user = await setEnabled(params.uid, false);
    const unbound = await control.unbindUser(user.uid);
    logger.info('admin.user.banned', { uid: user.uid, unbound });
    return { status: 200, body: { uid: user.uid, enabled: user.enabled, unbound } };
  });
}
