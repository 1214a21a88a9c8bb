// /api/v1/routes/mt and /api/v1/routes/mo: routes in Jasmin's form (SPEC.md §4.2, §5, §6), keyed by order.
// POST creates (409 when the order is taken), PUT /{order} replaces, DELETE removes. The gateway sees the change
// through the store's route version, at its next message.

import type { ConnectorType, MoRoute, MtRoute } from '../../store/model.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import type { Router } from '../http/router.js';
import { expectObject } from '../http/validate.js';
import type { AdminDeps } from './deps.js';
import { checkMoRouteRefs, checkMtRouteRefs } from './refs.js';
import { moRouteView, mtRouteView, parseMoRoute, parseMtRoute } from './routeBody.js';

/** The `{order}` path parameter as a route order. */
export function parseOrder(text: string): number {
  if (!/^(0|[1-9][0-9]{0,14})$/.test(text)) throw badRequest('order', 'must be a non-negative whole number');
  return Number(text);
}

/** A PUT body's order must be absent or the one in the path; returns the body with it filled in. */
function withPathOrder(body: unknown, order: number): unknown {
  const obj = expectObject(body, '');
  if (obj.order !== undefined && obj.order !== order) throw badRequest('order', `must be ${order} (the path's)`);
  return { ...obj, order };
}

/** Registers the MT and MO route routes. */
export function registerRoutes(router: Router, deps: AdminDeps): void {
  const { store, control, logger } = deps;

  const typeOfConnector = async (): Promise<(cid: string) => ConnectorType | undefined> => {
    const types = new Map((await store.listConnectors()).map((c) => [c.cid, c.type]));
    return (cid) => types.get(cid);
  };
  const findMt = async (order: number): Promise<MtRoute | undefined> =>
    (await store.listMtRoutes()).find((r) => r.order === order);
  const findMo = async (order: number): Promise<MoRoute | undefined> =>
    (await store.listMoRoutes()).find((r) => r.order === order);

  // MT --------------------------------------------------------------------------------------------------------

  router.add('GET', '/api/v1/routes/mt', async () => {
    const typeOf = await typeOfConnector();
    return { status: 200, body: (await store.listMtRoutes()).map((r) => mtRouteView(r, typeOf)) };
  });

  const saveMt = async (body: unknown, replace: boolean) => {
    const { route, refs } = parseMtRoute(body);
    const existing = await findMt(route.order);
    if (!replace && existing !== undefined) {
      throw conflict(
        `an MT route with order ${route.order} already exists (PUT /api/v1/routes/mt/${route.order} replaces it)`,
        'order',
      );
    }
    if (replace && existing === undefined) throw notFound('MT route', String(route.order), 'order');
    await checkMtRouteRefs(deps, route, refs);
    await store.putMtRoute(route);
    control.onRoutesChanged('mt');
    logger.info(replace ? 'admin.route.mt.replaced' : 'admin.route.mt.created', {
      order: route.order,
      type: route.type,
    });
    return mtRouteView(route, await typeOfConnector());
  };

  router.add('POST', '/api/v1/routes/mt', async ({ json }) => ({
    status: 201,
    body: await saveMt(await json(), false),
  }));

  router.add('PUT', '/api/v1/routes/mt/:order', async ({ json, params }) => ({
    status: 200,
    body: await saveMt(withPathOrder(await json(), parseOrder(params.order)), true),
  }));

  router.add('GET', '/api/v1/routes/mt/:order', async ({ params }) => {
    const route = await findMt(parseOrder(params.order));
    if (route === undefined) throw notFound('MT route', params.order, 'order');
    return { status: 200, body: mtRouteView(route, await typeOfConnector()) };
  });

  router.add('DELETE', '/api/v1/routes/mt/:order', async ({ params }) => {
    const route = await findMt(parseOrder(params.order));
    if (route === undefined) throw notFound('MT route', params.order, 'order');
    const view = mtRouteView(route, await typeOfConnector());
    await store.deleteMtRoute(route.order);
    control.onRoutesChanged('mt');
    logger.info('admin.route.mt.removed', { order: route.order });
    return { status: 200, body: view };
  });

  // MO --------------------------------------------------------------------------------------------------------

  router.add('GET', '/api/v1/routes/mo', async () => ({
    status: 200,
    body: (await store.listMoRoutes()).map(moRouteView),
  }));

  const saveMo = async (body: unknown, replace: boolean) => {
    const { route, fields } = parseMoRoute(body);
    const existing = await findMo(route.order);
    if (!replace && existing !== undefined) {
      throw conflict(
        `an MO route with order ${route.order} already exists (PUT /api/v1/routes/mo/${route.order} replaces it)`,
        'order',
      );
    }
    if (replace && existing === undefined) throw notFound('MO route', String(route.order), 'order');
    await checkMoRouteRefs(deps, route, fields);
    await store.putMoRoute(route);
    control.onRoutesChanged('mo');
    logger.info(replace ? 'admin.route.mo.replaced' : 'admin.route.mo.created', {
      order: route.order,
      type: route.type,
    });
    return moRouteView(route);
  };

  router.add('POST', '/api/v1/routes/mo', async ({ json }) => ({
    status: 201,
    body: await saveMo(await json(), false),
  }));

  router.add('PUT', '/api/v1/routes/mo/:order', async ({ json, params }) => ({
    status: 200,
    body: await saveMo(withPathOrder(await json(), parseOrder(params.order)), true),
  }));

  router.add('GET', '/api/v1/routes/mo/:order', async ({ params }) => {
    const route = await findMo(parseOrder(params.order));
    if (route === undefined) throw notFound('MO route', params.order, 'order');
    return { status: 200, body: moRouteView(route) };
  });

  router.add('DELETE', '/api/v1/routes/mo/:order', async ({ params }) => {
    const route = await findMo(parseOrder(params.order));
    if (route === undefined) throw notFound('MO route', params.order, 'order');
    await store.deleteMoRoute(route.order);
    control.onRoutesChanged('mo');
    logger.info('admin.route.mo.removed', { order: route.order });
    return { status: 200, body: moRouteView(route) };
  });
}
