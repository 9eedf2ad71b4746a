import { levelFromSyslogSeverity } from '../../model/level.js';
import type { Level } from '../../model/record.js';

/** RFC 5424 §6.2.1 facility codes, by the names syslog-ng and rsyslog print. */
const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;

/** RFC 5424 §6.2.1 severity keywords (0 = emerg … 7 = debug); GELF uses the same numbers. */
export const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

export interface Priority {
  facility: string;
  severity: string;
  level: Level;
}

/**
 * PRI = facility * 8 + severity, 0–191. Severity goes to the record's level (0–2 fatal, 3 error,
 * 4 warn, 5–6 info, 7 debug) with its keyword kept, as syslog users search by it.
 */
export function decodePriority(pri: number): Priority {
  const sev = pri & 7;
  return {
    facility: FACILITIES[pri >> 3] ?? String(pri >> 3),
    severity: SEVERITIES[sev]!,
    level: levelFromSyslogSeverity(sev)!,
  };
}

/** RFC 3164 §4.3.3: a message without a valid PRI is treated as user.notice (13). */
export const DEFAULT_PRI = 13;

/**
 * `<PRI>` at the start of `text`: 1–3 digits, no leading zero except "<0>", value ≤ 191.
 * Returns the value and where the rest begins, or null when there is no valid PRI.
 */
export function readPri(text: string): { pri: number; end: number } | null {
  if (text.charCodeAt(0) !== 60 /* < */) return null;
  const close = text.indexOf('>', 1);
  if (close < 2 || close > 4) return null;
  const digits = text.slice(1, close);
  if (!/^(0|[1-9]\d{0,2})$/.test(digits)) return null;
  const pri = Number(digits);
  return pri <= 191 ? { pri, end: close + 1 } : null;
}
