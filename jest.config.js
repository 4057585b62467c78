/**
 * Nest 12 and jose 6 (under jwks-rsa 4) ship as ES modules only. Jest runs CommonJS, so @swc/jest
 * transpiles those packages too; everything else in node_modules is left alone.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/test'],
  testRegex: '\\.(spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|uid|load-esm|file-type|jose)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 20000,
};
