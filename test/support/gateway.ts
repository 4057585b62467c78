import type { INestApplication } from '@nestjs/common';
import { UseGuards } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { CognitoGuard, CognitoUser, Groups, Public, type CognitoJwtPayload } from '../../src';

/** A socket.io gateway guarded like the README's controllers; every handler answers by ack. */
@WebSocketGateway()
@UseGuards(CognitoGuard)
export class ChatGateway {
  @SubscribeMessage('whoami')
  whoami(@CognitoUser() user: CognitoJwtPayload) {
    return { sub: user.sub, tokenUse: user.token_use };
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() body: unknown, @CognitoUser('sub') sub: string) {
    return { body, sub };
  }

  @Groups('moderators')
  @SubscribeMessage('moderate')
  moderate() {
    return { ok: true };
  }

  @Public()
  @SubscribeMessage('ping')
  ping(@CognitoUser() user: CognitoJwtPayload | undefined) {
    return { pong: true, user: user ?? null };
  }

  @Public({ optional: true })
  @SubscribeMessage('hello')
  hello(@CognitoUser('sub') sub: string | undefined) {
    return { hello: sub ?? 'guest' };
  }
}

/** How a socket.io client hands its token over in the handshake. */
export interface HandshakeOptions {
  authorization?: string;
  auth?: Record<string, unknown>;
  query?: Record<string, string>;
  cookie?: string;
  /** Other headers of the upgrade request (what a load balancer adds: `x-amzn-oidc-data`). */
  headers?: Record<string, string>;
}

/** Starts `app` on an ephemeral port of 127.0.0.1 and returns its base URL. */
export async function listenOnLoopback(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** A connected socket.io client (WebSocket transport, so headers go in the upgrade request). */
export async function connect(url: string, options: HandshakeOptions = {}): Promise<Socket> {
  const extraHeaders: Record<string, string> = { ...options.headers };
  if (options.authorization !== undefined) extraHeaders.authorization = options.authorization;
  if (options.cookie !== undefined) extraHeaders.cookie = options.cookie;
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders,
    auth: options.auth ?? {},
    query: options.query ?? {},
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** What came back for one message: the handler's ack, or the `exception` event of a refusal. */
export type Reply = { ack: unknown } | { exception: Record<string, unknown> };

/** Emits `event` and waits, at most 5 s, for its ack or an `exception` event. */
export function send(socket: Socket, event: string, body: unknown = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${event}`)), 5_000);
    const onException = (exception: Record<string, unknown>) => {
      clearTimeout(timer);
      resolve({ exception });
    };
    socket.once('exception', onException);
    socket.emit(event, body, (ack: unknown) => {
      clearTimeout(timer);
      socket.off('exception', onException);
      resolve({ ack });
    });
  });
}
