/** Unit tests live beside the code (*.spec.ts); end-to-end suites in test/ (*.e2e-spec.ts) use the real Redis. */
const moduleNameMapper = {
  '^@hub/(config|observability|store|webhook-core|providers|delivery|mcp)$': '<rootDir>/libs/$1/src',
};
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json', diagnostics: false }],
};
const common = { rootDir: __dirname, modulePathIgnorePatterns: ['<rootDir>/dist'], testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'], transform, moduleNameMapper };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
  // Global, not per project: jest ignores testTimeout inside a project entry.
  testTimeout: 30000,
  maxWorkers: 2,
};
