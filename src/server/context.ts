import type { IngestBuffer } from '../buffer/buffer.js';
import type { DeadLetterAdmin } from '../buffer/dead-letters.js';
import type { QueryCache } from '../cache/query-cache.js';
import type { ServerConfig } from '../config.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { Metrics } from '../metrics.js';
import type { IdGenerator } from '../model/id.js';
import type { OutputRecord } from '../model/record.js';
import type { QueryNode } from '../query/ast.js';
import type { SavedSearchStore } from '../saved-searches/store.js';
import type { Store } from '../store/store.js';

/**
 * What routes need, assembled once by server/start.ts (embedded) or cluster/start.ts. A node has
 * the parts of its roles: an ingest node has no tail or saved searches, a query node no pipeline,
 * and app.ts registers only the routes whose part is present.
 */
export interface BaseContext {
  config: ServerConfig;
  metrics: Metrics;
}

/** The write path. The store is there for what shippers read back (Elasticsearch `_search`, `_refresh`). */
export interface IngestContext extends BaseContext {
  buffer: IngestBuffer;
  pipeline: IngestPipeline;
  ids: IdGenerator;
  store: Store;
}

/** Live tail: embedded mode follows its own loads, cluster mode the workers' announcements. */
export interface TailSource {
  /**
   * Send `query`'s new matching records as they become durable. `resumeAfter` (a record id, from
   * Last-Event-ID) first sends what matched after it.
   */
  subscribe(query: QueryNode, send: (records: OutputRecord[]) => void, resumeAfter?: string): () => void;
  readonly size: number;
}

/** The read path: search API, tail, UI, saved searches, dead-letter admin (cluster only). */
export interface QueryContext extends BaseContext {
  store: Store;
  tail: TailSource;
  savedSearches: SavedSearchStore;
  deadLetters?: DeadLetterAdmin;
  /** Shared cache of histograms and field summaries over closed ranges (cluster mode). */
  cache?: QueryCache;
}

/** Embedded mode: one process has every part. */
export type ServerContext = IngestContext & QueryContext;

/** What buildApp gets: the parts this node runs, and how it reports readiness. */
export interface AppParts extends BaseContext {
  ingest?: IngestContext;
  query?: QueryContext;
  /** Roles named in /readyz and in the 404 of a route another role serves. */
  roles: readonly string[];
  ready(): { ready: boolean; [detail: string]: unknown };
}
