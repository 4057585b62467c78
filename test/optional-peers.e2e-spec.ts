import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * GraphQL, WebSocket, terminus and metrics support must not make their packages required: an HTTP-only
 * app runs the built package (`npm test` builds it first) with `graphql`, `@nestjs/graphql`,
 * `@nestjs/websockets`, `@nestjs/terminus` and `@opentelemetry/api` impossible to require. The main entry
 * points never try the first four (`nest-cognito-auth/terminus` alone needs `@nestjs/terminus`); they try
 * `@opentelemetry/api` once (metrics are on by default when it is installed), and go on without it.
 */
describe('an app without the GraphQL, WebSocket and OpenTelemetry packages', () => {
  it('verifies tokens over HTTP and never requires them but once the OpenTelemetry API', () => {
    const out = execFileSync(process.execPath, [join(__dirname, 'support', 'without-optional-peers.cjs')], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
    });
    const { results, attempts, terminus, metricsTrue } = JSON.parse(out) as {
      results: unknown[];
      attempts: string[];
      terminus: string;
      metricsTrue: unknown;
    };
    expect(results).toEqual([
      [200, { sub: 'u-1' }],
      [401, { statusCode: 401, message: 'Missing bearer token', error: 'Unauthorized' }],
      [200, { sub: null }],
      [401, { statusCode: 401, message: 'Token expired', error: 'Unauthorized' }],
    ]);
    expect(attempts).toEqual(['@opentelemetry/api']);
    expect(terminus).toMatch(/^Cannot find module '@nestjs\/terminus'/);
    // `metrics: true` without the package fails the start, naming the option.
    expect(metricsTrue).toEqual({ name: 'CognitoConfigError', option: 'metrics' });
  });
});
