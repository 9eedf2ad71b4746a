import type { Candidate } from '../../ingest/candidate.js';
import type { IngestOutcome } from '../../ingest/pipeline.js';
import { mapEsDocument } from './ecs.js';
import { EsError } from './errors.js';

/**
 * The `_bulk` NDJSON body: action lines (`{"index":{...}}`, `{"create":{...}}`, ...) each
 * followed by a document line, except `delete`. Only `index` and `create` store anything; Sawmill
 * is append-only, so `update` and `delete` get a per-item error and the rest of the batch is kept.
 */
export type BulkAction = 'index' | 'create' | 'update' | 'delete';

export interface BulkItem {
  action: BulkAction;
  index: string | undefined;
  /** The client's `_id`, echoed in the reply (Sawmill assigns its own record id). */
  clientId: string | undefined;
  /** Set when this item is refused before it reaches the pipeline. */
  error?: { type: string; reason: string };
  /** 1-based line of the action. */
  line: number;
}

export interface ParsedBulk {
  items: BulkItem[];
  /** One per item that reaches the pipeline, in order; `itemOf[i]` is its position in `items`. */
  candidates: Candidate[];
  itemOf: number[];
}

const ACTIONS = new Set<string>(['index', 'create', 'update', 'delete']);

/**
 * Parses the whole body before anything is stored. A malformed action line makes the rest of the
 * body impossible to pair up, so, as in Elasticsearch, it fails the request (400, nothing stored);
 * a broken document only fails its own item.
 */
export function parseBulk(text: string, pathIndex: string | undefined): ParsedBulk {
  const items: BulkItem[] = [];
  const candidates: Candidate[] = [];
  const itemOf: number[] = [];
  let pos = 0;
  let lineNo = 0;
  /** The next non-blank line, or undefined at the end. Blank lines are tolerated anywhere. */
  const nextLine = (): string | undefined => {
    while (pos < text.length) {
      let end = text.indexOf('\n', pos);
      if (end === -1) end = text.length;
      lineNo++;
      let line = text.slice(pos, end);
      pos = end + 1;
      if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      if (line.trim() !== '') return line;
    }
    return undefined;
  };

  // Shippers repeat the same action line for every document: parse each distinct one once.
  let lastActionText = '';
  let last: { action: BulkAction; index: string | undefined; clientId: string | undefined } | undefined;
  for (let actionLine = nextLine(); actionLine !== undefined; actionLine = nextLine()) {
    const line = lineNo;
    if (last === undefined || actionLine !== lastActionText) {
      const { action, meta } = parseAction(actionLine, line);
      last = {
        action,
        index: typeof meta._index === 'string' && meta._index !== '' ? meta._index : pathIndex,
        clientId: typeof meta._id === 'string' || typeof meta._id === 'number' ? String(meta._id) : undefined,
      };
      lastActionText = actionLine;
    }
    const { action, index, clientId } = last;
    const item: BulkItem = { action, index, clientId, line };
    items.push(item);
    if (action === 'delete') {
      item.error = unsupported('delete');
      continue;
    }
    const source = nextLine();
    if (source === undefined) {
      item.error = {
        type: 'action_request_validation_exception',
        reason: `the ${action} action on line ${line} has no document line after it`,
      };
      continue;
    }
    if (action === 'update') {
      item.error = unsupported('update');
      continue;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(source);
    } catch (err) {
      item.error = {
        type: 'document_parsing_exception',
        reason: `line ${lineNo}: ${(err as Error).message}`,
      };
      continue;
    }
    itemOf.push(items.length - 1);
    candidates.push({
      value:
        doc !== null && typeof doc === 'object' && !Array.isArray(doc)
          ? mapEsDocument(doc as Record<string, unknown>, index, clientId)
          : doc,
      line: lineNo,
    });
  }
  if (items.length === 0) {
    throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
  }
  return { items, candidates, itemOf };
}

function parseAction(text: string, line: number): { action: BulkAction; meta: Record<string, unknown> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw malformed(line, `it is not JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw malformed(line, 'expected START_OBJECT');
  }
  const keys = Object.keys(parsed);
  if (keys.length !== 1 || !ACTIONS.has(keys[0]!)) {
    throw malformed(line, `expected one of [create, delete, index, update] but found [${keys.join(', ')}]`);
  }
  const action = keys[0] as BulkAction;
  const meta = (parsed as Record<string, unknown>)[action];
  // `_type`, `op_type`, `pipeline`, `routing` and any other metadata are accepted and ignored.
  return {
    action,
    meta:
      meta !== null && typeof meta === 'object' && !Array.isArray(meta)
        ? (meta as Record<string, unknown>)
        : {},
  };
}

function malformed(line: number, why: string): EsError {
  return new EsError(400, 'illegal_argument_exception', `Malformed action/metadata line [${line}], ${why}`);
}

function unsupported(action: string): { type: string; reason: string } {
  return {
    type: 'illegal_argument_exception',
    reason: `${action} is not supported: Sawmill stores logs append-only (use index or create)`,
  };
}

/**
 * The reply, built as text: compact JSON that begins exactly `{"took":N,"errors":B,"items":[`,
 * which some shippers match as text before parsing. Items are in request order, with what
 * clients read (`status`, `error`, `_id`, `_index`, `result`); `_shards`/`_seq_no` are left out,
 * as Elasticsearch itself does under `filter_path`, since nothing replicates here and they would
 * double the reply's size.
 */
export function bulkReply(parsed: ParsedBulk, outcome: IngestOutcome, tookMs: number): string {
  const { items, itemOf } = parsed;
  const stored: Array<string | null> = new Array(items.length).fill(null);
  const refused: Array<{ type: string; reason: string } | undefined> = items.map((it) => it.error);
  itemOf.forEach((itemIndex, candidateIndex) => {
    stored[itemIndex] = outcome.ids[candidateIndex] ?? null;
  });
  for (const e of outcome.errors) {
    const itemIndex = itemOf[e.index]!;
    refused[itemIndex] = { type: 'document_parsing_exception', reason: `${e.code}: ${e.message}` };
  }
  let errors = false;
  const parts: string[] = new Array(items.length);
  let lastIndex: string | undefined;
  let idx = '""';
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (i === 0 || it.index !== lastIndex) {
      idx = JSON.stringify(it.index ?? '');
      lastIndex = it.index;
    }
    const id = stored[i];
    const err = refused[i];
    if (id === null || err) {
      errors = true;
      const e = err ?? { type: 'exception', reason: 'not stored' };
      parts[i] =
        `{"${it.action}":{"_index":${idx},"_id":${it.clientId === undefined ? 'null' : JSON.stringify(it.clientId)},"status":400,"error":{"type":${JSON.stringify(e.type)},"reason":${JSON.stringify(e.reason)}}}}`;
    } else {
      parts[i] =
        `{"${it.action}":{"_index":${idx},"_id":${JSON.stringify(it.clientId ?? id)},"_version":1,"result":"created","status":201}}`;
    }
  }
  return `{"took":${Math.round(tookMs)},"errors":${errors},"items":[${parts.join(',')}]}`;
}
