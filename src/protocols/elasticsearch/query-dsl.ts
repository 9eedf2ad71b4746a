import type { QueryNode } from '../../query/ast.js';
import { parseQuery, QuerySyntaxError } from '../../query/parse.js';
import { parseTimeExpr } from '../../query/time.js';
import { EsError } from './errors.js';

/**
 * The subset of the Elasticsearch query DSL that clients send for simple log searches, translated
 * into Sawmill's query AST (never into SQL text: values stay values). Supported: match_all,
 * match_none, query_string, match, match_phrase, term, terms, range, exists, prefix, wildcard,
 * ids and bool (must, filter, should, must_not, minimum_should_match). Anything else is a 400
 * naming the clause, so a client never gets silently different results.
 */
export function translateQuery(q: unknown, where = 'query'): QueryNode {
  if (q === undefined || q === null) return { kind: 'all' };
  const clause = object(q, where);
  const keys = Object.keys(clause);
  if (keys.length !== 1) {
    throw bad(`[${where}] must hold exactly one query clause, found [${keys.join(', ')}]`);
  }
  const type = keys[0]!;
  const body = clause[type];
  const at = `${where}.${type}`;
  switch (type) {
    case 'match_all':
      return { kind: 'all' };
    case 'match_none':
      return { kind: 'not', child: { kind: 'all' } };
    case 'query_string':
      return queryString(object(body, at), at);
    case 'bool':
      return bool(object(body, at), at);
    case 'match':
      return fieldClause(body, at, 'query', (field, value, opts) => match(field, value, opts.operator));
    case 'match_phrase':
      return fieldClause(body, at, 'query', (field, value) => ({ kind: 'phrase', field, value }));
    case 'term':
      return fieldClause(body, at, 'value', (field, value) => exact(field, value));
    case 'terms': {
      const [field, values] = single(object(body, at), at, ['boost']);
      if (!Array.isArray(values)) throw bad(`[${at}] expects an array of values for [${field}]`);
      return or(values.map((v) => exact(mapField(field), scalar(v, at))));
    }
    case 'range':
      return range(object(body, at), at);
    case 'exists': {
      const field = object(body, at).field;
      const name = typeof field === 'string' ? mapField(field) : null;
      if (name === null) throw bad(`[${at}] needs a "field" naming one field`);
      return { kind: 'exists', field: name };
    }
    case 'prefix':
      return fieldClause(body, at, 'value', (field, value) => ({
        kind: 'wildcard',
        field,
        pattern: `${escapeWildcard(value)}*`,
      }));
    case 'wildcard':
      return fieldClause(body, at, 'value', (field, value) => ({ kind: 'wildcard', field, pattern: value }), [
        'wildcard',
      ]);
    case 'ids': {
      const values = object(body, at).values;
      if (!Array.isArray(values)) throw bad(`[${at}] needs "values": [...]`);
      // Hits carry the client's own _id when it sent one, Sawmill's record id otherwise.
      return or(
        values.flatMap((v) => {
          const value = scalar(v, at);
          return [
            { kind: 'term', field: 'id', value },
            { kind: 'phrase', field: '_id', value },
          ] as QueryNode[];
        }),
      );
    }
    default:
      throw bad(
        `[${type}] queries are not supported by Sawmill's Elasticsearch API; use query_string with Sawmill's query language, or one of match, match_phrase, term, terms, range, exists, prefix, wildcard, ids, bool`,
      );
  }
}

/**
 * ES field names onto Sawmill's: `@timestamp` is the record's `timestamp`, `msg` its message, and
 * a `.keyword` sub-field (what Kibana and Grafana use for exact matches) is the field itself.
 */
export function mapField(name: string): string | null {
  const field = name.endsWith('.keyword') ? name.slice(0, -'.keyword'.length) : name;
  if (field === '@timestamp') return 'timestamp';
  if (field === 'msg') return 'message';
  if (field === '*' || field === '_all') return null;
  return field;
}

function queryString(body: Record<string, unknown>, at: string): QueryNode {
  if (typeof body.query !== 'string') throw bad(`[${at}] needs "query" as a string`);
  try {
    return parseQuery(body.query);
  } catch (err) {
    if (err instanceof QuerySyntaxError) {
      throw new EsError(
        400,
        'query_shard_exception',
        `Failed to parse query [${body.query}]: ${err.message}`,
      );
    }
    throw err;
  }
}

