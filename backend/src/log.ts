/**
 * Logs: pino, one JSON object per line on stdout, as the log router (FireLens / Datadog) expects.
 *
 * Shaped for Datadog: `level` is the label ("error", not pino's 50), which Datadog's status
 * remapper reads (`status:error` searches and `@level:error` monitors both work); `time` is ISO
 * 8601; `service`, `env` and `version` are on every line (unified service tagging); the HTTP
 * layer adds `requestId`. No pid/hostname noise: the container is the host.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error";

/** The small interface the service and the migration runner log through. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** The pino logger underneath (Fastify logs through it). */
  readonly pino: PinoLogger;
}

/** Keys pino writes itself: a field of the same name would be a duplicate JSON key. */
const RESERVED = new Set(["level", "time", "msg"]);

function clean(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!fields) return {};
  return Object.fromEntries(Object.entries(fields).filter(([k]) => !RESERVED.has(k)));
}

function wrap(p: PinoLogger): Logger {
  return {
    debug: (m, f) => p.debug(clean(f), m),
    info: (m, f) => p.info(clean(f), m),
    warn: (m, f) => p.warn(clean(f), m),
    error: (m, f) => p.error(clean(f), m),
    child: (fields) => wrap(p.child(clean(fields))),
    pino: p,
  };
}

/** A pino logger with the Datadog shape; `write` replaces stdout (tests capture lines). */
function createPinoLogger(level: LogLevel = "info", base: Record<string, unknown> = {}, write?: (line: string) => void): PinoLogger {
  const destination: DestinationStream | undefined = write ? { write } : undefined;
  const options = {
    level,
    base: clean(base),
    messageKey: "msg",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  // Default destination: synchronous stdout, so a line logged just before process.exit is kept.
  return destination ? pino(options, destination) : pino(options);
}

export function createLogger(level: LogLevel = "info", base: Record<string, unknown> = {}, write?: (line: string) => void): Logger {
  return wrap(createPinoLogger(level, base, write));
}
