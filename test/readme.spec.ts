import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * Every ```ts block of README.md type-checks, as a file of a consumer's app: `nest-cognito-auth` and
 * `nest-cognito-auth/testing` resolve to `src/`, everything else to `node_modules`, with the
 * project's compiler options. A block whose first line is a comment naming a file
 * (`// orders.controller.ts`) is that file, and later blocks may import it (`./orders.controller`);
 * other blocks are files of their own.
 */
const root = join(__dirname, '..');
const snippetDir = join(root, 'readme-snippets');

interface Snippet {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of `markdown`, each with the file it stands for and its line in the README. */
export function readmeSnippets(markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const fence = /^```ts\n([^]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const code = match[1]!;
    const line = markdown.slice(0, match.index).split('\n').length + 1;
    const named = /^\/\/ ([\w./-]+\.ts)\n/.exec(code)?.[1];
    snippets.push({ file: join(snippetDir, named ?? `readme-line-${line}.ts`), line, code });
  }
  return snippets;
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
    },
  };
  const files = new Map(snippets.map((snippet) => [snippet.file, snippet]));
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile, directoryExists } = host;
  // The snippets live in a directory (and its src/, test/) that exists only here.
  host.directoryExists = (name) =>
    name === snippetDir || name.startsWith(snippetDir + '/') || (directoryExists?.call(host, name) ?? true);
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
        return `README.md:${snippet.line + line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
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
