import { parseTimestamp } from '../../model/timestamp.js';

/**
 * RFC 3164 ("BSD syslog") after the PRI: `TIMESTAMP SP HOSTNAME SP TAG MSG`, and rsyslog's hybrid
 * (RSYSLOG_ForwardFormat / syslog-ng's `syslog-protocol` off) with an RFC 3339 timestamp in place
 * of the BSD one. RFC 3164 describes what is seen rather than prescribing it, so this is
 * lenient the way syslog-ng and rsyslog are: without a recognisable timestamp the whole text is
 * the message (§4.3.3), and the hostname and tag are taken only when they look like one.
 */
export interface Rfc3164 {
  /** RFC 3339 (UTC or with the sender's offset); undefined when the message has none. */
  timestamp?: string;
  hostname?: string;
  appName?: string;
  procId?: string;
  message: string;
  format: 'rfc3164' | 'rfc3339';
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/**
 * `Mmm dd hh:mm:ss` (day space-padded), optionally with a fraction (`.123456`, as syslog-ng and
 * some network devices send) or a year before the time (`Nov 22 2026 09:06:55`, Cisco-style).
 */
const BSD = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (?:(\d{4}) )?(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?: |$)/;
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))(?: |$)/;
/** TAG: a program name (no space, `[`, `]` or `:`), an optional `[pid]`, then `:` (§5.3). */
const TAG = /^([^\s[\]:]{1,128})(?:\[([^\]\s]{0,128})\])?(:)?(?: |$)/;

/** BSD timestamps carry no zone and no year: see `bsdToIso`. */
export function parseRfc3164(rest: string, now: Date): Rfc3164 {
  let pos = 0;
  let timestamp: string | undefined;
  let format: Rfc3164['format'] = 'rfc3164';
  const bsd = BSD.exec(rest);
  const iso = bsd ? null : RFC3339.exec(rest);
  if (bsd) {
    timestamp = bsdToIso(bsd, now);
    if (timestamp !== undefined) pos = bsd[0].length;
  } else if (iso && !('error' in parseTimestamp(iso[1]))) {
    timestamp = iso[1];
    format = 'rfc3339';
    pos = iso[0].length;
  }

  let hostname: string | undefined;
  if (timestamp !== undefined) {
    // A HOSTNAME follows the TIMESTAMP, unless the next word is already the TAG (a sender that
    // left the hostname out, as local loggers do): a word ending in ':' or carrying '[pid]'.
    const word = /^\S+/.exec(rest.slice(pos))?.[0];
    if (word !== undefined && !word.endsWith(':') && !/\[[^\]]*\]:?$/.test(word)) {
      hostname = word;
      pos += word.length + 1;
    }
  }
  let body = rest.slice(Math.min(pos, rest.length));
  let appName: string | undefined;
  let procId: string | undefined;
  const tag = TAG.exec(body);
  // Without a colon a bare word is only a tag when it carries a [pid]; otherwise it is text.
  if (tag && (tag[3] === ':' || tag[2] !== undefined)) {
    appName = tag[1];
    procId = tag[2] || undefined;
    body = body.slice(tag[0].length);
  }
  return { timestamp, hostname, appName, procId, message: body, format };
}

/**
 * A BSD timestamp is read in the receiver's local time zone, as syslog-ng and rsyslog do (set TZ
 * for the process to change it), and given the current year, or the previous one when that
 * would put it more than a week ahead (a December message arriving in January).
 * Returns undefined for an impossible date (Feb 30, 25:00), which then stays in the message.
 */
function bsdToIso(m: RegExpExecArray, now: Date): string | undefined {
  const month = MONTHS[m[1]!];
  if (month === undefined) return undefined;
  const day = Number(m[2]);
  const [h, mi, s] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (h > 23 || mi > 59 || s > 60) return undefined;
  const frac = (m[7] ?? '').slice(0, 6).padEnd(6, '0');
  const build = (year: number) => new Date(year, month, day, h, mi, Math.min(s, 59));
  let year = m[3] ? Number(m[3]) : now.getFullYear();
  let date = build(year);
  if (!m[3] && date.getTime() > now.getTime() + 7 * 86_400_000) date = build(--year);
  if (date.getMonth() !== month || date.getDate() !== day) return undefined;
  return `${date.toISOString().slice(0, 19)}.${frac}Z`;
}
