/**
 * Builds the migrated PGlite template a fresh DATA_DIR starts from (src/pglite-template.ts) when
 * the one for the current migrations is missing. Part of `npm start`'s prestart, compiled by
 * scripts/build-server.mjs; also `node --import tsx scripts/build-pglite-template.ts`.
 */
import { ensureTemplate } from '../src/pglite-template.ts';

const t0 = performance.now();
const { dir, built } = await ensureTemplate();
if (built)
  console.log(
    `migrated database template built in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${dir}`,
  );
