import type { AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** A Nest HTTP platform the e2e suites run on: its name and a factory for a fresh adapter. */
export type Platform = readonly [name: 'express' | 'fastify', createAdapter: () => AbstractHttpAdapter];

/**
 * Every suite that serves HTTP runs once per platform: `describe.each(platforms)('… on %s', (_, platform) => …)`.
 */
export const platforms: readonly Platform[] = [
  ['express', () => new ExpressAdapter()],
  ['fastify', () => new FastifyAdapter()],
];

/** The Express platform alone, the default of `createApp`. */
export const express: Platform = platforms[0]!;
