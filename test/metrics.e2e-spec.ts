import {
  Controller,
  ForbiddenException,
  Get,
  Injectable,
  Module,
  UseGuards,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type HistogramMetricData,
  type MetricData,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CognitoAuthMetrics,
  CognitoAuthModule,
  CognitoConfigError,
  CognitoGuard,
  COGNITO_METRICS,
  type CognitoJwtPayload,
  type CognitoSinglePoolOptions,
} from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { get, getWithToken } from './support/requests';

/** A guard that extends CognitoGuard with a rule of its own, and a bug on another route. */
@Injectable()
class TenantGuard extends CognitoGuard {
  protected override authorize(payload: CognitoJwtPayload, context: ExecutionContext): void {
    super.authorize(payload, context);
    if (context.getHandler().name === 'buggy') throw new TypeError('a bug in the app');
    if (payload['custom:tenant'] !== 'acme') throw new ForbiddenException('Wrong tenant');
  }
}

@Controller('tenant')
@UseGuards(TenantGuard)
class TenantController {
  @Get()
  tenant() {
    return { ok: true };
  }

  @Get('buggy')
  buggy() {
    return { ok: true };
  }
}

// In a module of its own: the guard's metrics come from the global CognitoAuthModule's exports.
@Module({ controllers: [TenantController] })
class TenantModule {}

/** The SDK's own reader, read on demand: `collect()` is what a periodic exporter calls. */
class CollectingReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A real SDK MeterProvider and a way to read what it aggregated. */
function sdk() {
  const reader = new CollectingReader();
  return readerOf(reader, new MeterProvider({ readers: [reader] }));
}

/** `collect`, `points` and `count` over one reader of `provider`. */
function readerOf(reader: MetricReader, provider: MeterProvider) {
  const collect = async (): Promise<MetricData[]> => {
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  };
  /** The data points of the instrument `name`. */
  const points = async (name: string): Promise<DataPoint<unknown>[]> =>
    (await collect())
      .filter((metric) => metric.descriptor.name === name)
      .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[]);
  /** The sum of a counter's points whose attributes are exactly `attributes`. */
  const count = async (name: string, attributes: Record<string, string> = {}): Promise<number> =>
    (await points(name))
      .filter((point) => sameAttributes(point.attributes, attributes))
      .reduce((sum, point) => sum + (point.value as number), 0);
  return { reader, provider, collect, points, count };
}

function sameAttributes(actual: object, expected: Record<string, string>): boolean {
  return JSON.stringify(Object.entries(actual).sort()) === JSON.stringify(Object.entries(expected).sort());
}

const accepted = { 'cognito_auth.outcome': 'accepted' };
const refused = (code: string) => ({ 'cognito_auth.outcome': 'refused', 'error.type': code });

