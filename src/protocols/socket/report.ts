import { Counter, Gauge, type Registry } from 'prom-client';

/** The slice of Fastify's (pino) logger the socket listeners use. */
export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface SocketMetrics {
  connections: Gauge<'protocol'>;
  problems: Counter<'protocol' | 'transport' | 'reason'>;
  dropped: Counter<'protocol' | 'transport' | 'reason'>;
}

const byRegistry = new WeakMap<Registry, SocketMetrics>();

/** Socket listener metrics, registered once per server registry (syslog and GELF share them). */
export function socketMetrics(registry: Registry): SocketMetrics {
  let m = byRegistry.get(registry);
  if (!m) {
    m = {
      connections: new Gauge({
        name: 'sawmill_socket_connections',
        help: 'Open TCP connections of the syslog and GELF listeners.',
        labelNames: ['protocol'] as const,
        registers: [registry],
      }),
      problems: new Counter({
        name: 'sawmill_socket_errors_total',
        help: 'Bad input on the syslog/GELF listeners (framing, parse, oversize, refused connections), by reason.',
        labelNames: ['protocol', 'transport', 'reason'] as const,
        registers: [registry],
      }),
      dropped: new Counter({
        name: 'sawmill_socket_dropped_total',
        help: 'Messages received but not stored (UDP while overloaded, incomplete GELF chunks, undecodable GELF), by reason.',
        labelNames: ['protocol', 'transport', 'reason'] as const,
        registers: [registry],
      }),
    };
    byRegistry.set(registry, m);
  }
  return m;
}

/**
 * Counts every problem and logs it, but at most once per reason every `everyMs`, with the number
 * left unlogged: one broken sender must not flood the server log.
 */
export class ProblemReporter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Log,
    private readonly metrics: SocketMetrics,
    private readonly protocol: string,
    private readonly everyMs = 10_000,
  ) {}

  problem(transport: 'tcp' | 'udp' | 'http', reason: string, detail: string, remote?: string): void {
    this.metrics.problems.inc({ protocol: this.protocol, transport, reason });
    this.logLimited('warn', transport, reason, detail, remote);
  }

  dropped(transport: 'tcp' | 'udp', reason: string, count: number, detail: string, remote?: string): void {
    if (count <= 0) return;
    this.metrics.dropped.inc({ protocol: this.protocol, transport, reason }, count);
    this.logLimited('warn', transport, `dropped:${reason}`, `${count} message(s) dropped: ${detail}`, remote);
  }

  private logLimited(
    level: 'warn',
    transport: string,
    reason: string,
    detail: string,
    remote: string | undefined,
  ): void {
    const key = `${transport}:${reason}`;
    const now = Date.now();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.everyMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    this.log[level](
      { protocol: this.protocol, transport, reason, remote, ...(suppressed > 0 ? { suppressed } : {}) },
      `${this.protocol} ${transport}: ${detail}`,
    );
  }
}
