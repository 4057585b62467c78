import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * Every ```ts block of README.md and of the pages in docs/ type-checks, as a file of a consumer's app:
 * `nest-cognito-auth`, `nest-cognito-auth/testing` and `nest-cognito-auth/terminus` resolve to `src/`,
 * everything else to `node_modules`, with the project's compiler options. A block whose first line is a
 * comment naming a file (`// orders.controller.ts`) is that file, and later blocks of the same document
 * may import it (`./orders.controller`); other blocks are files of their own. Each document has a
 * directory of its own, so two pages may both show an `app.module.ts`.
 */
const root = join(__dirname, '..');
const snippetDir = join(root, 'readme-snippets');

interface Snippet {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  /** The markdown file, relative to the root, for messages. @default 'README.md' */
  readonly document?: string;
}

/** The ```ts blocks of `markdown`, each with the file it stands for and its line in `document`. */
export function readmeSnippets(markdown: string, document = 'README.md'): Snippet[] {
  const snippets: Snippet[] = [];
  const dir = document === 'README.md' ? snippetDir : join(snippetDir, document.replace(/\.md$/, ''));
  const fence = /^```ts\n([^]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const code = match[1]!;
    const line = markdown.slice(0, match.index).split('\n').length + 1;
    const named = /^\/\/ ([\w./-]+\.ts)\n/.exec(code)?.[1];
    snippets.push({ file: join(dir, named ?? `readme-line-${line}.ts`), line, code, document });
  }
  return snippets;
}

/** README.md, then the pages of docs/ (sorted), relative to the root. */
export function documents(): string[] {
  const docs = join(root, 'docs');
  const pages = existsSync(docs) ? readdirSync(docs).filter((name) => name.endsWith('.md')) : [];
  return ['README.md', ...pages.sort().map((name) => `docs/${name}`)];
}

/** Type-checks `snippets` together; returns one formatted message per diagnostic in them. */
export function typeCheckSnippets(snippets: readonly Snippet[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  )!;
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    paths: {
      'nest-cognito-auth': [join(root, 'src/index.ts')],
      'nest-cognito-auth/testing': [join(root, 'src/testing/index.ts')],
      'nest-cognito-auth/terminus': [join(root, 'src/terminus/index.ts')],
    },
  };
  const files = new Map(snippets.map((snippet) => [snippet.file, snippet]));
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile, directoryExists } = host;
  // The snippets live in directories that exist only here.
  host.directoryExists = (name) =>
    name === snippetDir || name.startsWith(`${snippetDir}/`) || (directoryExists?.call(host, name) ?? true);
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name)?.code ?? readFile.call(host, name);
  host.getSourceFile = (name, languageVersion, ...rest) => {
    const snippet = files.get(name);
    return snippet
      ? ts.createSourceFile(name, snippet.code, languageVersion, true)
      : getSourceFile.call(host, name, languageVersion, ...rest);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  return snippets.flatMap((snippet) => {
    const sourceFile = program.getSourceFile(snippet.file)!;
    return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)].map(
      (diagnostic) => {
        const { line } = sourceFile.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        const where = `${snippet.document ?? 'README.md'}:${snippet.line + line}`;
        return `${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      },
    );
  });
}

describe('the README', () => {
  const snippets = readmeSnippets(readFileSync(join(root, 'README.md'), 'utf8'));

  it('has TypeScript examples', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(5);
  });

  it('TypeScript examples all type-check', () => {
    expect(typeCheckSnippets(snippets)).toEqual([]);
  });

  it('check catches a snippet that does not type-check', () => {
    const broken = {
      file: join(snippetDir, 'broken.ts'),
      line: 1,
      code: "import { Groups } from 'nest-cognito-auth';\nGroups(42);\n",
    };
    expect(typeCheckSnippets([broken])).toEqual([expect.stringMatching(/^README\.md:2: Argument of type 'number'/)]);
  });
});

describe('the pages of docs/', () => {
  const pages = documents().filter((document) => document !== 'README.md');
  const snippets = pages.flatMap((page) => readmeSnippets(readFileSync(join(root, page), 'utf8'), page));
  // One program for every page: each page's blocks sit in a directory of their own.
  let diagnostics: string[];

  beforeAll(() => {
    diagnostics = typeCheckSnippets(snippets);
  });

  it('are found', () => {
    expect(pages).toEqual(expect.arrayContaining(['docs/testing.md', 'docs/health.md']));
  });

  it.each(pages)('%s: TypeScript examples all type-check', (page) => {
    expect(diagnostics.filter((message) => message.startsWith(`${page}:`))).toEqual([]);
  });

  it('check reports a page by its path and line, and keeps its files apart from the README', () => {
    const markdown = [
      '# page',
      '',
      '```ts',
      '// orders.controller.ts',
      'export const page = 1;',
      '```',
      '',
      '```ts',
      "import { page } from './orders.controller';",
      'const wrong: string = page;',
      '```',
      '',
    ].join('\n');
    const page = readmeSnippets(markdown, 'docs/broken.md');
    expect(page.map((snippet) => snippet.file)).toEqual([
      join(snippetDir, 'docs/broken/orders.controller.ts'),
      join(snippetDir, 'docs/broken/readme-line-9.ts'),
    ]);
    expect(typeCheckSnippets(page)).toEqual([
      expect.stringMatching(/^docs\/broken\.md:10: Type 'number' is not assignable to type 'string'/),
    ]);
  });
});
