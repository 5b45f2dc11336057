/**
 * Writes the document the server serves at /openapi.json to a file, for `npm run lint:openapi`
 * (redocly): an app on an in-memory database, asked as a client would ask it.
 *   node --import tsx scripts/write-openapi.ts .tmp/openapi.json
 */
import fs from 'node:fs';
import path from 'node:path';
import { openPglite } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { buildApp } from '../src/http/app.ts';
import { makeDeps } from '../test/support/harness.ts';

const out = process.argv[2] ?? '.tmp/openapi.json';
const db = await openPglite();
await migrate(db);
const app = await buildApp((await makeDeps(db)).deps);
const res = await app.inject({ method: 'GET', url: '/openapi.json' });
if (res.statusCode !== 200) throw new Error(`GET /openapi.json: ${res.statusCode} ${res.body}`);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify(res.json(), null, 2)}\n`);
await app.close();
await db.close();
console.log(`wrote ${out}`);
