// MT and MO routing (SPEC.md §4.2, §5): routes by descending `order`, the first whose filters all match wins, and
// the route type picks the connector (MT) or the target (MO). Pure: which connectors are up and the round-robin
// position are passed in.
//
// Route types:
// - default (order 0, no filters) and static: their one connector.
// - roundrobin: rotates over its connectors, one step per routed message (the caller owns the counter, e.g. a
//   RoundRobin); a connector that is down is skipped while another is up, and when none is up the rotated one is
//   chosen anyway so that the message waits in its queue.
// - failover: the first connector (in the route's order) that is up, else the first, so that it queues there.

import type { MoRoute, MoTarget, MtRoute, RouteFilter, RouteType } from '../store/model.js';
import {
  FilterRegexError,
  matchesAll,
  parseFilterDate,
  parseFilterTime,
  type RoutingContext,
  validateRegex,
} from './filters.js';

/** The outcome of MT routing: the winning route, the connector chosen, the route's rate per message part. */
export interface MtRouteChoice {
  route: MtRoute;
  cid: string;
  rate: number;
}

/** The outcome of MO routing: the winning route and the target chosen. */
export interface MoRouteChoice {
  route: MoRoute;
  target: MoTarget;
}

/** Round-robin position of a route: returns the index to start from among `count` choices (any integer ≥ 0). */
export type NextIndex = (route: { order: number }, count: number) => number;

/** What MT routing needs from the running gateway. */
export interface MtRoutingOptions {
  isConnectorUp: (cid: string) => boolean;
  nextIndex: NextIndex;
}

/** What MO routing needs from the running gateway. */
export interface MoRoutingOptions {
  /** An SMPP user with a receiver bound, an HTTP connector that is started; default: every target is up. */
  isTargetUp?: (target: MoTarget) => boolean;
  nextIndex: NextIndex;
}

/**
 * Round-robin counters, one per route order, owned by the caller (one instance for MT routes, one for MO routes:
 * orders are unique within each). `nextIndex` is bound, so it can be passed as the routing option directly.
 */
export class RoundRobin {
  readonly #counters = new Map<number, number>();

  /** The next position for the route; advances its counter. */
  readonly nextIndex: NextIndex = (route, count) => {
    const n = this.#counters.get(route.order) ?? 0;
    this.#counters.set(route.order, (n + 1) % 0x7fffffff);
    return count > 0 ? n % count : 0;
  };

  /** Forgets a route's position (route deleted or replaced). */
  forget(order: number): void {
    this.#counters.delete(order);
  }
}

/** Routes by descending order; stable for equal orders (which validation forbids anyway). */
function byOrderDescending<R extends { order: number }>(routes: readonly R[]): R[] {
  return [...routes].sort((a, b) => b.order - a.order);
}

function pick<T>(
  type: RouteType,
  items: readonly T[],
  route: { order: number },
  isUp: (item: T) => boolean,
  nextIndex: NextIndex,
): T {
  switch (type) {
    case 'default':
    case 'static':
      return items[0];
    case 'failover':
      return items.find(isUp) ?? items[0];
    case 'roundrobin': {
      const n = items.length;
      const start = ((nextIndex(route, n) % n) + n) % n;
      for (let k = 0; k < n; k++) {
        const item = items[(start + k) % n];
        if (isUp(item)) return item;
      }
      return items[start];
    }
  }
}

/** The MT route and connector for a message, or null when no route matches (the caller answers ESME_RINVDSTADR). */
export function routeMt(
  routes: readonly MtRoute[],
  ctx: RoutingContext,
  options: MtRoutingOptions,
): MtRouteChoice | null {
  for (const route of byOrderDescending(routes)) {
    // A route without connectors cannot carry anything (validation prevents it); never let it swallow traffic.
    if (route.connectors.length === 0 || !matchesAll(route.filters, ctx)) continue;
    const cid = pick(route.type, route.connectors, route, options.isConnectorUp, options.nextIndex);
    return { route, cid, rate: route.rate };
  }
  return null;
}

