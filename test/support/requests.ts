import type { INestApplication } from '@nestjs/common';
import request from 'supertest';

/** GET `path` with `Authorization: <authorization>` (none when undefined). */
export function get(app: INestApplication, path: string, authorization?: string) {
  const req = request(app.getHttpServer()).get(path);
  return authorization === undefined ? req : req.set('Authorization', authorization);
}

/** GET `path` with `Authorization: Bearer <token>`. */
export function getWithToken(app: INestApplication, path: string, token: string) {
  return get(app, path, `Bearer ${token}`);
}
