#!/usr/bin/env node
/**
 * The `nest-cognito-auth` command (the package's `bin`): a local issuer whose keys persist in a file,
 * for developing an app against stable local tokens, and `revoke` for apps sharing revocations
 * through Redis. See `USAGE`.
 */
import { parseCliArguments } from './cli-arguments';
import { revokeCommand } from './revoke-command';
import { serveCommand } from './serve-command';
import { tokenCommand } from './token-command';
import { USAGE } from './usage';
import { UsageError } from './usage-error';

async function main(argv: readonly string[]): Promise<number> {
  try {
    const command = parseCliArguments(argv);
    switch (command.name) {
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return 0;
      case 'token':
        await tokenCommand(command.issuer, command.kind, command.token);
        return 0;
      case 'serve':
        await serveCommand(command.issuer);
        return 0;
      case 'revoke':
        await revokeCommand(command);
        return 0;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`nest-cognito-auth: ${error.message}\nRun "nest-cognito-auth --help" for the flags.\n`);
      return 2;
    }
    process.stderr.write(`nest-cognito-auth: ${describeFailure(error)}\n`);
    return 1;
  }
}

function describeFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    const port = (error as { port?: number }).port;
    return `port ${port} of 127.0.0.1 is in use (another serve?): stop it or pass --port (to token too)`;
  }
  return error instanceof Error ? error.message : String(error);
}

// exitCode rather than exit(): stdout is flushed before the process ends.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