function bool(body: Record<string, unknown>, at: string): QueryNode {
  const list = (key: string): QueryNode[] => {
    const v = body[key];
    if (v === undefined) return [];
    return (Array.isArray(v) ? v : [v]).map((c, i) => translateQuery(c, `${at}.${key}[${i}]`));
  };
  const must = [...list('must'), ...list('filter')];
  const should = list('should');
  const mustNot = list('must_not');
  const parts: QueryNode[] = [...must, ...mustNot.map((child) => ({ kind: 'not', child }) as QueryNode)];
  // As in ES: with must/filter present, should clauses only score unless minimum_should_match says
  // otherwise; alone, at least one of them must match.
  const msm = body.minimum_should_match;
  const minShould = msm === undefined ? (must.length > 0 || mustNot.length > 0 ? 0 : 1) : Number(msm);
  if (!Number.isInteger(minShould) || minShould < 0) {
    throw bad(`[${at}.minimum_should_match] must be a whole number, got ${JSON.stringify(msm)}`);
  }
  if (should.length > 0 && minShould > 0) {
    if (minShould === 1) parts.push(or(should));
    else if (minShould >= should.length) parts.push(...should);
    else throw bad(`[${at}.minimum_should_match] other than 0, 1 or all clauses is not supported`);
  }
  if (parts.length === 0) return { kind: 'all' };
  return parts.length === 1 ? parts[0]! : { kind: 'and', children: parts };
}

function match(field: string | null, text: string, operator: unknown): QueryNode {
  if (field !== null && field !== 'message') return exact(field, text);
  const words = text.split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return { kind: 'all' };
  const nodes = words.map((value) => ({ kind: 'term', field, value }) as QueryNode);
  if (nodes.length === 1) return nodes[0]!;
  return String(operator ?? 'or').toLowerCase() === 'and' ? { kind: 'and', children: nodes } : or(nodes);
}

/** The exact value; on the message, the word or phrase (the message is full text). */
function exact(field: string | null, value: string): QueryNode {
  return { kind: 'phrase', field, value };
}

function range(body: Record<string, unknown>, at: string): QueryNode {
  const [name, spec] = single(body, at, []);
  const field = mapField(name);
  if (field === null) throw bad(`[${at}] needs a field name`);
  const b = object(spec, `${at}.${name}`);
  const node: Extract<QueryNode, { kind: 'range' }> = { kind: 'range', field };
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    if (b[op] !== undefined && b[op] !== null) node[op] = scalar(b[op], at);
  }
  // The pre-7 spelling: from/to with include_lower/include_upper.
  if (b.from !== undefined && b.from !== null)
    node[b.include_lower === false ? 'gt' : 'gte'] = scalar(b.from, at);
  if (b.to !== undefined && b.to !== null) node[b.include_upper === false ? 'lt' : 'lte'] = scalar(b.to, at);
  if (field === 'timestamp') {
    const now = Date.now();
    for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
      const v = node[op];
      if (v === undefined) continue;
      // ES date math rounds with `||`; Sawmill's relative times are the same `now-15m`, `now/d`.
      const text = v.replace(/\|\|$/, '');
      node[op] = text;
      try {
        parseTimeExpr(text, now);
      } catch (err) {
        throw bad(`[${at}.${name}.${op}]: ${(err as Error).message}`);
      }
    }
  }
  return node;
}

type ClauseOpts = Record<string, unknown>;

/** `{field: value}` or `{field: {<valueKey>: value, ...options}}`. */
function fieldClause(
  body: unknown,
  at: string,
  valueKey: string,
  build: (field: string | null, value: string, opts: ClauseOpts) => QueryNode,
  altKeys: string[] = [],
): QueryNode {
  const [name, spec] = single(object(body, at), at, []);
  const field = mapField(name);
  if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
    const opts = spec as ClauseOpts;
    const raw = [valueKey, ...altKeys].map((k) => opts[k]).find((v) => v !== undefined);
    if (raw === undefined) throw bad(`[${at}.${name}] needs "${valueKey}"`);
    return build(field, scalar(raw, at), opts);
  }
  return build(field, scalar(spec, at), {});
}

function single(body: Record<string, unknown>, at: string, ignore: string[]): [string, unknown] {
  const keys = Object.keys(body).filter((k) => !ignore.includes(k));
  if (keys.length !== 1) throw bad(`[${at}] expects exactly one field, found [${keys.join(', ')}]`);
  return [keys[0]!, body[keys[0]!]];
}

function scalar(v: unknown, at: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw bad(`[${at}] expects a string, number or boolean value, got ${JSON.stringify(v)}`);
}

function object(v: unknown, at: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(`[${at}] must be an object`);
  return v as Record<string, unknown>;
}

function or(nodes: QueryNode[]): QueryNode {
  if (nodes.length === 0) return { kind: 'not', child: { kind: 'all' } };
  return nodes.length === 1 ? nodes[0]! : { kind: 'or', children: nodes };
}

export function escapeWildcard(value: string): string {
  return value.replace(/[\\*?]/g, (c) => `\\${c}`);
}

function bad(reason: string): EsError {
  return new EsError(400, 'parsing_exception', reason);
}