describe('metrics through the OpenTelemetry SDK', () => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication | undefined;

  beforeEach(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    metrics.disable();
    await issuer.stop();
  });

  async function start(options: Partial<CognitoSinglePoolOptions> = {}): Promise<INestApplication> {
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions(options)), [GuardedController]);
    return app;
  }

  describe('with a MeterProvider passed in', () => {
    let otel: ReturnType<typeof sdk>;

    beforeEach(() => {
      otel = sdk();
    });

    afterEach(() => otel.provider.shutdown());

    it('counts an accepted token, and its third request (its second acceptance made its entry) as a cache hit', async () => {
      await start({ metrics: { meterProvider: otel.provider } });
      const token = issuer.accessToken();
      // The first two requests are verified: the second acceptance makes the cache entry.
      for (const decisions of [1, 2]) {
        expect((await getWithToken(app!, '/me', token)).status).toBe(200);
        expect(await otel.count(COGNITO_METRICS.decisions, accepted)).toBe(decisions);
        expect(await otel.count(COGNITO_METRICS.cacheHits)).toBe(0);
      }
      expect((await getWithToken(app!, '/me', token)).status).toBe(200);
      expect(await otel.count(COGNITO_METRICS.decisions, accepted)).toBe(3);
      expect(await otel.count(COGNITO_METRICS.cacheHits)).toBe(1);
    });

    it('counts each refusal with its reason code, and the 503 as an error', async () => {
      await start({ metrics: { meterProvider: otel.provider } });
      const valid = issuer.accessToken();
      const [header, payload] = valid.split('.');
      const otherSignature = issuer.accessToken({ claims: { sub: 'other' } }).split('.')[2];
      expect((await getWithToken(app!, '/me', issuer.accessToken({ expiresIn: -1 }))).status).toBe(401);
      expect((await getWithToken(app!, '/me', `${header}.${payload}.${otherSignature}`)).status).toBe(401);
      expect((await get(app!, '/me')).status).toBe(401);
      expect((await getWithToken(app!, '/admin', valid)).status).toBe(403);
      issuer.simulateJwksFault('status-500');
      issuer.rotateKeys();
      expect((await getWithToken(app!, '/me', issuer.accessToken())).status).toBe(503);

      expect(await otel.count(COGNITO_METRICS.decisions, refused('ERR_JWT_EXPIRED'))).toBe(1);
      expect(await otel.count(COGNITO_METRICS.decisions, refused('ERR_JWT_SIGNATURE_INVALID'))).toBe(1);
      expect(await otel.count(COGNITO_METRICS.decisions, refused('ERR_TOKEN_MISSING'))).toBe(1);
      expect(await otel.count(COGNITO_METRICS.decisions, refused('ERR_GROUPS_NOT_ALLOWED'))).toBe(1);
      expect(
        await otel.count(COGNITO_METRICS.decisions, {
          'cognito_auth.outcome': 'error',
          'error.type': 'ERR_JWKS_UNAVAILABLE',
        }),
      ).toBe(1);
      // The 403's token was valid: it was verified, then refused by the route.
      expect(await otel.count(COGNITO_METRICS.decisions)).toBe(0);
      expect(await otel.count(COGNITO_METRICS.decisions, accepted)).toBe(0);
    });

    it('counts JWKS fetches and failures', async () => {
      await start({ metrics: { meterProvider: otel.provider } });
      // The prefetch at start.
      expect(await otel.count(COGNITO_METRICS.jwksFetches, { 'cognito_auth.outcome': 'success' })).toBe(1);
      issuer.simulateJwksFault('status-500');
      issuer.rotateKeys();
      expect((await getWithToken(app!, '/me', issuer.accessToken())).status).toBe(503);
      expect(await otel.count(COGNITO_METRICS.jwksFetches, { 'cognito_auth.outcome': 'failure' })).toBe(1);
      expect(await otel.count(COGNITO_METRICS.jwksFetches, { 'cognito_auth.outcome': 'success' })).toBe(1);
      expect(issuer.jwksRequests).toBe(2);
    });

    it('records the verification time in seconds, per outcome, in buckets made for it', async () => {
      await start({ metrics: { meterProvider: otel.provider } });
      expect((await getWithToken(app!, '/me', issuer.accessToken())).status).toBe(200);
      expect((await getWithToken(app!, '/me', issuer.accessToken({ expiresIn: -1 }))).status).toBe(401);
      const histogram = (await otel.collect()).find(
        (metric): metric is HistogramMetricData => metric.descriptor.name === COGNITO_METRICS.duration,
      )!;
      expect(histogram.dataPointType).toBe(DataPointType.HISTOGRAM);
      expect(histogram.descriptor.unit).toBe('s');
      const points = histogram.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value }));
      expect(points.map((point) => point.attributes)).toEqual(
        expect.arrayContaining([accepted, refused('ERR_JWT_EXPIRED')]),
      );
      expect(points).toHaveLength(2);
      for (const { value } of points) {
        expect(value.count).toBe(1);
        // A real duration, in seconds: more than nothing, less than the test's own timeout.
        expect(value.sum).toBeGreaterThan(0);
        expect(value.sum).toBeLessThan(20);
        expect(value.buckets.boundaries[0]).toBe(0.00001);
      }
    });

    it('records nothing for a public route or an optional route without a token', async () => {
      await start({ metrics: { meterProvider: otel.provider } });
      expect((await get(app!, '/public')).status).toBe(200);
      expect((await get(app!, '/maybe')).status).toBe(200);
      expect(await otel.points(COGNITO_METRICS.decisions)).toEqual([]);
    });

    it('names the meter as metrics.meterName says, with the package version', async () => {
      await start({ metrics: { meterProvider: otel.provider, meterName: 'auth' } });
      expect((await getWithToken(app!, '/me', issuer.accessToken())).status).toBe(200);
      const { resourceMetrics } = await otel.reader.collect();
      const version = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string })
        .version;
      expect(resourceMetrics.scopeMetrics.map((scope) => scope.scope)).toEqual([
        expect.objectContaining({ name: 'auth', version }),
      ]);
    });

    it('[L5] keeps attribute values to its fixed set: never token text, at most 64 codes', async () => {
      await start({ metrics: { meterProvider: otel.provider } });
      const recorder = app!.get(CognitoAuthMetrics);
      const expired = issuer.accessToken({ expiresIn: -1 });
      expect((await getWithToken(app!, '/me', expired)).status).toBe(401);
      // Token text as a code (a guard subclass's bug), then a flood of distinct codes.
      recorder.decision('refused', issuer.accessToken(), 0.001);
      for (let i = 0; i < 200; i++) recorder.decision('refused', `ERR_CUSTOM_${i}`, 0.001);
      // A code seen before the bound was reached keeps its own series.
      expect((await getWithToken(app!, '/me', expired)).status).toBe(401);
      const points = await otel.points(COGNITO_METRICS.decisions);
      expect(points.length).toBeLessThanOrEqual(66);
      const values = points.flatMap((point) => Object.values(point.attributes));
      expect(
        values.every((value) => typeof value === 'string' && /^(?:[a-z]+|ERR_[A-Z0-9_]+|_OTHER)$/.test(value)),
      ).toBe(true);
      expect(await otel.count(COGNITO_METRICS.decisions, refused('_OTHER'))).toBeGreaterThanOrEqual(1 + 200 - 64);
      expect(await otel.count(COGNITO_METRICS.decisions, refused('ERR_JWT_EXPIRED'))).toBe(2);
    });
  });

  it('counts the decisions of a guard that extends CognitoGuard, in another module', async () => {
    const otel = sdk();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CognitoAuthModule.forRoot(issuer.moduleOptions({ metrics: { meterProvider: otel.provider } })),
        TenantModule,
      ],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
    expect(
      (await getWithToken(app, '/tenant', issuer.accessToken({ claims: { 'custom:tenant': 'acme' } }))).status,
    ).toBe(200);
    expect((await getWithToken(app, '/tenant', issuer.accessToken())).status).toBe(403);
    expect((await getWithToken(app, '/tenant/buggy', issuer.accessToken())).status).toBe(500);
    expect(await otel.count(COGNITO_METRICS.decisions, accepted)).toBe(1);
    // Its own exception carries no code of ours: its status makes it a refusal, the bug an error.
    expect(await otel.count(COGNITO_METRICS.decisions, refused('_OTHER'))).toBe(1);
    expect(
      await otel.count(COGNITO_METRICS.decisions, { 'cognito_auth.outcome': 'error', 'error.type': '_OTHER' }),
    ).toBe(1);
    await otel.provider.shutdown();
  });

  describe('with the global MeterProvider', () => {
    it('records by default once an SDK is registered', async () => {
      const otel = sdk();
      metrics.setGlobalMeterProvider(otel.provider);
      await start();
      expect((await getWithToken(app!, '/me', issuer.accessToken())).status).toBe(200);
      expect(await otel.count(COGNITO_METRICS.decisions, accepted)).toBe(1);
      expect(await otel.count(COGNITO_METRICS.jwksFetches, { 'cognito_auth.outcome': 'success' })).toBe(1);
      await otel.provider.shutdown();
    });

    it('records nothing with metrics: false', async () => {
      const otel = sdk();
      metrics.setGlobalMeterProvider(otel.provider);
      await start({ metrics: false });
      expect((await getWithToken(app!, '/me', issuer.accessToken())).status).toBe(200);
      expect(await otel.collect()).toEqual([]);
      expect(app!.get(CognitoAuthMetrics).enabled).toBe(false);
      await otel.provider.shutdown();
    });

    it('answers as usual with no SDK registered (the API is a no-op)', async () => {
      await start({ metrics: true });
      expect((await getWithToken(app!, '/me', issuer.accessToken())).status).toBe(200);
      expect((await get(app!, '/me')).status).toBe(401);
      // The no-op meter drops everything: the guard skips its instruments (and the clock) altogether.
      expect(app!.get(CognitoAuthMetrics).enabled).toBe(false);
    });
  });

  describe('counts kept in the module, read by the SDK at collection', () => {
    /** Cumulative totals, and what a delta reader of the same provider sees since its last collection. */
    function twoReaders() {
      const cumulativeReader = new CollectingReader();
      const deltaReader = new CollectingReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
      const provider = new MeterProvider({ readers: [cumulativeReader, deltaReader] });
      return { provider, cumulative: readerOf(cumulativeReader, provider), delta: readerOf(deltaReader, provider) };
    }

    /**
     * One collection of `otel`: accepted decisions, cache hits, expired-token refusals, and the
     * histogram's counts of the accepted and expired series. One collection for all, as a delta reader
     * reports what came since its last one.
     */
    async function tally(otel: ReturnType<typeof sdk>) {
      const collected = await otel.collect();
      const of = (name: string, attributes: Record<string, string>, value: (point: DataPoint<unknown>) => number) =>
        collected
          .filter((metric) => metric.descriptor.name === name)
          .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[])
          .filter((point) => sameAttributes(point.attributes, attributes))
          .reduce((sum, point) => sum + value(point), 0);
      const sum = (point: DataPoint<unknown>) => point.value as number;
      const count = (point: DataPoint<unknown>) => (point.value as { count: number }).count;
      return {
        accepted: of(COGNITO_METRICS.decisions, accepted, sum),
        hits: of(COGNITO_METRICS.cacheHits, {}, sum),
        expired: of(COGNITO_METRICS.decisions, refused('ERR_JWT_EXPIRED'), sum),
        timedAccepted: of(COGNITO_METRICS.duration, accepted, count),
        timedExpired: of(COGNITO_METRICS.duration, refused('ERR_JWT_EXPIRED'), count),
      };
    }

    it('are exact with concurrent requests, after a collection, cumulative and delta alike', async () => {
      const { provider, cumulative, delta } = twoReaders();
      await start({ metrics: { meterProvider: provider } });
      const tokens = Array.from({ length: 5 }, () => issuer.accessToken());
      // One at a time first, twice each: each is verified twice (the second acceptance makes its cache
      // entry), then every request with one of them is a cache hit.
      for (const token of [...tokens, ...tokens]) expect((await getWithToken(app!, '/me', token)).status).toBe(200);
      const concurrently = (count: number, token: (i: number) => string) =>
        Promise.all(Array.from({ length: count }, (_, i) => getWithToken(app!, '/me', token(i))));
      const expired = issuer.accessToken({ expiresIn: -1 });
      const answers = await Promise.all([concurrently(40, (i) => tokens[i % 5]!), concurrently(10, () => expired)]);
      expect(answers.flat().map((answer) => answer.status)).toEqual([...Array(40).fill(200), ...Array(10).fill(401)]);

      // Every decision is counted, and timed once in the series it is counted in.
      const first = { accepted: 50, hits: 40, expired: 10, timedAccepted: 50, timedExpired: 10 };
      expect(await tally(cumulative)).toEqual(first);
      expect(await tally(delta)).toEqual(first);

      await concurrently(7, (i) => tokens[i % 5]!);
      expect(await tally(cumulative)).toEqual({
        accepted: 57,
        hits: 47,
        expired: 10,
        timedAccepted: 57,
        timedExpired: 10,
      });
      // Since the delta reader's last collection: the 7 hits only.
      expect(await tally(delta)).toEqual({ accepted: 7, hits: 7, expired: 0, timedAccepted: 7, timedExpired: 0 });
      // Collected again with nothing new: the totals stand, and a delta of nothing.
      expect((await tally(cumulative)).accepted).toBe(57);
      expect((await tally(delta)).accepted).toBe(0);

      // Exported as OpenTelemetry counters are: monotonic sums.
      const sums = (await cumulative.collect()).filter(
        (metric): metric is SumMetricData =>
          metric.descriptor.name === COGNITO_METRICS.decisions || metric.descriptor.name === COGNITO_METRICS.cacheHits,
      );
      expect(sums.map((metric) => [metric.descriptor.name, metric.dataPointType, metric.isMonotonic]).sort()).toEqual([
        [COGNITO_METRICS.cacheHits, DataPointType.SUM, true],
        [COGNITO_METRICS.decisions, DataPointType.SUM, true],
      ]);
      expect(sums.find((metric) => metric.descriptor.name === COGNITO_METRICS.decisions)!.descriptor.unit).toBe(
        '{decision}',
      );
      await provider.shutdown();
    });

    it('hands every duration to the histogram, past a batch of them and at each collection', async () => {
      const { provider, cumulative, delta } = twoReaders();
      await start({ metrics: { meterProvider: provider } });
      const recorder = app!.get(CognitoAuthMetrics);
      for (let i = 0; i < 3; i++) expect((await getWithToken(app!, '/me', issuer.accessToken())).status).toBe(200);
      // Fewer than a batch: recorded at the collection.
      expect((await tally(cumulative)).timedAccepted).toBe(3);
      // More than two batches (128 each) of one series, then one collection.
      for (let i = 0; i < 300; i++) recorder.decision('refused', 'ERR_JWT_EXPIRED', 0.001);
      const histogramOf = async (otel: ReturnType<typeof sdk>) =>
        (await otel.points(COGNITO_METRICS.duration)).find((point) =>
          sameAttributes(point.attributes, refused('ERR_JWT_EXPIRED')),
        )!.value as { count: number; sum: number; min: number; max: number; buckets: { counts: number[] } };
      const expired = await histogramOf(cumulative);
      expect(expired).toMatchObject({ count: 300, min: 0.001, max: 0.001 });
      expect(expired.sum).toBeCloseTo(0.3, 9);
      // All in the bucket up to 1 ms (the 7th boundary: 10, 25, 50, 100, 250, 500, 1000 µs).
      expect(expired.buckets.counts[6]).toBe(300);
      expect((await histogramOf(delta)).count).toBe(300);
      expect((await tally(delta)).timedAccepted).toBe(0);
      expect((await tally(cumulative)).expired).toBe(300);
      await provider.shutdown();
    });

    it('adds up the decisions of two apps on one MeterProvider, and keeps another provider apart', async () => {
      const shared = sdk();
      const other = sdk();
      await start({ metrics: { meterProvider: shared.provider } });
      const second = await createApp(
        CognitoAuthModule.forRoot(issuer.moduleOptions({ metrics: { meterProvider: shared.provider } })),
        [GuardedController],
      );
      const third = await createApp(
        CognitoAuthModule.forRoot(issuer.moduleOptions({ metrics: { meterProvider: other.provider } })),
        [GuardedController],
      );
      try {
        const token = issuer.accessToken();
        // Each app has its own cache: a token's first two requests to an app are verified (the second
        // makes its entry), the next ones are hits. Here: no hit on the first app, one on the second,
        // two on the third.
        for (const target of [app!, second, second, second, third, third, third, third]) {
          expect((await getWithToken(target, '/me', token)).status).toBe(200);
        }
        expect((await get(second, '/me')).status).toBe(401);
        // As two synchronous counters of one name on one meter would: one series, both apps' decisions.
        expect(await shared.count(COGNITO_METRICS.decisions, accepted)).toBe(4);
        expect(await shared.count(COGNITO_METRICS.cacheHits)).toBe(1);
        expect(await shared.count(COGNITO_METRICS.decisions, refused('ERR_TOKEN_MISSING'))).toBe(1);
        expect(await other.count(COGNITO_METRICS.decisions, accepted)).toBe(4);
        expect(await other.count(COGNITO_METRICS.cacheHits)).toBe(2);
        expect(await other.count(COGNITO_METRICS.decisions, refused('ERR_TOKEN_MISSING'))).toBe(0);
        // The first app closed, its decisions stay in the totals (a synchronous counter's would too).
        await app!.close();
        app = undefined;
        expect((await getWithToken(second, '/me', token)).status).toBe(200);
        expect(await shared.count(COGNITO_METRICS.decisions, accepted)).toBe(5);
      } finally {
        await second.close();
        await third.close();
        await shared.provider.shutdown();
        await other.provider.shutdown();
      }
    });
  });

  describe('options', () => {
    it.each([
      ['metrics', 'yes'],
      ['metrics', null],
      ['metrics.meterName', { meterName: '' }],
      ['metrics.meterProvider', { meterProvider: {} }],
      ['metrics.exporter', { exporter: 'otlp' }],
    ])('refuses a bad %s at start', async (option, value) => {
      const module = CognitoAuthModule.forRoot({
        ...issuer.moduleOptions(),
        metrics: value,
      } as CognitoSinglePoolOptions);
      const failure = createApp(module, [GuardedController]);
      await expect(failure).rejects.toThrow(CognitoConfigError);
      await expect(failure).rejects.toMatchObject({ option });
    });
  });
});
