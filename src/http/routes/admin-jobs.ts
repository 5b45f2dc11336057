/** Operators: the job queue — list jobs by state (failed ones above all) and retry a failed one. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { findJob, searchJobs } from '../../app/job-queue/list-jobs.ts';
import { retryJob } from '../../app/job-queue/retry-job.ts';
import { jobSchema, presentJob } from '../../contract/job.ts';
import { listOf, page } from '../../contract/list.ts';
import { reply } from '../errors.ts';

const jobId = z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

export function adminJobRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/admin/v1/jobs',
    {
      schema: {
        operationId: 'listJobs',
        tags: ['admin'],
        summary: 'Jobs of the queue in a state (failed by default), newest first',
        querystring: z.strictObject({
          state: z.enum(['failed', 'due', 'running', 'scheduled', 'done']).default('failed'),
          kind: z.string().min(1).max(64).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
          starting_after: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
        }),
        response: { 200: listOf(jobSchema) },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await searchJobs(deps, {
        state: q.state,
        limit: q.limit,
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
      });
      const now = await deps.clock.now();
      return page(rows, q.limit, (j) => presentJob(j, now));
    },
  );
  r.get(
    '/admin/v1/jobs/:id',
    {
      schema: {
        operationId: 'getJob',
        tags: ['admin'],
        summary: 'A job of the queue',
        params: jobId,
        response: { 200: jobSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => {
      const now = await deps.clock.now();
      return reply(res, await findJob(deps, req.params.id), (j) => presentJob(j, now));
    },
  );
  r.post(
    '/admin/v1/jobs/:id/retry',
    {
      schema: {
        operationId: 'retryJob',
        tags: ['admin'],
        summary: 'Run a failed job again, due now with fresh attempts',
        params: jobId,
        response: { 200: jobSchema },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) => {
      const retried = await retryJob(deps, req.params.id);
      // the state as of after the retry (due from `at`, read inside retryJob)
      const now = await deps.clock.now();
      return reply(res, retried, (j) => presentJob(j, now));
    },
  );
}
