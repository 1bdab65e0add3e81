/**
 * The layers of docs/architecture.md, checked by `npm run check:layers` (run by .ci/run). Type-only imports
 * count: a layer must not even name another's types.
 */
// Pure libraries the domain may use: no I/O, no globals (phone numbers, RE2 patterns, HTML entities, time zones).
const DOMAIN_LIBRARIES = '(^|/)node_modules/(libphonenumber-js|re2js|entities|luxon)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports only src/domain, node built-ins and the pure libraries named in DOMAIN_LIBRARIES.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', DOMAIN_LIBRARIES], dependencyTypesNot: ['core'] },
    },
    {
      name: 'app-talks-to-ports',
      comment: 'src/app (use cases) imports only src/app, src/ports, src/domain, src/types and node built-ins: never adapters, http or config.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { pathNot: ['^src/(app|ports|domain|types)/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'ports-name-only-the-domain',
      comment: 'src/ports imports only src/ports, src/domain, src/types and node built-ins.',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: { pathNot: ['^src/(ports|domain|types)/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'console-shares-only-the-domain',
      comment: 'The console (web/src) imports only web/src, src/domain and npm packages (preact): no server code, no node built-ins.',
      severity: 'error',
      from: { path: '^web/src/' },
      to: { pathNot: ['^web/src/', '^src/domain/', '(^|/)node_modules/'] },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles: they blur which layer depends on which.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'resolvable',
      comment: 'Every import resolves (a typo would otherwise slip past the layer rules).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.d.ts'] },
  },
};
