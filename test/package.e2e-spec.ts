import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The package as a consumer gets it: `npm pack` of the built tree (`npm test` builds first), installed
 * from the tarball into a new project beside the peers it asks for (at the versions this tree runs, so
 * the Nest 11 leg of `.ci/run` checks Nest 11), then loaded by name from CommonJS and from an ES module,
 * type-checked and compiled by TypeScript (`module: nodenext`), and run as a small Nest app.
 */
const root = join(__dirname, '..');
const INSTALL_TIMEOUT_MS = 180_000;

/** The version of `name` installed for this tree, so the consumer installs the same one. */
function installedVersion(name: string): string {
  // Looked up the way Node walks node_modules folders: not every package exports its package.json.
  for (let dir = root; ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed`);
  }
}

/** Runs a command to completion; a failure carries its output, so the test report shows why. */
function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
}

const CONSUMER_TS = `
import 'reflect-metadata';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CognitoAuthModule, CognitoGuard, CognitoUser, Groups, type CognitoJwtPayload } from 'nest-cognito-auth';
import { CognitoTestIssuer } from 'nest-cognito-auth/testing';
import { CognitoHealthIndicator } from 'nest-cognito-auth/terminus';

@Controller()
@UseGuards(CognitoGuard)
class MeController {
  @Get('me')
  me(@CognitoUser('sub') sub: string) {
    return { sub };
  }

  @Groups('admin')
  @Get('admin')
  admin(@CognitoUser() user: CognitoJwtPayload) {
    return { groups: user['cognito:groups'] ?? [] };
  }
}

// The terminus entry point's declarations resolve too, its key typed through.
export function poolHealth(indicator: CognitoHealthIndicator): string {
  const result = indicator.isHealthy('pool');
  // @ts-expect-error only the key asked for is in the result
  void result.other;
  return result.pool.status;
}

// The declarations are real types, not \`any\`: a wrong option must not compile.
// @ts-expect-error userPoolId is a string
CognitoAuthModule.forRoot({ userPoolId: 42, clientId: 'client' });

async function main(): Promise<void> {
  const issuer = await CognitoTestIssuer.start();
  @Module({ imports: [CognitoAuthModule.forRoot(issuer.moduleOptions())], controllers: [MeController] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  const answers: string[] = [];
  for (const [path, token] of [
    ['/me', issuer.accessToken({ claims: { sub: 'consumer' } })],
    ['/me', undefined],
    ['/admin', issuer.accessToken()],
    ['/admin', issuer.accessToken({ groups: ['admin'] })],
  ] as const) {
    const res = await fetch(base + path, { headers: token ? { authorization: 'Bearer ' + token } : {} });
    answers.push(res.status === 200 && path === '/me' ? \`200 \${((await res.json()) as { sub: string }).sub}\` : String(res.status));
  }
  await app.close();
  await issuer.stop();
  console.log(answers.join(','));
}

void main();
`;

describe('the packed package, installed as a consumer installs it', () => {
  let work: string;
  let consumer: string;
  let tarball: string;

  beforeAll(() => {
    if (!existsSync(join(root, 'dist', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (`npm test` does)');
    }
    work = mkdtempSync(join(tmpdir(), 'nest-cognito-auth-pack-'));
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root)) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(work, packed!.filename);
    consumer = join(work, 'consumer');
    mkdirSync(consumer);
    // @nestjs/terminus (an optional peer) for the `nest-cognito-auth/terminus` entry point.
    const peers = [
      '@nestjs/common',
      '@nestjs/core',
      '@nestjs/platform-express',
      '@nestjs/passport',
      'passport',
      '@nestjs/terminus',
    ];
    const dependencies: Record<string, string> = { 'nest-cognito-auth': `file:${tarball}` };
    for (const name of [...peers, 'reflect-metadata', 'rxjs', '@types/node']) {
      dependencies[name] = installedVersion(name);
    }
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, dependencies }, null, 2),
    );
    // --prefer-offline: every package is already in npm's cache after the tree's own install.
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock'], consumer);
  }, INSTALL_TIMEOUT_MS);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships only dist/, package.json, README.md and LICENSE', () => {
    const files = run('tar', ['-tzf', tarball], work).split('\n');
    expect(files).toEqual(expect.arrayContaining(['package/package.json', 'package/dist/index.js', 'package/LICENSE']));
    expect(files.filter((file) => !/^package\/(dist\/.+|package\.json|README\.md|LICENSE)$/.test(file))).toEqual([]);
    expect(readFileSync(join(consumer, 'node_modules', 'nest-cognito-auth', 'LICENSE'), 'utf8')).toMatch(
      /^MIT License/,
    );
  });

  it('ships source maps that a debugger can resolve without src/', () => {
    // src/ is not shipped: a map must carry each source's text (inlineSources) or name a shipped file.
    const pkg = join(consumer, 'node_modules', 'nest-cognito-auth');
    const files = run('tar', ['-tzf', tarball], work)
      .split('\n')
      .map((file) => file.replace(/^package\//, ''));
    const unresolved: string[] = [];
    for (const file of files.filter((name) => name.endsWith('.js'))) {
      const link = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(pkg, file), 'utf8'))?.[1];
      if (link && !existsSync(join(pkg, dirname(file), link))) unresolved.push(`${file} -> ${link}`);
    }
    const maps = files.filter((name) => name.endsWith('.map'));
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(pkg, map), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      sources.forEach((source, i) => {
        const inline = typeof sourcesContent?.[i] === 'string' && sourcesContent[i] !== '';
        if (!inline && !existsSync(join(pkg, dirname(map), source))) unresolved.push(`${map} -> ${source}`);
      });
    }
    expect(unresolved).toEqual([]);
  });

  it('require()s the entry points by name', () => {
    const out = run(
      process.execPath,
      [
        '-e',
        `const m = require('nest-cognito-auth'); const t = require('nest-cognito-auth/testing');
         const h = require('nest-cognito-auth/terminus');
         console.log([typeof m.CognitoAuthModule.forRoot, typeof m.CognitoGuard, typeof t.CognitoTestIssuer.start,
           typeof t.overrideCognitoAuth, typeof h.CognitoHealthIndicator,
           require.resolve('nest-cognito-auth').includes('node_modules')].join())`,
      ],
      consumer,
    );
    expect(out).toBe('function,function,function,function,function,true');
  });

  it('import()s the entry points by name from an ES module', () => {
    const out = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import('nest-cognito-auth'); const t = await import('nest-cognito-auth/testing');
         const h = await import('nest-cognito-auth/terminus');
         console.log([typeof m.CognitoAuthModule, typeof m.Groups, typeof t.CognitoTestIssuer,
           typeof h.CognitoHealthIndicator].join())`,
      ],
      consumer,
    );
    expect(out).toBe('function,function,function,function');
  });

  it('exposes package.json', () => {
    expect(run(process.execPath, ['-p', `require('nest-cognito-auth/package.json').name`], consumer)).toBe(
      'nest-cognito-auth',
    );
  });

  it('type-checks and compiles a TypeScript consumer (nodenext), which then runs as a Nest app', () => {
    writeFileSync(join(consumer, 'main.ts'), CONSUMER_TS);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          types: ['node'],
          skipLibCheck: true,
          rootDir: '.',
          outDir: 'out',
        },
        files: ['main.ts'],
      }),
    );
    const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], consumer);
    // The user's sub with a token, 401 without, 403 without the group, 200 with it.
    expect(run(process.execPath, ['out/main.js'], consumer)).toBe('200 consumer,401,403,200');
  });
});
