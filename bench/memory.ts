/**
 * Where the server's resident memory goes while it ingests: `/metrics` sampled every second,
 * keeping the sample with the highest RSS. The split: V8's heap, memory outside it that Node
 * tracks (Buffers), DuckDB's buffer manager (duckdb_memory(), what `memory_limit` bounds), and
 * the rest (DuckDB's allocations outside its buffer manager, allocator slack, code, stacks).
 */
export interface MemorySplit {
  rss: number;
  heap: number;
  external: number;
  duckdb: number;
  rest: number;
}

export function sampleMemory(base: string, everyMs = 1000): { stop(): Promise<MemorySplit | null> } {
  let peak: MemorySplit | null = null;
  let running = true;
  const loop = (async () => {
    while (running) {
      const text = await fetch(`${base}/metrics`)
        .then((r) => r.text())
        .catch(() => null);
      if (text) {
        const one = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
        const duckdb = [...text.matchAll(/^sawmill_store_memory_bytes\{[^}]*\} (\S+)$/gm)].reduce(
          (sum, m) => sum + Number(m[1]),
          0,
        );
        const rss = one('sawmill_process_resident_memory_bytes');
        const heap = one('sawmill_nodejs_heap_size_total_bytes');
        const external = one('sawmill_nodejs_external_memory_bytes');
        if (!peak || rss > peak.rss)
          peak = { rss, heap, external, duckdb, rest: rss - heap - external - duckdb };
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

export function renderMemory(m: MemorySplit | null): string {
  if (!m) return '—';
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
  return `${mb(m.rss)} = V8 heap ${mb(m.heap)} + Node external ${mb(m.external)} + DuckDB buffer manager ${mb(m.duckdb)} + rest ${mb(m.rest)}`;
}
