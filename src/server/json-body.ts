import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/**
 * The JSON body of an admin request. The app takes every body as raw bytes (each ingest protocol
 * decodes its own), so the few JSON endpoints parse here, with the position of a syntax error.
 * `empty` is what an empty body means, or the message of its 400 when a body is required.
 */
export function jsonBody(req: FastifyRequest, empty: { value: unknown } | string): unknown {
  const raw = req.body instanceof Buffer ? req.body.toString('utf8') : '';
  if (raw.trim() === '') {
    if (typeof empty === 'string') throw new ApiError('empty_body', empty);
    return empty.value;
  }
  try {
    return JSON.parse(raw);
  } catch (err) {
    const position = Number(/position (\d+)/.exec((err as Error).message)?.[1]);
    throw new ApiError(
      'invalid_body',
      `the body is not JSON: ${(err as Error).message}`,
      Number.isFinite(position) ? { position } : undefined,
    );
  }
}
