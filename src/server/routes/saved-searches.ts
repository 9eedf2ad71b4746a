import type { FastifyInstance } from 'fastify';
import { SavedSearchLimitError } from '../../saved-searches/store.js';
import { validateSavedSearch } from '../../saved-searches/validate.js';
import type { QueryContext } from '../context.js';
import { ApiError } from '../errors.js';
import { jsonBody } from '../json-body.js';

/** A saved search is a few hundred bytes; anything near this is not one. */
const BODY_LIMIT = 64 * 1024;

/** `/api/v1/saved-searches`: list, create, read and delete saved searches (docs/api.md). */
export function registerSavedSearchRoutes(app: FastifyInstance, ctx: QueryContext): void {
  const store = ctx.savedSearches;

  app.get('/api/v1/saved-searches', async () => ({ searches: await store.list() }));

  app.post('/api/v1/saved-searches', { bodyLimit: BODY_LIMIT }, async (req, reply) => {
    const body = jsonBody(req, 'send a JSON object with "name" and "query"');
    try {
      const saved = await store.create(validateSavedSearch(body));
      return reply.code(201).header('location', `/api/v1/saved-searches/${saved.id}`).send(saved);
    } catch (err) {
      if (err instanceof SavedSearchLimitError) throw new ApiError('invalid_body', err.message);
      throw err;
    }
  });

  app.get('/api/v1/saved-searches/:id', async (req) => {
    const { id } = req.params as { id: string };
    const saved = await store.get(id);
    if (!saved) throw new ApiError('not_found', `no saved search with id ${JSON.stringify(id)}`);
    return saved;
  });

  app.delete('/api/v1/saved-searches/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!(await store.delete(id))) {
      throw new ApiError('not_found', `no saved search with id ${JSON.stringify(id)}`);
    }
    return reply.code(204).send();
  });
}
