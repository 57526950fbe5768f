/** @type {import('jest').Config} */
// Type errors are caught once by `npm run typecheck`; Jest only transpiles, which is much faster.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.jest.json" }];
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": tsJest,
    // request-filtering-agent ships ES modules only; compile it to CommonJS for Jest.
    "^.+/node_modules/request-filtering-agent/.+\\.js$": ["ts-jest", { tsconfig: { allowJs: true, module: "commonjs", esModuleInterop: true } }],
  },
  transformIgnorePatterns: ["/node_modules/(?!request-filtering-agent/)"],
  globalSetup: "<rootDir>/test/helpers/global-setup.ts",
  testTimeout: 30000,
  maxWorkers: 2,
};
