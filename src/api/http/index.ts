// The small HTTP toolkit shared by the admin API and the Jasmin-compatible HTTP API: errors that name the field,
// size-limited bodies, JSON answers, constant-time bearer auth, a method + path router, body field checks.

export {
  bearerToken,
  createBearerCheck,
  createSlowedBearerCheck,
  holdFailure,
  TokenFailureDelay,
  type TokenFailureDelayOptions,
  unauthorized,
} from './auth.js';
export { DEFAULT_BODY_LIMIT, readBody, readJson } from './body.js';
export { badRequest, conflict, HttpError, notFound } from './errors.js';
export { createJsonListener, type JsonListenerOptions, type ListenerLogger } from './listener.js';
export { type ErrorBody, sendError, sendJson } from './respond.js';
export { type Handler, type Method, type Reply, type RouteContext, type RouteMatch, Router } from './router.js';
export {
  expectBoolean,
  expectNoBody,
  expectNullableNumber,
  expectNumber,
  expectObject,
  expectString,
  isJsonObject,
  type JsonObject,
  join,
  type NumberRule,
  rejectForbiddenKeys,
  rejectUnknownKeys,
  type StringRule,
} from './validate.js';
