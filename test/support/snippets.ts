import { join } from 'node:path';
import ts from 'typescript';

/*
 * The type-check of test/readme.spec.ts, for the ```ts blocks of a page under docs/: each block is a
 * file of a consumer's app, `nest-cognito-auth` and `nest-cognito-auth/testing` resolve to `src/`,
 * everything else to `node_modules`, with the project's compiler options. A block whose first line is
 * a comment naming a file (`// app.module.ts`) is that file, and later blocks may import it.
 * (readme.spec.ts keeps its own copy while the README is being reorganised; it can import this one.)
 */
const root = join(__dirname, '..', '..');

/** One ```ts block: the file it stands for and its line in the page. */
export interface Snippet {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of `markdown`, as files under a directory of their own named after `page`. */
export function markdownSnippets(markdown: string, page: string): Snippet[] {
  const snippetDir = join(root, `${page}-snippets`);
  const snippets: Snippet[] = [];
  const fence = /^```ts\n([^]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const code = match[1]!;
    const line = markdown.slice(0, match.index).split('\n').length + 1;
    const named = /^\/\/ ([\w./-]+\.ts)\n/.exec(code)?.[1];
    snippets.push({ file: join(snippetDir, named ?? `line-${line}.ts`), line, code });
  }
  return snippets;
}

/** Type-checks `snippets` together; one `<page>:<line>: <message>` per diagnostic in them. */
export function typeCheckSnippets(snippets: readonly Snippet[], page: string): string[] {
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
  const snippetDirs = new Set(snippets.map((snippet) => join(snippet.file, '..')));
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile, directoryExists } = host;
  // The snippets live in a directory that exists only here.
  host.directoryExists = (name) => snippetDirs.has(name) || (directoryExists?.call(host, name) ?? true);
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
        return `${page}:${snippet.line + line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      },
    );
  });
}
