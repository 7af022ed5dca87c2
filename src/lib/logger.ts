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

export function createLogger(base: LogFields = {}, minLevel: LogLevel = 'info'): Logger {
  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVELS[level] < LEVELS[minLevel]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields });
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  };
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) => createLogger({ ...base, ...fields }, minLevel),
  };
}

/** The error's class and message for a log line; stacks stay out of logs and responses. */
export function describeError(err: unknown): LogFields {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : undefined;
    return { error: err.name, error_message: err.message.slice(0, 500), error_cause: cause?.slice(0, 500) };
  }
  return { error: typeof err };
}
