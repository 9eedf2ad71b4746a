/**
 * Server-assigned record ids: 64-bit integers, `receive-time-ms << 20 | sequence`, so ids sort by
 * arrival and stay unique within one process (a million per millisecond). The generator never goes
 * backwards: after a restart it is seeded past the highest id already stored or spooled.
 */
const SEQ_BITS = 20n;
const SEQ_MAX = 1 << 20;

export class IdGenerator {
  private lastMs = 0;
  private seq = 0;

  constructor(private readonly now: () => number = Date.now) {}

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
    let ms = Math.max(this.now(), this.lastMs);
    if (ms > this.lastMs) this.seq = 0;
    if (this.seq > 0 && this.seq + count > SEQ_MAX) {
      // Not enough room left in this millisecond: start the run at the next one.
      ms += 1;
      this.seq = 0;
    }
    const first = (BigInt(ms) << SEQ_BITS) | BigInt(this.seq);
    // A reservation larger than one millisecond's sequence space spills into the following ms.
    const end = this.seq + count;
    this.lastMs = ms + Math.floor(end / SEQ_MAX);
    this.seq = end % SEQ_MAX;
    return first;
  }
}

/** The receive time encoded in an id, in ms since the epoch. */
export function idTimeMs(id: bigint): number {
  return Number(id >> SEQ_BITS);
}
