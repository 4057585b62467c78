import { HttpException, Inject, Injectable } from '@nestjs/common';
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import type { CognitoAuthConfig } from './cognito-auth.config';
import { COGNITO_AUTH_CONFIG } from './cognito-auth.constants';
import { CognitoAuthError, CognitoConfigError, JwksUnavailableError } from './errors';

/**
 * What the guard decided about a request's token: `accepted` (the route runs), `refused` (401 or 403:
 * the client's token or rights) or `error` (503: keys unavailable, or a failure that is not a refusal).
 */
export type CognitoDecisionOutcome = 'accepted' | 'refused' | 'error';

/** The instrument names, as docs/metrics.md lists them. */
export const COGNITO_METRICS = {
  decisions: 'cognito_auth.decisions',
  duration: 'cognito_auth.verification.duration',
  cacheHits: 'cognito_auth.cache.hits',
  jwksFetches: 'cognito_auth.jwks.fetches',
} as const;

/** The meter's default name: the package's. */
export const DEFAULT_METER_NAME = 'nest-cognito-auth';

/** The `error.type` of a failure that carries no code of ours (OpenTelemetry's fallback value). */
const OTHER = '_OTHER';
/** Only codes of this shape become an `error.type`, and only this many distinct ones, so cardinality is bounded. */
const CODE = /^ERR_[A-Z0-9_]{1,60}$/;
const MAX_CODES = 64;
/** Durations held before they are handed to the histogram (and at every collection); see `timed`. */
const DURATION_BATCH = 128;
/**
 * Buckets in seconds. A cached token is answered in microseconds, an RSA verification in about a
 * millisecond, a request that waits on a JWKS fetch in up to `jwks.timeoutMs`: OpenTelemetry's
 * default buckets (0–10,000, made for milliseconds) would put them all in the first.
 */
const DURATION_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5, 10,
];

/**
 * One decision series (`cognito_auth.outcome`, and `error.type` unless accepted): its attributes, built
 * once, and how many decisions it has counted.
 */
interface DecisionSeries {
  readonly attributes: Attributes;
  count: number;
}

/**
 * What every module instance that records on one meter shares: the instruments, made once per meter,
 * the counts the observable counters report, and the durations not yet handed to the histogram. The SDK hands out one `Meter` per name and version, and
 * instruments of the same name on it share one series; two observable counters of one name would each
 * report their own total for the same series (the last one read would win), so a second module instance
 * on the meter counts into the first one's totals instead, as two synchronous counters would add up.
 */
interface MeterRecording {
  readonly duration: Histogram;
  readonly jwksFetches: Counter;
  /** By `seriesKey`: at most `MAX_CODES` series, so cardinality stays bounded. */
  readonly decisions: Map<string, DecisionSeries>;
  readonly accepted: DecisionSeries;
  cacheHits: number;
  /** Durations (s) not yet recorded, and the series of each: `pending` of them, at most `DURATION_BATCH`. */
  readonly pendingSeconds: Float64Array;
  readonly pendingSeries: DecisionSeries[];
  pending: number;
}

/**
 * The recordings by meter. Weak: a provider shut down and dropped takes its entry along. The entry holds
 * the counts, not a module instance, so a closed app leaves nothing behind but its totals, which a
 * synchronous counter's storage would keep as well.
 */
const recordings = new WeakMap<Meter, MeterRecording>();

