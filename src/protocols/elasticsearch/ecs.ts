/**
 * Documents as Elasticsearch shippers send them, mapped onto Sawmill's record model.
 *
 * The shared normaliser already understands `msg`, `@timestamp`/`time`/`ts` and pino's numeric
 * levels. What only ES-bound documents carry is ECS (Filebeat, Elastic agents, ecs-logging
 * libraries): `log.level`, `trace.id`, `span.id`, `service.name`, either nested
 * (`{"log":{"level":"warn"}}`) or as literal dotted keys. Those values are copied into the
 * reserved fields when the document has none of its own; the originals stay as sent, so a query
 * on `log.level` still finds them.
 */
export function mapEsDocument(
  doc: Record<string, unknown>,
  index: string | undefined,
  clientId: string | undefined,
): Record<string, unknown> {
  const out = doc;
  // The index name and the client's document id are kept as fields (`_index:logs-*` finds them).
  if (index !== undefined) out._index = index;
  if (clientId !== undefined) out._id = clientId;
  if (out.level === undefined) {
    const level = path(doc, 'log', 'level', 'log.level');
    if (level !== undefined) out.level = level;
  }
  if (out.traceId === undefined) {
    const v = path(doc, 'trace', 'id', 'trace.id');
    if (typeof v === 'string') out.traceId = v;
  }
  if (out.spanId === undefined) {
    const v = path(doc, 'span', 'id', 'span.id');
    if (typeof v === 'string') out.spanId = v;
  }
  if (out.resourceId === undefined) {
    const v = path(doc, 'service', 'name', 'service.name');
    if (typeof v === 'string') out.resourceId = v;
  }
  // Fluent Bit tailing container logs sends the text as `log` (Docker's JSON file format):
  // without this every such document would be refused for having no message.
  if (out.message === undefined && out.msg === undefined && typeof out.log === 'string') {
    out.message = out.log;
    delete out.log;
  }
  return out;
}

/** `a.b` as a nested path or as one literal dotted key (`flat`, spelled out: no concatenation per call). */
function path(doc: Record<string, unknown>, a: string, b: string, flat: string): unknown {
  const nested = doc[a];
  if (nested !== null && typeof nested === 'object' && !Array.isArray(nested)) {
    const v = (nested as Record<string, unknown>)[b];
    if (v !== undefined && v !== null) return v;
  }
  const v = doc[flat];
  return v === null ? undefined : v;
}
