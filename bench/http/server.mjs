/**
 * One contender's Nest app (Express) on 127.0.0.1, in its own process: `GET /hello` behind the
 * contender's guard. Started by http.mjs with fork(); talks over IPC:
 *   -> { ready: port } once listening
 *   <- 'mark'  -> { mark: { cpu, requests, rss } }: cumulative process CPU (µs) and requests served
 * Argument: the contender's name; env BENCH_ISSUER: JSON of the issuer's endpoints.
 */
import 'reflect-metadata';
import { Controller, Get, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NEST_CONTENDERS, rootModule } from '../lib/nest-contenders.mjs';

const name = process.argv[2];
const issuer = JSON.parse(process.env.BENCH_ISSUER);

class HelloController {
  hello() {
    return { hello: 'world' };
  }
}
const descriptor = Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello');
Get('hello')(HelloController.prototype, 'hello', descriptor);
Controller()(HelloController);

const contender = await NEST_CONTENDERS[name](issuer);
if (contender.guard) UseGuards(contender.guard)(HelloController);
const app = await NestFactory.create(rootModule(contender, [HelloController]), { logger: ['error'] });
let requests = 0;
app.getHttpServer().on('request', () => requests++);
await app.listen(0, '127.0.0.1');
if (contender.afterStart) await contender.afterStart(app);
process.on('message', (message) => {
  if (message === 'mark') {
    const { user, system } = process.cpuUsage();
    process.send({ mark: { cpu: user + system, requests, rss: process.memoryUsage().rss } });
  } else if (message === 'stop') {
    app.close().then(() => process.exit(0));
  }
});
process.send({ ready: app.getHttpServer().address().port });
