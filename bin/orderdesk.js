#!/usr/bin/env node
// `npx orderdesk …`: the operator CLI (src/cli/main.ts, TypeScript, no build step to run by hand).
//
// Start-up is kept light: the CLI's own modules (argument parsing, the command declarations, the
// admin API client, tables and bars) are bundled once with esbuild into node_modules/.cache and
// rebuilt whenever one of their sources changes; a command that talks to a server runs from that
// bundle alone. The direct mode's modules (database, use-cases) are loaded through tsx only when a
// command opens the database. Without esbuild it falls back to running everything through tsx.
import fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url);
const entry = fileURLToPath(new URL('src/cli/main.ts', root));
const cacheDir = fileURLToPath(new URL('node_modules/.cache/orderdesk-cli/', root));
const bundle = `${cacheDir}main.mjs`;
const manifest = `${cacheDir}inputs.json`;
const heavy = {
  context: new URL('src/cli/context.ts', root).href,
  direct: new URL('src/cli/direct.ts', root).href,
  server: new URL('src/main.ts', root).href,
};

/** The bundle exists and none of its inputs changed since it was built. */
function fresh() {
  try {
    const inputs = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    return (
      fs.existsSync(bundle) && inputs.length > 0 && inputs.every(([f, m]) => fs.statSync(f).mtimeMs === m)
    );
  } catch {
    return false;
  }
}

async function build() {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    external: ['./context.ts', './direct.ts', '../main.ts'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs).map((f) => {
    const abs = fileURLToPath(new URL(f, root));
    return [abs, fs.statSync(abs).mtimeMs];
  });
  fs.mkdirSync(cacheDir, { recursive: true });
  // written aside and renamed: another orderdesk starting at the same time never reads half a file
  const tmp = `${bundle}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, result.outputFiles[0].text);
  fs.renameSync(tmp, bundle);
  fs.writeFileSync(`${manifest}.${process.pid}.tmp`, JSON.stringify(inputs));
  fs.renameSync(`${manifest}.${process.pid}.tmp`, manifest);
}

let tsxRegistered = false;
async function viaTsx(href) {
  if (!tsxRegistered) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  return import(href);
}

let cli;
try {
  if (!fresh()) await build();
  cli = await import(pathToFileURL(bundle).href);
  cli.modules.load = (name) => viaTsx(heavy[name]);
} catch {
  cli = await viaTsx(pathToFileURL(entry).href);
}
cli.main(process.argv.slice(2));
