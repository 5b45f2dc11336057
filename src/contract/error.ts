/**
 * The error envelope (SPEC §1): `{"error": {code, message, param?, request_id}}`, written by
 * http/errors.ts. Some codes add machine-readable detail next to those fields (a card decline's
 * `decline_code`, an object's `status`, the `available` stock …), hence a loose object.
 */
import { z } from 'zod';
import type { ErrorCode } from '../domain/errors.ts';

/** The envelope for a response that carries one of `codes`. */
export function errorEnvelope(codes: readonly [ErrorCode, ...ErrorCode[]]) {
  return z.object({
    error: z.looseObject({
      code: z.enum(codes),
      message: z.string().describe('for people; may change, match on code'),
      param: z.string().optional().describe('the request field the error is about'),
      request_id: z.string().describe('also in the Request-Id header'),
    }),
  });
}