function recordingFor(meter: Meter): MeterRecording {
  let recording = recordings.get(meter);
  if (recording !== undefined) return recording;
  // Decisions and cache hits are counted in plain numbers and read by the SDK at collection (observable
  // counters): a synchronous counter's add() builds and hashes the attribute set's key on every call
  // (the SDK's hashAttributes: JSON.stringify of its sorted entries), which cost about 1 µs a request.
  const decisions = meter.createObservableCounter(COGNITO_METRICS.decisions, {
    description: 'Tokens the guard decided on, by outcome and, when not accepted, the reason code (error.type)',
    unit: '{decision}',
  });
  const cacheHits = meter.createObservableCounter(COGNITO_METRICS.cacheHits, {
    description: 'Tokens answered from the verified-token cache, without a signature verification',
    unit: '{hit}',
  });
  const accepted: DecisionSeries = { attributes: { 'cognito_auth.outcome': 'accepted' }, count: 0 };
  recording = {
    // The duration stays a synchronous histogram: OpenTelemetry has no observable one.
    duration: meter.createHistogram(COGNITO_METRICS.duration, {
      description: 'Time from the guard taking a request to its decision, JWKS fetches it waited on included',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    // Rare (a fetch every few minutes at most): a synchronous counter costs nothing that matters here.
    jwksFetches: meter.createCounter(COGNITO_METRICS.jwksFetches, {
      description: 'JWKS fetches, by outcome (success or failure)',
      unit: '{fetch}',
    }),
    decisions: new Map([[seriesKey('accepted', null), accepted]]),
    accepted,
    cacheHits: 0,
    pendingSeconds: new Float64Array(DURATION_BATCH),
    pendingSeries: new Array<DecisionSeries>(DURATION_BATCH).fill(accepted),
    pending: 0,
  };
  const counts = recording;
  meter.addBatchObservableCallback(
    (result) => {
      // The SDK runs a meter's callbacks before it reads the meter's synchronous instruments: every
      // duration taken before this collection is in it.
      recordPending(counts);
      // Only series counted at least once: a synchronous counter exports no point for a series never added to.
      for (const series of counts.decisions.values()) {
        if (series.count > 0) result.observe(decisions, series.count, series.attributes);
      }
      if (counts.cacheHits > 0) result.observe(cacheHits, counts.cacheHits);
    },
    [decisions, cacheHits],
  );
  recordings.set(meter, recording);
  return recording;
}

/**
 * The module's OpenTelemetry instruments, created once at start: decisions by outcome and reason code,
 * verification time, verified-token cache hits, JWKS fetches by outcome. Recorded through
 * `@opentelemetry/api`, an optional peer: without it installed, or without an SDK's `MeterProvider`
 * registered, every method is a no-op. `metrics: false` turns it off; see docs/metrics.md.
 */
@Injectable()
export class CognitoAuthMetrics {
  /** `null` when off: nothing is recorded, and the guard reads no clock. */
  private readonly recording: MeterRecording | null = null;
  private readonly fetchSuccess: Attributes = { 'cognito_auth.outcome': 'success' };
  private readonly fetchFailure: Attributes = { 'cognito_auth.outcome': 'failure' };

  constructor(@Inject(COGNITO_AUTH_CONFIG) config: CognitoAuthConfig) {
    const options = config.metrics;
    if (options === null) return;
    const provider = options.meterProvider ?? loadApi()?.metrics.getMeterProvider();
    if (provider === undefined) {
      // Asked for explicitly: silently recording nothing would hide the missing package.
      if (options.explicit) {
        throw new CognitoConfigError(
          'metrics',
          'needs @opentelemetry/api, which is not installed (npm install @opentelemetry/api), or metrics.meterProvider',
        );
      }
      return;
    }
    const meter = provider.getMeter(options.meterName, packageVersion()) as Meter;
    // The API's no-op meter (no SDK registered at start; the API's metrics have no proxy that a later
    // SDK fills): its instruments drop everything, so the guard need not call them nor read the clock.
    if (meter === loadApi()?.createNoopMeter()) return;
    this.recording = recordingFor(meter);
  }

  /**
   * Whether anything is recorded: false with `metrics: false`, and when the meter is the API's no-op
   * (no SDK's `MeterProvider` registered when the module started). An SDK may still drop what it gets.
   */
  get enabled(): boolean {
    return this.recording !== null;
  }

  /** The instant a decision starts, for `accepted()` / `failed()`; 0 when off, so nothing reads the clock. */
  start(): number {
    return this.recording === null ? 0 : performance.now();
  }

  /** Records a token accepted, timed from `startedAt` (`start()`). */
  accepted(startedAt: number): void {
    const recording = this.recording;
    if (recording === null) return;
    // The one series of every accepted token, without attributesOf's lookup.
    const series = recording.accepted;
    series.count += 1;
    timed(recording, series, (performance.now() - startedAt) / 1000);
  }

  /** Records a refusal or a failure, its outcome and code read from the error the guard caught. */
  failed(error: unknown, startedAt: number): void {
    if (this.recording === null) return;
    const { outcome, code } = decisionOf(error);
    this.decision(outcome, code, (performance.now() - startedAt) / 1000);
  }

  /**
   * Records one decision: counted, and its duration in seconds. `code` (the `CognitoAuthError` code,
   * e.g. `ERR_JWT_EXPIRED`) becomes `error.type`; a code not of our `ERR_…` shape, or past the 64th
   * distinct one on the meter, is recorded as `_OTHER`.
   */
  decision(outcome: CognitoDecisionOutcome, code: string | null, seconds: number): void {
    const recording = this.recording;
    if (recording === null) return;
    const series = seriesOf(recording.decisions, outcome, code);
    series.count += 1;
    timed(recording, series, seconds);
  }

  /** Records a token answered from the verified-token cache. */
  cacheHit(): void {
    if (this.recording !== null) this.recording.cacheHits += 1;
  }

  /** Records one JWKS fetch and whether it gave usable keys. */
  jwksFetch(ok: boolean): void {
    this.recording?.jwksFetches.add(1, ok ? this.fetchSuccess : this.fetchFailure);
  }
}

/**
 * Times one decision. Durations are handed to the histogram by the batch, not one by one: its
 * `record()` builds and hashes the attribute set's key each time (the SDK's hashAttributes), and, run
 * once in the middle of a request, its code and data are out of the CPU caches (measured: about 5 µs a
 * record then, 0.6 µs in a batch). The batch is recorded when full and at every collection, so every
 * export holds every duration taken before it. Only the time the SDK notes for a record is later (it is
 * a new series' start time): when the batch is recorded, not when the decision was.
 */
function timed(recording: MeterRecording, series: DecisionSeries, seconds: number): void {
  const at = recording.pending;
  recording.pendingSeconds[at] = seconds;
  recording.pendingSeries[at] = series;
  recording.pending = at + 1;
  if (at + 1 === DURATION_BATCH) recordPending(recording);
}

function recordPending(recording: MeterRecording): void {
  const { pending, pendingSeconds, pendingSeries, duration } = recording;
  recording.pending = 0;
  for (let i = 0; i < pending; i++) duration.record(pendingSeconds[i]!, pendingSeries[i]!.attributes);
}

function seriesKey(outcome: CognitoDecisionOutcome, code: string | null): string {
  return `${outcome} ${code ?? ''}`;
}

/** The series of a decision, made on first use, within the bound on codes. */
function seriesOf(
  decisions: Map<string, DecisionSeries>,
  outcome: CognitoDecisionOutcome,
  code: string | null,
): DecisionSeries {
  const key = seriesKey(outcome, code);
  let series = decisions.get(key);
  if (series === undefined) {
    if (code !== null && code !== OTHER && (!CODE.test(code) || decisions.size >= MAX_CODES)) {
      return seriesOf(decisions, outcome, OTHER);
    }
    const attributes: Attributes =
      code === null ? { 'cognito_auth.outcome': outcome } : { 'cognito_auth.outcome': outcome, 'error.type': code };
    series = { attributes, count: 0 };
    decisions.set(key, series);
  }
  return series;
}

/**
 * The outcome and code of what `CognitoGuard.canActivate` caught: a `CognitoAuthError` (thrown by a
 * route rule), the `HttpException` passport's path made of one (its `cause`), or anything else (a bug,
 * or a subclass's own exception: its status decides refused or error).
 */
export function decisionOf(error: unknown): { outcome: Exclude<CognitoDecisionOutcome, 'accepted'>; code: string } {
  const cause = error instanceof HttpException ? error.cause : error;
  const code = cause instanceof CognitoAuthError ? cause.code : OTHER;
  if (error instanceof HttpException) return { outcome: error.getStatus() >= 500 ? 'error' : 'refused', code };
  if (error instanceof CognitoAuthError)
    return { outcome: error instanceof JwksUnavailableError ? 'error' : 'refused', code };
  return { outcome: 'error', code };
}

type OpenTelemetryApi = typeof import('@opentelemetry/api');
let api: OpenTelemetryApi | null | undefined;

/** `@opentelemetry/api`, or null when it is not installed. Required once, lazily: it is an optional peer. */
function loadApi(): OpenTelemetryApi | null {
  if (api === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      api = require('@opentelemetry/api') as OpenTelemetryApi;
    } catch {
      api = null;
    }
  }
  return api;
}

function packageVersion(): string | undefined {
  try {
    // From src/ (tests) and dist/ (the package) alike, the package's own package.json.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}
