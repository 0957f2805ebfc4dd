// client-node is ESM-only, so jest runs in ESM mode (node --experimental-vm-modules, see package.json).
const common = {
  preset: "ts-jest/presets/default-esm",
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: { "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }] },
};

/** @type {import("jest").Config} */
export default {
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      globalSetup: "<rootDir>/test/cluster/global-setup.js",
      globalTeardown: "<rootDir>/test/cluster/global-teardown.js",
      setupFilesAfterEnv: ["<rootDir>/test/integration/setup.ts"],
    },
    {
      ...common,
      // Real NGINX, Traefik, Envoy and Chromium against a routable plane, in a network namespace of its own.
      displayName: "e2e",
      testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
      globalSetup: "<rootDir>/test/e2e/global-setup.js",
      globalTeardown: "<rootDir>/test/e2e/global-teardown.js",
      setupFilesAfterEnv: ["<rootDir>/test/e2e/setup.ts"],
    },
  ],
};
