// The HTTP connectors' public entry point: the durable HTTP outbox (MO to HTTP, HTTP receipts to dlr-url), the HTTP
// MO connector (type `http`) the connector manager runs, and the sink MoRouter hands MO routed to `http(cid)`.

export {
  createHttpConnector,
  type HttpConnector,
  type HttpConnectorContext,
  type HttpConnectorLiveState,
} from './connector.js';
export {
  HTTP_MO_PARTS_PREFIX,
  HTTP_MO_PREFIX,
  HttpMoSink,
  type HttpMoSinkOptions,
  type MoFieldsInput,
  type MoSinkStore,
  moFields,
} from './moSink.js';
export {
  type HttpCall,
  HttpOutbox,
  type HttpOutboxOptions,
  type OutboxCounters,
  type OutboxItem,
  type OutboxLogger,
  type OutboxStore,
  type OutboxTargetHealth,
  type OutboxTimers,
} from './outbox.js';
export {
  HTTP_CONNECTOR_DEFAULTS,
  type HttpConnectorSettings,
  HttpConnectorSettingsError,
  parseHttpConnectorSettings,
} from './settings.js';
