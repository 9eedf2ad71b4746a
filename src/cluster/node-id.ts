import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { NODE_SLOTS } from '../model/id.js';

/**
 * The node slot of a cluster ingest node (model/id.ts): a lease in Redis, so any number of ingest
 * nodes can start on any machine without configuration and never issue the same id.
 *
 * The lease is a key per slot, set only if absent and refreshed well before it expires. Its value
 * records the highest id the holder issued: a node that later takes the same slot (after a crash,
 * say) starts past it, even if its clock is behind the old holder's. While Redis is unreachable the
 * node keeps its slot until the lease would have expired (no other node can take it before then),
 * and after that it refuses ingest until it holds a lease again.
 */
export interface NodeIdLeaseOptions {
  redis: Redis;
  /** Key prefix shared by the cluster (e.g. `sawmill`). */
  prefix: string;
  ttlMs?: number;
  /** The highest id this node issued so far, written into the lease on every refresh. */
  lastId: () => bigint;
  /** Called with false when the lease may have lapsed, and with true once it is held again. */
  onHeld: (held: boolean) => void;
  onError: (err: unknown) => void;
}

// Refresh only our own lease: a node whose lease lapsed must not extend someone else's.
const REFRESH = `if redis.call('GET', KEYS[1]) and string.find(redis.call('GET', KEYS[1]), ARGV[1], 1, true) == 1 then
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2], 'PX', ARGV[3]) return 1 end return 0`;

// Record the highest id issued in a slot; ids are decimal strings beyond Lua's exact integers.
const RECORD_LAST = `local old = redis.call('GET', KEYS[1])
if not old or #ARGV[1] > #old or (#ARGV[1] == #old and ARGV[1] > old) then redis.call('SET', KEYS[1], ARGV[1]) end return 1`;

export class NodeIdLease {
  readonly token = randomBytes(12).toString('hex');
  private timer: NodeJS.Timeout | undefined;
  private confirmedAt = 0;
  private held = true;
  node = -1;
  /** The highest id a previous holder of the slot recorded (0 when none). */
  previousLastId = 0n;

  constructor(private readonly o: NodeIdLeaseOptions) {}

  private get ttl(): number {
    return this.o.ttlMs ?? 30_000;
  }

  private key(n: number): string {
    return `${this.o.prefix}:ingest-node:${n}`;
  }

  /** Take a free slot (random order, so nodes starting together rarely race for the same one). */
  async acquire(): Promise<number> {
    const start = Math.floor(Math.random() * NODE_SLOTS);
    for (let i = 0; i < NODE_SLOTS; i++) {
      const n = (start + i) % NODE_SLOTS;
      const previous = await this.o.redis.get(`${this.key(n)}:last`);
      const ok = await this.o.redis.set(this.key(n), `${this.token}:0`, 'PX', this.ttl, 'NX');
      if (ok === 'OK') {
        this.node = n;
        this.previousLastId = previous ? BigInt(previous) : 0n;
        this.confirmedAt = Date.now();
        this.timer = setInterval(() => void this.refresh(), Math.floor(this.ttl / 3));
        this.timer.unref();
        return n;
      }
    }
    throw new Error(
      `all ${NODE_SLOTS} ingest node slots are leased: at most ${NODE_SLOTS} ingest nodes can run at once`,
    );
  }

  private async refresh(): Promise<void> {
    const last = this.o.lastId().toString();
    try {
      const ok = await this.o.redis.eval(REFRESH, 1, this.key(this.node), this.token, last, String(this.ttl));
      // The last id outlives the lease, for whoever takes the slot next.
      await this.o.redis.eval(RECORD_LAST, 1, `${this.key(this.node)}:last`, last);
      if (ok === 1) {
        this.confirmedAt = Date.now();
        this.setHeld(true);
        return;
      }
      // Lost (expired during an outage and possibly taken): take it back only if it is free.
      const again = await this.o.redis.set(
        this.key(this.node),
        `${this.token}:${last}`,
        'PX',
        this.ttl,
        'NX',
      );
      if (again === 'OK') {
        this.confirmedAt = Date.now();
        this.setHeld(true);
      } else {
        this.setHeld(false);
        this.o.onError(
          new Error(`ingest node slot ${this.node} was taken by another node; restart this node`),
        );
      }
    } catch (err) {
      this.o.onError(err);
      // Keep issuing ids only while nobody else can have taken the slot (a margin for clock drift).
      if (Date.now() - this.confirmedAt > this.ttl * 0.8) this.setHeld(false);
    }
  }

  private setHeld(held: boolean): void {
    if (held === this.held) return;
    this.held = held;
    this.o.onHeld(held);
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    if (this.node < 0) return;
    try {
      await this.o.redis.eval(RECORD_LAST, 1, `${this.key(this.node)}:last`, this.o.lastId().toString());
      await this.o.redis.eval(
        `if redis.call('GET', KEYS[1]) and string.find(redis.call('GET', KEYS[1]), ARGV[1], 1, true) == 1 then return redis.call('DEL', KEYS[1]) end return 0`,
        1,
        this.key(this.node),
        this.token,
      );
    } catch (err) {
      this.o.onError(err);
    }
  }
}
