import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const STARTUP_TIMEOUT_MS = 30_000;
const START_ATTEMPTS = 3;

/**
 * The real cognito-local emulator (npm `cognito-local`) as a child process on 127.0.0.1, with its
 * data (`.cognito/`) in a temporary folder of its own, removed by `stop()`.
 */
export class CognitoLocal {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dataDir: string,
    /** `http://127.0.0.1:<port>`: the endpoint for the AWS SDK, and the emulator's issuer domain. */
    readonly url: string,
  ) {}

  /**
   * Starts the emulator on a free port and resolves once it listens.
   * @throws Error with the emulator's output when it exits or stays silent for 30 s.
   */
  static async start(): Promise<CognitoLocal> {
    // The port is picked before the emulator binds it; another process may take it in between.
    for (let attempt = 1; ; attempt++) {
      try {
        return await CognitoLocal.startOnce();
      } catch (error) {
        if (attempt >= START_ATTEMPTS || !String(error).includes('EADDRINUSE')) throw error;
      }
    }
  }

  private static async startOnce(): Promise<CognitoLocal> {
    const dataDir = mkdtempSync(join(tmpdir(), 'cognito-local-'));
    // cognito-local stamps `http://HOST:PORT` into every token's `iss`, so the port is chosen up front
    // rather than letting the emulator bind port 0 (its tokens would then say `:0`).
    const port = await freePort();
    const child = spawn(process.execPath, [startScript()], {
      cwd: dataDir,
      env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), NODE_NO_WARNINGS: '1', DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => fail('did not start within 30 s'), STARTUP_TIMEOUT_MS);
        const onExit = (code: number | null) => fail(`exited with code ${code}`);
        const onData = () => {
          if (!output.includes(`Cognito Local running on http://127.0.0.1:${port}`)) return;
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve();
        };
        function fail(reason: string) {
          clearTimeout(timer);
          reject(new Error(`cognito-local ${reason}:\n${output}`));
        }
        child.stdout.on('data', onData);
        child.once('exit', onExit);
      });
    } catch (error) {
      child.kill();
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
    // Keep draining its request log (a full pipe would block the emulator) without keeping it.
    child.stdout.removeAllListeners('data').resume();
    child.stderr.removeAllListeners('data').resume();
    return new CognitoLocal(child, dataDir, `http://127.0.0.1:${port}`);
  }

  /** The `iss` of the pool's tokens. */
  issuer(userPoolId: string): string {
    return `${this.url}/${userPoolId}`;
  }

  /** Where the emulator serves the pool's public keys. */
  jwksUri(userPoolId: string): string {
    return `${this.issuer(userPoolId)}/.well-known/jwks.json`;
  }

  /** Stops the emulator and deletes its data. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill();
      await exited;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** The emulator's entry point (its `bin`), found the way Node walks node_modules folders. */
function startScript(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const script = join(dir, 'node_modules', 'cognito-local', 'lib', 'bin', 'start.js');
    if (existsSync(script)) return script;
    if (dirname(dir) === dir) throw new Error('cognito-local is not installed (npm ci installs it)');
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
