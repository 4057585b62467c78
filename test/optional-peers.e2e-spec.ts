import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * GraphQL and WebSocket support must not make their packages required: an HTTP-only app runs the
 * built package (`npm test` builds it first) with `graphql`, `@nestjs/graphql` and
 * `@nestjs/websockets` impossible to require, and the module never tries.
 */
describe('an app without the GraphQL and WebSocket packages', () => {
  it('verifies tokens over HTTP and never requires them', () => {
    const out = execFileSync(process.execPath, [join(__dirname, 'support', 'without-optional-peers.cjs')], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
    });
    const { results, attempts } = JSON.parse(out) as { results: unknown[]; attempts: string[] };
    expect(results).toEqual([
      [200, { sub: 'u-1' }],
      [401, { statusCode: 401, message: 'Missing bearer token', error: 'Unauthorized' }],
      [200, { sub: null }],
      [401, { statusCode: 401, message: 'Token expired', error: 'Unauthorized' }],
    ]);
    expect(attempts).toEqual([]);
  });
});
