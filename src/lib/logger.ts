/**
 * JSON lines to the Workers log. Every line carries the request id. Callers pass only safe fields: never
 * passwords, tokens, secrets, codes or request bodies.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/**
 * One object per request: the methods live on the prototype, so creating a logger allocates nothing else
 * (docs/benchmarks.md §6); a line below the minimum level costs one comparison.
 */
class JsonLogger implements Logger {
  readonly #min: number;
  constructor(
    private readonly base: LogFields,
    private readonly minLevel: LogLevel,
  ) {
    this.#min = LEVELS[minLevel];
  }
  debug(msg: string, fields?: LogFields): void {
    if (this.#min <= 10) this.write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    if (this.#min <= 20) this.write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    if (this.#min <= 30) this.write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger({ ...this.base, ...fields }, this.minLevel);
  }
  private write(level: LogLevel, msg: string, fields?: LogFields): void {
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...this.base, ...fields });
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  }
}

export function createLogger(base: LogFields = {}, minLevel: LogLevel = 'info'): Logger {
  // An unknown level (LOG_LEVEL is read before the configuration is validated) filters nothing, as before.
  return new JsonLogger(base, LEVELS[minLevel] === undefined ? 'debug' : minLevel);
}

/** The error's class and message for a log line; stacks stay out of logs and responses. */
export function describeError(err: unknown): LogFields {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : undefined;
    return { error: err.name, error_message: err.message.slice(0, 500), error_cause: cause?.slice(0, 500) };
  }
  return { error: typeof err };
}
