/** Monthly statements of postpaid charges (issue 11): list and get, the account's own only. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { findStatement, searchStatements } from '../../app/statements/list-statements.ts';
import { listOf, page } from '../../contract/list.ts';
import { presentStatement, statementSchema } from '../../contract/statement.ts';
import { reply } from '../errors.ts';
import { idParam, listQuery } from '../schemas.ts';

export function statementRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/billing/statements',
    {
      schema: {
        operationId: 'listStatements',
        tags: ['billing'],
        summary: 'Your monthly statements of postpaid charges, newest month first',
        querystring: listQuery,
        response: { 200: listOf(statementSchema) },
      },
    },
    async (req) => {
      const rows = await searchStatements(deps, req.accountId, {
        limit: req.query.limit,
        ...(req.query.starting_after ? { startingAfter: req.query.starting_after } : {}),
      });
      return page(rows, req.query.limit, presentStatement);
    },
  );
  r.get(
    '/v1/billing/statements/:id',
    {
      schema: {
        operationId: 'getStatement',
        tags: ['billing'],
        summary: 'A monthly statement',
        params: idParam,
        response: { 200: statementSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => reply(res, await findStatement(deps, req.accountId, req.params.id), presentStatement),
  );
}
