/**
 * Jest in native ESM mode (fhir-kit-client and jose are ESM only). ts-jest transpiles each file on its
 * own (tsconfig isolatedModules); type-checking is `npm run lint`'s job.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transformIgnorePatterns: ['/node_modules/', '/profiles/generated/'],
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/data/'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  reporters: ['default', '<rootDir>/test/summary-reporter.cjs'],
  testTimeout: 60000,
  maxWorkers: 2,
};
