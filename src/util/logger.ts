// A tiny leveled logger writing one line per entry to stderr (or a given sink).
// Contract: `child(name)` prefixes messages with the component name; levels below the
// configured threshold cost one comparison.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, ...args: unknown[]): void;
  info(msg: string, ...args: unknown[]): void;
  warn(msg: string, ...args: unknown[]): void;
  error(msg: string, ...args: unknown[]): void;
  child(name: string): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  name?: string;
  /** Where lines go (default: process.stderr). */
  write?: (line: string) => void;
}

function render(arg: unknown): string {
  if (arg instanceof Error) return arg.stack ?? `${arg.name}: ${arg.message}`;
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg);
  } catch {
    return String(arg);
  }
}

/** Whether an EVERYNODE_LOG_LEVEL that names no level was reported (once per process). */
let badEnvLevelSaid = false;

/** EVERYNODE_LOG_LEVEL's level (any case); undefined when unset, empty or no level. */
function envLogLevel(raw: string | undefined): LogLevel | undefined {
  const v = raw?.trim().toLowerCase();
  return v && Object.hasOwn(order, v) ? (v as LogLevel) : undefined;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const raw = process.env.EVERYNODE_LOG_LEVEL;
  const envLevel = envLogLevel(raw);
  if (opts.level === undefined && envLevel === undefined && raw !== undefined && raw.trim() !== '' && !badEnvLevelSaid) {
    badEnvLevelSaid = true;
    write(`${new Date().toISOString()} WARN EVERYNODE_LOG_LEVEL=${JSON.stringify(raw)} is not a level (debug, info, warn, error or silent): logging at info\n`);
  }
  const level = opts.level ?? envLevel ?? 'info';
  const threshold = order[level];
  const make = (name: string | undefined): Logger => {
    const emit = (lvl: LogLevel, msg: string, args: unknown[]) => {
      if (order[lvl] < threshold) return;
      const parts = [new Date().toISOString(), lvl.toUpperCase()];
      if (name) parts.push(`[${name}]`);
      parts.push(msg, ...args.map(render));
      write(parts.join(' ') + '\n');
    };
    return {
      debug: (m, ...a) => emit('debug', m, a),
      info: (m, ...a) => emit('info', m, a),
      warn: (m, ...a) => emit('warn', m, a),
      error: (m, ...a) => emit('error', m, a),
      child: (n) => make(name ? `${name}/${n}` : n),
    };
  };
  return make(opts.name);
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger({ level: 'silent' });

/**
 * Logs a background loop's failures once per outage: the first failure as a warning (the
 * message, no stack), repeats at debug, and one info line when the loop works again. For loops
 * that retry every second or so against a store that may be down for minutes; `meanwhile`
 * says what happens until it works.
 */
export function outageLog(logger: Logger, what: string, meanwhile = 'retried every second until it works'): { failed(err: unknown): void; ok(): void } {
  let down = false;
  return {
    failed(err) {
      const message = err instanceof Error ? err.message : String(err);
      if (down) return logger.debug(`${what} still failing: ${message}`);
      down = true;
      logger.warn(`${what} failed (${meanwhile}; said once): ${message}`);
    },
    ok() {
      if (!down) return;
      down = false;
      logger.info(`${what} works again`);
    },
  };
}

/** After a hang-up (SIGHUP), writes to the gone terminal fail (EIO, EPIPE): they must not end the process's stop. */
export function ignoreClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
}
