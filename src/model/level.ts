import type { Level } from './record.js';

/**
 * Level names seen in the wild (syslog keywords, log4j, winston, Serilog, .NET, OTel severity text)
 * mapped onto Sawmill's six levels. Lookup is case-insensitive.
 */
const NAMES: Record<string, Level> = {
  trace: 'trace',
  trc: 'trace',
  silly: 'trace',
  finest: 'trace',
  finer: 'trace',
  verbose: 'debug',
  debug: 'debug',
  dbg: 'debug',
  fine: 'debug',
  config: 'debug',
  info: 'info',
  information: 'info',
  informational: 'info',
  inf: 'info',
  notice: 'info',
  http: 'info',
  log: 'info',
  warn: 'warn',
  warning: 'warn',
  wrn: 'warn',
  error: 'error',
  err: 'error',
  eror: 'error',
  severe: 'error',
  fatal: 'fatal',
  critical: 'fatal',
  crit: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
  emergency: 'fatal',
  panic: 'fatal',
};

/** Syslog severities 0–7 (also GELF). */
const SYSLOG: Level[] = ['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug'];

/** OpenTelemetry SeverityNumber 1–24, in bands of four. */
export function levelFromOtelSeverity(n: number): Level | undefined {
  if (!Number.isInteger(n) || n < 1 || n > 24) return undefined;
  return (['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const)[Math.floor((n - 1) / 4)];
}

export function levelFromSyslogSeverity(n: number): Level | undefined {
  return Number.isInteger(n) && n >= 0 && n <= 7 ? SYSLOG[n] : undefined;
}

/** pino/bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
export function levelFromPino(n: number): Level | undefined {
  if (n < 10 || n > 60) return undefined;
  return (['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const)[Math.min(5, Math.floor(n / 10) - 1)];
}

export interface NormalisedLevel {
  level: Level;
  /** Set when the sent value was not already one of the six names (kept as `originalLevel`). */
  original?: string | number;
}

/**
 * Numbers: 0–7 are syslog severities, 10–60 pino levels. Unknown names become `info` with the
 * original kept: a shipper's unusual level must never cost the user a log line.
 */
const CANONICAL: Record<string, NormalisedLevel> = Object.fromEntries(
  (['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const).map((l) => [
    l,
    Object.freeze({ level: l }),
  ]),
);

export function normaliseLevel(value: unknown): NormalisedLevel {
  if (typeof value === 'string') {
    const canonical = CANONICAL[value]; // the common case, without allocating
    if (canonical) return canonical;
  }
  if (value === undefined || value === null || value === '') return { level: 'info' };
  if (typeof value === 'number') {
    const level = levelFromSyslogSeverity(value) ?? levelFromPino(value);
    return { level: level ?? 'info', original: value };
  }
  const text = String(value);
  const key = text.trim().toLowerCase();
  const named = NAMES[key];
  if (named) return named === key ? { level: named } : { level: named, original: text };
  if (/^\d+$/.test(key)) return { ...normaliseLevel(Number(key)), original: text };
  return { level: 'info', original: text };
}

/** The level a query value names (`ERROR`, `warning`, `3`), or undefined when it names none. */
export function knownLevel(value: string): Level | undefined {
  const key = value.trim().toLowerCase();
  if (/^\d+$/.test(key)) return levelFromSyslogSeverity(Number(key)) ?? levelFromPino(Number(key));
  return NAMES[key];
}
