/**
 * How one strategy attempt ends, in the arguments passport's `authenticate` middleware hands its
 * callback (and `AuthGuard` then hands `handleRequest`): an error, or no user and the failure's
 * challenge and status, or the user.
 */
export type StrategyOutcome = (error: unknown, user: unknown, info?: unknown, status?: number) => void;

/** What passport's Strategy protocol adds to a strategy for one request. */
export interface StrategyAttempt {
  settle: StrategyOutcome;
  /** What the guard read from the request. */
  token: string | null;
  /** The token's verified-token cache key, if the guard computed it. */
  cacheKey: string | undefined;
  authenticate(request: object, options: object): void;
}

/** passport-jwt reads no authenticate options. */
const NO_OPTIONS = Object.freeze({});

/**
 * What passport's authenticate middleware defines on each request's copy of a strategy (success,
 * fail, error, pass, redirect), reporting to the attempt's `settle`: made once per strategy, so an
 * attempt costs one object (`Object.create` of this).
 */
export function attemptPrototypeOf(strategy: object): object {
  return Object.create(strategy, {
    success: {
      value(this: StrategyAttempt, user: unknown, info: unknown) {
        this.settle(null, user, info);
      },
    },
    fail: {
      value(this: StrategyAttempt, challenge: unknown, status?: number) {
        if (typeof challenge === 'number') this.settle(null, false, undefined, challenge);
        else this.settle(null, false, challenge, status);
      },
    },
    error: {
      value(this: StrategyAttempt, error: unknown) {
        this.settle(error, undefined);
      },
    },
    // passport-jwt never calls these two (passport's middleware would end the request instead).
    pass: {
      value(this: StrategyAttempt) {
        this.settle(null, false);
      },
    },
    redirect: {
      value(this: StrategyAttempt) {
        this.settle(null, false);
      },
    },
  }) as object;
}

/**
 * The attempt under way on a strategy: passport-jwt reads the token and asks for the key synchronously
 * inside `authenticate`, so the one attempt running is the one its callbacks are about. A field saved
 * and restored around each run, not a `WeakMap` by request: the map's set, get and delete on every
 * request cost more than the rest of the bookkeeping.
 */
export class PresentedAttempt {
  private attempt: StrategyAttempt | null = null;
  private request: object | null = null;

  /** The attempt running on `request`, or `undefined` outside one (passport-jwt called by other code). */
  on(request: object): StrategyAttempt | undefined {
    return this.request === request && this.attempt !== null ? this.attempt : undefined;
  }

  /**
   * Runs a strategy (through `prototype`, its `attemptPrototypeOf`) on `request` for `token`, as
   * passport's `authenticate` middleware does, minus its writes on the request. The attempt is
   * presented only while passport-jwt's `authenticate` runs. `settle` is called once, later or
   * before this returns.
   */
  run(
    prototype: object,
    request: object,
    token: string | null,
    settle: StrategyOutcome,
    cacheKey: string | undefined,
  ): void {
    const attempt = Object.create(prototype) as StrategyAttempt;
    attempt.settle = settle;
    attempt.token = token;
    attempt.cacheKey = cacheKey;
    // Saved and restored: an attempt started from inside another's callbacks (a settle that verifies
    // a second token) must not leave the outer one unpresented.
    const outerAttempt = this.attempt;
    const outerRequest = this.request;
    this.attempt = attempt;
    this.request = request;
    try {
      attempt.authenticate(request, NO_OPTIONS);
    } finally {
      this.attempt = outerAttempt;
      this.request = outerRequest;
    }
  }
}
