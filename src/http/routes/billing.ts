/** (being written) */
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../app/deps.ts';

export function billingRoutes(_app: FastifyInstance, _deps: Deps) {}
