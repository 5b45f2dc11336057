/**
 * The import rule of docs/architecture.md, checked by `npm run lint`:
 * http, jobs, cli → app → domain, db, gateways, contract; db may use domain; domain imports nothing
 * of ours; and no import circle anywhere in src/ (type-only imports count: a circle of types is
 * still a circle a reader has to untangle).
 */
const layer = (name) => `^src/${name}/`;

/** A rule that `from` may not import any of `to`. */
const forbid = (name, from, to, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: layer(from) },
  to: { path: `^src/(${to.join('|')})/` },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import circle: split the shared part into its own file (see docs/architecture.md)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      comment: 'domain/ holds the pure rules of the spec: it imports nothing of ours but domain/',
      severity: 'error',
      from: { path: layer('domain') },
      to: { path: '^src/', pathNot: layer('domain') },
    },
    forbid('db-below-app', 'db', ['app', 'http', 'jobs', 'cli', 'contract'], 'db/ is the store: it never imports use-cases, routes, jobs or the CLI'),
    forbid('contract-below-app', 'contract', ['app', 'http', 'jobs', 'cli'], 'contract/ (public shapes) is imported by app, http and cli: it imports none of them'),
    forbid('app-below-http', 'app', ['http', 'cli', 'jobs'], 'use-cases never import routes, the CLI or the worker'),
    forbid('cli-not-http', 'cli', ['http'], 'the CLI uses use-cases and contract/, never route files'),
    forbid('http-not-jobs', 'http', ['jobs', 'cli'], 'routes call use-cases; the worker is wired in main.ts'),
    forbid('gateways-are-leaves', 'gateways', ['app', 'http', 'jobs', 'cli', 'contract'], 'gateways/ wrap the outside world behind small interfaces (the sandbox keeps its charges in db/)'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