/** The MO route and target for an incoming message, or null when no route matches. */
export function routeMo(
  routes: readonly MoRoute[],
  ctx: RoutingContext,
  options: MoRoutingOptions,
): MoRouteChoice | null {
  const isUp = options.isTargetUp ?? (() => true);
  for (const route of byOrderDescending(routes)) {
    if (route.targets.length === 0 || !matchesAll(route.filters, ctx)) continue;
    return { route, target: pick(route.type, route.targets, route, isUp, options.nextIndex) };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation (admin API)

/** One problem with a route as submitted; `field` is its path, e.g. `filters[2].regex` or `connectors[1]`. */
export class RouteValidationError extends Error {
  override readonly name = 'RouteValidationError';
  /** Path of the offending field in the route body. */
  readonly field: string;

  /** Names the field and the problem. */
  constructor(field: string, problem: string, options?: ErrorOptions) {
    super(`${field}: ${problem}`, options);
    this.field = field;
  }
}

/** A validated route, or every problem found in it. */
export type RouteValidation<R> = { ok: true; route: R } | { ok: false; errors: RouteValidationError[] };

const ROUTE_TYPES: readonly RouteType[] = ['default', 'static', 'roundrobin', 'failover'];

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

const MT_FILTERS = [
  'transparent',
  'user',
  'group',
  'source_addr',
  'destination_addr',
  'short_message',
  'date_interval',
  'time_interval',
  'tag',
];
const MO_FILTERS = [
  'transparent',
  'connector',
  'source_addr',
  'destination_addr',
  'short_message',
  'date_interval',
  'time_interval',
  'tag',
];

function validateFilter(
  v: unknown,
  field: string,
  allowed: readonly string[],
  errors: RouteValidationError[],
): RouteFilter | null {
  if (!isObject(v)) {
    errors.push(new RouteValidationError(field, 'must be an object with a type'));
    return null;
  }
  if (typeof v.type !== 'string' || !allowed.includes(v.type)) {
    errors.push(new RouteValidationError(`${field}.type`, `must be one of ${allowed.join(', ')}`));
    return null;
  }
  const bad = (sub: string, problem: string) => {
    errors.push(new RouteValidationError(`${field}.${sub}`, problem));
    return null;
  };
  switch (v.type) {
    case 'transparent':
      return { type: 'transparent' };
    case 'user':
      return nonEmptyString(v.uid) ? { type: 'user', uid: v.uid } : bad('uid', 'must be a user id');
    case 'group':
      return nonEmptyString(v.gid) ? { type: 'group', gid: v.gid } : bad('gid', 'must be a group id');
    case 'connector':
      return nonEmptyString(v.cid) ? { type: 'connector', cid: v.cid } : bad('cid', 'must be a connector id');
    case 'source_addr':
    case 'destination_addr':
    case 'short_message': {
      if (typeof v.regex !== 'string') return bad('regex', 'must be a regular expression');
      try {
        validateRegex(v.regex, `${field}.regex`);
      } catch (err) {
        if (!(err instanceof FilterRegexError)) throw err;
        errors.push(
          new RouteValidationError(`${field}.regex`, err.message.slice(err.filter.length + 2), { cause: err }),
        );
        return null;
      }
      return { type: v.type, regex: v.regex };
    }
    case 'date_interval': {
      const from = typeof v.from === 'string' ? parseFilterDate(v.from) : null;
      const to = typeof v.to === 'string' ? parseFilterDate(v.to) : null;
      if (from === null) return bad('from', 'must be a date YYYY-MM-DD');
      if (to === null) return bad('to', 'must be a date YYYY-MM-DD');
      if (from > to) return bad('to', 'must not be before from');
      return { type: 'date_interval', from: v.from as string, to: v.to as string };
    }
    case 'time_interval': {
      const fromOk = typeof v.from === 'string' && parseFilterTime(v.from) !== null;
      const toOk = typeof v.to === 'string' && parseFilterTime(v.to) !== null;
      if (!fromOk) return bad('from', 'must be a time of day HH:MM:SS');
      if (!toOk) return bad('to', 'must be a time of day HH:MM:SS');
      return { type: 'time_interval', from: v.from as string, to: v.to as string };
    }
    case 'tag':
      return Number.isSafeInteger(v.tag) && (v.tag as number) >= 0
        ? { type: 'tag', tag: v.tag as number }
        : bad('tag', 'must be a non-negative integer');
  }
  return null;
}

/** Checks order, type, filters (shared by MT and MO); returns the clean parts. */
function validateCommon(input: Obj, allowedFilters: readonly string[], errors: RouteValidationError[]) {
  const { order, type } = input;
  const orderOk = Number.isSafeInteger(order) && (order as number) >= 0;
  if (!orderOk) errors.push(new RouteValidationError('order', 'must be a non-negative integer'));
  const typeOk = typeof type === 'string' && (ROUTE_TYPES as readonly string[]).includes(type);
  if (!typeOk) errors.push(new RouteValidationError('type', `must be one of ${ROUTE_TYPES.join(', ')}`));
  if (orderOk && typeOk) {
    if (type === 'default' && order !== 0)
      errors.push(new RouteValidationError('order', 'the default route has order 0'));
    if (type !== 'default' && order === 0)
      errors.push(new RouteValidationError('type', 'order 0 is the default route'));
  }
  const filters: RouteFilter[] = [];
  if (input.filters === undefined) {
    // No filters: the route matches everything (as a transparent filter would).
  } else if (!Array.isArray(input.filters)) {
    errors.push(new RouteValidationError('filters', 'must be a list of filters'));
  } else {
    input.filters.forEach((f, i) => {
      const filter = validateFilter(f, `filters[${i}]`, allowedFilters, errors);
      if (filter !== null) filters.push(filter);
    });
    if (type === 'default' && filters.some((f) => f.type !== 'transparent')) {
      errors.push(new RouteValidationError('filters', 'the default route has no filters'));
    }
  }
  return { order: order as number, type: type as RouteType, filters };
}

/** Checks the number of connectors or targets against the route type. */
function checkCount(type: RouteType, count: number, field: string, errors: RouteValidationError[]) {
  if ((type === 'default' || type === 'static') && count !== 1) {
    errors.push(new RouteValidationError(field, `a ${type} route has exactly one`));
  } else if (count === 0) {
    errors.push(new RouteValidationError(field, `a ${type} route needs at least one`));
  }
}

/** Validates an MT route as the admin API receives it (model shape); every bad field is named. */
export function validateMtRoute(input: unknown): RouteValidation<MtRoute> {
  if (!isObject(input)) return { ok: false, errors: [new RouteValidationError('route', 'must be an object')] };
  const errors: RouteValidationError[] = [];
  const common = validateCommon(input, MT_FILTERS, errors);
  const connectors: string[] = [];
  if (!Array.isArray(input.connectors)) {
    errors.push(new RouteValidationError('connectors', 'must be a list of connector ids'));
  } else {
    input.connectors.forEach((c, i) => {
      if (!nonEmptyString(c)) errors.push(new RouteValidationError(`connectors[${i}]`, 'must be a connector id'));
      else if (connectors.includes(c))
        errors.push(new RouteValidationError(`connectors[${i}]`, `${c} is listed twice`));
      else connectors.push(c);
    });
    checkCount(common.type, input.connectors.length, 'connectors', errors);
  }
  const rate = input.rate ?? 0;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) {
    errors.push(new RouteValidationError('rate', 'must be a number ≥ 0'));
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    route: { order: common.order, type: common.type, connectors, filters: common.filters, rate: rate as number },
  };
}

function validateTarget(v: unknown, field: string, errors: RouteValidationError[]): MoTarget | null {
  if (isObject(v) && v.kind === 'smpps') {
    if (nonEmptyString(v.username)) return { kind: 'smpps', username: v.username };
    errors.push(new RouteValidationError(`${field}.username`, 'must be a username'));
    return null;
  }
  if (isObject(v) && v.kind === 'http') {
    if (nonEmptyString(v.cid)) return { kind: 'http', cid: v.cid };
    errors.push(new RouteValidationError(`${field}.cid`, 'must be a connector id'));
    return null;
  }
  errors.push(new RouteValidationError(`${field}.kind`, 'must be smpps or http'));
  return null;
}

/** Validates an MO route as the admin API receives it (model shape); every bad field is named. */
export function validateMoRoute(input: unknown): RouteValidation<MoRoute> {
  if (!isObject(input)) return { ok: false, errors: [new RouteValidationError('route', 'must be an object')] };
  const errors: RouteValidationError[] = [];
  const common = validateCommon(input, MO_FILTERS, errors);
  const targets: MoTarget[] = [];
  if (!Array.isArray(input.targets)) {
    errors.push(new RouteValidationError('targets', 'must be a list of targets'));
  } else {
    input.targets.forEach((t, i) => {
      const target = validateTarget(t, `targets[${i}]`, errors);
      if (target === null) return;
      const same = targets.some((o) => o.kind === target.kind && JSON.stringify(o) === JSON.stringify(target));
      if (same) errors.push(new RouteValidationError(`targets[${i}]`, 'is listed twice'));
      else targets.push(target);
    });
    checkCount(common.type, input.targets.length, 'targets', errors);
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, route: { order: common.order, type: common.type, targets, filters: common.filters } };
}
