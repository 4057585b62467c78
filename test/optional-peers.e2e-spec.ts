import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * GraphQL, WebSocket and terminus support must not make their packages required: an HTTP-only app runs
 * the built package (`npm test` builds it first) with `graphql`, `@nestjs/graphql`,
 * `@nestjs/websockets` and `@nestjs/terminus` impossible to require, and the main entry points never
 * try; `nest-cognito-auth/terminus` alone needs `@nestjs/terminus`.
 */
describe('an app without the GraphQL and WebSocket packages', () => {
  it('verifies tokens over HTTP and never requires them', () => {
    const out = execFileSync(process.execPath, [join(__dirname, 'support', 'without-optional-peers.cjs')], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
    });
    const { results, attempts, terminus } = JSON.parse(out) as {
      results: unknown[];
      attempts: string[];
      terminus: string;
    };
    expect(results).toEqual([
      [200, { sub: 'u-1' }],
      [401, { statusCode: 401, message: 'Missing bearer token', error: 'Unauthorized' }],
      [200, { sub: null }],
      [401, { statusCode: 401, message: 'Token expired', error: 'Unauthorized' }],
    ]);
    expect(attempts).toEqual([]);
    expect(terminus).toMatch(/^Cannot find module '@nestjs\/terminus'/);
  });
});
