/** Customer subusers: proxy credentials, caps and usage per bandwidth product (SPEC §2). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import type { CapsInput } from '../../app/subusers/create-subuser.ts';
import { createSubuser } from '../../app/subusers/create-subuser.ts';
import { findSubuser, searchSubusers } from '../../app/subusers/find-subuser.ts';
import { updateSubuser } from '../../app/subusers/update-subuser.ts';
import { listOf, page } from '../../contract/list.ts';
import { presentSubuser, subuserSchema } from '../../contract/subuser.ts';
import { CAP_GB_MAX, gbToBytes, PROXY_PASSWORD, TRAFFIC_PRODUCTS, USERNAME } from '../../domain/traffic.ts';
import { reply } from '../errors.ts';
import { displayText, idParam, listQuery } from '../schemas.ts';

const capGb = z
  .number()
  .min(0)
  .max(CAP_GB_MAX)
  .refine((n) => gbToBytes(n) !== null, 'a GB amount with at most 3 decimals')
  .nullable()
  .optional()
  .describe('cap in GB (up to 3 decimals); null removes the cap');

const capsSchema = z
  .strictObject({ residential: capGb, mobile: capGb })
  .describe('usage caps per bandwidth product');

const username = z
  .string()
  .regex(USERNAME, 'must be 3 to 32 of a-z, 0-9, _ and -, not starting with sub_')
  .describe('proxy username, unique across the system; default: generated');

const password = z
  .string()
  .regex(PROXY_PASSWORD, 'must be 8 to 64 of A-Z, a-z, 0-9, ., _, ~ and -')
  .describe('proxy password; default: a random one');

const createBody = z.strictObject({
  name: displayText(200).optional(),
  username: username.optional(),
  password: password.optional(),
  caps: capsSchema.optional(),
});

const updateBody = z.strictObject({
  name: displayText(200).nullable().optional(),
  password: password.optional(),
  status: z.enum(['active', 'disabled']).optional(),
  caps: capsSchema.optional(),
});

function capsToBytes(caps: z.infer<typeof capsSchema> | undefined): CapsInput | undefined {
  if (!caps) return undefined;
  const out: CapsInput = {};
  for (const product of TRAFFIC_PRODUCTS) {
    const gb = caps[product];
    if (gb !== undefined) out[product] = gb === null ? null : gbToBytes(gb);
  }
  return out;
}

export function subuserRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/subusers',
    {
      schema: {
        operationId: 'createSubuser',
        tags: ['subusers'],
        summary: 'Create a subuser (proxy credentials, optional caps)',
        body: createBody.nullish(),
        response: { 200: subuserSchema },
        errors: ['username_taken'],
      },
    },
    async (req, res) => {
      const b = req.body ?? {};
      const caps = capsToBytes(b.caps);
      const result = await createSubuser(deps, {
        accountId: req.accountId,
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.username !== undefined ? { username: b.username } : {}),
        ...(b.password !== undefined ? { password: b.password } : {}),
        ...(caps ? { caps } : {}),
        ...(req.idem ? { idem: req.idem } : {}),
      });
      return reply(res, result, presentSubuser);
    },
  );
  r.get(
    '/v1/subusers',
    {
      schema: {
        operationId: 'listSubusers',
        tags: ['subusers'],
        summary: 'List subusers, newest first',
        querystring: listQuery,
        response: { 200: listOf(subuserSchema) },
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await searchSubusers(deps, req.accountId, {
        limit: q.limit,
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
      });
      return reply(res, result, (rows) => page(rows, q.limit, presentSubuser));
    },
  );
  r.get(
    '/v1/subusers/:id',
    {
      schema: {
        operationId: 'getSubuser',
        tags: ['subusers'],
        summary: 'Retrieve a subuser with its usage per product',
        params: idParam,
        response: { 200: subuserSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => reply(res, await findSubuser(deps, req.accountId, req.params.id), presentSubuser),
  );
  r.patch(
    '/v1/subusers/:id',
    {
      schema: {
        operationId: 'updateSubuser',
        tags: ['subusers'],
        summary: 'Update a subuser: name, password, status, caps',
        params: idParam,
        body: updateBody,
        response: { 200: subuserSchema },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) => {
      const b = req.body;
      const caps = capsToBytes(b.caps);
      const result = await updateSubuser(deps, {
        accountId: req.accountId,
        id: req.params.id,
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.password !== undefined ? { password: b.password } : {}),
        ...(b.status !== undefined ? { status: b.status } : {}),
        ...(caps ? { caps } : {}),
      });
      return reply(res, result, presentSubuser);
    },
  );
}
