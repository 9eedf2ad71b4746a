/**
 * Server-assigned record ids: 64-bit integers, `receive-time-ms << 20 | sequence`, so ids sort by
 * arrival and stay unique within one process (a million per millisecond). The generator never goes
 * backwards: after a restart it is seeded past the highest id already stored or spooled.
 *
 * Cluster mode runs many ingest nodes, each with its own generator. There each node owns the
 * milliseconds whose number modulo NODE_SLOTS is its node id (cluster/node-id.ts leases it), so
 * two nodes can never issue the same id, a request's ids are still one contiguous range (tail
 * and the stores rely on that), and ids stay time-sortable to within NODE_SLOTS ms.
 */
const SEQ_BITS = 20n;
const SEQ_MAX = 1 << 20;
/** How many ingest nodes a cluster can run at once. */
export const NODE_SLOTS = 64;

export class IdGenerator {
  private lastMs = 0;
  private seq = 0;

  /**
   * `node`: this ingest node's slot in a cluster (0 … NODE_SLOTS-1); absent in embedded mode,
   * where the one process owns every millisecond.
   */
  constructor(
    private readonly now: () => number = Date.now,
    readonly node?: number,
  ) {
    if (node !== undefined && !(Number.isInteger(node) && node >= 0 && node < NODE_SLOTS))
      throw new Error(`node id must be an integer 0-${NODE_SLOTS - 1}, got ${node}`);
  }

  /** The most ids one reservation can take: a cluster node must fit a request into one of its milliseconds. */
  get maxReservation(): number {
    return this.node === undefined ? Number.MAX_SAFE_INTEGER : SEQ_MAX;
  }

  /** Never issue an id at or below this one again. */
  advancePast(id: bigint): void {
    const ms = Number(id >> SEQ_BITS);
    const seq = Number(id & BigInt(SEQ_MAX - 1));
    if (ms > this.lastMs || (ms === this.lastMs && seq >= this.seq)) {
      this.lastMs = ms;
      this.seq = seq + 1;
    }
  }

  /** The last id issued (0 before any): everything acknowledged so far has an id at or below it. */
  last(): bigint {
    return this.lastMs === 0 && this.seq === 0
      ? 0n
      : ((BigInt(this.lastMs) << SEQ_BITS) | BigInt(this.seq)) - 1n;
  }

  /** Reserve `count` consecutive ids; returns the first. */
  reserve(count: number): bigint {
    if (count > this.maxReservation)
      throw new RangeError(`cannot reserve ${count} ids at once (at most ${this.maxReservation})`);
    let ms = Math.max(this.now(), this.lastMs);
    if (ms > this.lastMs) this.seq = 0;
    if (this.node !== undefined) {
      if (this.seq + count > SEQ_MAX) ms += 1; // this millisecond is used up
      const owned = this.ownedFrom(ms);
      if (owned !== this.lastMs) this.seq = 0;
      ms = owned;
    } else if (this.seq > 0 && this.seq + count > SEQ_MAX) {
      // Not enough room left in this millisecond: start the run at the next one.
      ms += 1;
      this.seq = 0;
    }
    const first = (BigInt(ms) << SEQ_BITS) | BigInt(this.seq);
    // A reservation larger than one millisecond's sequence space spills into the following ms
    // (embedded mode only: a cluster node's reservations fit into one of its own milliseconds).
    const end = this.seq + count;
    this.lastMs = ms + Math.floor(end / SEQ_MAX);
    this.seq = end % SEQ_MAX;
    return first;
  }

  /** The first millisecond at or after `ms` that this node owns. */
  private ownedFrom(ms: number): number {
    const node = this.node!;
    return ms + ((node - (ms % NODE_SLOTS) + NODE_SLOTS) % NODE_SLOTS);
  }
}

/** The receive time encoded in an id, in ms since the epoch. */
export function idTimeMs(id: bigint): number {
  return Number(id >> SEQ_BITS);
}
