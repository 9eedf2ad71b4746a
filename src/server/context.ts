import type { IngestBuffer } from '../buffer/buffer.js';
import type { ServerConfig } from '../config.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { Metrics } from '../metrics.js';
import type { IdGenerator } from '../model/id.js';
import type { SavedSearchStore } from '../saved-searches/store.js';
import type { Store } from '../store/store.js';
import type { TailHub } from './tail-hub.js';

/** Everything a route needs, assembled once by server/start.ts. */
export interface ServerContext {
  config: ServerConfig;
  store: Store;
  buffer: IngestBuffer;
  pipeline: IngestPipeline;
  metrics: Metrics;
  tail: TailHub;
  ids: IdGenerator;
  savedSearches: SavedSearchStore;
}
