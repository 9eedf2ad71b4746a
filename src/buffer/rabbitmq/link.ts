import { Session, sleep } from './session.js';
import { declareTopology } from './topology.js';

export interface LinkOptions {
  url: string;
  /** Shown in errors: which of a node's connections this is. */
  name: string;
  queue: string;
  maxQueueBytes: number;
  heartbeatSeconds: number;
  onError: (err: unknown) => void;
  /** Called with each new session, after the topology is declared. */
  onSession?: (s: Session) => void;
}

/**
 * Keeps one session (connection) to the broker up: connect, declare the topology, serve until the
 * session dies, back off (100 ms doubling to 5 s, with jitter so many nodes do not reconnect in
 * lockstep), again. Nothing waits for it: while it is down, `session` is dead or null and callers
 * refuse at once.
 */
export class Link {
  session: Session | null = null;
  lastError: unknown = null;
  private closing = false;
  private readonly stop = new AbortController();
  private loop: Promise<void> | null = null;
  private readonly first: Promise<void>;
  private markFirst!: () => void;

  constructor(private readonly opts: LinkOptions) {
    this.first = new Promise((resolve) => {
      this.markFirst = resolve;
    });
  }

  get up(): boolean {
    return this.session !== null && !this.session.dead;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves true once the first session is up, false after `timeoutMs`. */
  async waitUp(timeoutMs: number): Promise<boolean> {
    return Promise.race([this.first.then(() => true), sleep(timeoutMs).then(() => false)]);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.stop.abort();
    await this.session?.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    let delay = 100;
    while (!this.closing) {
      let s: Session | null = null;
      try {
        s = await Session.open({
          url: this.opts.url,
          heartbeatSeconds: this.opts.heartbeatSeconds,
          connectTimeoutMs: 5000,
        });
        await declareTopology(s.conn, this.opts.queue, this.opts.maxQueueBytes, this.opts.onError);
      } catch (err) {
        this.lastError = err;
        this.opts.onError(err);
        s?.kill(err instanceof Error ? err : new Error(String(err)));
        s = null;
      }
      if (s) {
        if (this.closing) {
          await s.close();
          return;
        }
        this.session = s;
        delay = 100;
        this.opts.onSession?.(s);
        this.markFirst();
        const cause = await s.died;
        if (!this.closing) {
          this.lastError = cause;
          this.opts.onError(
            new Error(`lost the RabbitMQ ${this.opts.name} connection: ${cause.message}`, { cause }),
          );
        }
      }
      if (this.closing) return;
      await sleep(delay * (0.5 + Math.random()), this.stop.signal);
      delay = Math.min(delay * 2, 5000);
    }
  }
}
