// The live dashboard's public entry point: the handler mounted under /dashboard on the admin port, and its source.

export { CSRF_HEADER, DashboardAuth, type DashboardSession, SESSION_COOKIE } from './auth.js';
export {
  CONTENT_SECURITY_POLICY,
  createDashboard,
  DASHBOARD_PATH,
  type DashboardHandler,
  type DashboardOptions,
} from './dashboard.js';
export {
  DEFAULT_ERROR_CAPACITY,
  type ErrorEntry,
  type ErrorLevel,
  ErrorRing,
  errorEntryOfLog,
  logTap,
  redactSecrets,
  TALLIED_LOG_EVENTS,
} from './errors.js';
export { LiveFeed, type LiveFrame, type RatePoint, ratesBetween } from './feed.js';
export {
  type BindWindow,
  createDashboardSource,
  type DashboardBind,
  type DashboardConnector,
  type DashboardSnapshot,
  type DashboardSource,
  type DashboardSourceOptions,
  type DashboardTallySource,
  type DashboardTotals,
  type HistoryStep,
  type MessageLookup,
  type SessionWindows,
  UnknownConnectorError,
} from './source.js';
export { createDashboardTally, type DashboardTally, type EventHub } from './tally.js';
