import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/**
 * The package in the apps users start from: the project templates of `nest new` for Nest 11 (CommonJS,
 * jest with ts-jest) and Nest 12 (ES modules, vitest). For each, the test copies the template's
 * package.json, tsconfig and test config (test/templates/<name>/, as the CLI generated them: versions in
 * test/templates/README.md), installs the packed tarball with the README's Install command for that
 * Nest major, writes the README's TypeScript blocks into the app as the files they name, runs the README's
 * test with the template's own `npm run test:e2e`, and type-checks the whole app with the template's own
 * TypeScript and tsconfig.json. Every file the app gets from this repository comes from README.md, so a
 * README example that stops working in a template fails here.
 *
 * It installs from the registry (`--prefer-offline`: npm's cache holds most of it after the tree's own
 * install). It installs its own Nest versions, whatever the tree runs on, so a CI leg that would only
 * repeat it can skip it: TEMPLATES=0 skips it, TEMPLATES=nest12 (folder names, comma-separated) runs only
 * those templates; unset, it runs all.
 */
const root = join(__dirname, '..');
const INSTALL_TIMEOUT_MS = 300_000;
const RUN_TIMEOUT_MS = 120_000;

interface Template {
  /** Folder under test/templates/. */
  readonly name: string;
  readonly nestMajor: 11 | 12;
  /** A CommonJS app: relative imports take the form the README's comment gives (no `.js`). */
  readonly commonJs: boolean;
  /**
   * The template's devDependencies this test runs: its test runner, TypeScript, types. The others (the
   * Nest CLI, linters, formatters) are left out of the install, which they would more than double.
   */
  readonly tools: readonly string[];
  /** Packages that README blocks beyond the Install command import (GraphQL, gateways, Fastify, config). */
  readonly extras: readonly string[];
  /** How the runner's summary states the number of passed tests. */
  readonly passed: RegExp;
}

const templates: Template[] = [
  {
    name: 'nest11',
    nestMajor: 11,
    commonJs: true,
    tools: ['@nestjs/testing', '@types/express', '@types/jest', '@types/node', '@types/supertest', 'jest', 'ts-jest'],
    // What README blocks import beyond the Install line (GraphQL, Fastify and gateway blocks live in docs/).
    extras: ['@nestjs/config@4'],
    passed: /^Tests:\s+(\d+) passed, \1 total$/m,
  },
  {
    name: 'nest12',
    nestMajor: 12,
    commonJs: false,
    tools: ['@nestjs/testing', '@types/express', '@types/node', '@types/supertest', 'vite-tsconfig-paths', 'vitest'],
    extras: ['@nestjs/config@12'],
    passed: /^\s*Tests\s+(\d+) passed \(\1\)$/m,
  },
];
/** The templates TEMPLATES selects (see above). */
function selected(setting: string | undefined): Template[] {
  if (setting === undefined || setting === '' || setting === '1') return templates;
  if (setting === '0') return [];
  const names = setting.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !templates.some((template) => template.name === name));
  if (unknown.length > 0) throw new Error(`TEMPLATES names no template: ${unknown.join(', ')}`);
  return templates.filter((template) => names.includes(template.name));
}
const runs = selected(process.env.TEMPLATES);

// Every template keeps these: what a test of the app needs whatever its runner.
const commonTools = ['supertest', 'typescript'];

interface Block {
  /** The block's path in the app: the file its first-line comment names, or src/readme/line-<n>.ts. */
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of README.md (the same fences test/readme.spec.ts type-checks). */
function readmeBlocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```ts\n([^]*?)^```$/gm)].map((match) => {
    const code = match[1]!;
    const line = markdown.slice(0, match.index).split('\n').length + 1;
    const named = /^\/\/ ([\w./-]+\.ts)\n/.exec(code)?.[1];
    return { file: named ?? `src/readme/line-${line}.ts`, line, code };
  });
}

