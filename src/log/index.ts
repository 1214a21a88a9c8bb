// The log layer's public entry point.

export {
  CONTENT_FIELDS,
  createLogger,
  createMemoryLogger,
  LEVELS,
  type LevelName,
  type LogFields,
  Logger,
  type LoggerOptions,
  type LogRecord,
  type LogTap,
  levelNumber,
  loggerFromSettings,
  type MemoryLog,
  nullLogger,
  printf,
} from './logger.js';
export { strftime } from './strftime.js';
