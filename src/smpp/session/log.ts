// The logging surface the session and server need: the shape of src/log's Logger (structural, so any logger with
// child() and the four levels fits, and tests can record lines in memory).

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** A structured logger: one line per event, with fields; `child` binds fields to every line. */
export interface SessionLogger {
  child(fields: LogFields): SessionLogger;
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** A logger that drops everything. */
export const silentLogger: SessionLogger = {
  child: () => silentLogger,
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** One recorded log line. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  event: string;
  fields: LogFields;
}

/** A logger that keeps every line in `lines` (tests assert on events and fields). */
export class MemoryLogger implements SessionLogger {
  readonly lines: LogLine[];
  readonly #bound: LogFields;

  constructor(lines: LogLine[] = [], bound: LogFields = {}) {
    this.lines = lines;
    this.#bound = bound;
  }

  child(fields: LogFields): MemoryLogger {
    return new MemoryLogger(this.lines, { ...this.#bound, ...fields });
  }

  debug(event: string, fields?: LogFields): void {
    this.lines.push({ level: 'debug', event, fields: { ...this.#bound, ...fields } });
  }

  info(event: string, fields?: LogFields): void {
    this.lines.push({ level: 'info', event, fields: { ...this.#bound, ...fields } });
  }

  warn(event: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', event, fields: { ...this.#bound, ...fields } });
  }

  error(event: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', event, fields: { ...this.#bound, ...fields } });
  }

  /** The lines whose event is `event`. */
  events(event: string): LogLine[] {
    return this.lines.filter((l) => l.event === event);
  }
}
