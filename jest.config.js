// ESM mode: @actions/core 3 and @actions/github 9 ship only ESM.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // The Ceph RGW tier needs root and apt; it runs with `npm run test:interop`.
  testPathIgnorePatterns: ['/node_modules/', '/__tests__/interop/'],
  extensionsToTreatAsEsm: ['.ts'],
  // ts-jest rewrites our `./x.ts` imports to `./x.js`; map them back to the sources.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testTimeout: 30000
};