// A relative import as the README writes it: the ES-module form, then the CommonJS form in a comment.
const relativeImport = /from '(\.{1,2}\/[^']*)';(?: \/\/ CommonJS app: '([^']*)')?/g;

/** `code` as a CommonJS app has it: each relative import in the form its comment gives. */
function commonJsForm(code: string): string {
  return code.replace(relativeImport, (whole, _esm: string, cjs: string | undefined) =>
    cjs === undefined ? whole : `from '${cjs}';`,
  );
}

/**
 * Runs a command to its end, at most `ms`; resolves with its stdout and stderr. A failure carries the
 * output, so the report shows why.
 */
function run(command: string, args: string[], cwd: string, ms: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd,
        timeout: ms,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        // Plain output, so the runners' summaries can be read.
        env: { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${stdout}\n${stderr}`, { cause: error }));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/** The files of `dir`, recursively, as paths relative to it. */
function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** The `npm install` arguments of the README's Install command for Nest `major`. */
function installCommand(markdown: string, major: number): string[] {
  const section = /^## Install\n([^]*?)^## /m.exec(markdown)?.[1] ?? '';
  const command = new RegExp(`^# Nest ${major}\\nnpm install (.+)$`, 'm').exec(section)?.[1];
  if (!command) throw new Error(`README.md's Install section has no "# Nest ${major}" npm install line`);
  return command.split(/\s+/);
}

/** Makes the app for `template` in `dir` and installs it; resolves when it is ready to run. */
async function prepare(template: Template, dir: string, tarball: string, markdown: string): Promise<void> {
  const fixture = join(__dirname, 'templates', template.name);
  // TypeScript files of the fixtures carry .txt, so this repository's tsc, jest and eslint leave them alone.
  for (const file of filesOf(fixture)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(fixture, file), join(dir, file.replace(/\.ts\.txt$/, '.ts')));
  }
  const manifestFile = join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { devDependencies: Record<string, string> };
  for (const name of Object.keys(manifest.devDependencies)) {
    if (![...template.tools, ...commonTools].includes(name)) delete manifest.devDependencies[name];
  }
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  for (const block of readmeBlocks(markdown)) {
    mkdirSync(dirname(join(dir, block.file)), { recursive: true });
    writeFileSync(join(dir, block.file), template.commonJs ? commonJsForm(block.code) : block.code);
  }
  const install = installCommand(markdown, template.nestMajor).map((arg) =>
    arg === 'nest-cognito-auth' ? tarball : arg,
  );
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', ...install, ...template.extras],
    dir,
    INSTALL_TIMEOUT_MS,
  );
}

/** The major version of `name` as installed in the app at `dir`. */
function installedMajor(dir: string, name: string): number {
  const { version } = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string;
  };
  return Number(version.split('.')[0]);
}

const markdown = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = readmeBlocks(markdown);

describe('README examples, as the project templates need them', () => {
  it('write every relative import in the ES-module form and name the CommonJS form in a comment', () => {
    const imports = blocks.flatMap((block) =>
      [...block.code.matchAll(relativeImport)].map(([whole, esm, cjs]) => ({ whole, esm, cjs })),
    );
    expect(imports.length).toBeGreaterThan(0);
    for (const { whole, esm, cjs } of imports) {
      expect({ whole, ok: esm!.endsWith('.js') && cjs === esm!.slice(0, -'.js'.length) }).toEqual({ whole, ok: true });
    }
  });

  it('include a test that gets 200 and 401 from the app through the testing kit', () => {
    const test = blocks.find((block) => block.file.startsWith('test/'))?.code ?? '';
    expect(test).toContain("from 'nest-cognito-auth/testing'");
    expect(test).toContain('.expect(200)');
    expect(test).toContain('.expect(401)');
  });
});

(runs.length > 0 ? describe : describe.skip)('the packed package in the apps `nest new` makes', () => {
  let work: string;
  const apps = new Map<string, string>();

  beforeAll(async () => {
    if (!existsSync(join(root, 'dist', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (`npm test` does)');
    }
    work = mkdtempSync(join(tmpdir(), 'nest-cognito-auth-templates-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], root, RUN_TIMEOUT_MS);
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    const tarball = join(work, packed!.filename);
    // Both at once: the installs wait on the registry more than on the CPU.
    await Promise.all(
      runs.map((template) => {
        const dir = join(work, `${template.name}-app`);
        mkdirSync(dir);
        apps.set(template.name, dir);
        return prepare(template, dir, tarball, markdown);
      }),
    );
  }, INSTALL_TIMEOUT_MS + RUN_TIMEOUT_MS);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  // describe.each refuses an empty table, even under describe.skip.
  describe.each(runs.length > 0 ? runs : templates)('Nest $nestMajor ($name)', (template) => {
    it('gets the Nest major of the template and the peers its Install command names', () => {
      const dir = apps.get(template.name)!;
      expect(installedMajor(dir, '@nestjs/core')).toBe(template.nestMajor);
      expect(installedMajor(dir, '@nestjs/passport')).toBe(template.nestMajor);
      expect(existsSync(join(dir, 'node_modules', 'nest-cognito-auth', 'dist', 'index.js'))).toBe(true);
    });

    it(
      "runs the README's test with the template's own `npm run test:e2e`, config unchanged",
      async () => {
        const dir = apps.get(template.name)!;
        const { stdout, stderr } = await run('npm', ['run', 'test:e2e'], dir, RUN_TIMEOUT_MS);
        const output = `${stdout}\n${stderr}`; // jest writes its summary to stderr, vitest to stdout
        const tests = blocks.find((block) => block.file.startsWith('test/'))!.code.match(/^\s*it\(/gm)!.length;
        expect(output).toMatch(template.passed);
        expect(Number(template.passed.exec(output)![1])).toBe(tests);
      },
      RUN_TIMEOUT_MS,
    );

    it(
      "type-checks the app, every README block in it, with the template's TypeScript and tsconfig.json",
      async () => {
        const dir = apps.get(template.name)!;
        const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
        await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], dir, RUN_TIMEOUT_MS);
        // The README blocks were part of that program.
        for (const block of blocks) expect(existsSync(join(dir, block.file))).toBe(true);
      },
      RUN_TIMEOUT_MS,
    );
  });
});
