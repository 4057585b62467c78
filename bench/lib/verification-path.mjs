/**
 * A Nest guard's verification path without HTTP: a Nest application context around the guard's
 * module, and `canActivate` called with an ExecutionContext built over a minimal request, as Nest
 * builds one for each HTTP request. Strategy, passport, key lookup and claim checks all run.
 */
import { NestFactory } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { rootModule } from './nest-contenders.mjs';

// A route with no metadata: no @Public, @TokenUse, @Groups or @Scopes apply.
class BenchRoute {
  handle() {}
}
const handler = BenchRoute.prototype.handle;

/**
 * Starts the contender's app context.
 * @returns { verify(token, deadlineMs?): Promise<'accepted'|number|'no answer'>, close() } where a
 *   refusal gives the HTTP status the guard's exception carries (500 when it carries none), and
 *   'no answer' means the guard had not settled within `deadlineMs` (no deadline when omitted).
 */
export async function createVerificationPath(contender) {
  const app = await NestFactory.createApplicationContext(rootModule(contender), { logger: false, abortOnError: false });
  const guard = app.get(contender.guard);
  const response = { setHeader() {}, header() {} };
  async function settle(token) {
    const request = { headers: { authorization: `Bearer ${token}` } };
    const context = new ExecutionContextHost([request, response, undefined], BenchRoute, handler);
    context.setType('http');
    try {
      return (await guard.canActivate(context)) === true ? 'accepted' : 403;
    } catch (error) {
      return typeof error?.getStatus === 'function' ? error.getStatus() : 500;
    }
  }
  function verify(token, deadlineMs) {
    if (!deadlineMs) return settle(token);
    let timer;
    const deadline = new Promise((resolve) => (timer = setTimeout(() => resolve('no answer'), deadlineMs)));
    return Promise.race([settle(token), deadline]).finally(() => clearTimeout(timer));
  }
  return { app, guard, verify, close: () => app.close() };
}
