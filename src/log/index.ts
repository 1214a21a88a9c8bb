// The log layer's public entry point.

export {
  createLogger,
  LEVELS,
  type LevelName,
  type LogFields,
  Logger,
  type LoggerOptions,
  levelNumber,
  loggerFromSettings,
  printf,
} from './logger.js';
export { strftime } from './strftime.js';
