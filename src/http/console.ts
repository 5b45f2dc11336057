/**
 * The web console (SPEC §10), served by the API process at `/` from web/dist (built by
 * `npm run build:web`, or by `npm start` when missing). Files under /assets are immutable (their
 * names carry a hash); any other GET that is not an API path answers index.html, so the
 * console's own routes (/orders, /residential/buy …) load on a reload. Without a build the
 * console is simply absent and `/` is the API's 404.
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const DIST = path.resolve(import.meta.dirname, '../../web/dist');
/** Paths that belong to the API, its docs and the probes: never the console's index.html. */
const API_PATHS = /^\/(v1|admin|docs|openapi\.json|healthz|readyz|metrics)(\/|$|\?)/;

export function consoleBuilt(dir = DIST): boolean {
  return fs.existsSync(path.join(dir, 'index.html'));
}

/** Registers the console's files; returns the fallback for the not-found handler, or null. */
export async function registerConsole(
  app: FastifyInstance,
  dir = DIST,
): Promise<((req: FastifyRequest, reply: FastifyReply) => boolean) | null> {
  if (!consoleBuilt(dir)) return null;
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    // a route per file found at start, not one wildcard: a wildcard would also catch the API's
    // paths that no route matches (a path parameter past the router's limit must stay a 400)
    wildcard: false,
    index: false,
    setHeaders: (res, file) => {
      res.header(
        'Cache-Control',
        file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
    schemaHide: true,
  });
  return (req, reply) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || API_PATHS.test(req.url)) return false;
    void reply.header('Cache-Control', 'no-cache').type('text/html').sendFile('index.html');
    return true;
  };
}
