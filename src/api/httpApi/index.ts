// Jasmin's HTTP API (`/send`, `/balance`, `/rate`, `/ping`): the public entry point the composition root wires.

export { openAccessLog } from './accessLog.js';
export {
  createHttpApi,
  type HttpApiListener,
  type HttpApiLogger,
  type HttpApiOptions,
  type HttpApiSettings,
  type HttpApiStore,
} from './api.js';
export { HttpApiError } from './errors.js';
export { createHttpApiServer, type HttpApiServerOptions } from './server.js';
