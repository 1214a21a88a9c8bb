// Prometheus metrics for the gateway: the registry over its parts, the /metrics handler, and store call timing.

export { createMetricsHandler, METRICS_PATH, type MetricsHandler, type MetricsHandlerOptions } from './http.js';
export { CONNECTOR_STATES, createMetrics, type GatewayMetrics, type MetricsOptions } from './metrics.js';
export { instrumentStore, STORE_LATENCY_BUCKETS, StoreTimings } from './storeTiming.js';
