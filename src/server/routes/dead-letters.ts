import type { FastifyInstance } from 'fastify';
import type { DeadLetterAdmin } from '../../buffer/dead-letters.js';
import { ApiError } from '../errors.js';
import { jsonBody } from '../json-body.js';
import { intParam, type RawParams } from '../params.js';

const BODY_LIMIT = 1024 * 1024;
const MAX_KEYS = 10_000;

/**
 * `/api/v1/dead-letters` (cluster mode): batches a worker could not load after its retries, kept
 * in the broker's dead-letter queue with the reason. Listed without being consumed; replayed to
 * the ingest queue (their keys make a replay of an already-loaded batch harmless) or dropped.
 */
export function registerDeadLetterRoutes(app: FastifyInstance, dead: DeadLetterAdmin): void {
  app.get('/api/v1/dead-letters', async (req) => {
    const limit = intParam(req.query as RawParams, 'limit', 100, 1, 1000);
    const [count, deadLetters] = await Promise.all([dead.count(), dead.list(limit)]);
    return { count, deadLetters };
  });

  app.post('/api/v1/dead-letters/replay', { bodyLimit: BODY_LIMIT }, async (req) => {
    const keys = keysOf(jsonBody(req, { value: {} }), false);
    return { replayed: await dead.replay(keys) };
  });

  app.post('/api/v1/dead-letters/drop', { bodyLimit: BODY_LIMIT }, async (req) => {
    const keys = keysOf(jsonBody(req, 'send {"keys": [...]} naming the dead letters to drop'), true);
    return { dropped: await dead.drop(keys!) };
  });
}

/** `{"keys": ["…"]}`; without keys (replay only) every dead letter is meant. */
function keysOf(body: unknown, required: boolean): string[] | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ApiError('invalid_body', 'expected a JSON object like {"keys": ["…"]}');
  const keys = (body as { keys?: unknown }).keys;
  if (keys === undefined && !required) return undefined;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    keys.length > MAX_KEYS ||
    !keys.every((k) => typeof k === 'string' && k.length > 0 && k.length <= 200)
  ) {
    throw new ApiError(
      'invalid_body',
      `"keys" must be a list of 1 to ${MAX_KEYS} dead-letter keys (strings)`,
    );
  }
  return keys as string[];
}
