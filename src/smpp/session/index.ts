// The session layer's public entry point: the session, its window, gate, timers' clock, counters and errors.

export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.js';
export {
  type BindType,
  ServerCounters,
  type ServerCountersSnapshot,
  type SubmitOutcome,
  UserCounters,
  type UserCountersSnapshot,
} from './counters.js';
export { duplexPair, MemoryEnd } from './duplexPair.js';
export { InvalidStateError, ResponseTimeoutError, SessionClosedError, WindowFullError } from './errors.js';
export { gate, isBound, mayOffer, type SessionRole, SessionState } from './gate.js';
export { type LogFields, type LogLine, MemoryLogger, type SessionLogger, silentLogger } from './log.js';
export {
  type Authenticator,
  type BindAdmitter,
  type BindRequest,
  type BindResult,
  DEFAULT_TIMERS,
  type HandledCommand,
  type Handler,
  type HandlerContext,
  type HandlerResult,
  type Handlers,
  type Principal,
  type ResponseBody,
  type SessionEvents,
  type SessionOptions,
  type SessionTimers,
  SmppSession,
} from './session.js';
export { MAX_SEQUENCE, Window, type WindowOptions } from './window.js';
