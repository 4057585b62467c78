import type { LoggerService } from '@nestjs/common';

/** One call to the application's logger. */
export interface LogLine {
  readonly level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  readonly message: string;
  readonly context: string | undefined;
}

/**
 * A real `LoggerService` that keeps what it is given, passed to the app as `{ logger }`; Nest then
 * routes every `new Logger(context)` of the app to it.
 */
export class CaptureLogger implements LoggerService {
  readonly lines: LogLine[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.push('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.push('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.push('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.push('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.push('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.push('fatal', message, rest);
  }

  /** The messages at `level` from `context`. */
  messages(level: LogLine['level'], context?: string): string[] {
    return this.lines
      .filter((line) => line.level === level && (context === undefined || line.context === context))
      .map((line) => line.message);
  }

  private push(level: LogLine['level'], message: unknown, rest: unknown[]): void {
    // Nest passes the context last.
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.at(-1) as string) : undefined;
    this.lines.push({ level, message: String(message), context });
  }
}
