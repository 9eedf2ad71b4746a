import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics, one registry per server so tests can run several servers in one process. */
export class Metrics {
  readonly registry = new Registry();
  readonly recordsIngested = new Counter({
    name: 'sawmill_ingest_records_total',
    help: 'Records received, by result (accepted = durable in the buffer; rejected = refused with a reason).',
    labelNames: ['result', 'protocol'] as const,
    registers: [this.registry],
  });
  readonly bytesIngested = new Counter({
    name: 'sawmill_ingest_bytes_total',
    help: 'Request body bytes received by ingest endpoints (before decompression).',
    labelNames: ['protocol'] as const,
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'sawmill_ingest_refusals_total',
    help: 'Ingest requests refused because the server was overloaded (429/503).',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly bufferDepth = new Gauge({
    name: 'sawmill_buffer_depth_bytes',
    help: 'Bytes accepted but not yet loaded into the store.',
    registers: [this.registry],
  });
  readonly accessDenied = new Counter({
    name: 'sawmill_access_denied_total',
    help: 'Requests refused by access control: unauthorized (401, no valid key) or forbidden (403, the role lacks the permission).',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly recordsLoaded = new Counter({
    name: 'sawmill_store_loaded_records_total',
    help: 'Records loaded into the store.',
    registers: [this.registry],
  });
  readonly loadDuration = new Histogram({
    name: 'sawmill_store_load_duration_seconds',
    help: 'Time to load one batch into the store.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queryDuration = new Histogram({
    name: 'sawmill_query_duration_seconds',
    help: 'Query latency by endpoint.',
    labelNames: ['endpoint'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly cacheLookups = new Counter({
    name: 'sawmill_query_cache_lookups_total',
    help: 'Histogram and field queries by cache result (hit, miss, or skip: range not closed or cache unavailable).',
    labelNames: ['endpoint', 'result'] as const,
    registers: [this.registry],
  });
  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'sawmill_' });
  }

  /** Report the embedded store's per-day answer cache (day-results.ts), read on every scrape. */
  watchDayResults(read: () => { hits: number; misses: number; size: number } | null): void {
    new Counter({
      name: 'sawmill_day_results_lookups_total',
      help: 'Per-day counting answers (histograms, counts, bounds) looked up in the cache of unchanged days, by result.',
      labelNames: ['result'] as const,
      registers: [this.registry],
      collect() {
        const r = read();
        if (!r) return;
        this.reset();
        this.inc({ result: 'hit' }, r.hits);
        this.inc({ result: 'miss' }, r.misses);
      },
    });
    new Gauge({
      name: 'sawmill_day_results_entries',
      help: 'Per-day counting answers kept in the cache of unchanged days.',
      registers: [this.registry],
      collect() {
        this.set(read()?.size ?? 0);
      },
    });
  }

  /**
   * Report where the embedded store's engine keeps its memory, read on every scrape (a failed
   * read leaves the last values): with the process's RSS and heap, it splits the RSS.
   */
  watchStoreMemory(read: () => Promise<Record<string, number>>): void {
    new Gauge({
      name: 'sawmill_store_memory_bytes',
      help: "Memory the embedded store's engine holds, by what holds it (DuckDB duckdb_memory() tags).",
      labelNames: ['tag'] as const,
      registers: [this.registry],
      async collect() {
        const byTag = await read().catch(() => null);
        if (byTag) for (const [tag, bytes] of Object.entries(byTag)) this.set({ tag }, bytes);
      },
    });
  }

  /** Report the embedded store's message-pattern counting of closed days (message-patterns.ts). */
  watchMessagePatterns(read: () => { counted: number; waiting: number; countingMs: number } | null): void {
    new Gauge({
      name: 'sawmill_message_pattern_days',
      help: 'Closed day tables whose message patterns are counted (their word and phrase histograms and counts come from the counts), and those waiting to be counted.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const r = read();
        if (!r) return;
        this.set({ state: 'counted' }, r.counted);
        this.set({ state: 'waiting' }, r.waiting);
      },
    });
    new Counter({
      name: 'sawmill_message_pattern_counting_seconds_total',
      help: "Time spent counting closed days' message patterns in the background.",
      registers: [this.registry],
      collect() {
        const r = read();
        if (!r) return;
        this.reset();
        this.inc(r.countingMs / 1000);
      },
    });
  }
}
