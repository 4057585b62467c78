import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The built package (`npm test` builds it first) loads through its `exports` map by name, from
 * CommonJS and from an ES module, as a consumer's app would load it.
 */
const root = join(__dirname, '..');

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

describe('the built package', () => {
  it('require()s both entry points', () => {
    const out = run([
      '-e',
      `const m = require('nest-cognito-auth'); const t = require('nest-cognito-auth/testing');
       console.log([typeof m.CognitoAuthModule.forRoot, typeof m.CognitoGuard, typeof t.CognitoTestIssuer.start].join())`,
    ]);
    expect(out).toBe('function,function,function');
  });

  it('import()s both entry points', () => {
    const out = run([
      '--input-type=module',
      '-e',
      `const m = await import('nest-cognito-auth'); const t = await import('nest-cognito-auth/testing');
       console.log([typeof m.CognitoAuthModule, typeof m.Groups, typeof t.CognitoTestIssuer].join())`,
    ]);
    expect(out).toBe('function,function,function');
  });

  it('exposes package.json', () => {
    expect(run(['-p', `require('nest-cognito-auth/package.json').name`])).toBe('nest-cognito-auth');
  });
});
