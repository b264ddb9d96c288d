/** @type {import('jest').Config} */
const common = {
  testEnvironment: 'node',
  // ts-jest compiles TypeScript without type checking (npm test runs tsc first);
  // @middy/core ships ES modules only, so it is compiled to CommonJS too.
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  moduleNameMapper: {
    '^#shared/(.*)$': '<rootDir>/shared/$1',
    '^#handlers/(.*)$': '<rootDir>/handlers/$1',
    '^#local/(.*)$': '<rootDir>/local/$1',
    '^#client/(.*)$': '<rootDir>/client/$1',
    '^#tools/(.*)$': '<rootDir>/tools/$1',
  },
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'infra',
      testMatch: ['<rootDir>/test/infra/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
    },
  ],
};
