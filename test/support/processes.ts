import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The repository root: the built CLI is `dist/cli/main.js`, the built sample `dist-sample/sample/main.js`. */
export const root = join(__dirname, '..', '..');

/** A node process started by a test, with what it printed so far. */
export interface NodeProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (`null` when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Resolves once stdout matches `pattern`; rejects if the process exits first or after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

/** Starts `node <args>` in the repository root with `env` added to a copy of this process's environment. */
export function startNode(args: string[], env: Record<string, string> = {}, cwd = root): NodeProcess {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: 'pipe' });
  const proc: NodeProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: once(child, 'exit').then(([code]) => code as number | null),
    waitFor(pattern, ms = 15000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`no ${pattern} in ${ms} ms; stdout: ${proc.stdout} stderr: ${proc.stderr}`)),
          ms,
        );
        const check = () => {
          const match = proc.stdout.match(pattern);
          if (match) finish(undefined, match);
        };
        const onExit = () =>
          finish(new Error(`exited before ${pattern}; stdout: ${proc.stdout} stderr: ${proc.stderr}`));
        function finish(error?: Error, match?: RegExpMatchArray) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.off('exit', onExit);
          if (error) reject(error);
          else resolve(match!);
        }
        child.stdout.on('data', check);
        child.once('exit', onExit);
        check();
      });
    },
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (proc.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (proc.stderr += chunk));
  return proc;
}

/** Runs `node <args>` to its end (at most `ms`); never throws for a non-zero exit. */
export function runNode(
  args: string[],
  cwd = root,
  ms = 15000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, timeout: ms, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Stops `proc` if a test left it running. */
export async function stopIfRunning(proc: NodeProcess | undefined): Promise<void> {
  if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
}

/** A port of 127.0.0.1 free a moment ago (the system's pick for port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
