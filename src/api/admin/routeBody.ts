// Route bodies of the admin API in Jasmin's form (SPEC.md §6), translated to and from the model's routes.
//
// MT: `{order, type, connector: "smppc(c1)"}` for default/static, `{…, connectors: ["smppc(a)", "smppc(b)"]}` for
// roundrobin/failover (either key is accepted for any type; the count must fit the type), `filters`, `rate`.
// A reference is `smppc(cid)`, `sim(cid)` or a bare cid; the handler checks that the connector exists and has that
// type. MO: the same with targets `smpps(username)` or `http(cid)`, and no rate.
// The shape checks themselves (order vs type, filter fields, safe regexes, counts) are the domain's
// validateMtRoute / validateMoRoute; their errors keep naming the field as the client wrote it.

import { validateMoRoute, validateMtRoute } from '../../gateway/routing.js';
import type { ConnectorType, MoRoute, MoTarget, MtRoute, RouteFilter, RouteType } from '../../store/model.js';
import { badRequest, HttpError } from '../http/errors.js';
import { expectObject, expectString, rejectUnknownKeys } from '../http/validate.js';
import { ID_PATTERN, USERNAME_PATTERN } from './ids.js';

/** A connector reference as written in an MT route: its cid and, when given, the type it claims. */
export interface ConnectorRef {
  cid: string;
  type: ConnectorType | null;
  /** Where it was written: `connector` or `connectors[1]`. */
  field: string;
}

/** An MT route checked for shape, with the connector references still to be checked against the store. */
export interface ParsedMtRoute {
  route: MtRoute;
  refs: ConnectorRef[];
}

/** An MO route checked for shape, with where each target was written. */
export interface ParsedMoRoute {
  route: MoRoute;
  fields: string[];
}

const REF = /^([a-z]+)\((.*)\)$/;

/** Reads `connector` or `connectors` into a list of [field, text] pairs. */
function refList(obj: Record<string, unknown>): [string, unknown][] {
  if (obj.connector !== undefined && obj.connectors !== undefined) {
    throw badRequest('connectors', 'give either connector or connectors, not both');
  }
  if (obj.connector !== undefined) return [['connector', obj.connector]];
  if (obj.connectors === undefined) throw badRequest('connector', 'is required (e.g. "smppc(cid)")');
  if (!Array.isArray(obj.connectors)) throw badRequest('connectors', 'must be a list of connector references');
  return obj.connectors.map((c, i) => [`connectors[${i}]`, c]);
}

function parseConnectorRef(v: unknown, field: string): ConnectorRef {
  const text = expectString(v, field, { describe: 'a connector reference such as "smppc(cid)"' });
  const m = REF.exec(text);
  const [type, cid] = m === null ? [null, text] : [m[1], m[2]];
  if (type !== null && type !== 'smppc' && type !== 'sim') {
    throw badRequest(field, `${JSON.stringify(text)}: MT routes lead to smppc(cid) or sim(cid) connectors`);
  }
  if (!ID_PATTERN.test(cid)) throw badRequest(field, `${JSON.stringify(text)} does not name a connector id`);
  return { cid, type, field };
}

function parseTarget(v: unknown, field: string): MoTarget {
  const text = expectString(v, field, { describe: 'a target such as "smpps(username)" or "http(cid)"' });
  const m = REF.exec(text);
  if (m?.[1] === 'smpps' && USERNAME_PATTERN.test(m[2])) return { kind: 'smpps', username: m[2] };
  if (m?.[1] === 'http' && ID_PATTERN.test(m[2])) return { kind: 'http', cid: m[2] };
  throw badRequest(field, `${JSON.stringify(text)}: MO routes lead to smpps(username) or http(cid)`);
}

/** Throws the domain's validation errors as one 400 naming the first field (renamed as the client wrote it). */
function rejectAll(errors: readonly { field: string; message: string }[], rename: (field: string) => string): never {
  const first = errors[0];
  const renamed = errors.map((e) => {
    const field = rename(e.field);
    return field === e.field ? e.message : `${field}${e.message.slice(e.field.length)}`;
  });
  throw new HttpError(400, renamed.join('; '), { field: rename(first.field) });
}

function renamer(singular: boolean, singularName: string, pluralName: string) {
  return (field: string) => {
    if (!singular) return field;
    if (field === pluralName || field === `${pluralName}[0]`) return singularName;
    return field.startsWith(`${pluralName}[0].`) ? `${singularName}${field.slice(pluralName.length + 3)}` : field;
  };
}

/** Checks a POST /routes/mt body (Jasmin form) and translates it to the model. */
export function parseMtRoute(body: unknown): ParsedMtRoute {
  const obj = expectObject(body, '');
  rejectUnknownKeys(obj, ['order', 'type', 'connector', 'connectors', 'filters', 'rate'], '');
  const refs = refList(obj).map(([field, v]) => parseConnectorRef(v, field));
  const result = validateMtRoute({
    order: obj.order,
    type: obj.type,
    connectors: refs.map((r) => r.cid),
    filters: obj.filters,
    rate: obj.rate,
  });
  if (!result.ok) rejectAll(result.errors, renamer(obj.connector !== undefined, 'connector', 'connectors'));
  return { route: result.route, refs };
}

/** Checks a POST /routes/mo body (Jasmin form) and translates it to the model. */
export function parseMoRoute(body: unknown): ParsedMoRoute {
  const obj = expectObject(body, '');
  rejectUnknownKeys(obj, ['order', 'type', 'connector', 'connectors', 'filters'], '');
  const list = refList(obj);
  const targets = list.map(([field, v]) => parseTarget(v, field));
  const result = validateMoRoute({ order: obj.order, type: obj.type, targets, filters: obj.filters });
  if (!result.ok) {
    const toJasmin = (field: string) => field.replace(/^targets/, 'connectors').replace(/\.(kind|username|cid)$/, '');
    rejectAll(result.errors, (f) => renamer(obj.connector !== undefined, 'connector', 'connectors')(toJasmin(f)));
  }
  return { route: result.route, fields: list.map(([field]) => field) };
}

/** An MT route as the admin API shows it. */
export interface MtRouteView {
  order: number;
  type: RouteType;
  connector?: string;
  connectors?: string[];
  filters: RouteFilter[];
  rate: number;
}

/** An MO route as the admin API shows it. */
export interface MoRouteView {
  order: number;
  type: RouteType;
  connector?: string;
  connectors?: string[];
  filters: RouteFilter[];
}

function single(type: RouteType): boolean {
  return type === 'default' || type === 'static';
}

/** The Jasmin form of an MT route; `typeOf` gives each connector's type (a cid it does not know is shown bare). */
export function mtRouteView(route: MtRoute, typeOf: (cid: string) => ConnectorType | undefined): MtRouteView {
  const refs = route.connectors.map((cid) => {
    const type = typeOf(cid);
    return type === undefined ? cid : `${type}(${cid})`;
  });
  const view: MtRouteView = { order: route.order, type: route.type, filters: route.filters, rate: route.rate };
  if (single(route.type)) view.connector = refs[0];
  else view.connectors = refs;
  return view;
}

/** `smpps(username)` or `http(cid)`. */
export function targetRef(t: MoTarget): string {
  return t.kind === 'smpps' ? `smpps(${t.username})` : `http(${t.cid})`;
}

/** The Jasmin form of an MO route. */
export function moRouteView(route: MoRoute): MoRouteView {
  const refs = route.targets.map(targetRef);
  const view: MoRouteView = { order: route.order, type: route.type, filters: route.filters };
  if (single(route.type)) view.connector = refs[0];
  else view.connectors = refs;
  return view;
}
