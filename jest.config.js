/** Unit tests live beside the code (*.spec.ts); end-to-end suites in test/ (*.e2e-spec.ts) use the real Redis. */
const moduleNameMapper = {
  '^@hub/(config|observability|store|webhook-core|providers|delivery|mcp|approvals)$': '<rootDir>/libs/$1/src',
};
// content-disposition 3 (under @fastify/static) ships only ESM, which Node 20 requires natively but jest's
// module loader does not: ts-jest compiles that one package to CommonJS.
const ESM_ONLY = ['content-disposition'];
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json', diagnostics: false }],
  [`node_modules/(.+/)?(${ESM_ONLY.join('|')})/.+\\.js$`]: ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs' }, diagnostics: false }],
};
const transformIgnorePatterns = [`/node_modules/(?!(.+/)?(${ESM_ONLY.join('|')})/)`];
const common = { rootDir: __dirname, modulePathIgnorePatterns: ['<rootDir>/dist'], testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'], transform, transformIgnorePatterns, moduleNameMapper };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    // HTTP_ADAPTER=fastify must behave exactly as Express: the same suites run again on it.
    { ...common, displayName: 'e2e-fastify', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'], setupFiles: ['<rootDir>/test/setup/fastify-adapter.ts'] },
    // npm run test:chaos (crashes, restarts, fuzzing against hub processes; CI runs it after npm test).
    { ...common, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'] },
    // npm run test:cluster (the hub on a three-master Redis Cluster the suite starts; CI runs it).
    { ...common, displayName: 'cluster', testMatch: ['<rootDir>/test/cluster/**/*.cluster-spec.ts'] },
  ],
  // Global, not per project: jest ignores testTimeout inside a project entry.
  testTimeout: 30000,
  maxWorkers: 2,
};
