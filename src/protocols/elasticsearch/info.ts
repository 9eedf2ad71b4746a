import type { IngestContext } from '../../server/context.js';

/**
 * The probe endpoints shippers call before they send anything: version info (`GET /`), cluster
 * health (Vector's health check, rsyslog's `_cat/health`) and `_refresh` (pino-elasticsearch).
 *
 * The version says 8.x: Beats, Logstash, Fluent Bit and Vector choose their request shape from
 * it (8.x means no `_type`), and every current client accepts an 8.x server.
 */
export const ES_VERSION = '8.17.0';
export const CLUSTER_NAME = 'sawmill';
const CLUSTER_UUID = 'c2F3bWlsbC1sb2dzdG9yZQ';

export function versionInfo(): unknown {
  return {
    name: 'sawmill',
    cluster_name: CLUSTER_NAME,
    cluster_uuid: CLUSTER_UUID,
    version: {
      number: ES_VERSION,
      build_flavor: 'default',
      build_type: 'tar',
      build_hash: 'sawmill',
      build_date: '2024-12-11T12:08:05.663969764Z',
      build_snapshot: false,
      lucene_version: '9.12.0',
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  };
}

/** `green` while ingest is open, `red` while starting or shutting down (ingest answers 503 then). */
function status(ctx: IngestContext): 'green' | 'red' {
  return ctx.pipeline.accepting ? 'green' : 'red';
}

export function clusterHealth(ctx: IngestContext): unknown {
  const s = status(ctx);
  return {
    cluster_name: CLUSTER_NAME,
    status: s,
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_primary_shards: 1,
    active_shards: 1,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
    delayed_unassigned_shards: 0,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: s === 'green' ? 100 : 0,
  };
}

/** `_cat/health`: a text table (`?v` adds the header), or JSON with `?format=json`. */
export function catHealth(
  ctx: IngestContext,
  params: Record<string, string | undefined>,
): { json?: unknown; text?: string } {
  const now = Date.now();
  const row = {
    epoch: String(Math.floor(now / 1000)),
    timestamp: new Date(now).toISOString().slice(11, 19),
    cluster: CLUSTER_NAME,
    status: status(ctx),
    'node.total': '1',
    'node.data': '1',
    shards: '1',
    pri: '1',
    relo: '0',
    init: '0',
    unassign: '0',
    unassign_pri: '0',
    pending_tasks: '0',
    max_task_wait_time: '-',
    active_shards_percent: status(ctx) === 'green' ? '100.0%' : '0.0%',
  };
  if (params.format === 'json') return { json: [row] };
  const values = Object.values(row).join(' ');
  const header = params.v !== undefined ? `${Object.keys(row).join(' ')}\n` : '';
  return { text: `${header}${values}\n` };
}

/**
 * `_refresh` makes everything acknowledged before it searchable: it waits until the spool has
 * handed every record to the store (or the store holds the newest id given out when the call
 * began), at most `timeoutMs`. Sawmill makes records searchable within a second anyway.
 */
export async function refresh(ctx: IngestContext, timeoutMs = 10_000): Promise<boolean> {
  const target = ctx.ids.last();
  const deadline = Date.now() + timeoutMs;
  let polls = 0;
  for (;;) {
    if (ctx.buffer.depthBytes() === 0) return true;
    // The store query is dearer than the depth check: only every few polls.
    if (polls++ % 5 === 4 && (await ctx.store.maxId()) >= target) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function refreshReply(ok: boolean): unknown {
  return { _shards: { total: 1, successful: ok ? 1 : 0, failed: ok ? 0 : 1 } };
}
