/** `GET /v1/billing/statements` and `…/{id}`: an account's monthly statements. */
import { getStatement, listStatements, type Statement } from '../../db/statements.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';

export async function searchStatements(
  deps: Deps,
  accountId: string,
  page: { limit: number; startingAfter?: string },
): Promise<Statement[]> {
  return listStatements(deps.db, accountId, { ...page, limit: page.limit + 1 });
}

export async function findStatement(deps: Deps, accountId: string, id: string): Promise<Result<Statement>> {
  const s = await getStatement(deps.db, id, accountId);
  return s ? ok(s) : err('not_found', `No such statement: ${id}`, { param: 'id' });
}
