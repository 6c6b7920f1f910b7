import type { Logger } from '@cloacina/core';

export type { Logger };
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * A console logger that drops messages below `level`. The runner's default is `warn`: a library
 * embedded in someone else's process should stay quiet unless something needs attention.
 */
export function consoleLogger(level: LogLevel = 'warn'): Logger {
  const min = ORDER[level];
  const emit =
    (lvl: Exclude<LogLevel, 'silent'>, sink: (...args: unknown[]) => void) =>
    (msg: string, meta?: Record<string, unknown>): void => {
      if (ORDER[lvl] < min) return;
      if (meta !== undefined && Object.keys(meta).length > 0) sink(`[cloacina] ${msg}`, meta);
      else sink(`[cloacina] ${msg}`);
    };
  return {
    debug: emit('debug', console.debug),
    info: emit('info', console.info),
    warn: emit('warn', console.warn),
    error: emit('error', console.error),
  };
}

/** A logger that adds `fields` to every entry (task loggers carry the task's identity). */
export function childLogger(parent: Logger, fields: Record<string, unknown>): Logger {
  const wrap =
    (fn: Logger['info']) =>
    (msg: string, meta?: Record<string, unknown>): void =>
      fn.call(parent, msg, { ...fields, ...meta });
  return { debug: wrap(parent.debug), info: wrap(parent.info), warn: wrap(parent.warn), error: wrap(parent.error) };
}

/** Error text for logs, never throwing (a hostile `message` getter must not break the runner). */
export function describeError(err: unknown): string {
  try {
    if (err instanceof Error) return `${err.name}: ${err.message}`;
    return String(err);
  } catch {
    return 'unprintable error';
  }
}
