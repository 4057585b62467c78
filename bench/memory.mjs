/**
 * Memory: RSS of a process running our module's verification path (no HTTP) after a million
 * distinct valid tokens, each presented twice (so that the verified-token cache keeps it), then
 * after 100,000 forged ones (random kid, issuer, or signature).
 * Run it in its own process with --expose-gc (run.mjs does); it answers over IPC, or prints JSON.
 *
 * Tokens are signed in child processes (one per core) while this process verifies them, at most a
 * few batches ahead, so they never pile up; the signers' memory is theirs, not counted here.
 */
import { BenchIssuer } from './lib/bench-issuer.mjs';
import { ourGuard } from './lib/nest-contenders.mjs';
import { round } from './lib/stats.mjs';
import { TokenSigner } from './lib/token-signer.mjs';
import { createVerificationPath } from './lib/verification-path.mjs';

const FORGED_KINDS = ['kid', 'iss', 'signature'];
const MB = 2 ** 20;
const FORGED_DEADLINE_MS = 2_000;
/** How many times each valid token is verified. */
const PRESENTATIONS = 2;

function reading(label) {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return {
    label,
    rssMB: round(m.rss / MB, 1),
    heapUsedMB: round(m.heapUsed / MB, 1),
    externalMB: round(m.external / MB, 1),
  };
}

/** Runs the memory stage. @param scale { valid, forged, warmup } */
export async function runMemory({ scale, log = () => {} }) {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
  const issuer = await new BenchIssuer().start();
  const signer = new TokenSigner(issuer, { processes: true });
  const path = await createVerificationPath(await ourGuard(issuer));
  const outcomes = { valid: {}, forged: {} };
  const count = (bucket, outcome) => (bucket[outcome] = (bucket[outcome] ?? 0) + 1);
  try {
    const started = performance.now();
    const rssEvery100k = []; // RSS without a forced GC, every 100,000 valid tokens: a leak climbs, a bound plateaus
    // Each valid token is presented twice: the cache keeps a token from its second acceptance, and
    // this stage is about the memory of a full cache.
    const verifyAll = async (total, bucket) => {
      let verified = 0;
      for await (const batch of signer.stream(total, 1000)) {
        for (let i = 0; i < batch.length; i += 64) {
          const slice = batch.slice(i, i + 64);
          for (let time = 0; time < PRESENTATIONS; time++) {
            for (const outcome of await Promise.all(slice.map((token) => path.verify(token)))) count(bucket, outcome);
          }
        }
        verified += batch.length;
        if (verified % 100_000 === 0) {
          const rssMB = round(process.memoryUsage().rss / MB, 0);
          if (bucket === outcomes.valid) rssEvery100k.push(rssMB);
          log(`  memory: ${verified} tokens verified, rss ${rssMB} MB`);
        }
      }
    };
    await verifyAll(scale.warmup, {});
    const baseline = reading(`after ${scale.warmup.toLocaleString('en-US')} warm-up tokens (baseline)`);
    const validStarted = performance.now();
    await verifyAll(scale.valid, outcomes.valid);
    const validSeconds = (performance.now() - validStarted) / 1000;
    const afterValid = reading(`after ${scale.valid.toLocaleString('en-US')} distinct valid tokens, each twice`);
    const fetchesBeforeForged = issuer.totalFetches();
    const forgedStarted = performance.now();
    for (let i = 0; i < scale.forged; i += 64) {
      const slice = Array.from({ length: Math.min(64, scale.forged - i) }, (_, j) =>
        issuer.forged(FORGED_KINDS[(i + j) % 3], i + j),
      );
      // A deadline, so that a request the guard never answers is counted instead of stalling the run.
      for (const outcome of await Promise.all(slice.map((token) => path.verify(token, FORGED_DEADLINE_MS)))) {
        count(outcomes.forged, outcome);
      }
    }
    const forgedSeconds = (performance.now() - forgedStarted) / 1000;
    const afterForged = reading(
      `after ${scale.forged.toLocaleString('en-US')} forged tokens (random kid, iss or signature)`,
    );
    return {
      scale,
      readings: [baseline, afterValid, afterForged],
      rssGrowthAfterValidMB: round(afterValid.rssMB - baseline.rssMB, 1),
      rssEvery100kMB: rssEvery100k,
      rssGrowthAfterForgedMB: round(afterForged.rssMB - baseline.rssMB, 1),
      outcomes,
      presentations: PRESENTATIONS,
      // Verifications, not tokens: comparable with forgedPerSecond, one verification per token.
      validPerSecond: round((PRESENTATIONS * scale.valid) / validSeconds, 0),
      forgedPerSecond: round(scale.forged / forgedSeconds, 0),
      signing: {
        tokens: signer.signed,
        wallSeconds: round(signer.elapsedMs / 1000, 1),
        processes: signer.workers.length,
      },
      totalSeconds: round((performance.now() - started) / 1000, 1),
      jwksFetches: { total: issuer.totalFetches(), duringForged: issuer.totalFetches() - fetchesBeforeForged },
      // CognitoAuthHealth reports the key sets and the verified-token cache with their bounds.
      cacheSizes: await cacheSizes(path),
    };
  } finally {
    await path.close();
    await signer.close();
    await issuer.stop();
  }
}

// As a child process of run.mjs: the job comes over IPC, the result goes back.
if (process.send && process.argv[2] === '--child') {
  process.once('message', async (scale) => {
    try {
      process.send({ result: await runMemory({ scale, log: (line) => process.send({ log: line }) }) });
    } catch (error) {
      process.send({ error: String(error?.stack ?? error) });
    }
  });
}

/** Key sets and verified-token cache as the module's CognitoAuthHealth reports them (null before it had one). */
async function cacheSizes(path) {
  const { CognitoAuthHealth } = await import('nest-cognito-auth');
  if (!CognitoAuthHealth) return null;
  const health = path.app.get(CognitoAuthHealth, { strict: false });
  if (!health) return null;
  const report = health.check();
  return {
    keySets: report.keySets.map(({ keys }) => keys),
    verifiedTokenCache: report.verifiedTokenCache ?? null,
  };
}
